//! The HTTP side: a tower [`Service`] for in-process `kube::Client`s, a hyper server for
//! out-of-process clients, and the routing of API paths to verbs.

use super::FakeApiServer;
use super::discovery;
use super::faults::{Action, take_fault};
use super::objects::{DeleteOpts, Req, partial_metadata};
use super::patch::{PatchKind, parse_yaml};
use super::status::{ApiResult, error, to_json};
use super::watch;
use bytes::Bytes;
use http::{Method, Request, Response};
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use kube::core::Status;
use serde_json::Value;
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};

/// The response body type of the fake API server.
pub type ResBody = UnsyncBoxBody<Bytes, Infallible>;

/// A JSON response.
pub(crate) fn json_body(code: u16, body: Bytes, warnings: &[String]) -> Response<ResBody> {
    let mut b = Response::builder()
        .status(code)
        .header(http::header::CONTENT_TYPE, "application/json");
    for w in warnings {
        let text = format!("299 - {}", serde_json::Value::String(w.clone()));
        if let Ok(v) = http::HeaderValue::from_str(&text) {
            b = b.header("Warning", v);
        }
    }
    b.body(Full::new(body).boxed_unsync()).expect("valid response")
}

fn json_response(code: u16, v: &Value, warnings: &[String]) -> Response<ResBody> {
    json_body(code, Bytes::from(v.to_string()), warnings)
}

fn status_response(s: &Status) -> Response<ResBody> {
    let code = if s.code == 0 { 500 } else { s.code };
    json_response(code, &to_json(s), &[])
}

/// The tower service behind [`FakeApiServer::client`]: answers `http::Request`s with any body
/// (kube's `Body`, hyper's `Incoming`, ...).
#[derive(Clone)]
pub struct FakeService {
    pub(crate) server: FakeApiServer,
}

impl<B> tower::Service<Request<B>> for FakeService
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: std::fmt::Display,
{
    type Response = Response<ResBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let server = self.server.clone();
        Box::pin(async move {
            let (parts, body) = req.into_parts();
            let bytes = match body.collect().await {
                Ok(c) => c.to_bytes(),
                Err(e) => {
                    return Ok(status_response(&error(
                        400,
                        format!("could not read the request body: {e}"),
                    )));
                }
            };
            Ok(handle(server, parts, bytes).await)
        })
    }
}

/// Stops a server started by [`FakeApiServer::serve`]; dropping it stops the server too.
pub struct ServerHandle {
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl ServerHandle {
    /// Stops accepting connections, closes the open ones (watches included) and waits.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves `server` over HTTP/1 on `addr` (e.g. `127.0.0.1:0`).
pub(crate) async fn serve(server: FakeApiServer, addr: SocketAddr) -> std::io::Result<(SocketAddr, ServerHandle)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let (tx, mut rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut conns = JoinSet::new();
        loop {
            tokio::select! {
                _ = &mut rx => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let svc = FakeService { server: server.clone() };
                    conns.spawn(async move {
                        let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                            let mut svc = svc.clone();
                            tower::Service::call(&mut svc, req)
                        });
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                    });
                }
                Some(_) = conns.join_next(), if !conns.is_empty() => {}
            }
        }
        conns.abort_all();
    });
    Ok((
        local,
        ServerHandle {
            shutdown: Some(tx),
            task: Some(task),
        },
    ))
}

/// Answers one request.
pub(crate) async fn handle(server: FakeApiServer, parts: http::request::Parts, body: Bytes) -> Response<ResBody> {
    let latency = server.lock().latency;
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match dispatch(&server, &parts, &body) {
        Ok(r) => r,
        Err(s) => status_response(&s),
    }
}

fn not_found_path() -> Box<Status> {
    error(404, "the server could not find the requested resource")
}

fn dispatch(server: &FakeApiServer, parts: &http::request::Parts, body: &Bytes) -> ApiResult<Response<ResBody>> {
    let path = parts.uri.path().to_string();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let query: HashMap<String, String> = parts
        .uri
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    let aggregated = parts
        .headers
        .get(http::header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("apidiscovery.k8s.io"));
    let discovery_reply = |v: Option<Value>| -> ApiResult<Response<ResBody>> {
        let v = v.ok_or_else(not_found_path)?;
        if parts.method != Method::GET {
            return Err(error(
                405,
                "the server does not allow this method on the requested resource",
            ));
        }
        Ok(json_response(200, &v, &[]))
    };
    let (group, version, rest) = match segs.as_slice() {
        ["version"] => return discovery_reply(Some(discovery::version())),
        ["api"] if aggregated => {
            let v = discovery::aggregated(&server.lock(), true);
            let mut r = discovery_reply(Some(v))?;
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(discovery::AGGREGATED),
            );
            return Ok(r);
        }
        ["apis"] if aggregated => {
            let v = discovery::aggregated(&server.lock(), false);
            let mut r = discovery_reply(Some(v))?;
            r.headers_mut().insert(
                http::header::CONTENT_TYPE,
                http::HeaderValue::from_static(discovery::AGGREGATED),
            );
            return Ok(r);
        }
        ["api"] => return discovery_reply(Some(discovery::core_versions())),
        ["apis"] => return discovery_reply(Some(discovery::group_list(&server.lock()))),
        ["api", v] => return discovery_reply(discovery::resource_list(&server.lock(), "", v)),
        ["apis", g] => return discovery_reply(discovery::group(&server.lock(), g)),
        ["apis", g, v] => return discovery_reply(discovery::resource_list(&server.lock(), g, v)),
        ["api", v, rest @ ..] => ("", *v, rest.to_vec()),
        ["apis", g, v, rest @ ..] => (*g, *v, rest.to_vec()),
        _ => return Err(not_found_path()),
    };
    resource_request(server, parts, body, group, version, rest, query)
}

#[allow(clippy::too_many_arguments)]
fn resource_request(
    server: &FakeApiServer,
    parts: &http::request::Parts,
    body: &Bytes,
    group: &str,
    version: &str,
    mut rest: Vec<&str>,
    query: HashMap<String, String>,
) -> ApiResult<Response<ResBody>> {
    let mut watching = matches!(query.get("watch").map(String::as_str), Some("true" | "1"));
    if rest.first() == Some(&"watch") {
        watching = true;
        rest.remove(0);
    }
    let state_arc = server.state();
    let mut st = state_arc.lock().unwrap_or_else(|e| e.into_inner());
    let namespaced_path =
        rest.len() >= 3 && rest[0] == "namespaces" && st.find(group, version, rest[2]).is_some_and(|d| d.namespaced);
    let (namespace, plural, name, sub) = if namespaced_path {
        if rest.len() > 5 {
            return Err(not_found_path());
        }
        (
            Some(rest[1].to_string()),
            rest[2],
            rest.get(3).map(|s| s.to_string()),
            rest.get(4).map(|s| s.to_string()),
        )
    } else {
        if rest.is_empty() || rest.len() > 3 {
            return Err(not_found_path());
        }
        (
            None,
            rest[0],
            rest.get(1).map(|s| s.to_string()),
            rest.get(2).map(|s| s.to_string()),
        )
    };
    let def = st.find(group, version, plural).ok_or_else(not_found_path)?;
    if (!def.namespaced && namespace.is_some()) || (def.namespaced && namespace.is_none() && name.is_some()) {
        return Err(not_found_path());
    }
    let vdef = def.version(version).expect("served version");
    if let Some(s) = &sub {
        let ok = (s == "status" && vdef.status) || (s == "scale" && vdef.scale.is_some());
        if !ok {
            return Err(not_found_path());
        }
    }
    let not_allowed = || error(405, "the server does not allow this method on the requested resource");
    let verb = match (&parts.method, name.is_some()) {
        (&Method::GET, false) if watching => "watch",
        (&Method::GET, false) => "list",
        (&Method::GET, true) => "get",
        (&Method::POST, false) if def.namespaced && namespace.is_none() => return Err(not_allowed()),
        (&Method::POST, false) => "create",
        (&Method::PUT, true) => "update",
        (&Method::PATCH, true) => "patch",
        (&Method::DELETE, true) => "delete",
        (&Method::DELETE, false) => "deletecollection",
        _ => return Err(not_allowed()),
    };
    let content_type = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|c| c.to_str().ok())
        .unwrap_or("")
        .to_string();
    let patch_kind = if verb == "patch" {
        Some(PatchKind::from_content_type(&content_type))
    } else {
        None
    };
    let parsed_body = if body.is_empty() {
        None
    } else if patch_kind.as_ref().is_some_and(|k| matches!(k, Ok(PatchKind::Apply))) {
        parse_yaml(body).ok()
    } else {
        serde_json::from_slice(body).ok()
    };
    let action = Action {
        verb: verb.to_string(),
        group: group.to_string(),
        version: version.to_string(),
        resource: plural.to_string(),
        namespace: namespace.clone(),
        name: name.clone(),
        subresource: sub.clone(),
        patch_type: patch_kind
            .as_ref()
            .and_then(|k| k.as_ref().ok())
            .map(|k| k.name().to_string()),
        body: parsed_body,
    };
    let fault = take_fault(&mut st.faults, &action);
    st.actions.push(action);
    if let Some(status) = fault {
        return Err(Box::new(status));
    }
    let manager = query
        .get("fieldManager")
        .filter(|m| !m.is_empty())
        .cloned()
        .unwrap_or_else(|| {
            manager_from_user_agent(
                parts
                    .headers
                    .get(http::header::USER_AGENT)
                    .map(|u| String::from_utf8_lossy(u.as_bytes()).into_owned())
                    .as_deref()
                    .unwrap_or(""),
            )
        });
    let meta_only = parts
        .headers
        .get(http::header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("as=PartialObjectMetadata"));
    let req = Req {
        verb,
        def,
        version: version.to_string(),
        namespace,
        name,
        subresource: sub,
        query,
        manager,
        meta_only,
    };
    if verb == "watch" {
        drop(st);
        return watch::start(&state_arc, &req);
    }
    let reply = answer(&mut st, &req, verb, patch_kind, body);
    st.schedule_gc();
    let mut reply = reply?;
    if let Some(w) = req
        .def
        .version(&req.version)
        .and_then(|v| v.deprecation_warning.clone())
    {
        // The API server warns on every request to a deprecated version, first.
        reply.warnings.insert(0, w);
    }
    let body = if req.meta_only {
        partial_metadata(&reply.body)
    } else {
        reply.body
    };
    Ok(json_response(reply.code, &body, &reply.warnings))
}

/// The field manager of a write without `fieldManager`, as the API server derives it from the
/// User-Agent: the part before the first `/`, without non-printable characters, at most 128
/// bytes; `unknown` when nothing is left (kube's client sends no User-Agent).
pub(crate) fn manager_from_user_agent(user_agent: &str) -> String {
    const MAX: usize = 128;
    let mut out = String::new();
    for c in user_agent.split('/').next().unwrap_or("").chars() {
        if c.is_control() || (c.is_whitespace() && c != ' ') {
            continue;
        }
        if out.len() + c.len_utf8() > MAX {
            break;
        }
        out.push(c);
    }
    if out.is_empty() { "unknown".to_string() } else { out }
}

fn answer(
    st: &mut super::store::State,
    req: &Req,
    verb: &str,
    patch_kind: Option<ApiResult<PatchKind>>,
    body: &Bytes,
) -> ApiResult<super::objects::Reply> {
    let reply = match verb {
        "watch" => unreachable!("watches are answered above"),
        "get" => st.get_object(req)?,
        "list" => st.list_objects(req)?,
        "create" => st.create(req, body)?,
        "update" => st.update(req, body)?,
        "patch" => {
            let kind = patch_kind.expect("patch kind")?;
            st.patch(req, kind, body)?
        }
        "delete" => {
            let opts = DeleteOpts::parse(body, &req.query)?;
            st.delete(req, &opts)?
        }
        _ => {
            let opts = DeleteOpts::parse(body, &req.query)?;
            st.delete_collection(req, &opts)?
        }
    };
    Ok(reply)
}
