//! A shared launcher for Stoplight Prism as a validating proxy (`prism proxy --errors`) in front of
//! an upstream (normally the DigitalOcean stand-in), checking both directions against the official
//! contract `examples/kluster/contract/doks-openapi.yaml`.
//!
//! Include it from a test crate with:
//!
//! ```ignore
//! #[path = "support/prism.rs"]
//! mod prism;
//! let proxy = prism::start_prism_proxy(&server.base_url()).await;
//! let url = format!("{}/v2/kubernetes/options", proxy.base_url());
//! ```
//!
//! Prism is found through the environment variable `PRISM_BIN`, else at
//! `<workspace>/target/prism/node_modules/.bin/prism`. When that is missing it is installed once
//! with npm (`npm install --prefix <workspace>/target/prism ... @stoplight/prism-cli@5.14.2`), under a
//! file lock so that parallel tests and test binaries do not install twice.
//!
//! With `--errors`, a request that breaks the contract is not forwarded: Prism answers
//! `422 application/problem+json` with a `validation` array. A response that breaks it becomes
//! `500 application/problem+json` (`#VIOLATIONS`). Anything else is the upstream's own answer.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};

/// The pinned Prism version (the newest one that runs on Node 20).
pub const PRISM_VERSION: &str = "5.14.2";

/// How long to wait for Prism to answer after it was started.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The workspace root (two levels above this package).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.join("../..");
    root.canonicalize().unwrap_or(root)
}

/// The contract Prism validates against: `examples/kluster/contract/doks-openapi.yaml`.
pub fn contract_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("contract/doks-openapi.yaml")
}

/// The Prism executable: `$PRISM_BIN`, else the workspace-local install (installed on first use).
/// Blocks; call it from `spawn_blocking` in async code ([`start_prism_proxy`] does).
pub fn prism_bin() -> PathBuf {
    if let Some(bin) = std::env::var_os("PRISM_BIN").filter(|b| !b.is_empty()) {
        let bin = PathBuf::from(bin);
        assert!(
            bin.exists(),
            "PRISM_BIN points to {}, which does not exist",
            bin.display()
        );
        return bin;
    }
    let prefix = workspace_root().join("target/prism");
    let bin = prefix.join("node_modules/.bin/prism");
    if !bin.exists() {
        install_prism(&prefix, &bin);
    }
    bin
}

/// `npm install --prefix <prefix> @stoplight/prism-cli@PRISM_VERSION`, once, under a file lock.
fn install_prism(prefix: &Path, bin: &Path) {
    std::fs::create_dir_all(prefix).unwrap_or_else(|e| panic!("cannot create {}: {e}", prefix.display()));
    let lock_path = prefix.join(".install.lock");
    let lock = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", lock_path.display()));
    lock.lock()
        .unwrap_or_else(|e| panic!("cannot lock {}: {e}", lock_path.display()));
    if bin.exists() {
        return; // another test installed it while we waited for the lock
    }
    let package = format!("@stoplight/prism-cli@{PRISM_VERSION}");
    eprintln!("installing {package} into {} (once) ...", prefix.display());
    let started = std::time::Instant::now();
    let output = std::process::Command::new("npm")
        .arg("install")
        .arg("--prefix")
        .arg(prefix)
        .args(["--no-audit", "--no-fund", &package])
        .output();
    let output = match output {
        Ok(output) => output,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "the Prism contract tests need Stoplight Prism, and npm was not found to install it ({e}).\n\
             Install Node.js 20+ with npm (e.g. `sudo apt-get install nodejs npm`, or from https://nodejs.org),\n\
             or install Prism yourself: `npm install --prefix target/prism --no-audit --no-fund {package}`,\n\
             or point PRISM_BIN at a prism executable."
        ),
        Err(e) => panic!("cannot run npm: {e}"),
    };
    assert!(
        output.status.success() && bin.exists(),
        "`npm install {package}` failed ({}):\n{}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    eprintln!("installed {package} in {:.1?}", started.elapsed());
}

/// A running `prism proxy --errors`; the process is killed when this is dropped.
pub struct PrismProxy {
    child: Child,
    base_url: String,
    logs: Arc<Mutex<String>>,
}

impl PrismProxy {
    /// Where clients send requests, e.g. `http://127.0.0.1:4010` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Everything Prism printed so far (stdout and stderr), for failure messages.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// Kills Prism now (dropping does the same).
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

impl std::fmt::Debug for PrismProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrismProxy")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

/// Starts `prism proxy --errors -h 127.0.0.1 -p <free port> <contract> <upstream>` and waits (up to
/// 30 s) until it answers. Panics with Prism's output when it cannot be started.
pub async fn start_prism_proxy(upstream: &str) -> PrismProxy {
    let bin = match tokio::task::spawn_blocking(prism_bin).await {
        Ok(bin) => bin,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => panic!("installing Prism: {e}"),
    };
    let contract = contract_path();
    assert!(contract.exists(), "the contract is missing: {}", contract.display());
    let mut last_logs = String::new();
    for _attempt in 0..3 {
        let port = free_port();
        let logs = Arc::new(Mutex::new(String::new()));
        let mut child = Command::new(&bin)
            .arg("proxy")
            .arg("--errors")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(&contract)
            .arg(upstream)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
        capture(child.stdout.take(), logs.clone());
        capture(child.stderr.take(), logs.clone());

        let deadline = tokio::time::Instant::now() + READY_TIMEOUT;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                // Give the readers a moment to collect the last output.
                tokio::time::sleep(Duration::from_millis(100)).await;
                last_logs = logs.lock().unwrap().clone();
                if last_logs.contains("EADDRINUSE") {
                    break; // the free port was taken meanwhile; try another
                }
                panic!("prism exited ({status}) before it was ready:\n{last_logs}");
            }
            if probe(port).await {
                return PrismProxy {
                    child,
                    base_url: format!("http://127.0.0.1:{port}"),
                    logs,
                };
            }
            if tokio::time::Instant::now() > deadline {
                let _ = child.kill().await;
                panic!(
                    "prism did not answer on 127.0.0.1:{port} within {READY_TIMEOUT:?}:\n{}",
                    logs.lock().unwrap()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    panic!("prism could not bind a free port after 3 attempts:\n{last_logs}");
}

/// A port that was free a moment ago.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local addr").port()
}

/// Whether something answers HTTP on the port. The probe path matches no operation, so Prism
/// answers it itself (404) without contacting the upstream.
async fn probe(port: u16) -> bool {
    let attempt = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        stream
            .write_all(b"GET /__prism_ready HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            .await
            .ok()?;
        let mut buf = [0u8; 16];
        let n = stream.read(&mut buf).await.ok()?;
        buf[..n].starts_with(b"HTTP/1.").then_some(())
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(2), attempt).await,
        Ok(Some(()))
    )
}

fn capture<R: AsyncRead + Unpin + Send + 'static>(reader: Option<R>, logs: Arc<Mutex<String>>) {
    let Some(mut reader) = reader else { return };
    tokio::spawn(async move {
        let mut buf = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buf).await {
            if n == 0 {
                break;
            }
            logs.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
}
