//! Kubernetes `Status` errors as the API server sends them.

use kube::core::Status;
use kube::core::response::{StatusCause, StatusDetails};
use serde_json::{Value, json};

/// An API error: a `Status` with its HTTP code.
pub(crate) type ApiError = Box<Status>;
/// The result of an API operation.
pub(crate) type ApiResult<T> = Result<T, ApiError>;

/// The reason the API server gives for a status code.
pub(crate) fn reason_for(code: u16) -> &'static str {
    match code {
        400 => "BadRequest",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "NotFound",
        405 => "MethodNotAllowed",
        406 => "NotAcceptable",
        409 => "Conflict",
        410 => "Expired",
        413 => "RequestEntityTooLarge",
        415 => "UnsupportedMediaType",
        422 => "Invalid",
        429 => "TooManyRequests",
        500 => "InternalError",
        503 => "ServiceUnavailable",
        504 => "Timeout",
        _ => "Unknown",
    }
}

/// A failure status with `code`, its usual reason and `message`.
pub(crate) fn error(code: u16, message: impl Into<String>) -> ApiError {
    Box::new(Status::failure(&message.into(), reason_for(code)).with_code(code))
}

fn details(group: &str, kind: &str, name: &str) -> StatusDetails {
    StatusDetails {
        name: name.to_string(),
        group: group.to_string(),
        kind: kind.to_string(),
        uid: String::new(),
        causes: Vec::new(),
        retry_after_seconds: 0,
    }
}

/// `<resource>[.<group>]`, as the API server names a resource in messages.
pub(crate) fn qualified(plural: &str, group: &str) -> String {
    if group.is_empty() {
        plural.to_string()
    } else {
        format!("{plural}.{group}")
    }
}

/// 404 for a named object.
pub(crate) fn not_found(plural: &str, group: &str, name: &str) -> ApiError {
    let mut s = error(404, format!("{} \"{name}\" not found", qualified(plural, group)));
    s.details = Some(details(group, plural, name));
    s
}

/// 409 AlreadyExists for a create.
pub(crate) fn already_exists(plural: &str, group: &str, name: &str) -> ApiError {
    let mut s = Box::new(
        Status::failure(
            &format!("{} \"{name}\" already exists", qualified(plural, group)),
            "AlreadyExists",
        )
        .with_code(409),
    );
    s.details = Some(details(group, plural, name));
    s
}

/// 409 Conflict for a stale resourceVersion or a failed precondition.
pub(crate) fn conflict(plural: &str, group: &str, name: &str, why: &str) -> ApiError {
    let mut s = error(
        409,
        format!(
            "Operation cannot be fulfilled on {} \"{name}\": {why}",
            qualified(plural, group)
        ),
    );
    s.details = Some(details(group, plural, name));
    s
}

/// The message of a stale resourceVersion conflict.
pub(crate) const MODIFIED: &str =
    "the object has been modified; please apply your changes to the latest version and try again";

/// One field problem of an Invalid (422) status.
#[derive(Clone, Debug)]
pub(crate) struct FieldError {
    /// `FieldValueInvalid`, `FieldValueRequired`, ...
    pub reason: String,
    /// Path of the field, e.g. `spec.replicas`.
    pub field: String,
    /// What is wrong (without the field path).
    pub message: String,
}

impl FieldError {
    pub(crate) fn new(reason: &str, field: &str, message: impl Into<String>) -> Self {
        FieldError {
            reason: reason.to_string(),
            field: field.to_string(),
            message: message.into(),
        }
    }

    fn render(&self) -> String {
        if self.field.is_empty() {
            self.message.clone()
        } else {
            format!("{}: {}", self.field, self.message)
        }
    }
}

/// 422 Invalid with one cause per field error, as the API server reports validation failures:
/// `<Kind>.<group> "<name>" is invalid: [<field>: <message>, ...]`. As in the API server, a
/// message repeated verbatim appears once in the text (the causes keep every error), and the
/// brackets are dropped when one message remains.
pub(crate) fn invalid(kind: &str, group: &str, name: &str, errors: &[FieldError]) -> ApiError {
    let what = if group.is_empty() {
        kind.to_string()
    } else {
        format!("{kind}.{group}")
    };
    let mut seen = Vec::new();
    for e in errors {
        let r = e.render();
        if !seen.contains(&r) {
            seen.push(r);
        }
    }
    let list = match seen.len() {
        0 => String::new(),
        1 => format!(": {}", seen[0]),
        _ => format!(": [{}]", seen.join(", ")),
    };
    let mut s = Box::new(Status::failure(&format!("{what} \"{name}\" is invalid{list}"), "Invalid").with_code(422));
    let mut d = details(group, kind, name);
    d.causes = errors
        .iter()
        .map(|e| StatusCause {
            reason: e.reason.clone(),
            message: e.message.clone(),
            field: e.field.clone(),
        })
        .collect();
    s.details = Some(d);
    s
}

/// A Status as JSON, with its `kind` and `apiVersion`.
pub(crate) fn to_json(status: &Status) -> Value {
    let mut v = serde_json::to_value(status).unwrap_or_else(|_| json!({}));
    if let Value::Object(m) = &mut v {
        m.insert("kind".into(), json!("Status"));
        m.insert("apiVersion".into(), json!("v1"));
        m.insert("metadata".into(), json!({}));
    }
    v
}

/// A success Status for an object deleted at once.
pub(crate) fn deleted(plural: &str, group: &str, name: &str, uid: &str) -> Value {
    let mut d = details(group, plural, name);
    d.uid = uid.to_string();
    let s = Status::success().with_details(d);
    to_json(&s)
}
