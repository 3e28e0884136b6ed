//! Conversion of custom resources between their versions, as the API server does it for a CRD
//! with `spec.conversion.strategy: Webhook`, with the converter registered in process
//! ([`kgen_runtime::conversion::convert`]) where a real server calls the webhook.
//!
//! As in apiextensions-apiserver, each served version is its own in-memory representation: a
//! request is decoded, defaulted, validated and admitted at its own version; the object is
//! converted to the storage version when it is written (and pruned with the storage version's
//! schema, as `schemaCoercingConverter` does after every conversion), and converted from the
//! stored version when it is read (then pruned and defaulted with the read version's schema, as
//! the storage decoder does), so the old object of an update or patch, the response of a write,
//! list items and watch events are all at the request's version. Field and label selectors see
//! the converted object (each version has its own watch cache in a real server).
//!
//! A failed conversion is what the webhook converter reports,
//! `conversion webhook for <group>/<version>, Kind=<Kind> failed: <why>` (the version being the
//! object's before conversion): on reads a 500 with that message (no reason), on writes a 500
//! `InternalError` `Internal error occurred: conversion webhook for ...`. Without a registered
//! converter the webhook is unreachable: `<why>` is the POST a real server would make and why it
//! could not.
//!
//! With strategy `None` (or none), objects are served at any version by rewriting `apiVersion`
//! only (see [`served`]).

use super::objects::served;
use super::resources::{Conversion, ResourceDef};
use super::status::ApiError;
use kgen_runtime::conversion::Converter;
use kube::core::Status;
use kube::core::response::{StatusCause, StatusDetails};
use serde_json::{Value, json};
use std::sync::Arc;

/// Whether a conversion serves a read or feeds a write (they fail differently).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Read,
    Write,
}

/// What a reader needs to see stored objects at one version: the resource, the version and the
/// converter registered for it.
#[derive(Clone)]
pub(crate) struct View {
    pub def: Arc<ResourceDef>,
    pub version: String,
    pub converter: Option<Arc<dyn Converter>>,
}

impl std::fmt::Debug for View {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("View")
            .field("resource", &self.def.plural)
            .field("version", &self.version)
            .field("converter", &self.converter.is_some())
            .finish()
    }
}

impl View {
    /// `obj` (as stored) at this view's version.
    pub(crate) fn read(&self, obj: &Value) -> Result<Value, ApiError> {
        to_version(&self.def, self.converter.as_ref(), obj, &self.version, Direction::Read)
    }
}

/// Go's `GroupVersionKind.String()` of an `apiVersion` and kind.
fn gvk(api_version: &str, kind: &str) -> String {
    match api_version.split_once('/') {
        Some((g, v)) => format!("{g}/{v}, Kind={kind}"),
        None => format!("/{api_version}, Kind={kind}"),
    }
}

/// The error of a failed conversion, as the client gets it.
fn failure(message: String, direction: Direction) -> ApiError {
    match direction {
        // A storage decoding error reaches the client as a plain error: a 500 without reason.
        Direction::Read => Box::new(Status::failure(&message, "").with_code(500)),
        Direction::Write => {
            let mut s = Status::failure(&format!("Internal error occurred: {message}"), "InternalError").with_code(500);
            s.details = Some(StatusDetails {
                name: String::new(),
                group: String::new(),
                kind: String::new(),
                uid: String::new(),
                causes: vec![StatusCause {
                    reason: String::new(),
                    message,
                    field: String::new(),
                }],
                retry_after_seconds: 0,
            });
            Box::new(s)
        }
    }
}

/// `obj` converted to `version` of `def`.
///
/// Strategy `None`: `apiVersion` rewritten ([`served`]). Strategy `Webhook`: an object already at
/// `version` is left as it is; otherwise the converter runs (an error without one); then the
/// result is pruned with `version`'s schema, and defaulted too for a read.
pub(crate) fn to_version(
    def: &ResourceDef,
    converter: Option<&Arc<dyn Converter>>,
    obj: &Value,
    version: &str,
    direction: Direction,
) -> Result<Value, ApiError> {
    let Conversion::Webhook { url } = &def.conversion else {
        return Ok(served(def, version, obj));
    };
    let target = def.api_version(version);
    let from = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| def.api_version(&def.storage_version().name));
    let mut out = if from == target {
        served(def, version, obj)
    } else {
        let mut input = obj.clone();
        if let Value::Object(m) = &mut input {
            m.insert("apiVersion".into(), json!(from));
            m.insert("kind".into(), json!(def.kind));
        }
        let failed = |why: String| {
            failure(
                format!("conversion webhook for {} failed: {why}", gvk(&from, &def.kind)),
                direction,
            )
        };
        let Some(converter) = converter else {
            return Err(failed(format!(
                "Post \"{url}?timeout=30s\": no converter is registered for {}.{} (FakeApiServer::with_converter)",
                def.plural, def.group
            )));
        };
        kgen_runtime::conversion::convert(converter.as_ref(), input, &target)
            .map_err(|e| failed(e.message().to_string()))?
    };
    if let Some(schema) = def.version(version).and_then(|v| v.schema.as_ref()) {
        kgen_schema::validate::prune(schema, &mut out);
        if direction == Direction::Read {
            kgen_schema::validate::apply_defaults(schema, &mut out);
        }
    }
    if let Value::Object(m) = &mut out {
        m.insert("apiVersion".into(), json!(target));
        m.insert("kind".into(), json!(def.kind));
    }
    Ok(out)
}
