//! TLS from PEM files, re-read when they change (cert-manager and Kubernetes' secret volumes
//! replace them in place when a certificate is renewed).

use rustls::ServerConfig;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How often, at most, the files are looked at again (on a handshake) for a renewed certificate.
pub const RELOAD_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// Why TLS could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TlsError {
    message: String,
}

impl TlsError {
    fn new(message: impl Into<String>) -> Self {
        TlsError {
            message: message.into(),
        }
    }
}

/// The server side of TLS for [`Webhooks::serve_tls`](crate::Webhooks::serve_tls): a rustls
/// [`ServerConfig`] on the ring provider, offering HTTP/1.1 (what the API server speaks to
/// webhooks).
#[derive(Clone, Debug)]
pub struct TlsConfig {
    server_config: Arc<ServerConfig>,
}

impl TlsConfig {
    /// The certificate chain (PEM, leaf first, such as `tls.crt` of a `kubernetes.io/tls`
    /// Secret) and its private key (PEM: PKCS#8, PKCS#1 or SEC1, such as `tls.key`).
    ///
    /// Both files are read now, and looked at again on a later handshake (at most every
    /// [`RELOAD_CHECK_INTERVAL`]): when their contents changed, the new certificate is served from
    /// then on; if the new files cannot be used (a renewal half written), the server keeps the
    /// previous certificate, logs a warning and tries again at the next check.
    pub fn from_pem_files(cert_path: impl AsRef<Path>, key_path: impl AsRef<Path>) -> Result<Self, TlsError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let resolver = FileResolver::new(
            cert_path.as_ref().to_path_buf(),
            key_path.as_ref().to_path_buf(),
            provider.clone(),
        )?;
        let mut config = ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| TlsError::new(format!("TLS versions: {e}")))?
            .with_no_client_auth()
            .with_cert_resolver(Arc::new(resolver));
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(TlsConfig {
            server_config: Arc::new(config),
        })
    }

    /// A ready rustls configuration (for client certificates, other providers, ...). It should
    /// offer `http/1.1` by ALPN or none.
    pub fn from_server_config(server_config: Arc<ServerConfig>) -> Self {
        TlsConfig { server_config }
    }

    /// The rustls configuration.
    pub fn server_config(&self) -> Arc<ServerConfig> {
        self.server_config.clone()
    }
}

/// The bytes of both files, to tell a renewal (compared whole: modification times can be coarse,
/// and a Secret volume swaps a symlink rather than rewriting the files).
type Contents = (Option<Vec<u8>>, Option<Vec<u8>>);

fn contents(cert_path: &Path, key_path: &Path) -> Contents {
    (std::fs::read(cert_path).ok(), std::fs::read(key_path).ok())
}

struct Loaded {
    key: Arc<CertifiedKey>,
    contents: Contents,
    checked: Instant,
}

/// Serves the certificate of two PEM files, re-reading them when they change.
struct FileResolver {
    cert_path: PathBuf,
    key_path: PathBuf,
    provider: Arc<CryptoProvider>,
    loaded: Mutex<Loaded>,
}

impl std::fmt::Debug for FileResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileResolver")
            .field("cert_path", &self.cert_path)
            .field("key_path", &self.key_path)
            .finish_non_exhaustive()
    }
}

impl FileResolver {
    fn new(cert_path: PathBuf, key_path: PathBuf, provider: Arc<CryptoProvider>) -> Result<Self, TlsError> {
        let contents = contents(&cert_path, &key_path);
        let key = load(&cert_path, &key_path, &provider)?;
        Ok(FileResolver {
            cert_path,
            key_path,
            provider,
            loaded: Mutex::new(Loaded {
                key: Arc::new(key),
                contents,
                checked: Instant::now(),
            }),
        })
    }

    fn current(&self) -> Arc<CertifiedKey> {
        let mut loaded = self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        if loaded.checked.elapsed() >= RELOAD_CHECK_INTERVAL {
            loaded.checked = Instant::now();
            let now = contents(&self.cert_path, &self.key_path);
            if now != loaded.contents {
                match load(&self.cert_path, &self.key_path, &self.provider) {
                    Ok(key) => {
                        tracing::info!(cert = %self.cert_path.display(), "serving the renewed certificate");
                        loaded.key = Arc::new(key);
                        loaded.contents = now;
                    }
                    // A renewal half written (certificate without its key yet) is tried again
                    // at the next check; until then the previous certificate is served.
                    Err(e) => tracing::warn!(error = %e, "keeping the previous certificate"),
                }
            }
        }
        loaded.key.clone()
    }
}

impl ResolvesServerCert for FileResolver {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn load(cert_path: &Path, key_path: &Path, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let certs = CertificateDer::pem_file_iter(cert_path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::new(format!("reading certificates from {}: {e}", cert_path.display())))?;
    if certs.is_empty() {
        return Err(TlsError::new(format!("{} holds no certificate", cert_path.display())));
    }
    let key = PrivateKeyDer::from_pem_file(key_path)
        .map_err(|e| TlsError::new(format!("reading the private key from {}: {e}", key_path.display())))?;
    CertifiedKey::from_der(certs, key, provider).map_err(|e| {
        TlsError::new(format!(
            "the certificate {} and key {} cannot be used together: {e}",
            cert_path.display(),
            key_path.display()
        ))
    })
}
