//! The DigitalOcean client against a tiny recording HTTP server on 127.0.0.1: headers, bodies,
//! envelopes, pagination, typed errors, retries and the per-token rate limiter (with a paused clock).

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use kluster::digitalocean::{
    Cluster, ClusterCreate, ClusterState, DoApi, DoClient, DoError, NodePoolCreate, NodePoolUpdate, RateLimits,
    RetryPolicy, Token,
};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::time::Instant;

const SECRET: &str = "dop_v1_0123456789abcdef-secret";
const CLUSTER_ID: &str = "bd5f5959-5e1e-4205-a714-a914373942af";
const POOL_ID: &str = "cdda885e-7663-40c8-bc74-3a036c66545d";

// ---------------------------------------------------------------------------------------------
// The test server
// ---------------------------------------------------------------------------------------------

/// One request as the server saw it.
#[derive(Clone, Debug)]
struct Recorded {
    method: String,
    path: String,
    query: String,
    headers: http::HeaderMap,
    body: Vec<u8>,
    at: Instant,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("request body is JSON")
    }

    fn param(&self, key: &str) -> Option<&str> {
        self.query
            .split('&')
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
    }
}

/// A canned response.
#[derive(Clone, Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.to_string(),
        }
    }

    fn text(status: u16, content_type: &str, body: &str) -> Self {
        Reply {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.into(),
        }
    }

    fn empty(status: u16) -> Self {
        Reply {
            status,
            headers: vec![],
            body: String::new(),
        }
    }

    fn error(status: u16, id: &str, message: &str) -> Self {
        Reply::json(status, json!({"id": id, "message": message}))
    }

    fn header(mut self, name: &str, value: impl ToString) -> Self {
        self.headers.push((name.into(), value.to_string()));
        self
    }
}

type Handler = dyn Fn(&Recorded, usize) -> Reply + Send + Sync;

struct Server {
    base: String,
    log: Arc<Mutex<Vec<Recorded>>>,
}

impl Server {
    /// Serves `handler(request, index of the request)` on 127.0.0.1, port 0. Header names go out
    /// in Title-Case (`Ratelimit-Remaining`) to show that the client reads them case-insensitively.
    async fn start(handler: impl Fn(&Recorded, usize) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log: Arc<Mutex<Vec<Recorded>>> = Arc::default();
        let handler: Arc<Handler> = Arc::new(handler);
        let server_log = log.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let log = server_log.clone();
                let handler = handler.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req: hyper::Request<Incoming>| {
                        let log = log.clone();
                        let handler = handler.clone();
                        async move {
                            let (parts, body) = req.into_parts();
                            let body = body.collect().await.map(|b| b.to_bytes().to_vec()).unwrap_or_default();
                            let recorded = Recorded {
                                method: parts.method.to_string(),
                                path: parts.uri.path().to_owned(),
                                query: parts.uri.query().unwrap_or_default().to_owned(),
                                headers: parts.headers,
                                body,
                                at: Instant::now(),
                            };
                            let index = {
                                let mut log = log.lock().unwrap();
                                log.push(recorded.clone());
                                log.len() - 1
                            };
                            let reply = handler(&recorded, index);
                            let mut response = hyper::Response::builder().status(reply.status);
                            for (k, v) in &reply.headers {
                                response = response.header(k.as_str(), v.as_str());
                            }
                            Ok::<_, Infallible>(response.body(Full::new(Bytes::from(reply.body))).unwrap())
                        }
                    });
                    let _ = http1::Builder::new()
                        .title_case_headers(true)
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Server { base, log }
    }

    /// Answers the replies in order, repeating the last one.
    async fn script(replies: Vec<Reply>) -> Server {
        Server::start(move |_, i| replies[i.min(replies.len() - 1)].clone()).await
    }

    fn requests(&self) -> Vec<Recorded> {
        self.log.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    fn api(&self) -> DoApi {
        DoApi::new(&self.base).unwrap().with_retry_policy(fast_retries())
    }

    fn client(&self) -> DoClient {
        self.api().client(Token::new(SECRET))
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 3,
        min_wait: Duration::from_millis(5),
        max_wait: Duration::from_millis(20),
    }
}

fn cluster_json(id: &str, name: &str, tags: &[&str]) -> Value {
    json!({
        "id": id,
        "name": name,
        "region": "nyc1",
        "version": "1.33.1-do.0",
        "cluster_subnet": "10.244.0.0/16",
        "ipv4": "",
        "endpoint": "",
        "tags": tags,
        "node_pools": [{
            "id": POOL_ID,
            "name": "pool-a",
            "size": "s-1vcpu-2gb",
            "count": 3,
            "tags": ["frontend"],
            "labels": null,
            "auto_scale": false,
            "nodes": [{"id": "e4f8a5b2-0000-4000-8000-000000000001", "name": "", "status": {"state": "provisioning"}}]
        }],
        "maintenance_policy": {"start_time": "00:00", "day": "any", "duration": "4h0m0s"},
        "auto_upgrade": false,
        "status": {"state": "provisioning", "message": "provisioning"},
        "created_at": "2026-11-22T10:00:00Z",
        "updated_at": "2026-11-22T10:00:00Z",
        "surge_upgrade": false,
        "registry_enabled": false,
        "ha": true,
        "a_field_added_next_year": {"nested": [1, 2, 3]}
    })
}

fn cluster_reply(status: u16, id: &str) -> Reply {
    Reply::json(
        status,
        json!({"kubernetes_cluster": cluster_json(id, "demo", &["k8s"])}),
    )
}

fn create_request() -> ClusterCreate {
    ClusterCreate {
        name: "demo".into(),
        region: "nyc1".into(),
        version: "1.33".into(),
        node_pools: vec![NodePoolCreate {
            name: "pool-a".into(),
            size: "s-1vcpu-2gb".into(),
            count: 3,
            tags: vec![],
        }],
        tags: vec!["kluster:uid-1".into()],
    }
}

fn epoch_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

// ---------------------------------------------------------------------------------------------
// Requests, envelopes, types
// ---------------------------------------------------------------------------------------------

#[test]
fn token_is_never_printed() {
    let token = Token::new(SECRET);
    assert_eq!(format!("{token:?}"), "Token(***)");
    assert_eq!(format!("{:#?}", Token::new(format!("  {SECRET}\n"))), "Token(***)");
    let api = DoApi::new("http://127.0.0.1:9").unwrap();
    let client = api.client(token);
    let text = format!("{api:?} {client:?}");
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("Token(***)"), "{text}");
}

#[tokio::test]
async fn create_cluster_sends_bearer_headers_and_the_json_body() {
    let server = Server::script(vec![cluster_reply(201, CLUSTER_ID)]).await;
    let client = server.client();
    let cluster = client.create_cluster(&create_request()).await.unwrap();

    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("POST", "/v2/kubernetes/clusters")
    );
    assert_eq!(r.header("authorization"), Some(format!("Bearer {SECRET}").as_str()));
    assert_eq!(r.header("accept"), Some("application/json"));
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.header("user-agent"),
        Some(concat!("kluster/", env!("CARGO_PKG_VERSION")))
    );
    assert_eq!(
        r.json(),
        json!({
            "name": "demo",
            "region": "nyc1",
            "version": "1.33",
            "node_pools": [{"name": "pool-a", "size": "s-1vcpu-2gb", "count": 3}],
            "tags": ["kluster:uid-1"]
        }),
        "empty pool tags are not sent"
    );

    assert_eq!(cluster.id, CLUSTER_ID);
    assert_eq!(cluster.name, "demo");
    assert_eq!(cluster.region, "nyc1");
    assert_eq!(cluster.version, "1.33.1-do.0");
    assert_eq!(cluster.endpoint, None, "an empty endpoint is None");
    assert_eq!(cluster.ipv4, None);
    assert_eq!(cluster.ha, Some(true));
    assert_eq!(cluster.state(), ClusterState::Provisioning);
    let status = cluster.status.as_ref().unwrap();
    assert_eq!(status.message.as_deref(), Some("provisioning"));
    assert_eq!(cluster.node_pools.len(), 1);
    let pool = &cluster.node_pools[0];
    assert_eq!(pool.id.as_deref(), Some(POOL_ID));
    assert_eq!(
        (pool.name.as_str(), pool.size.as_str(), pool.count),
        ("pool-a", "s-1vcpu-2gb", 3)
    );
    assert_eq!(pool.tags, ["frontend"]);
    assert_eq!(server.api().requests_sent(), 0, "each DoApi counts its own requests");
}

#[tokio::test]
async fn get_cluster_decodes_tolerantly() {
    let server = Server::start(|r, _| {
        let mut c = cluster_json(CLUSTER_ID, "demo", &[]);
        c["tags"] = Value::Null;
        c["endpoint"] = json!("https://x.k8s.ondigitalocean.com");
        c["status"] = if r.path.ends_with("1") {
            json!({"state": "deleting"})
        } else {
            json!({"state": "hibernating", "message": "new state"})
        };
        Reply::json(200, json!({"kubernetes_cluster": c}))
    })
    .await;
    let client = server.client();
    let c = client.get_cluster("id-1").await.unwrap();
    assert_eq!(c.state(), ClusterState::Deleting);
    assert!(c.tags.is_empty(), "null tags decode as empty");
    assert_eq!(c.endpoint.as_deref(), Some("https://x.k8s.ondigitalocean.com"));
    let c = client.get_cluster("id-2").await.unwrap();
    assert_eq!(c.state(), ClusterState::Unknown("hibernating".into()));
    let reqs = server.requests();
    assert_eq!(reqs[0].method, "GET");
    assert_eq!(reqs[0].path, "/v2/kubernetes/clusters/id-1");
    assert_eq!(reqs[0].header("content-type"), None, "no body, no content type");
    assert_eq!(
        reqs[0].header("authorization"),
        Some(format!("Bearer {SECRET}").as_str())
    );
}

#[test]
fn cluster_state_decodes_any_string() {
    for (s, state) in [
        ("running", ClusterState::Running),
        ("provisioning", ClusterState::Provisioning),
        ("degraded", ClusterState::Degraded),
        ("error", ClusterState::Error),
        ("deleted", ClusterState::Deleted),
        ("upgrading", ClusterState::Upgrading),
        ("deleting", ClusterState::Deleting),
        ("invalid", ClusterState::Unknown("invalid".into())),
        ("", ClusterState::Unknown(String::new())),
    ] {
        let decoded: ClusterState = serde_json::from_value(json!(s)).unwrap();
        assert_eq!(decoded, state);
        assert_eq!(serde_json::to_value(&decoded).unwrap(), json!(s), "round trip");
        assert_eq!(decoded.to_string(), s);
    }
    // A minimal cluster: only the id; everything else defaults.
    let c: Cluster = serde_json::from_value(json!({"id": "x", "status": {}})).unwrap();
    assert_eq!(c.state(), ClusterState::Unknown(String::new()));
    assert!(c.node_pools.is_empty());
}

#[tokio::test]
async fn a_body_of_the_wrong_shape_is_a_decode_error() {
    let server = Server::script(vec![Reply::json(200, json!({"droplet": {}}))]).await;
    let err = server.client().get_cluster(CLUSTER_ID).await.unwrap_err();
    assert!(matches!(err, DoError::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("kubernetes_cluster"), "{err}");
    assert!(!err.is_retryable());
    assert_eq!(server.count(), 1, "decode errors are not retried");
}

#[tokio::test]
async fn node_pool_kubeconfig_and_delete_calls() {
    let server = Server::start(|r, _| match (r.method.as_str(), r.path.as_str()) {
        ("POST", _) => Reply::json(
            201,
            json!({"node_pool": {"id": POOL_ID, "name": "pool-b", "size": "s-2vcpu-4gb", "count": 2, "nodes": []}}),
        ),
        ("PUT", _) => Reply::json(
            202,
            json!({"node_pool": {"id": POOL_ID, "name": "pool-b", "size": "s-2vcpu-4gb", "count": 5, "tags": null}}),
        ),
        ("DELETE", _) => Reply::empty(204),
        ("GET", p) if p.ends_with("/kubeconfig") => {
            Reply::text(200, "application/yaml", "apiVersion: v1\nkind: Config\nclusters: []\n")
        }
        _ => Reply::error(404, "not_found", "no route"),
    })
    .await;
    let client = server.client();

    let pool = client
        .add_node_pool(
            CLUSTER_ID,
            &NodePoolCreate {
                name: "pool-b".into(),
                size: "s-2vcpu-4gb".into(),
                count: 2,
                tags: vec!["web".into()],
            },
        )
        .await
        .unwrap();
    assert_eq!(pool.id.as_deref(), Some(POOL_ID));
    assert_eq!(pool.count, 2);

    let pool = client
        .update_node_pool(
            CLUSTER_ID,
            POOL_ID,
            &NodePoolUpdate {
                name: "pool-b".into(),
                count: 5,
            },
        )
        .await
        .unwrap();
    assert_eq!(pool.count, 5);
    assert!(pool.tags.is_empty());

    client.delete_node_pool(CLUSTER_ID, POOL_ID).await.unwrap();
    client.delete_cluster(CLUSTER_ID).await.unwrap();
    let kubeconfig = client.get_kubeconfig(CLUSTER_ID).await.unwrap();
    assert_eq!(kubeconfig, "apiVersion: v1\nkind: Config\nclusters: []\n");

    let reqs = server.requests();
    let seen: Vec<(&str, &str)> = reqs.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    let pools = format!("/v2/kubernetes/clusters/{CLUSTER_ID}/node_pools");
    let one_pool = format!("{pools}/{POOL_ID}");
    let cluster = format!("/v2/kubernetes/clusters/{CLUSTER_ID}");
    let kube = format!("{cluster}/kubeconfig");
    assert_eq!(
        seen,
        [
            ("POST", pools.as_str()),
            ("PUT", one_pool.as_str()),
            ("DELETE", one_pool.as_str()),
            ("DELETE", cluster.as_str()),
            ("GET", kube.as_str()),
        ]
    );
    assert_eq!(
        reqs[0].json(),
        json!({"name": "pool-b", "size": "s-2vcpu-4gb", "count": 2, "tags": ["web"]})
    );
    assert_eq!(reqs[0].header("content-type"), Some("application/json"));
    assert_eq!(reqs[1].json(), json!({"name": "pool-b", "count": 5}));
    assert!(reqs[2].body.is_empty() && reqs[2].header("content-type").is_none());
    assert!(reqs[4].header("accept").unwrap().contains("application/yaml"));
}

#[tokio::test]
async fn ids_cannot_add_path_segments_and_a_base_path_is_kept() {
    let server = Server::script(vec![Reply::error(404, "not_found", "nope")]).await;
    let api = DoApi::new(&format!("{}/proxy/", server.base)).unwrap();
    let err = api.client(Token::new(SECRET)).get_cluster("a/../b").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(server.requests()[0].path, "/proxy/v2/kubernetes/clusters/a%2F..%2Fb");
}

#[test]
fn invalid_base_urls_are_rejected() {
    for bad in [
        "",
        "api.digitalocean.com",
        "ftp://api.digitalocean.com",
        "https://api.digitalocean.com/?x=1",
        "https://user:pw@api.digitalocean.com",
    ] {
        let err = DoApi::new(bad).unwrap_err();
        assert!(matches!(err, DoError::InvalidBaseUrl(_)), "{bad}: {err:?}");
        assert!(
            err.to_string().starts_with("invalid DigitalOcean API base URL"),
            "{err}"
        );
    }
    let api = DoApi::new(kluster::digitalocean::DEFAULT_BASE_URL).unwrap();
    assert_eq!(api.base_url(), "https://api.digitalocean.com/");
    kluster::digitalocean::install_crypto_provider(); // idempotent
}

// ---------------------------------------------------------------------------------------------
// Pagination
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn list_clusters_follows_next_links_through_our_base_url() {
    let server = Server::start(|r, _| {
        let page: u32 = r.param("page").unwrap().parse().unwrap();
        let upstream = "https://upstream.example.invalid:9443/v2/kubernetes/clusters";
        let (ids, links) = match page {
            1 => (
                vec!["c1", "c2"],
                json!({"pages": {"next": format!("{upstream}?page=2&per_page=200"), "last": format!("{upstream}?page=3&per_page=200")}}),
            ),
            2 => (
                vec!["c3"],
                json!({"pages": {"first": format!("{upstream}?page=1"), "prev": format!("{upstream}?page=1"),
                                 "next": format!("{upstream}?per_page=200&page=3"), "last": format!("{upstream}?page=3")}}),
            ),
            _ => (vec!["c4"], json!({"pages": {"first": format!("{upstream}?page=1"), "prev": format!("{upstream}?page=2")}})),
        };
        let clusters: Vec<Value> = ids
            .iter()
            .map(|id| cluster_json(id, id, &["k8s", &format!("owner:{id}")]))
            .collect();
        Reply::json(200, json!({"kubernetes_clusters": clusters, "links": links, "meta": {"total": 4}}))
    })
    .await;
    let client = server.client();
    let clusters = client.list_clusters().await.unwrap();
    let ids: Vec<&str> = clusters.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c1", "c2", "c3", "c4"]);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3, "three pages, all from our server");
    for (i, r) in reqs.iter().enumerate() {
        assert_eq!(r.path, "/v2/kubernetes/clusters");
        assert_eq!(r.param("page"), Some((i + 1).to_string().as_str()));
        assert_eq!(r.param("per_page"), Some("200"));
    }

    let found = client.find_cluster_by_tag("owner:c4").await.unwrap().unwrap();
    assert_eq!(found.id, "c4");
    assert!(client.find_cluster_by_tag("owner:nobody").await.unwrap().is_none());
    assert_eq!(server.count(), 9);
}

#[tokio::test]
async fn a_single_page_without_links_is_the_whole_list() {
    let server = Server::script(vec![Reply::json(
        200,
        json!({"kubernetes_clusters": [cluster_json("c1", "one", &[])], "meta": {"total": 1}}),
    )])
    .await;
    assert_eq!(server.client().list_clusters().await.unwrap().len(), 1);
    let server = Server::script(vec![Reply::json(
        200,
        json!({"kubernetes_clusters": [], "links": {}, "meta": {"total": 0}}),
    )])
    .await;
    assert!(server.client().list_clusters().await.unwrap().is_empty());
}

#[tokio::test]
async fn pagination_loops_and_bad_links_are_errors() {
    let server = Server::script(vec![Reply::json(
        200,
        json!({"kubernetes_clusters": [], "links": {"pages": {"next": "https://api.digitalocean.com/v2/kubernetes/clusters?page=1"}}}),
    )])
    .await;
    let err = server.client().list_clusters().await.unwrap_err();
    assert!(matches!(err, DoError::Decode { .. }), "{err:?}");
    assert!(err.to_string().contains("loop"), "{err}");
    assert_eq!(server.count(), 1);

    let server = Server::script(vec![Reply::json(
        200,
        json!({"kubernetes_clusters": [], "links": {"pages": {"next": "https://api.digitalocean.com/v2/kubernetes/clusters"}}}),
    )])
    .await;
    let err = server.client().list_clusters().await.unwrap_err();
    assert!(err.to_string().contains("no page number"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn not_found_carries_id_message_and_request_id() {
    let server = Server::start(|r, _| {
        if r.path.ends_with("/with-body-id") {
            Reply::json(
                404,
                json!({"id": "not_found", "message": "The resource you requested could not be found.", "request_id": "body-rid"}),
            )
            .header("x-request-id", "header-rid")
        } else {
            Reply::error(404, "not_found", "The resource you requested could not be found.")
                .header("x-request-id", "header-rid")
        }
    })
    .await;
    let client = server.client();

    let err = client.get_cluster("with-body-id").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.request_id(), Some("body-rid"), "the body's request id wins");
    assert!(!err.is_retryable());
    match &err {
        DoError::Api {
            status,
            id,
            message,
            request_id,
            attempts,
        } => {
            assert_eq!(*status, 404);
            assert_eq!(id, "not_found");
            assert_eq!(message, "The resource you requested could not be found.");
            assert_eq!(request_id.as_deref(), Some("body-rid"));
            assert_eq!(*attempts, 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "DigitalOcean API 404 not_found: The resource you requested could not be found. (request id body-rid, 1 attempt)"
    );
    assert_eq!(
        err.api_message(),
        "The resource you requested could not be found. (request id body-rid)"
    );

    let err = client.delete_cluster("header-only").await.unwrap_err();
    assert!(err.is_not_found());
    assert_eq!(err.request_id(), Some("header-rid"), "falls back to x-request-id");
    assert_eq!(server.count(), 2, "404 is not retried");
}

#[tokio::test]
async fn a_non_json_error_body_becomes_the_message() {
    let server = Server::start(|r, _| {
        if r.path.ends_with("html") {
            Reply::text(
                400,
                "text/html",
                "<html><body>Bad Request from the edge</body></html>\n",
            )
        } else {
            Reply::empty(403)
        }
    })
    .await;
    let client = server.client();
    let err = client.get_cluster("html").await.unwrap_err();
    match &err {
        DoError::Api { id, message, .. } => {
            assert_eq!(id, "bad_request", "id derived from the status");
            assert_eq!(message, "<html><body>Bad Request from the edge</body></html>");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.request_id(), None);
    assert_eq!(err.api_message(), "<html><body>Bad Request from the edge</body></html>");

    let err = client.get_cluster("empty").await.unwrap_err();
    assert_eq!(err.to_string(), "DigitalOcean API 403 forbidden: Forbidden (1 attempt)");
}

#[tokio::test]
async fn error_text_never_contains_the_token() {
    // A misbehaving proxy echoes the request headers into its error body.
    let server = Server::start(|r, _| {
        Reply::text(
            400,
            "text/plain",
            &format!("bad request, authorization was {}", r.header("authorization").unwrap()),
        )
    })
    .await;
    let err = server.client().get_cluster("x").await.unwrap_err();
    let text = format!("{err} {err:?} {}", err.api_message());
    assert!(!text.contains(SECRET), "{text}");
    assert!(text.contains("Bearer ***"), "{text}");
}

// ---------------------------------------------------------------------------------------------
// Retries
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn retries_500_and_503_then_succeeds() {
    let server = Server::script(vec![
        Reply::error(500, "server_error", "Server Error"),
        Reply::error(503, "service_unavailable", "try later"),
        cluster_reply(200, CLUSTER_ID),
    ])
    .await;
    let api = server.api();
    let cluster = api.client(Token::new(SECRET)).get_cluster(CLUSTER_ID).await.unwrap();
    assert_eq!(cluster.id, CLUSTER_ID);
    assert_eq!(server.count(), 3);
    assert_eq!(api.requests_sent(), 3);
    assert_eq!(api.rate_limited_responses(), 0);
}

#[tokio::test]
async fn gives_up_after_max_retries_and_reports_attempts() {
    let server = Server::script(vec![
        Reply::error(500, "server_error", "Server Error").header("x-request-id", "rid-500"),
    ])
    .await;
    let err = server
        .client()
        .update_node_pool(
            CLUSTER_ID,
            POOL_ID,
            &NodePoolUpdate {
                name: "p".into(),
                count: 1,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(server.count(), 4, "1 + max_retries (3)");
    assert!(
        matches!(
            err,
            DoError::Api {
                attempts: 4,
                status: 500,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(
        err.to_string(),
        "DigitalOcean API 500 server_error: Server Error (request id rid-500, 4 attempts)"
    );
}

#[tokio::test]
async fn does_not_retry_501() {
    let server = Server::script(vec![
        Reply::error(501, "not_implemented", "nope"),
        cluster_reply(200, "x"),
    ])
    .await;
    let err = server.client().get_cluster(CLUSTER_ID).await.unwrap_err();
    assert_eq!(err.status(), Some(501));
    assert!(!err.is_retryable());
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn no_retries_with_max_retries_zero() {
    let server = Server::script(vec![Reply::error(500, "server_error", "Server Error")]).await;
    let api = DoApi::new(&server.base).unwrap().with_retry_policy(RetryPolicy::none());
    let err = api.client(Token::new(SECRET)).get_cluster("x").await.unwrap_err();
    assert!(matches!(err, DoError::Api { attempts: 1, .. }), "{err:?}");
    assert_eq!(server.count(), 1);
}

#[tokio::test(start_paused = true)]
async fn honours_retry_after_on_429() {
    let server = Server::script(vec![
        Reply::error(429, "too_many_requests", "API rate limit exceeded.")
            .header("retry-after", 7)
            // The hourly reset is far away; a burst 429's retry-after decides the wait.
            .header("ratelimit-remaining", 0)
            .header("ratelimit-reset", epoch_now() + 3000),
        cluster_reply(200, CLUSTER_ID),
    ])
    .await;
    let api = server.api();
    api.client(Token::new(SECRET)).get_cluster(CLUSTER_ID).await.unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let gap = reqs[1].at - reqs[0].at;
    assert!(gap >= Duration::from_secs(7) && gap < Duration::from_secs(8), "{gap:?}");
    assert_eq!(api.rate_limited_responses(), 1);
    assert_eq!(api.requests_sent(), 2);
}

#[tokio::test(start_paused = true)]
async fn exhausted_429s_report_attempts() {
    let server = Server::script(vec![
        Reply::error(429, "too_many_requests", "API rate limit exceeded").header("x-request-id", "r-429"),
    ])
    .await;
    let api = server.api();
    let err = api.client(Token::new(SECRET)).list_clusters().await.unwrap_err();
    assert_eq!(
        err.to_string(),
        "DigitalOcean API 429 too_many_requests: API rate limit exceeded (request id r-429, 4 attempts)"
    );
    assert!(err.is_retryable());
    assert_eq!(api.rate_limited_responses(), 4);
}

#[tokio::test(start_paused = true)]
async fn create_is_retried_only_on_429() {
    let server = Server::script(vec![Reply::error(500, "server_error", "Server Error")]).await;
    let err = server.client().create_cluster(&create_request()).await.unwrap_err();
    assert!(
        matches!(
            err,
            DoError::Api {
                status: 500,
                attempts: 1,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable(), "the caller may look the cluster up and try again");
    assert_eq!(server.count(), 1, "a 500 on create is not retried");

    let server = Server::script(vec![Reply::error(502, "bad_gateway", "Bad Gateway")]).await;
    let err = server
        .client()
        .add_node_pool(
            CLUSTER_ID,
            &NodePoolCreate {
                name: "p".into(),
                size: "s".into(),
                count: 1,
                tags: vec![],
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(502));
    assert_eq!(server.count(), 1, "add_node_pool follows the create rule");

    let server = Server::script(vec![
        Reply::error(429, "too_many_requests", "API rate limit exceeded.").header("retry-after", 2),
        cluster_reply(201, CLUSTER_ID),
    ])
    .await;
    let started = Instant::now();
    let cluster = server.client().create_cluster(&create_request()).await.unwrap();
    assert_eq!(cluster.id, CLUSTER_ID);
    assert_eq!(server.count(), 2, "a 429 on create is retried");
    assert!(started.elapsed() >= Duration::from_secs(2));
    let reqs = server.requests();
    assert_eq!(reqs[0].body, reqs[1].body, "the same body is sent again");
}

#[tokio::test]
async fn transport_errors_are_retried_only_for_idempotent_calls() {
    // A port that refuses connections.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let api = DoApi::new(&base).unwrap().with_retry_policy(fast_retries());
    let client = api.client(Token::new(SECRET));

    let err = client.get_cluster(CLUSTER_ID).await.unwrap_err();
    assert!(matches!(err, DoError::Transport { attempts: 4, .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.status(), None);
    assert!(
        err.to_string().starts_with("DigitalOcean API request failed: "),
        "{err}"
    );
    assert!(err.to_string().ends_with("(4 attempts)"), "{err}");
    assert!(!format!("{err:?}").contains(SECRET));
    assert_eq!(api.requests_sent(), 4);

    let err = client.create_cluster(&create_request()).await.unwrap_err();
    assert!(matches!(err, DoError::Transport { attempts: 1, .. }), "{err:?}");
    assert_eq!(api.requests_sent(), 5);
}

// ---------------------------------------------------------------------------------------------
// Rate limiting
// ---------------------------------------------------------------------------------------------

fn limited(server: &Server, per_minute: u32, per_hour: u32) -> DoApi {
    server.api().with_rate_limits(RateLimits { per_minute, per_hour })
}

#[tokio::test(start_paused = true)]
async fn the_sixth_request_in_a_minute_waits() {
    let server = Server::script(vec![cluster_reply(200, CLUSTER_ID)]).await;
    let client = limited(&server, 5, 5000).client(Token::new(SECRET));
    let start = Instant::now();
    for _ in 0..6 {
        client.get_cluster(CLUSTER_ID).await.unwrap();
    }
    let at: Vec<Duration> = server.requests().iter().map(|r| r.at - start).collect();
    assert!(at[4] < Duration::from_secs(1), "the first five go at once: {at:?}");
    assert!(
        at[5] >= Duration::from_secs(60),
        "the sixth waits for the window: {at:?}"
    );
    assert!(at[5] <= Duration::from_secs(61), "one second of margin at most: {at:?}");
}

#[tokio::test(start_paused = true)]
async fn the_limiter_is_shared_per_token() {
    let server = Server::script(vec![cluster_reply(200, CLUSTER_ID)]).await;
    let api = limited(&server, 5, 5000);
    let start = Instant::now();
    // Twelve concurrent calls through two clients of one token.
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let client = api.client(Token::new(SECRET));
            let id = format!("a-{i}");
            tokio::spawn(async move { client.get_cluster(&id).await.map(|_| ()) })
        })
        .collect();
    // Another token is not held up by the first one's window.
    let other = api.client(Token::new("dop_v1_other"));
    for _ in 0..5 {
        other.get_cluster("b").await.unwrap();
    }
    assert!(start.elapsed() < Duration::from_secs(1), "{:?}", start.elapsed());
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    let mut times: Vec<Duration> = server
        .requests()
        .iter()
        .filter(|r| r.path.contains("/a-"))
        .map(|r| r.at - start)
        .collect();
    times.sort();
    assert_eq!(times.len(), 12);
    for (i, t) in times.iter().enumerate() {
        let in_window = times
            .iter()
            .filter(|u| **u >= *t && **u < *t + Duration::from_secs(60))
            .count();
        assert!(
            in_window <= 5,
            "{in_window} requests within 60 s of request {i}: {times:?}"
        );
    }
    assert!(times[11] >= Duration::from_secs(120), "{times:?}");
    assert_eq!(api.requests_sent(), 17);
}

#[tokio::test(start_paused = true)]
async fn the_hourly_window_applies_too() {
    let server = Server::script(vec![cluster_reply(200, CLUSTER_ID)]).await;
    let client = limited(&server, u32::MAX, 3).client(Token::new(SECRET));
    let start = Instant::now();
    for _ in 0..4 {
        client.get_cluster(CLUSTER_ID).await.unwrap();
    }
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(3600) && waited <= Duration::from_secs(3601),
        "{waited:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn remaining_zero_holds_requests_until_reset() {
    let server = Server::start(|_, i| {
        let reply = cluster_reply(200, CLUSTER_ID).header("ratelimit-limit", 5000);
        match i {
            // Exhausted; the oldest counted request expires in 30 s.
            0 => reply
                .header("ratelimit-remaining", 0)
                .header("ratelimit-reset", epoch_now() + 30),
            // Exhausted with a reset far away: the hold is capped at a minute.
            1 => reply
                .header("ratelimit-remaining", 0)
                .header("ratelimit-reset", epoch_now() + 3000),
            _ => reply
                .header("ratelimit-remaining", 4000)
                .header("ratelimit-reset", epoch_now() + 3000),
        }
    })
    .await;
    let api = server.api().with_rate_limits(RateLimits::unlimited());
    let client = api.client(Token::new(SECRET));
    for _ in 0..4 {
        client.get_cluster(CLUSTER_ID).await.unwrap();
    }
    let reqs = server.requests();
    let gap1 = reqs[1].at - reqs[0].at;
    let gap2 = reqs[2].at - reqs[1].at;
    let gap3 = reqs[3].at - reqs[2].at;
    assert!(
        gap1 >= Duration::from_secs(28) && gap1 <= Duration::from_secs(30),
        "{gap1:?}"
    );
    assert!(
        gap2 >= Duration::from_secs(59) && gap2 <= Duration::from_secs(60),
        "{gap2:?}"
    );
    assert!(gap3 < Duration::from_secs(1), "remaining > 0 does not hold: {gap3:?}");
    let rate = client.rate_info().unwrap();
    assert_eq!((rate.limit, rate.remaining), (Some(5000), Some(4000)));
}

#[tokio::test(start_paused = true)]
async fn a_429_with_retry_after_holds_every_request_of_the_token() {
    let server = Server::start(|r, _| {
        if r.path.ends_with("/first") {
            Reply::error(429, "too_many_requests", "API rate limit exceeded.").header("retry-after", 20)
        } else {
            cluster_reply(200, CLUSTER_ID)
        }
    })
    .await;
    let api = DoApi::new(&server.base).unwrap().with_retry_policy(RetryPolicy::none());
    let err = api.client(Token::new(SECRET)).get_cluster("first").await.unwrap_err();
    assert_eq!(err.status(), Some(429));
    let start = Instant::now();
    api.client(Token::new("dop_v1_other"))
        .get_cluster("other-token")
        .await
        .unwrap();
    assert!(start.elapsed() < Duration::from_secs(1), "another token is not held");
    api.client(Token::new(SECRET)).get_cluster("same-token").await.unwrap();
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(19) && waited <= Duration::from_secs(20),
        "{waited:?}"
    );
}

#[tokio::test]
async fn upgrades_are_listed_and_requested() {
    let server = Server::start(|r, i| match (r.method.as_str(), r.path.as_str()) {
        ("GET", _) if i == 0 => Reply::json(
            200,
            json!({"available_upgrade_versions": [
                {"slug": "1.34.1-do.0", "kubernetes_version": "1.34.1", "supported_features": ["cluster-autoscaler"]},
                {"slug": "1.33.5-do.0", "kubernetes_version": "1.33.5"},
            ]}),
        ),
        ("GET", _) => Reply::json(200, json!({"available_upgrade_versions": null})),
        ("POST", _) if i == 2 => Reply::empty(202),
        _ => Reply::error(
            422,
            "unprocessable_entity",
            "version 1.30.0-do.0 is not an available upgrade",
        ),
    })
    .await;
    let client = server.client();
    let offered = client.get_available_upgrades(CLUSTER_ID).await.unwrap();
    assert_eq!(
        offered.iter().map(|v| v.slug.as_str()).collect::<Vec<_>>(),
        ["1.34.1-do.0", "1.33.5-do.0"]
    );
    assert_eq!(offered[0].kubernetes_version, "1.34.1");
    assert!(offered[1].supported_features.is_empty());
    assert!(
        client.get_available_upgrades(CLUSTER_ID).await.unwrap().is_empty(),
        "null is none"
    );
    client.upgrade_cluster(CLUSTER_ID, "1.34.1-do.0").await.unwrap();
    let err = client.upgrade_cluster(CLUSTER_ID, "1.30.0-do.0").await.unwrap_err();
    assert_eq!(err.status(), Some(422));
    assert!(err.api_message().contains("not an available upgrade"), "{err}");
    assert_eq!(err.attempts(), 1, "a refused POST is not retried");

    let reqs = server.requests();
    let upgrades = format!("/v2/kubernetes/clusters/{CLUSTER_ID}/upgrades");
    let upgrade = format!("/v2/kubernetes/clusters/{CLUSTER_ID}/upgrade");
    let seen: Vec<(&str, &str)> = reqs.iter().map(|r| (r.method.as_str(), r.path.as_str())).collect();
    assert_eq!(
        seen,
        [
            ("GET", upgrades.as_str()),
            ("GET", upgrades.as_str()),
            ("POST", upgrade.as_str()),
            ("POST", upgrade.as_str()),
        ]
    );
    assert_eq!(reqs[2].json(), json!({"version": "1.34.1-do.0"}));
    assert_eq!(reqs[2].header("content-type"), Some("application/json"));
}

#[tokio::test]
async fn kubernetes_options_are_read() {
    let server = Server::start(|_, _| {
        Reply::json(
            200,
            json!({"options": {
                "regions": [{"name": "New York 1", "slug": "nyc1"}, {"name": "Frankfurt 1", "slug": "fra1"}],
                "versions": [{"slug": "1.34.1-do.0", "kubernetes_version": "1.34.1"}],
                "sizes": [{"name": "s-1vcpu-2gb", "slug": "s-1vcpu-2gb"}, {"name": null, "slug": "c-2"}],
            }}),
        )
    })
    .await;
    let options = server.client().kubernetes_options().await.unwrap();
    assert_eq!(
        options.regions.iter().map(|r| r.slug.as_str()).collect::<Vec<_>>(),
        ["nyc1", "fra1"]
    );
    assert_eq!(options.regions[1].name, "Frankfurt 1");
    assert_eq!(options.versions[0].slug, "1.34.1-do.0");
    assert_eq!(
        options.sizes.iter().map(|s| s.slug.as_str()).collect::<Vec<_>>(),
        ["s-1vcpu-2gb", "c-2"]
    );
    assert_eq!(options.sizes[1].name, "", "null is empty");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(
        (reqs[0].method.as_str(), reqs[0].path.as_str()),
        ("GET", "/v2/kubernetes/options")
    );
}
