//! [`Webhooks::serve_tls`]: HTTP/1.1 over TLS with graceful shutdown.

use crate::Webhooks;
use crate::tls::TlsConfig;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, ToSocketAddrs};
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

/// How long a client has for the TLS handshake and for sending a request's headers.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long requests in flight at shutdown have to finish before their connections are closed.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// A running webhook server. Dropping it (or [`WebhookServer::shutdown`]) stops it gracefully:
/// no new connections, idle ones closed, requests in flight answered (for up to
/// [`SHUTDOWN_GRACE`]); [`WebhookServer::abort`] stops it at once.
#[derive(Debug)]
pub struct WebhookServer {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl WebhookServer {
    /// The address it listens on (with the port chosen when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops gracefully and waits until the server has stopped.
    pub async fn shutdown(mut self) {
        self.stop.take();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    /// Stops at once: the listener and every connection are closed.
    pub fn abort(mut self) {
        self.stop.take();
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

impl Drop for WebhookServer {
    fn drop(&mut self) {
        // Dropping the sender tells the server to stop; it finishes in the background.
        self.stop.take();
    }
}

impl Webhooks {
    /// Serves these webhooks over HTTPS (HTTP/1.1, as the API server calls webhooks) on `addr`
    /// (`0.0.0.0:8443` in a pod; port 0 picks a free port). Returns the bound address and the
    /// server's handle; the server runs on the current tokio runtime until the handle is dropped.
    pub async fn serve_tls(
        self,
        addr: impl ToSocketAddrs,
        tls: TlsConfig,
    ) -> std::io::Result<(SocketAddr, WebhookServer)> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel();
        let acceptor = TlsAcceptor::from(tls.server_config());
        tracing::info!(addr = %local_addr, paths = ?self.paths().collect::<Vec<_>>(), "serving webhooks over TLS");
        let task = tokio::spawn(run(listener, acceptor, self, stopped));
        Ok((
            local_addr,
            WebhookServer {
                local_addr,
                stop: Some(stop),
                task: Some(task),
            },
        ))
    }
}

async fn run(listener: TcpListener, acceptor: TlsAcceptor, webhooks: Webhooks, mut stopped: oneshot::Receiver<()>) {
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a little rather than spin.
                        tracing::warn!(error = %e, "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let service = webhooks.clone();
                let watcher = graceful.watcher();
                connections.spawn(async move {
                    let tls = match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(%peer, "TLS handshake timed out");
                            return;
                        }
                    };
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        .header_read_timeout(HANDSHAKE_TIMEOUT)
                        .serve_connection(TokioIo::new(tls), service);
                    if let Err(e) = watcher.watch(connection).await {
                        tracing::debug!(%peer, error = %e, "webhook connection ended with an error");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!("webhook requests still running after the shutdown grace period were cut");
    }
    connections.shutdown().await;
    tracing::info!("webhook server stopped");
}
