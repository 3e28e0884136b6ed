//! Typed admission webhooks for the generated kinds: a [`Validator`] (accept or refuse a change)
//! and a [`Defaulter`] (return the object as it should be stored; kgen computes the JSON patch).
//!
//! Both run on kube's admission types ([`AdmissionRequest`], [`AdmissionResponse`]): [`validating`]
//! and [`mutating`] wrap a typed handler into an [`AdmissionHandler`], which is what a webhook
//! server (the `kgen-webhook` crate) and the fake API server call with each request.
//!
//! ```
//! use kgen_runtime::admission::{validating, Denied, Operation, Validator};
//!
//! #[derive(serde::Deserialize)]
//! struct Pool { spec: PoolSpec }
//! #[derive(serde::Deserialize)]
//! struct PoolSpec { nodes: u32 }
//!
//! struct NoShrink;
//! impl Validator<Pool> for NoShrink {
//!     fn validate(&self, _: Operation, new: Option<&Pool>, old: Option<&Pool>) -> Result<(), Denied> {
//!         match (new, old) {
//!             (Some(new), Some(old)) if new.spec.nodes < old.spec.nodes => {
//!                 Err(Denied::new("spec.nodes may not decrease"))
//!             }
//!             _ => Ok(()),
//!         }
//!     }
//! }
//! let handler = validating(NoShrink);
//! # let _ = handler;
//! ```
//!
//! What the API server does with the answer: a denial reaches the client as
//! `admission webhook "<name>" denied the request: <message>` with the denial's HTTP code (a code
//! under 400 becomes 400); a mutating webhook's patch is applied to the object the request carried.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::marker::PhantomData;
use std::sync::Arc;

pub use kube::core::DynamicObject;
pub use kube::core::admission::{AdmissionRequest, AdmissionResponse, AdmissionReview, Operation};

/// Why a request is refused; the message reaches the client as
/// `admission webhook "<name>" denied the request: <message>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Denied {
    /// What the client is told.
    pub message: String,
    /// The HTTP status code the client gets (403 unless set; the API server turns a code under
    /// 400 into 400).
    pub code: u16,
    /// A machine-readable reason (`Forbidden`, `Invalid`, ...); when `None`, the reason
    /// Kubernetes uses for [`Denied::code`] is sent (see [`reason_for_code`]).
    pub reason: Option<String>,
}

impl Denied {
    /// A denial with this message, code 403 (Forbidden).
    pub fn new(message: impl Into<String>) -> Self {
        Denied {
            message: message.into(),
            code: 403,
            reason: None,
        }
    }

    /// The same denial with another HTTP status code (422 for an invalid object, for example).
    pub fn with_code(self, code: u16) -> Self {
        Denied { code, ..self }
    }

    /// The same denial with an explicit machine-readable reason.
    pub fn with_reason(self, reason: impl Into<String>) -> Self {
        Denied {
            reason: Some(reason.into()),
            ..self
        }
    }

    /// The reason sent: [`Denied::reason`], or the one Kubernetes uses for the code.
    pub fn reason_or_default(&self) -> String {
        self.reason
            .clone()
            .unwrap_or_else(|| reason_for_code(self.code).to_string())
    }

    /// The response refusing `request` for this reason.
    pub fn into_response<T: kube::Resource>(self, request: &AdmissionRequest<T>) -> AdmissionResponse {
        let mut response = AdmissionResponse::from(request);
        response.allowed = false;
        response.result = kube::core::Status::failure(&self.message, &self.reason_or_default()).with_code(self.code);
        response
    }
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Denied {}

/// The `reason` Kubernetes' API server gives a `Status` of this HTTP code (`metav1.StatusReason`);
/// an empty string for codes it has none for.
pub fn reason_for_code(code: u16) -> &'static str {
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
        _ => "",
    }
}

/// Accepts or refuses a change to objects of type `K`.
pub trait Validator<K>: Send + Sync + 'static {
    /// create: new=Some, old=None; update: both; delete: new=None, old=Some.
    ///
    /// For CONNECT both are `None` (the request carries the connect options, not a `K`).
    fn validate(&self, operation: Operation, new: Option<&K>, old: Option<&K>) -> Result<(), Denied>;
}

/// Sets defaults (or otherwise changes) objects of type `K` before they are stored.
pub trait Defaulter<K>: Send + Sync + 'static {
    /// Returns the object as it should be stored; the JSON patch is computed by kgen.
    ///
    /// Called for CREATE and UPDATE (the object being written); a request without an object
    /// (DELETE, CONNECT) is allowed unchanged without calling it.
    fn default(&self, operation: Operation, object: K) -> Result<K, Denied>;
}

/// A webhook handler on kube's untyped review types (what servers and the fake API server call).
pub trait AdmissionHandler: Send + Sync {
    /// The answer to one request: `uid` copied from it, allowed or denied, and a JSON patch for a
    /// mutating handler that changed the object.
    fn review(&self, request: &AdmissionRequest<DynamicObject>) -> AdmissionResponse;
}

/// Serves `validator` as an [`AdmissionHandler`]: the request's `object` and `oldObject` are read
/// as `K` (one that cannot be is denied with code 400 and the reason), then the validator decides.
pub fn validating<K, V>(validator: V) -> Arc<dyn AdmissionHandler>
where
    K: DeserializeOwned + 'static,
    V: Validator<K>,
{
    Arc::new(Validating {
        validator,
        _kind: PhantomData::<fn() -> K>,
    })
}

/// Serves `defaulter` as an [`AdmissionHandler`]: the request's `object` is read as `K` (one that
/// cannot be is denied with code 400), the defaulter returns the object to store, and the response
/// carries the JSON patch (RFC 6902) from the request's object to it, or no patch when nothing
/// changed.
///
/// The patch is computed against the object the API server sent, so fields `K` does not model
/// are kept (not removed), and `null`s that only come from serializing `K` (an `Option` field
/// without `skip_serializing_if`) are not added.
pub fn mutating<K, D>(defaulter: D) -> Arc<dyn AdmissionHandler>
where
    K: Serialize + DeserializeOwned + 'static,
    D: Defaulter<K>,
{
    Arc::new(Mutating {
        defaulter,
        _kind: PhantomData::<fn() -> K>,
    })
}

struct Validating<K, V> {
    validator: V,
    _kind: PhantomData<fn() -> K>,
}

impl<K, V> AdmissionHandler for Validating<K, V>
where
    K: DeserializeOwned + 'static,
    V: Validator<K>,
{
    fn review(&self, request: &AdmissionRequest<DynamicObject>) -> AdmissionResponse {
        let decoded = if request.operation == Operation::Connect {
            Ok((None, None))
        } else {
            decode::<K>(request, request.object.as_ref(), "object")
                .and_then(|new| Ok((new, decode::<K>(request, request.old_object.as_ref(), "oldObject")?)))
        };
        let outcome = decoded.and_then(|(new, old)| {
            self.validator
                .validate(request.operation.clone(), new.as_ref(), old.as_ref())
        });
        match outcome {
            Ok(()) => AdmissionResponse::from(request),
            Err(denied) => denied.into_response(request),
        }
    }
}

struct Mutating<K, D> {
    defaulter: D,
    _kind: PhantomData<fn() -> K>,
}

impl<K, D> AdmissionHandler for Mutating<K, D>
where
    K: Serialize + DeserializeOwned + 'static,
    D: Defaulter<K>,
{
    fn review(&self, request: &AdmissionRequest<DynamicObject>) -> AdmissionResponse {
        if matches!(request.operation, Operation::Delete | Operation::Connect) {
            return AdmissionResponse::from(request);
        }
        let Some(object) = request.object.as_ref() else {
            return AdmissionResponse::from(request);
        };
        match self.patch_for(request, object) {
            Ok(None) => AdmissionResponse::from(request),
            Ok(Some(patch)) => match AdmissionResponse::from(request).with_patch(patch) {
                Ok(response) => response,
                Err(e) => Denied::new(format!("the patch could not be serialized: {e}"))
                    .with_code(500)
                    .into_response(request),
            },
            Err(denied) => denied.into_response(request),
        }
    }
}

impl<K, D> Mutating<K, D>
where
    K: Serialize + DeserializeOwned + 'static,
    D: Defaulter<K>,
{
    fn patch_for(
        &self,
        request: &AdmissionRequest<DynamicObject>,
        object: &DynamicObject,
    ) -> Result<Option<json_patch::Patch>, Denied> {
        let original = serde_json::to_value(object).map_err(|e| undecodable::<K>(request, "object", &e))?;
        let typed: K = serde_json::from_value(original.clone()).map_err(|e| undecodable::<K>(request, "object", &e))?;
        let round_trip = serde_json::to_value(&typed).map_err(|e| unserializable::<K>(&e))?;
        let defaulted = self.defaulter.default(request.operation.clone(), typed)?;
        let returned = serde_json::to_value(&defaulted).map_err(|e| unserializable::<K>(&e))?;
        let target = reconcile(Some(&original), Some(&round_trip), returned).unwrap_or(Value::Null);
        let patch = json_patch::diff(&original, &target);
        Ok((!patch.0.is_empty()).then_some(patch))
    }
}

/// The object to store: what the defaulter `returned`, plus what `original` has that `K` cannot
/// hold (absent from the `round_trip` through `K`), less the `null`s that only serializing `K`
/// added. `None` means "leave the key out".
fn reconcile(original: Option<&Value>, round_trip: Option<&Value>, returned: Value) -> Option<Value> {
    match returned {
        // `None` serialized: absent, unless the API server's object holds an explicit `null`.
        Value::Null => matches!(original, Some(Value::Null)).then_some(Value::Null),
        Value::Object(returned) => {
            let orig = original.and_then(Value::as_object);
            let rt = round_trip.and_then(Value::as_object);
            let mut out = Map::new();
            for (key, value) in &returned {
                let o = orig.and_then(|m| m.get(key));
                let r = rt.and_then(|m| m.get(key));
                if let Some(v) = reconcile(o, r, value.clone()) {
                    out.insert(key.clone(), v);
                }
            }
            // What `K` cannot hold comes back from the original: the defaulter never saw it.
            for (key, value) in orig.into_iter().flatten() {
                let modelled = rt.is_some_and(|m| m.contains_key(key));
                if !modelled && !returned.contains_key(key) {
                    out.insert(key.clone(), value.clone());
                }
            }
            Some(Value::Object(out))
        }
        Value::Array(returned) => {
            let o = original.and_then(Value::as_array).filter(|o| o.len() == returned.len());
            let r = round_trip
                .and_then(Value::as_array)
                .filter(|r| r.len() == returned.len());
            Some(Value::Array(
                returned
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| {
                        let (o, r) = match (o, r) {
                            (Some(o), Some(r)) => (Some(&o[i]), Some(&r[i])),
                            _ => (None, None),
                        };
                        reconcile(o, r, v).unwrap_or(Value::Null)
                    })
                    .collect(),
            ))
        }
        other => Some(other),
    }
}

/// `object` (the request's `field`) read as `K`.
fn decode<K: DeserializeOwned>(
    request: &AdmissionRequest<DynamicObject>,
    object: Option<&DynamicObject>,
    field: &str,
) -> Result<Option<K>, Denied> {
    let Some(object) = object else {
        return Ok(None);
    };
    let value = serde_json::to_value(object).map_err(|e| undecodable::<K>(request, field, &e))?;
    serde_json::from_value(value)
        .map(Some)
        .map_err(|e| undecodable::<K>(request, field, &e))
}

fn undecodable<K>(request: &AdmissionRequest<DynamicObject>, field: &str, error: &serde_json::Error) -> Denied {
    let kind = &request.kind;
    let gvk = if kind.group.is_empty() {
        format!("{} {}", kind.version, kind.kind)
    } else {
        format!("{}/{} {}", kind.group, kind.version, kind.kind)
    };
    Denied::new(format!(
        "the request's {field} ({gvk}) could not be read as {}: {error}",
        short_type_name::<K>()
    ))
    .with_code(400)
}

fn unserializable<K>(error: &serde_json::Error) -> Denied {
    Denied::new(format!(
        "the defaulted {} could not be serialized: {error}",
        short_type_name::<K>()
    ))
    .with_code(500)
}

/// `Kluster` for `my_api::v1beta1::Kluster` (generic arguments dropped).
fn short_type_name<K>() -> &'static str {
    let full = std::any::type_name::<K>();
    let base = full.split('<').next().unwrap_or(full);
    base.rsplit("::").next().unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use serde::Deserialize;
    use serde_json::json;
    use std::sync::Mutex;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Widget {
        api_version: String,
        kind: String,
        metadata: ObjectMeta,
        spec: WidgetSpec,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct WidgetSpec {
        size: String,
        // No skip_serializing_if: serializing writes `null`, which must not reach the patch.
        replicas: Option<i32>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        ports: Vec<Port>,
    }

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Port {
        port: u16,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        protocol: Option<String>,
    }

    fn widget(spec: Value) -> Value {
        json!({
            "apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "w", "namespace": "default", "labels": {"app": "w"}},
            "spec": spec,
        })
    }

    /// A v1 AdmissionReview as the API server sends it.
    fn request(operation: &str, object: Value, old_object: Value) -> AdmissionRequest<DynamicObject> {
        let review = json!({
            "kind": "AdmissionReview",
            "apiVersion": "admission.k8s.io/v1",
            "request": {
                "uid": "705ab4f5-6393-11e8-b7cc-42010a800002",
                "kind": {"group": "example.com", "version": "v1", "kind": "Widget"},
                "resource": {"group": "example.com", "version": "v1", "resource": "widgets"},
                "requestKind": {"group": "example.com", "version": "v1", "kind": "Widget"},
                "requestResource": {"group": "example.com", "version": "v1", "resource": "widgets"},
                "name": "w",
                "namespace": "default",
                "operation": operation,
                "userInfo": {"username": "admin", "uid": "014fbff9a07c", "groups": ["system:authenticated"]},
                "object": object,
                "oldObject": old_object,
                "dryRun": false,
                "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
            },
        });
        let review: AdmissionReview<DynamicObject> = serde_json::from_value(review).unwrap();
        review.try_into().unwrap()
    }

    type Seen = Vec<(Operation, Option<Widget>, Option<Widget>)>;

    /// Records what it saw; refuses a size of "huge".
    #[derive(Default)]
    struct Recorder(Arc<Mutex<Seen>>);

    impl Validator<Widget> for Recorder {
        fn validate(&self, op: Operation, new: Option<&Widget>, old: Option<&Widget>) -> Result<(), Denied> {
            self.0.lock().unwrap().push((op, new.cloned(), old.cloned()));
            if new.is_some_and(|w| w.spec.size == "huge") {
                return Err(Denied::new("spec.size: huge is not offered"));
            }
            if new.is_some_and(|w| w.spec.size == "odd") {
                return Err(Denied::new("spec.size: odd is invalid").with_code(422));
            }
            Ok(())
        }
    }

    fn recorder() -> (Arc<dyn AdmissionHandler>, Arc<Mutex<Seen>>) {
        let seen = Arc::new(Mutex::new(Vec::new()));
        (validating(Recorder(seen.clone())), seen)
    }

    #[test]
    fn create_update_delete_reach_the_validator_with_the_right_objects() {
        let (handler, seen) = recorder();
        let small = widget(json!({"size": "s"}));
        let large = widget(json!({"size": "l", "replicas": 2}));

        let r = handler.review(&request("CREATE", small.clone(), Value::Null));
        assert!(r.allowed);
        assert_eq!(r.uid, "705ab4f5-6393-11e8-b7cc-42010a800002");
        let r = handler.review(&request("UPDATE", large.clone(), small.clone()));
        assert!(r.allowed);
        let r = handler.review(&request("DELETE", Value::Null, large.clone()));
        assert!(r.allowed);

        let seen = seen.lock().unwrap();
        let summary: Vec<_> = seen
            .iter()
            .map(|(op, new, old)| {
                (
                    op.clone(),
                    new.as_ref().map(|w| w.spec.size.clone()),
                    old.as_ref().map(|w| w.spec.size.clone()),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (Operation::Create, Some("s".to_string()), None),
                (Operation::Update, Some("l".to_string()), Some("s".to_string())),
                (Operation::Delete, None, Some("l".to_string())),
            ]
        );
        let (_, new, _) = &seen[1];
        let new = new.as_ref().unwrap();
        assert_eq!(new.spec.replicas, Some(2));
        assert_eq!(new.metadata.name.as_deref(), Some("w"));
        assert_eq!(new.api_version, "example.com/v1");
    }

    #[test]
    fn a_denial_carries_code_message_and_reason() {
        let (handler, _) = recorder();
        let r = handler.review(&request("CREATE", widget(json!({"size": "huge"})), Value::Null));
        assert!(!r.allowed);
        assert_eq!(r.uid, "705ab4f5-6393-11e8-b7cc-42010a800002", "uid echoed");
        assert_eq!(r.result.code, 403);
        assert_eq!(r.result.message, "spec.size: huge is not offered");
        assert_eq!(r.result.reason, "Forbidden");
        assert!(r.result.is_failure());
        let wire = serde_json::to_value(&r).unwrap();
        assert_eq!(
            wire["status"],
            json!({"status": "Failure", "code": 403, "message": "spec.size: huge is not offered", "reason": "Forbidden"})
        );

        let r = handler.review(&request("CREATE", widget(json!({"size": "odd"})), Value::Null));
        assert_eq!((r.result.code, r.result.reason.as_str()), (422, "Invalid"));

        let custom = Denied::new("no").with_code(409).with_reason("AlreadyExists");
        assert_eq!(custom.reason_or_default(), "AlreadyExists");
        assert_eq!(Denied::new("x").to_string(), "x");
    }

    #[test]
    fn an_object_that_is_not_a_k_is_a_400_denial() {
        let (handler, seen) = recorder();
        let r = handler.review(&request("CREATE", widget(json!({"replicas": 1})), Value::Null));
        assert!(!r.allowed);
        assert_eq!(r.result.code, 400);
        assert_eq!(r.result.reason, "BadRequest");
        assert_eq!(
            r.result.message,
            "the request's object (example.com/v1 Widget) could not be read as Widget: missing field `size`"
        );
        let r = handler.review(&request(
            "UPDATE",
            widget(json!({"size": "s"})),
            widget(json!({"size": 5})),
        ));
        assert!(
            r.result
                .message
                .starts_with("the request's oldObject (example.com/v1 Widget)")
        );
        assert!(seen.lock().unwrap().is_empty(), "the validator is not called");
    }

    #[test]
    fn connect_reaches_the_validator_without_objects() {
        let (handler, seen) = recorder();
        let options = json!({"apiVersion": "v1", "kind": "PodExecOptions", "command": ["sh"]});
        let r = handler.review(&request("CONNECT", options, Value::Null));
        assert!(r.allowed);
        assert_eq!(seen.lock().unwrap()[0], (Operation::Connect, None, None));
    }

    /// Sets replicas to 1 when unset, adds a label, defaults each port's protocol to TCP.
    struct Defaults;

    impl Defaulter<Widget> for Defaults {
        fn default(&self, op: Operation, mut w: Widget) -> Result<Widget, Denied> {
            assert_ne!(op, Operation::Delete);
            if w.spec.size == "huge" {
                return Err(Denied::new("too big").with_code(422));
            }
            w.spec.replicas.get_or_insert(1);
            w.metadata
                .labels
                .get_or_insert_with(Default::default)
                .insert("defaulted".into(), "true".into());
            for p in &mut w.spec.ports {
                p.protocol.get_or_insert_with(|| "TCP".into());
            }
            Ok(w)
        }
    }

    fn patch_of(r: &AdmissionResponse) -> Value {
        serde_json::from_slice(r.patch.as_deref().expect("a patch")).unwrap()
    }

    #[test]
    fn the_patch_holds_only_what_the_defaulter_changed() {
        let handler = mutating(Defaults);
        let object = widget(json!({
            "size": "s",
            "ports": [{"port": 80}, {"port": 53, "protocol": "UDP"}],
            // A field Widget does not model: kept, not removed by the patch.
            "unmodelled": {"keep": true},
        }));
        let r = handler.review(&request("CREATE", object.clone(), Value::Null));
        assert!(r.allowed);
        let patch = patch_of(&r);
        let mut ops: Vec<Value> = patch.as_array().unwrap().clone();
        ops.sort_by_key(|op| op["path"].as_str().unwrap().to_string());
        assert_eq!(
            ops,
            [
                json!({"op": "add", "path": "/metadata/labels/defaulted", "value": "true"}),
                json!({"op": "add", "path": "/spec/ports/0/protocol", "value": "TCP"}),
                json!({"op": "add", "path": "/spec/replicas", "value": 1}),
            ]
        );
        let wire = serde_json::to_value(&r).unwrap();
        assert_eq!(wire["patchType"], "JSONPatch");

        // Applying the patch to what the API server sent gives the defaulted object.
        let mut stored = object;
        json_patch::patch(
            &mut stored,
            &serde_json::from_value::<json_patch::Patch>(patch).unwrap(),
        )
        .unwrap();
        assert_eq!(stored["spec"]["unmodelled"], json!({"keep": true}));
        assert_eq!(stored["spec"]["replicas"], 1);
    }

    #[test]
    fn nothing_changed_means_no_patch() {
        let handler = mutating(Defaults);
        let object = widget(json!({"size": "s", "replicas": 3}));
        let mut object = object;
        object["metadata"]["labels"]["defaulted"] = json!("true");
        let r = handler.review(&request("UPDATE", object.clone(), object));
        assert!(r.allowed);
        assert_eq!(r.patch, None);
        let wire = serde_json::to_value(&r).unwrap();
        assert!(wire.get("patchType").is_none() && wire.get("patch").is_none(), "{wire}");
    }

    #[test]
    fn a_field_the_defaulter_removed_is_removed() {
        struct Clear;
        impl Defaulter<Widget> for Clear {
            fn default(&self, _: Operation, mut w: Widget) -> Result<Widget, Denied> {
                w.metadata.labels = None;
                w.spec.ports.clear();
                Ok(w)
            }
        }
        let r = mutating(Clear).review(&request(
            "CREATE",
            widget(json!({"size": "s", "replicas": 1, "ports": [{"port": 1}]})),
            Value::Null,
        ));
        let mut ops: Vec<Value> = patch_of(&r).as_array().unwrap().clone();
        ops.sort_by_key(|op| op["path"].as_str().unwrap().to_string());
        assert_eq!(
            ops,
            [
                json!({"op": "remove", "path": "/metadata/labels"}),
                json!({"op": "remove", "path": "/spec/ports"}),
            ]
        );
    }

    #[test]
    fn mutating_denials_and_deletes() {
        let handler = mutating(Defaults);
        let r = handler.review(&request("CREATE", widget(json!({"size": "huge"})), Value::Null));
        assert!(!r.allowed);
        assert_eq!((r.result.code, r.result.message.as_str()), (422, "too big"));
        assert_eq!(r.patch, None);

        let r = handler.review(&request("CREATE", widget(json!({})), Value::Null));
        assert_eq!(r.result.code, 400);
        assert!(
            r.result.message.contains("missing field `size`"),
            "{}",
            r.result.message
        );

        let r = handler.review(&request("DELETE", Value::Null, widget(json!({"size": "s"}))));
        assert!(r.allowed);
        assert_eq!(r.patch, None);
    }

    #[test]
    fn short_type_names() {
        assert_eq!(short_type_name::<Widget>(), "Widget");
        assert_eq!(short_type_name::<Vec<Widget>>(), "Vec");
        assert_eq!(reason_for_code(418), "");
    }
}
