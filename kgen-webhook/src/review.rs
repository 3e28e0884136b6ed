//! The reviews themselves: a `ConversionReview` or an `AdmissionReview` in, the answer out, as the
//! API server expects it (same `apiVersion` and `kind`, `uid` echoed).

use base64::Engine as _;
use kgen_runtime::admission::{AdmissionHandler, AdmissionResponse, AdmissionReview, DynamicObject};
use kgen_runtime::conversion::{Converter, convert};
use kube::core::conversion::{ConversionRequest, ConversionResponse, ConversionReview};
use kube::core::{Status, TypeMeta};
use serde_json::Value;
use std::sync::Arc;

/// `apiVersion` of the `ConversionReview` the API server sends (`conversionReviewVersions: ["v1"]`).
pub const CONVERSION_REVIEW_API_VERSION: &str = "apiextensions.k8s.io/v1";
/// `apiVersion` of the `AdmissionReview` the API server sends (`admissionReviewVersions: ["v1"]`).
pub const ADMISSION_REVIEW_API_VERSION: &str = "admission.k8s.io/v1";

/// Answers a `ConversionReview`: every object of `review.request` is converted to
/// `desiredAPIVersion` with [`kgen_runtime::conversion::convert`], by the converter of its group
/// and kind.
///
/// The response has the request's `uid`, and either `result.status: Success` with the converted
/// objects in the request's order, or `result.status: Failure` with a message and no objects (the
/// API server then fails the client's request with
/// `conversion webhook for <gvk> failed: <message>`). A review without a request gets a Failure
/// with an empty `uid`.
pub fn review_conversion(converters: &[Arc<dyn Converter>], review: ConversionReview) -> ConversionReview {
    let types = review_types(&review.types, CONVERSION_REVIEW_API_VERSION, "ConversionReview");
    let Some(request) = review.request else {
        let mut review =
            ConversionResponse::invalid(Status::failure("the ConversionReview has no request", "BadRequest"))
                .into_review();
        review.types = types;
        return review;
    };
    let request = ConversionRequest {
        types: Some(types),
        ..request
    };
    let desired = request.desired_api_version.clone();
    let objects = request.objects.clone();
    let response = ConversionResponse::for_request(request);
    let response = match convert_all(converters, objects, &desired) {
        Ok(converted) => response.success(converted),
        Err(message) => {
            tracing::warn!(desired_api_version = %desired, %message, "conversion failed");
            response.failure(Status::failure(&message, ""))
        }
    };
    response.into_review()
}

fn convert_all(converters: &[Arc<dyn Converter>], objects: Vec<Value>, desired: &str) -> Result<Vec<Value>, String> {
    objects
        .into_iter()
        .map(|object| {
            let api_version = object.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
            let group = api_version.rsplit_once('/').map_or("", |(g, _)| g).to_string();
            let kind = object.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
            let what = describe(&object, &kind);
            let Some(converter) = converters.iter().find(|c| c.group() == group && c.kind() == kind) else {
                let known: Vec<String> = converters.iter().map(|c| format!("{} {}", c.group(), c.kind())).collect();
                return Err(format!(
                    "converting {what}: this webhook has no conversion for kind {kind:?} of group {group:?} (it converts: {})",
                    if known.is_empty() { "nothing".to_string() } else { known.join(", ") }
                ));
            };
            convert(converter.as_ref(), object, desired).map_err(|e| format!("converting {what}: {e}"))
        })
        .collect()
}

/// `Kluster "ns/name"` for messages.
fn describe(object: &Value, kind: &str) -> String {
    let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
    let kind = if kind.is_empty() { "object" } else { kind };
    match object.pointer("/metadata/namespace").and_then(Value::as_str) {
        Some(ns) if !ns.is_empty() => format!("{kind} \"{ns}/{name}\""),
        _ => format!("{kind} {name:?}"),
    }
}

/// The review's `apiVersion` and `kind` (the API server requires the answer to carry the ones
/// it sent), or the v1 ones when the review has none.
fn review_types(types: &TypeMeta, default_api_version: &str, kind: &str) -> TypeMeta {
    TypeMeta {
        api_version: if types.api_version.is_empty() {
            default_api_version.to_string()
        } else {
            types.api_version.clone()
        },
        kind: kind.to_string(),
    }
}

/// Answers an `AdmissionReview` with `handler`: the response has the request's `uid` (as the API
/// server requires) and the review's `apiVersion` and `kind`. A review without a request gets a
/// denial with code 400 and an empty `uid`.
///
/// Serialize the answer with [`admission_review_json`]: kube's `AdmissionResponse` writes `patch`
/// as an array of numbers, where the API server reads a base64 string.
pub fn review_admission(
    handler: &dyn AdmissionHandler,
    review: AdmissionReview<DynamicObject>,
) -> AdmissionReview<DynamicObject> {
    let types = review_types(&review.types, ADMISSION_REVIEW_API_VERSION, "AdmissionReview");
    let response = match review.request {
        Some(mut request) => {
            request.types = types.clone();
            let mut response = handler.review(&request);
            // The API server refuses an answer for another request.
            response.uid = request.uid.clone();
            tracing::debug!(
                uid = %request.uid,
                operation = ?request.operation,
                kind = %request.kind.kind,
                name = %request.name,
                allowed = response.allowed,
                "admission review"
            );
            response
        }
        None => {
            let mut response = AdmissionResponse::invalid("the AdmissionReview has no request");
            response.result.code = 400;
            response
        }
    };
    AdmissionReview {
        types,
        request: None,
        response: Some(response),
    }
}

/// `review` as the JSON the API server reads: as serde writes it, except the response's `patch`,
/// which is base64 (Go's encoding of `[]byte`) rather than an array of numbers.
pub fn admission_review_json(review: &AdmissionReview<DynamicObject>) -> Result<Vec<u8>, serde_json::Error> {
    let mut value = serde_json::to_value(review)?;
    if let Some(patch) = value.pointer_mut("/response/patch")
        && let Value::Array(bytes) = patch
    {
        let bytes: Vec<u8> = bytes
            .iter()
            .map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()).unwrap_or_default())
            .collect();
        *patch = Value::String(base64::engine::general_purpose::STANDARD.encode(bytes));
    }
    serde_json::to_vec(&value)
}
