//! [`Webhooks`]: paths to conversion and admission handlers, as a tower and hyper service.

use crate::review::{admission_review_json, review_admission, review_conversion};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode, header};
use http_body::Body;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use kgen_runtime::admission::{AdmissionHandler, AdmissionReview, DynamicObject};
use kgen_runtime::conversion::Converter;
use kube::core::conversion::ConversionReview;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The largest request body read by default: 32 MiB. A `ConversionReview` for a list carries every
/// object of it, each up to the API server's 3 MiB request limit.
pub const DEFAULT_MAX_BODY_BYTES: usize = 32 * 1024 * 1024;

/// The `ConversionReview` versions read (the v1beta1 one has the same fields; the answer echoes
/// the request's).
const CONVERSION_REVIEW_API_VERSIONS: &[&str] = &["apiextensions.k8s.io/v1", "apiextensions.k8s.io/v1beta1"];
/// The `AdmissionReview` versions read (likewise).
const ADMISSION_REVIEW_API_VERSIONS: &[&str] = &["admission.k8s.io/v1", "admission.k8s.io/v1beta1"];

#[derive(Clone)]
enum Route {
    Conversion(Arc<[Arc<dyn Converter>]>),
    Admission {
        handler: Arc<dyn AdmissionHandler>,
        mutating: bool,
    },
}

/// The webhooks an operator serves, by path: conversion (`ConversionReview`, for CRDs with
/// `spec.conversion.strategy: Webhook`) and admission (`AdmissionReview`, for
/// `ValidatingWebhookConfiguration` and `MutatingWebhookConfiguration`).
///
/// It is a [`tower_service::Service`] (mount it in axum with `Router::route_service` or
/// `fallback_service`) and a [`hyper::service::Service`] (hand it to hyper's `serve_connection`),
/// over any request body; [`Webhooks::serve_tls`](crate::Webhooks::serve_tls) serves it itself.
///
/// Answers: 200 with the review for a review; 404 for a path with no webhook; 405 (with `Allow:
/// POST`) for another method; 415 for a `Content-Type` other than `application/json` (what the
/// API server sends); 413 for a body over the limit; 400 with a message for a body that is not a
/// review of the path's type.
#[derive(Clone)]
pub struct Webhooks {
    routes: Arc<BTreeMap<String, Route>>,
    max_body_bytes: usize,
}

impl Default for Webhooks {
    fn default() -> Self {
        Webhooks::new()
    }
}

impl std::fmt::Debug for Webhooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let routes: Vec<(&str, &str)> = self
            .routes
            .iter()
            .map(|(path, route)| {
                let what = match route {
                    Route::Conversion(_) => "conversion",
                    Route::Admission { mutating: true, .. } => "mutating",
                    Route::Admission { mutating: false, .. } => "validating",
                };
                (path.as_str(), what)
            })
            .collect();
        f.debug_struct("Webhooks")
            .field("routes", &routes)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish()
    }
}

impl Webhooks {
    /// No webhooks yet.
    pub fn new() -> Self {
        Webhooks {
            routes: Arc::new(BTreeMap::new()),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    fn route(mut self, path: impl Into<String>, route: Route) -> Self {
        let path = path.into();
        assert!(path.starts_with('/'), "a webhook path starts with '/': {path:?}");
        Arc::make_mut(&mut self.routes).insert(path, route);
        self
    }

    /// Serves `ConversionReview`s at `path` with these converters (the generated ones, one per
    /// kind), chosen by each object's group and kind. The CRD's
    /// `spec.conversion.webhook.clientConfig.service.path` names `path`.
    pub fn conversion(self, path: impl Into<String>, converters: impl IntoIterator<Item = Arc<dyn Converter>>) -> Self {
        self.route(path, Route::Conversion(converters.into_iter().collect()))
    }

    /// Serves `AdmissionReview`s for a `ValidatingWebhookConfiguration` at `path` (made with
    /// [`kgen_runtime::admission::validating`]). A response with a patch, which the API server
    /// refuses from a validating webhook, becomes a denial with code 500.
    pub fn validating(self, path: impl Into<String>, handler: Arc<dyn AdmissionHandler>) -> Self {
        self.route(
            path,
            Route::Admission {
                handler,
                mutating: false,
            },
        )
    }

    /// Serves `AdmissionReview`s for a `MutatingWebhookConfiguration` at `path` (made with
    /// [`kgen_runtime::admission::mutating`]).
    pub fn mutating(self, path: impl Into<String>, handler: Arc<dyn AdmissionHandler>) -> Self {
        self.route(
            path,
            Route::Admission {
                handler,
                mutating: true,
            },
        )
    }

    /// Bodies over `bytes` get 413 ([`DEFAULT_MAX_BODY_BYTES`] unless set).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// The paths served, in order.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.routes.keys().map(String::as_str)
    }

    /// Answers one request.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<Full<Bytes>>
    where
        B: Body,
        B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    {
        let (parts, body) = request.into_parts();
        let Some(route) = self.routes.get(parts.uri.path()).cloned() else {
            return text(StatusCode::NOT_FOUND, format!("no webhook at {}", parts.uri.path()));
        };
        if parts.method != Method::POST {
            let mut response = text(
                StatusCode::METHOD_NOT_ALLOWED,
                format!("{} takes POST, not {}", parts.uri.path(), parts.method),
            );
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            return response;
        }
        if !is_json(parts.headers.get(header::CONTENT_TYPE)) {
            let got = parts.headers.get(header::CONTENT_TYPE).map_or_else(
                || "none".to_string(),
                |v| format!("{:?}", String::from_utf8_lossy(v.as_bytes())),
            );
            return text(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                format!("expected Content-Type: application/json, got {got}"),
            );
        }
        let body = match Limited::new(body, self.max_body_bytes).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
                return text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the body is over {} bytes", self.max_body_bytes),
                );
            }
            Err(e) => return text(StatusCode::BAD_REQUEST, format!("reading the body failed: {e}")),
        };
        answer(&route, &body)
    }
}

fn answer(route: &Route, body: &[u8]) -> Response<Full<Bytes>> {
    match route {
        Route::Conversion(converters) => {
            let review: ConversionReview = match parse_review(body, "ConversionReview", CONVERSION_REVIEW_API_VERSIONS)
            {
                Ok(r) => r,
                Err(message) => return text(StatusCode::BAD_REQUEST, message),
            };
            if review.request.is_none() {
                return text(
                    StatusCode::BAD_REQUEST,
                    "the ConversionReview has no request".to_string(),
                );
            }
            let answer = review_conversion(converters, review);
            match serde_json::to_vec(&answer) {
                Ok(json) => json_response(json),
                Err(e) => text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("serializing the answer: {e}"),
                ),
            }
        }
        Route::Admission { handler, mutating } => {
            let review: AdmissionReview<DynamicObject> =
                match parse_review(body, "AdmissionReview", ADMISSION_REVIEW_API_VERSIONS) {
                    Ok(r) => r,
                    Err(message) => return text(StatusCode::BAD_REQUEST, message),
                };
            if review.request.is_none() {
                return text(
                    StatusCode::BAD_REQUEST,
                    "the AdmissionReview has no request".to_string(),
                );
            }
            let mut answer = review_admission(handler.as_ref(), review);
            if !mutating
                && let Some(response) = answer.response.as_mut()
                && response.patch.is_some()
            {
                tracing::error!(uid = %response.uid, "a validating webhook returned a patch; mount it with .mutating()");
                let uid = response.uid.clone();
                let mut denied = kgen_runtime::admission::AdmissionResponse::invalid(
                    "the webhook is registered as validating but its handler returned a patch",
                );
                denied.uid = uid;
                denied.result.code = 500;
                *response = denied;
            }
            match admission_review_json(&answer) {
                Ok(json) => json_response(json),
                Err(e) => text(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("serializing the answer: {e}"),
                ),
            }
        }
    }
}

/// The body as a review of `kind` in one of `api_versions`, or why not (a 400).
fn parse_review<T: serde::de::DeserializeOwned>(body: &[u8], kind: &str, api_versions: &[&str]) -> Result<T, String> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    let a = if kind.starts_with(['A', 'E', 'I', 'O', 'U']) {
        "an"
    } else {
        "a"
    };
    let got_kind = value.get("kind").and_then(|k| k.as_str()).unwrap_or_default();
    if got_kind != kind {
        return Err(format!("expected {a} {kind}, got kind {got_kind:?}"));
    }
    let got_version = value.get("apiVersion").and_then(|k| k.as_str()).unwrap_or_default();
    if !api_versions.contains(&got_version) {
        return Err(format!(
            "expected {a} {kind} of apiVersion {}, got {got_version:?}",
            api_versions.join(" or ")
        ));
    }
    serde_json::from_value(value).map_err(|e| format!("the body is not a valid {kind}: {e}"))
}

/// `application/json`, with or without parameters (`; charset=utf-8`).
fn is_json(content_type: Option<&HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value
        .split(';')
        .next()
        .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

fn json_response(json: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(json)));
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn text(status: StatusCode, message: String) -> Response<Full<Bytes>> {
    tracing::debug!(%status, %message, "webhook request refused");
    let mut response = Response::new(Full::new(Bytes::from(message + "\n")));
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// The future [`Webhooks`] returns as a service.
pub type ResponseFuture = Pin<Box<dyn Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send>>;

impl<B> tower_service::Service<Request<B>> for Webhooks
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle(request).await) })
    }
}

impl<B> hyper::service::Service<Request<B>> for Webhooks
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    type Response = Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn call(&self, request: Request<B>) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { Ok(this.handle(request).await) })
    }
}
