//! `/healthz`, `/readyz` and `/metrics` (Prometheus text format) over plain HTTP.
//!
//! Readiness means "able to serve", as controller-runtime's managers report it: a standby replica
//! waiting for the Lease is ready (so a rolling update of two replicas can make progress while
//! the old leader holds the Lease). Whether this replica leads is the `kluster_leader` gauge and
//! a log line, not a probe.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Request, Response, StatusCode, server::conn::http1, service::service_fn};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::context::Metrics;
use crate::digitalocean::DoApi;

/// What the endpoints report.
#[derive(Clone)]
pub struct HealthState {
    /// Set once the operator has started (and, with leader election, checked that it may use
    /// its Lease), whether it leads or stands by.
    pub ready: Arc<AtomicBool>,
    /// Reconcile and leadership counters.
    pub metrics: Arc<Metrics>,
    /// For the DigitalOcean request counters.
    pub digitalocean: DoApi,
}

impl HealthState {
    fn respond(&self, path: &str) -> Response<Full<Bytes>> {
        let (status, body) = match path {
            "/healthz" | "/livez" => (StatusCode::OK, "ok\n".to_string()),
            "/readyz" if self.ready.load(Ordering::Relaxed) => (StatusCode::OK, "ok\n".to_string()),
            "/readyz" => (StatusCode::SERVICE_UNAVAILABLE, "starting\n".to_string()),
            "/metrics" => (StatusCode::OK, self.metrics_text()),
            _ => (StatusCode::NOT_FOUND, "not found\n".to_string()),
        };
        let mut response = Response::new(Full::new(Bytes::from(body)));
        *response.status_mut() = status;
        response
    }

    /// The counters in Prometheus' text format.
    pub fn metrics_text(&self) -> String {
        let m = &self.metrics;
        let counters = [
            (
                "kluster_reconcile_total",
                "Reconciles run.",
                "counter",
                m.reconciles.load(Ordering::Relaxed),
            ),
            (
                "kluster_reconcile_errors_total",
                "Reconciles that failed.",
                "counter",
                m.reconcile_errors.load(Ordering::Relaxed),
            ),
            (
                "kluster_leader",
                "1 while this replica leads.",
                "gauge",
                m.leader.load(Ordering::Relaxed),
            ),
            (
                "kluster_leader_acquisitions_total",
                "Times this replica became the leader.",
                "counter",
                m.leader_acquisitions.load(Ordering::Relaxed),
            ),
            (
                "kluster_digitalocean_requests_total",
                "Requests sent to DigitalOcean.",
                "counter",
                self.digitalocean.requests_sent(),
            ),
            (
                "kluster_digitalocean_rate_limited_total",
                "429 responses from DigitalOcean.",
                "counter",
                self.digitalocean.rate_limited_responses(),
            ),
        ];
        let mut out = String::new();
        for (name, help, kind, value) in counters {
            out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}\n"));
        }
        out
    }
}

/// Serves the endpoints on `addr` until the task is dropped; returns the bound address.
pub async fn serve(addr: SocketAddr, state: HealthState) -> std::io::Result<(SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let task = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let response = state.respond(req.uri().path());
                    async move { Ok::<_, Infallible>(response) }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    Ok((local, task))
}
