//! The HTTP side: routing, authentication, rate limiting, faults, recording and response headers.

use super::faults::FaultKind;
use super::ratelimit::{Decision, RateHeaders};
use super::state::{ApiError, Body, Ctx, Reply, error_id, parse_query};
use super::{Inner, RecordedRequest};
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use uuid::Uuid;

/// Request bodies larger than this get 413.
const MAX_BODY: usize = 1024 * 1024;

/// A running stand-in server, bound to one address. Dropping it stops the server (open connections
/// are closed); [`StandinServer::shutdown`] does the same and waits for it.
#[derive(Debug)]
pub struct StandinServer {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl StandinServer {
    /// The base URL clients use, e.g. `http://127.0.0.1:40123` (no trailing slash).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The bound address (useful after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting connections, closes open ones, and waits until the server task has ended.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for StandinServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

pub(crate) async fn serve(inner: Arc<Inner>, addr: SocketAddr) -> std::io::Result<StandinServer> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let base_url: Arc<str> = Arc::from(format!("http://{addr}"));
    let (stop_tx, mut stop_rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut stop_rx => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _peer)) => {
                        let inner = inner.clone();
                        let base_url = base_url.clone();
                        let service = service_fn(move |req| {
                            let inner = inner.clone();
                            let base_url = base_url.clone();
                            async move { Ok::<_, Infallible>(handle(inner, &base_url, req).await) }
                        });
                        connections.spawn(async move {
                            if let Err(e) = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await {
                                tracing::debug!(error = %e, "stand-in connection ended with an error");
                            }
                        });
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "stand-in accept failed");
                        tokio::task::yield_now().await;
                    }
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        connections.shutdown().await;
    });
    Ok(StandinServer {
        addr,
        stop: Some(stop_tx),
        task: Some(task),
    })
}

/// Where a path points.
#[derive(Debug)]
enum Route {
    Options,
    Clusters,
    Cluster(String),
    Kubeconfig(String),
    Credentials(String),
    StatusMessages(String),
    Upgrades(String),
    Upgrade(String),
    Associated(String),
    DestroySelective(String),
    DestroyDangerous(String),
    NodePools(String),
    NodePool(String, String),
    Node(String, String, String),
}

fn route(path: &str) -> Option<Route> {
    let rest = path.strip_prefix("/v2/kubernetes/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    let s = |v: &str| v.to_owned();
    Some(match segments.as_slice() {
        ["options"] => Route::Options,
        ["clusters"] => Route::Clusters,
        ["clusters", id] => Route::Cluster(s(id)),
        ["clusters", id, "kubeconfig"] => Route::Kubeconfig(s(id)),
        ["clusters", id, "credentials"] => Route::Credentials(s(id)),
        ["clusters", id, "status_messages"] => Route::StatusMessages(s(id)),
        ["clusters", id, "upgrades"] => Route::Upgrades(s(id)),
        ["clusters", id, "upgrade"] => Route::Upgrade(s(id)),
        ["clusters", id, "destroy_with_associated_resources"] => Route::Associated(s(id)),
        ["clusters", id, "destroy_with_associated_resources", "selective"] => Route::DestroySelective(s(id)),
        ["clusters", id, "destroy_with_associated_resources", "dangerous"] => Route::DestroyDangerous(s(id)),
        ["clusters", id, "node_pools"] => Route::NodePools(s(id)),
        ["clusters", id, "node_pools", pool] => Route::NodePool(s(id), s(pool)),
        ["clusters", id, "node_pools", pool, "nodes", node] => Route::Node(s(id), s(pool), s(node)),
        _ => return None,
    })
}

/// The operation for a method on a route, or the methods the route allows.
fn operation(route: &Route, method: &Method) -> Result<&'static str, &'static str> {
    let m = method.as_str();
    match (route, m) {
        (Route::Options, "GET") => Ok("list_options"),
        (Route::Clusters, "GET") => Ok("list_clusters"),
        (Route::Clusters, "POST") => Ok("create_cluster"),
        (Route::Cluster(_), "GET") => Ok("get_cluster"),
        (Route::Cluster(_), "PUT") => Ok("update_cluster"),
        (Route::Cluster(_), "DELETE") => Ok("delete_cluster"),
        (Route::Kubeconfig(_), "GET") => Ok("get_kubeconfig"),
        (Route::Credentials(_), "GET") => Ok("get_credentials"),
        (Route::StatusMessages(_), "GET") => Ok("get_status_messages"),
        (Route::Upgrades(_), "GET") => Ok("get_available_upgrades"),
        (Route::Upgrade(_), "POST") => Ok("upgrade_cluster"),
        (Route::Associated(_), "GET") => Ok("list_associated_resources"),
        (Route::DestroySelective(_), "DELETE") => Ok("destroy_associated_resources_selective"),
        (Route::DestroyDangerous(_), "DELETE") => Ok("destroy_associated_resources_dangerous"),
        (Route::NodePools(_), "GET") => Ok("list_node_pools"),
        (Route::NodePools(_), "POST") => Ok("add_node_pool"),
        (Route::NodePool(..), "GET") => Ok("get_node_pool"),
        (Route::NodePool(..), "PUT") => Ok("update_node_pool"),
        (Route::NodePool(..), "DELETE") => Ok("delete_node_pool"),
        (Route::Node(..), "DELETE") => Ok("delete_node"),
        (Route::Clusters | Route::NodePools(_), _) => Err("GET, POST"),
        (Route::Cluster(_) | Route::NodePool(..), _) => Err("GET, PUT, DELETE"),
        (Route::DestroySelective(_) | Route::DestroyDangerous(_) | Route::Node(..), _) => Err("DELETE"),
        (Route::Upgrade(_), _) => Err("POST"),
        _ => Err("GET"),
    }
}

/// The answer before headers are added.
struct Outcome {
    result: Result<Reply, ApiError>,
    rate: Option<RateHeaders>,
    retry_after: Option<u64>,
    allow: Option<&'static str>,
}

impl Outcome {
    fn error(error: ApiError, rate: Option<RateHeaders>) -> Self {
        Outcome {
            result: Err(error),
            rate,
            retry_after: None,
            allow: None,
        }
    }
}

async fn handle(inner: Arc<Inner>, base_url: &str, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let request_id = Uuid::new_v4().to_string();
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let raw_query = req.uri().query().map(str::to_owned);
    let token = bearer(req.headers());
    let body = Limited::new(req.into_body(), MAX_BODY)
        .collect()
        .await
        .map(|b| b.to_bytes());

    let route = route(&path);
    let operation_result = route.as_ref().map(|r| operation(r, &method));
    let op_name = match operation_result {
        Some(Ok(op)) => op,
        _ => "unknown",
    };

    let outcome = process(
        &inner,
        base_url,
        token,
        route,
        operation_result,
        raw_query.as_deref(),
        body,
    )
    .await;

    let status = match &outcome.result {
        Ok(reply) => reply.status,
        Err(e) => e.status,
    };
    tracing::debug!(%method, %path, status, operation = op_name, "stand-in request");
    inner.lock().requests.push(RecordedRequest {
        method: method.to_string(),
        path,
        query: raw_query,
        status,
        operation: op_name.to_owned(),
        request_id: request_id.clone(),
    });
    build_response(&inner, outcome, &request_id)
}

async fn process(
    inner: &Inner,
    base_url: &str,
    token: Option<String>,
    route: Option<Route>,
    operation: Option<Result<&'static str, &'static str>>,
    raw_query: Option<&str>,
    body: Result<Bytes, Box<dyn std::error::Error + Send + Sync>>,
) -> Outcome {
    let key = token.clone().unwrap_or_default();
    let rate = {
        let mut s = inner.lock();
        let now = Instant::now();
        if let Some(expected) = &s.config.token
            && token.as_deref() != Some(expected.as_str())
        {
            let rate = s.limiter.peek(&key, now);
            return Outcome::error(
                ApiError::new(401, "unauthorized", "Unable to authenticate you."),
                Some(rate),
            );
        }
        match s.limiter.check(&key, now) {
            Decision::Allowed(rate) => rate,
            Decision::Limited { headers, retry_after } => {
                return Outcome {
                    result: Err(ApiError::new(429, "too_many_requests", "API rate limit exceeded.")),
                    rate: Some(headers),
                    retry_after,
                    allow: None,
                };
            }
        }
    };
    let (Some(route), Some(operation)) = (route, operation) else {
        return Outcome::error(ApiError::not_found(), Some(rate));
    };
    let op = match operation {
        Ok(op) => op,
        Err(allow) => {
            return Outcome {
                result: Err(ApiError::new(
                    405,
                    "method_not_allowed",
                    "Method not allowed for this resource.",
                )),
                rate: Some(rate),
                retry_after: None,
                allow: Some(allow),
            };
        }
    };
    let body = match body {
        Ok(b) => b,
        Err(_) => {
            let e = ApiError::new(413, "request_entity_too_large", "The request body is too large.");
            return Outcome::error(e, Some(rate));
        }
    };

    let fault = inner.lock().faults.take(op);
    let mut fail_after = None;
    match fault {
        None => {}
        Some(FaultKind::Latency(d)) => tokio::time::sleep(d).await,
        Some(FaultKind::TooManyRequests { retry_after_secs }) => {
            return Outcome {
                result: Err(ApiError::new(429, "too_many_requests", "API rate limit exceeded.")),
                rate: Some(RateHeaders { remaining: 0, ..rate }),
                retry_after: Some(retry_after_secs),
                allow: None,
            };
        }
        Some(FaultKind::ServerError { status }) => {
            let e = ApiError::new(status, error_id(status), "Server was unable to give you a response.");
            return Outcome::error(e, Some(rate));
        }
        Some(FaultKind::Error { status, id, message }) => {
            return Outcome::error(ApiError { status, id, message }, Some(rate));
        }
        Some(FaultKind::ProcessThenFail { status }) => fail_after = Some(status),
    }

    let query = parse_query(raw_query);
    let result = {
        let mut s = inner.lock();
        let ctx = Ctx {
            now: Instant::now(),
            clock: &inner.clock,
            base_url,
            provision_delay: s.config.provision_delay,
            delete_delay: s.config.delete_delay,
            upgrade_delay: s.config.upgrade_delay,
        };
        dispatch(&mut s.store, &ctx, op, route, &query, &body)
    };
    let result = match fail_after {
        Some(status) => Err(ApiError::new(
            status,
            error_id(status),
            "Server was unable to give you a response.",
        )),
        None => result,
    };
    Outcome {
        result,
        rate: Some(rate),
        retry_after: None,
        allow: None,
    }
}

fn dispatch(
    store: &mut super::state::Store,
    ctx: &Ctx,
    op: &str,
    route: Route,
    query: &super::state::Query,
    body: &Bytes,
) -> Result<Reply, ApiError> {
    let json = || -> Result<Value, ApiError> {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("the request body is not valid JSON: {e}")))
    };
    match (op, route) {
        ("list_options", _) => store.list_options(),
        ("list_clusters", _) => store.list_clusters(ctx, query),
        ("create_cluster", _) => store.create_cluster(ctx, &json()?),
        ("get_cluster", Route::Cluster(id)) => store.get_cluster(ctx, &id),
        ("update_cluster", Route::Cluster(id)) => store.update_cluster(ctx, &id, &json()?),
        ("delete_cluster", Route::Cluster(id)) => store.delete_cluster(ctx, &id),
        ("get_kubeconfig", Route::Kubeconfig(id)) => store.kubeconfig(ctx, &id, query),
        ("get_credentials", Route::Credentials(id)) => store.credentials(ctx, &id, query),
        ("get_status_messages", Route::StatusMessages(id)) => store.status_messages(ctx, &id),
        ("get_available_upgrades", Route::Upgrades(id)) => store.available_upgrades(ctx, &id),
        ("upgrade_cluster", Route::Upgrade(id)) => store.upgrade_cluster(ctx, &id, &json()?),
        ("list_associated_resources", Route::Associated(id)) => store.list_associated_resources(ctx, &id),
        ("destroy_associated_resources_selective", Route::DestroySelective(id)) => {
            store.destroy_selective(ctx, &id, &json()?)
        }
        ("destroy_associated_resources_dangerous", Route::DestroyDangerous(id)) => store.delete_cluster(ctx, &id),
        ("list_node_pools", Route::NodePools(id)) => store.list_node_pools(ctx, &id),
        ("add_node_pool", Route::NodePools(id)) => store.add_node_pool(ctx, &id, &json()?),
        ("get_node_pool", Route::NodePool(id, pool)) => store.get_node_pool(ctx, &id, &pool),
        ("update_node_pool", Route::NodePool(id, pool)) => store.update_node_pool(ctx, &id, &pool, &json()?),
        ("delete_node_pool", Route::NodePool(id, pool)) => store.delete_node_pool(ctx, &id, &pool),
        ("delete_node", Route::Node(id, pool, node)) => store.delete_node(ctx, &id, &pool, &node, query),
        _ => Err(ApiError::not_found()),
    }
}

fn build_response(inner: &Inner, outcome: Outcome, request_id: &str) -> Response<Full<Bytes>> {
    let (status, content_type, body) = match outcome.result {
        Ok(Reply { status, body }) => match body {
            Body::Json(v) => (status, Some("application/json"), Bytes::from(v.to_string())),
            Body::Yaml(y) => (status, Some("application/yaml"), Bytes::from(y)),
            Body::Empty => (status, None, Bytes::new()),
        },
        Err(e) => {
            let body = json!({ "id": e.id, "message": e.message, "request_id": request_id });
            (e.status, Some("application/json"), Bytes::from(body.to_string()))
        }
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let headers = response.headers_mut();
    if let Some(ct) = content_type {
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(name, v);
        }
    };
    set("x-request-id", request_id.to_owned());
    if let Some(rate) = outcome.rate {
        set("ratelimit-limit", rate.limit.to_string());
        set("ratelimit-remaining", rate.remaining.to_string());
        set("ratelimit-reset", inner.clock.epoch_secs_ceil(rate.reset).to_string());
    }
    if let Some(secs) = outcome.retry_after {
        set("retry-after", secs.to_string());
    }
    if let Some(allow) = outcome.allow {
        set("allow", allow.to_owned());
    }
    response
}

/// The bearer token from `Authorization: Bearer <token>`, if any.
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_and_operations() {
        let id = "bd5f5959-5e1e-4205-a714-a914373942af";
        let op = |m: Method, p: &str| route(p).map(|r| operation(&r, &m));
        assert_eq!(op(Method::GET, "/v2/kubernetes/options"), Some(Ok("list_options")));
        assert_eq!(op(Method::POST, "/v2/kubernetes/clusters"), Some(Ok("create_cluster")));
        assert_eq!(op(Method::PATCH, "/v2/kubernetes/clusters"), Some(Err("GET, POST")));
        assert_eq!(
            op(
                Method::DELETE,
                &format!("/v2/kubernetes/clusters/{id}/node_pools/{id}/nodes/{id}")
            ),
            Some(Ok("delete_node"))
        );
        assert_eq!(
            op(
                Method::DELETE,
                &format!("/v2/kubernetes/clusters/{id}/destroy_with_associated_resources/dangerous")
            ),
            Some(Ok("destroy_associated_resources_dangerous"))
        );
        assert_eq!(
            op(Method::GET, &format!("/v2/kubernetes/clusters/{id}/upgrades")),
            Some(Ok("get_available_upgrades"))
        );
        assert_eq!(
            op(Method::POST, &format!("/v2/kubernetes/clusters/{id}/upgrade")),
            Some(Ok("upgrade_cluster"))
        );
        assert_eq!(
            op(Method::GET, &format!("/v2/kubernetes/clusters/{id}/upgrade")),
            Some(Err("POST"))
        );
        assert_eq!(op(Method::GET, "/v2/droplets"), None);
        assert_eq!(op(Method::GET, "/v2/kubernetes/clusters/x/unknown"), None);
    }

    #[test]
    fn parses_bearer() {
        let mut h = HeaderMap::new();
        assert_eq!(bearer(&h), None);
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("bearer abc"));
        assert_eq!(bearer(&h).as_deref(), Some("abc"));
        h.insert(header::AUTHORIZATION, HeaderValue::from_static("Basic abc"));
        assert_eq!(bearer(&h), None);
    }
}
