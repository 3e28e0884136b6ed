//! Test support: a minimal in-process API server answering list (from canned items) and watch (a
//! stream that stays open and silent) for core/v1 kinds, recording every request.

use std::{
    collections::HashMap,
    convert::Infallible,
    sync::{Arc, Mutex},
};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, StreamBody, combinators::BoxBody};
use hyper::body::Frame;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{Client, api::ObjectMeta};

pub(crate) fn cm(ns: &str, name: &str, rv: &str) -> ConfigMap {
    ConfigMap {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(ns.into()),
            resource_version: Some(rv.into()),
            ..Default::default()
        },
        ..Default::default()
    }
}

#[derive(Default)]
struct State {
    /// plural -> items
    items: HashMap<String, Vec<serde_json::Value>>,
    /// (path, query)
    requests: Vec<(String, String)>,
    fail_lists: usize,
}

#[derive(Clone, Default)]
pub(crate) struct MockServer {
    state: Arc<Mutex<State>>,
}

type Body = BoxBody<Bytes, Infallible>;

fn json(status: u16, value: serde_json::Value) -> http::Response<Body> {
    http::Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(value.to_string())).boxed())
        .unwrap()
}

impl MockServer {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) fn client(&self) -> Client {
        let this = self.clone();
        let service = tower::service_fn(move |req: http::Request<kube::client::Body>| {
            let response = this.handle(&req);
            async move { Ok::<_, Infallible>(response) }
        });
        Client::new(service, "default")
    }

    pub(crate) fn set_items<T: serde::Serialize>(&self, plural: &str, items: Vec<T>) {
        let items = items.iter().map(|i| serde_json::to_value(i).unwrap()).collect();
        self.state.lock().unwrap().items.insert(plural.into(), items);
    }

    pub(crate) fn fail_next_lists(&self, n: usize) {
        self.state.lock().unwrap().fail_lists = n;
    }

    pub(crate) fn requests(&self) -> Vec<String> {
        let state = self.state.lock().unwrap();
        state.requests.iter().map(|(p, q)| format!("{p}?{q}")).collect()
    }

    /// Queries of the list (not watch) requests to exactly `path`.
    pub(crate) fn lists(&self, path: &str) -> Vec<String> {
        let state = self.state.lock().unwrap();
        state
            .requests
            .iter()
            .filter(|(p, q)| p == path && !is_watch(q))
            .map(|(_, q)| q.clone())
            .collect()
    }

    fn handle(&self, req: &http::Request<kube::client::Body>) -> http::Response<Body> {
        let path = req.uri().path().to_owned();
        let query = req.uri().query().unwrap_or("").to_owned();
        let mut state = self.state.lock().unwrap();
        state.requests.push((path.clone(), query.clone()));
        if is_watch(&query) {
            let silent = futures::stream::pending::<Result<Frame<Bytes>, Infallible>>();
            return http::Response::builder()
                .status(200)
                .header("content-type", "application/json")
                .body(StreamBody::new(silent).boxed())
                .unwrap();
        }
        if state.fail_lists > 0 {
            state.fail_lists -= 1;
            return json(
                500,
                serde_json::json!({
                    "kind": "Status", "apiVersion": "v1", "metadata": {},
                    "status": "Failure", "message": "mock failure", "reason": "InternalError", "code": 500
                }),
            );
        }
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        // api/v1/<plural> or api/v1/namespaces/<ns>/<plural>
        let (namespace, plural) = match segments.as_slice() {
            ["api", "v1", "namespaces", ns, plural] => (Some(*ns), *plural),
            ["api", "v1", plural] => (None, *plural),
            _ => return json(404, serde_json::json!({"kind": "Status", "code": 404})),
        };
        let items: Vec<serde_json::Value> = state
            .items
            .get(plural)
            .into_iter()
            .flatten()
            .filter(|i| namespace.is_none_or(|ns| i["metadata"]["namespace"] == ns))
            .cloned()
            .collect();
        json(
            200,
            serde_json::json!({
                "apiVersion": "v1", "kind": "List",
                "metadata": {"resourceVersion": "1"},
                "items": items,
            }),
        )
    }
}

fn is_watch(query: &str) -> bool {
    query.split('&').any(|p| p == "watch=true")
}

/// Await `f`, failing the test after 10 s (of the paused clock, in tests that pause it) instead of
/// hanging.
pub(crate) async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(std::time::Duration::from_secs(10), f)
        .await
        .expect("timed out")
}
