//! Shared fixtures of the fake API server tests: the `Widget` custom resource (a CRD written by
//! hand, and its Rust types) and small helpers.
#![allow(dead_code)]

use k8s_openapi::api::core::v1::ConfigMap;
use kube::CustomResource;
use kube::core::Status;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

pub use kgen_fake::FakeApiServer;

/// The Widget CRD: a status and a scale subresource, a selectable field, defaults, an enum, a
/// minimum, a set and a map list, and two CEL rules (one a transition rule).
pub fn widget_crd() -> Value {
    serde_json::from_str(WIDGET_CRD).expect("valid CRD JSON")
}

const WIDGET_CRD: &str = r#"{
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.kgen.dev"},
        "spec": {
            "group": "kgen.dev",
            "names": {"kind": "Widget", "listKind": "WidgetList", "plural": "widgets", "singular": "widget", "shortNames": ["wd"]},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1",
                "served": true,
                "storage": true,
                "subresources": {
                    "status": {},
                    "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}
                },
                "selectableFields": [{"jsonPath": ".spec.color"}],
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "metadata": {"type": "object"},
                        "spec": {
                            "type": "object",
                            "required": ["color"],
                            "x-kubernetes-validations": [
                                {"rule": "self.replicas >= 0", "message": "replicas must not be negative"},
                                {"rule": "self.color == oldSelf.color", "message": "color is immutable"}
                            ],
                            "properties": {
                                "color": {"type": "string", "enum": ["red", "green", "blue"]},
                                "replicas": {"type": "integer", "default": 1},
                                "size": {"type": "integer", "minimum": 1, "default": 3},
                                "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}},
                                "ports": {
                                    "type": "array",
                                    "x-kubernetes-list-type": "map",
                                    "x-kubernetes-list-map-keys": ["port"],
                                    "items": {
                                        "type": "object",
                                        "required": ["port"],
                                        "properties": {"port": {"type": "integer"}, "name": {"type": "string"}}
                                    }
                                }
                            }
                        },
                        "status": {
                            "type": "object",
                            "properties": {
                                "replicas": {"type": "integer"},
                                "ready": {"type": "boolean"},
                                "observedGeneration": {"type": "integer"},
                                "message": {"type": "string"}
                            }
                        }
                    }
                }}
            }]
        }
    }"#;

/// A port of a Widget.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
pub struct WidgetPort {
    pub port: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The Widget kind.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "kgen.dev",
    version = "v1",
    kind = "Widget",
    namespaced,
    status = "WidgetStatus",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct WidgetSpec {
    pub color: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<WidgetPort>,
}

/// The Widget status.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct WidgetStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A server with the Widget CRD.
pub fn server() -> FakeApiServer {
    FakeApiServer::new().with_crd(widget_crd())
}

/// Creates namespaces: the server requires the namespace of a namespaced object to exist, as
/// the API server does.
pub fn namespaces(server: &FakeApiServer, names: &[&str]) {
    for n in names {
        server
            .insert(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}))
            .expect("namespace");
    }
}

/// A Widget named `name` of `color`.
pub fn widget(name: &str, color: &str) -> Widget {
    Widget::new(
        name,
        WidgetSpec {
            color: color.into(),
            ..Default::default()
        },
    )
}

/// A ConfigMap with labels.
pub fn cm(name: &str, labels: &[(&str, &str)]) -> ConfigMap {
    let mut c = ConfigMap::default();
    c.metadata.name = Some(name.into());
    if !labels.is_empty() {
        c.metadata.labels = Some(
            labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        );
    }
    c.data = Some([("k".to_string(), "v".to_string())].into_iter().collect());
    c
}

/// The Status of an API error (panics on other errors and on success).
pub fn api_error<T: std::fmt::Debug>(r: Result<T, kube::Error>) -> Box<Status> {
    match r {
        Err(kube::Error::Api(s)) => s,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The resourceVersion of an object as a number.
pub fn rv(meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta) -> u64 {
    meta.resource_version
        .as_deref()
        .expect("resourceVersion")
        .parse()
        .expect("numeric resourceVersion")
}

/// Polls `check` until it returns true (panics after 10 s).
pub async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if check().await {
            return;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for: {what}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Sends a raw request to the server's in-process service; returns the status code and the
/// JSON body (`Null` when it is not JSON).
pub async fn raw(
    server: &FakeApiServer,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Value) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let mut req = http::Request::builder().method(method).uri(path);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let req = req
        .body(http_body_util::Full::new(bytes::Bytes::from(body.to_string())))
        .expect("a valid request");
    let resp = server.service().oneshot(req).await.expect("the service answers");
    let code = resp.status().as_u16();
    let bytes = resp.into_body().collect().await.expect("a body").to_bytes();
    (code, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Awaits `fut` for at most 5 s.
pub async fn within<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), fut)
        .await
        .expect("timed out")
}
