//! Conversion and admission webhooks for the kinds kgen generates, served over HTTPS.
//!
//! - [`review_conversion`]: answers a `ConversionReview` (apiextensions.k8s.io/v1) with the
//!   generated [`Converter`](kgen_runtime::conversion::Converter)s.
//! - [`review_admission`]: answers an `AdmissionReview` (admission.k8s.io/v1) with an
//!   [`AdmissionHandler`](kgen_runtime::admission::AdmissionHandler), such as a typed
//!   [`Validator`](kgen_runtime::admission::Validator) or
//!   [`Defaulter`](kgen_runtime::admission::Defaulter) wrapped by
//!   [`validating`](kgen_runtime::admission::validating) or
//!   [`mutating`](kgen_runtime::admission::mutating).
//! - [`Webhooks`]: both by path, as a `tower::Service` and a `hyper::service::Service`, to mount
//!   in hyper or axum; [`Webhooks::serve_tls`] serves it on its own with [`TlsConfig`] (rustls
//!   with the ring provider, certificates from PEM files, re-read when they are renewed).
//!
//! Served on its own, over TLS:
//!
//! ```no_run
//! use kgen_runtime::admission::{validating, Denied, Operation, Validator};
//! use kgen_webhook::{TlsConfig, Webhooks};
//!
//! #[derive(serde::Deserialize)]
//! struct Kluster { spec: serde_json::Value }
//!
//! struct KlusterValidator;
//! impl Validator<Kluster> for KlusterValidator {
//!     fn validate(&self, op: Operation, new: Option<&Kluster>, _old: Option<&Kluster>) -> Result<(), Denied> {
//!         match new {
//!             Some(k) if k.spec.get("region").is_none() => Err(Denied::new("spec.region is required")),
//!             _ => Ok(()),
//!         }
//!     }
//! }
//!
//! # async fn run(converters: Vec<std::sync::Arc<dyn kgen_runtime::conversion::Converter>>) -> Result<(), Box<dyn std::error::Error>> {
//! let webhooks = Webhooks::new()
//!     .conversion("/convert", converters) // e.g. the generated `converters()`
//!     .validating("/validate-kgen-dev-v1beta1-kluster", validating(KlusterValidator));
//! // The files of a `kubernetes.io/tls` Secret mounted in the pod (cert-manager renews them).
//! let tls = TlsConfig::from_pem_files("/tls/tls.crt", "/tls/tls.key")?;
//! let (addr, server) = webhooks.serve_tls("0.0.0.0:8443", tls).await?;
//! println!("webhooks on https://{addr}");
//! tokio::signal::ctrl_c().await?;
//! server.shutdown().await; // graceful: requests in flight are answered
//! # Ok(()) }
//! ```
//!
//! Mounted in a hyper server of your own (here plain HTTP, for a TLS-terminating proxy in front;
//! the API server itself only calls `https://` webhooks):
//!
//! ```no_run
//! use hyper_util::rt::TokioIo;
//! use kgen_webhook::Webhooks;
//!
//! # async fn run(webhooks: Webhooks) -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! loop {
//!     let (tcp, _) = listener.accept().await?;
//!     let service = webhooks.clone(); // a hyper::service::Service<Request<Incoming>>
//!     tokio::spawn(async move {
//!         let _ = hyper::server::conn::http1::Builder::new()
//!             .serve_connection(TokioIo::new(tcp), service)
//!             .await;
//!     });
//! }
//! # }
//! ```
//!
//! In axum, `Router::new().route_service("/convert", webhooks.clone())` or
//! `.fallback_service(webhooks)` (it is a `tower::Service` over any request body).
//!
//! The API server's side of the contract, which these follow: it POSTs `application/json` over
//! HTTP/1.1 and TLS, and reads back a review of the same `apiVersion` and `kind` whose
//! `response.uid` is the request's. A failed conversion (`result.status: Failure`) fails the
//! client's request with `result.message`; an admission denial reaches the client as
//! `admission webhook "<name>" denied the request: <message>` with the denial's code (400 when it
//! is under 400); a mutating webhook's `patch` is a base64 JSON Patch with `patchType: JSONPatch`.

#![warn(missing_docs)]

mod review;
mod router;
mod server;
mod tls;

pub use review::{
    ADMISSION_REVIEW_API_VERSION, CONVERSION_REVIEW_API_VERSION, admission_review_json, review_admission,
    review_conversion,
};
pub use router::{DEFAULT_MAX_BODY_BYTES, ResponseFuture, Webhooks};
pub use server::{HANDSHAKE_TIMEOUT, SHUTDOWN_GRACE, WebhookServer};
pub use tls::{RELOAD_CHECK_INTERVAL, TlsConfig, TlsError};
