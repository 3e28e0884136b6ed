//! The DigitalOcean stand-in over real HTTP on 127.0.0.1: lifecycle, validation, pagination,
//! kubeconfig, deletes, node pools, rate limits, faults and authentication.

use kluster::standin::{DoStandin, Fault, FaultKind, RateLimitConfig, StandinConfig, StandinServer};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "dop_v1_standin_test";

fn http_client() -> reqwest::Client {
    // reqwest is built with `rustls-no-provider`; building a client needs a provider even for http://.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

/// A stand-in, its server and a client.
struct Harness {
    standin: DoStandin,
    server: StandinServer,
    http: reqwest::Client,
}

/// One answer, read completely.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn header_u64(&self, name: &str) -> u64 {
        let v = self
            .header(name)
            .unwrap_or_else(|| panic!("no {name} header: {self:?}"));
        v.parse().unwrap_or_else(|_| panic!("{name} is not an integer: {v}"))
    }

    /// Asserts a DigitalOcean error body `{id, message, request_id}` and returns it.
    fn error(&self, status: u16, id: &str) -> Value {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        assert_eq!(body["id"], id, "{body}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        assert_eq!(body["request_id"].as_str(), self.header("x-request-id"), "{body}");
        body
    }
}

impl Harness {
    async fn new(config: StandinConfig) -> Harness {
        let standin = DoStandin::new(config);
        let server = standin.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        Harness {
            standin,
            server,
            http: http_client(),
        }
    }

    /// No rate limit, a long provisioning delay, token required.
    async fn quiet() -> Harness {
        Harness::new(StandinConfig {
            provision_delay: Duration::from_secs(600),
            delete_delay: Duration::ZERO,
            upgrade_delay: Duration::from_secs(600),
            rate_limit: None,
            token: Some(TOKEN.into()),
        })
        .await
    }

    async fn call_as(&self, token: Option<&str>, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.server.base_url()));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        let answer = Answer { status, headers, text };
        let request_id = answer
            .header("x-request-id")
            .unwrap_or_else(|| panic!("no x-request-id: {answer:?}"));
        uuid::Uuid::parse_str(request_id).expect("x-request-id is a UUID");
        answer
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        self.call_as(Some(TOKEN), method, path, body).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    async fn create(&self, name: &str) -> Value {
        let a = self
            .call(Method::POST, "/v2/kubernetes/clusters", Some(cluster_body(name)))
            .await;
        assert_eq!(a.status, 201, "{a:?}");
        a.json()["kubernetes_cluster"].clone()
    }
}

fn cluster_body(name: &str) -> Value {
    json!({
        "name": name,
        "region": "fra1",
        "version": "1.33.1-do.0",
        "tags": ["team-a"],
        "node_pools": [{ "name": "pool-a", "size": "s-2vcpu-4gb", "count": 2 }],
    })
}

fn cluster_path(id: &str) -> String {
    format!("/v2/kubernetes/clusters/{id}")
}

fn is_rfc3339(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            19 => *c == b'Z',
            _ => c.is_ascii_digit(),
        })
}

#[tokio::test]
async fn create_is_provisioning_then_running_with_an_endpoint() {
    let h = Harness::new(StandinConfig {
        provision_delay: Duration::from_millis(800),
        rate_limit: None,
        ..Default::default()
    })
    .await;
    let created = h.create("alpha").await;
    let id = created["id"].as_str().unwrap().to_owned();
    uuid::Uuid::parse_str(&id).unwrap();
    assert_eq!(created["status"]["state"], "provisioning");
    assert_eq!(created["endpoint"], "");
    assert_eq!(created["ipv4"], "");
    assert_eq!(created["name"], "alpha");
    assert_eq!(created["region"], "fra1");
    assert_eq!(created["version"], "1.33.1-do.0");
    assert_eq!(created["tags"], json!(["team-a", "k8s", format!("k8s:{id}")]));
    assert!(is_rfc3339(created["created_at"].as_str().unwrap()), "{created}");
    assert!(is_rfc3339(created["updated_at"].as_str().unwrap()), "{created}");
    let pool = &created["node_pools"][0];
    uuid::Uuid::parse_str(pool["id"].as_str().unwrap()).unwrap();
    assert_eq!(
        (pool["name"].as_str(), pool["size"].as_str(), pool["count"].as_u64()),
        (Some("pool-a"), Some("s-2vcpu-4gb"), Some(2))
    );
    let nodes = pool["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 2);
    for node in nodes {
        uuid::Uuid::parse_str(node["id"].as_str().unwrap()).unwrap();
        assert_eq!(node["status"]["state"], "provisioning");
        assert_eq!(node["name"], "");
    }
    assert_eq!(h.standin.clusters()[0].state, "provisioning");

    // Time passes: the same GET reports running, with the endpoint and running nodes.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let cluster = loop {
        let c = h.get(&cluster_path(&id)).await.json()["kubernetes_cluster"].clone();
        if c["status"]["state"] == "running" {
            break c;
        }
        assert_eq!(c["status"]["state"], "provisioning");
        assert!(tokio::time::Instant::now() < deadline, "never running: {c}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(cluster["endpoint"], format!("https://{id}.k8s.ondigitalocean.com"));
    assert_ne!(cluster["ipv4"], "");
    for node in cluster["node_pools"][0]["nodes"].as_array().unwrap() {
        assert_eq!(node["status"]["state"], "running");
        assert!(node["name"].as_str().unwrap().starts_with("pool-a-"), "{node}");
        assert!(!node["droplet_id"].as_str().unwrap().is_empty());
    }
    let snapshot = &h.standin.clusters()[0];
    assert_eq!(snapshot.state, "running");
    assert_eq!(snapshot.endpoint, format!("https://{id}.k8s.ondigitalocean.com"));
    assert_eq!(snapshot.node_pools[0].count, 2);
    assert_eq!(h.standin.count("create_cluster"), 1);
    assert!(h.standin.count("get_cluster") >= 1);
    let first = &h.standin.requests()[0];
    assert_eq!(
        (first.method.as_str(), first.path.as_str(), first.status),
        ("POST", "/v2/kubernetes/clusters", 201)
    );
    assert_eq!(first.operation, "create_cluster");
}

/// Raw HTTP/1.1 without a client library: nothing but the socket, so paused tokio time is not
/// advanced behind the test's back by a client's timers.
async fn raw(addr: SocketAddr, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, String, String) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let response = String::from_utf8(response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

fn head_value(head: &str, name: &str) -> Option<String> {
    head.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")).map(|v| v.trim().to_owned()))
}

#[tokio::test(start_paused = true)]
async fn paused_time_drives_provisioning_deletion_and_rate_windows() {
    let standin = DoStandin::new(StandinConfig {
        provision_delay: Duration::from_secs(300),
        delete_delay: Duration::from_secs(30),
        upgrade_delay: Duration::from_secs(60),
        rate_limit: Some(RateLimitConfig {
            per_minute: 2,
            per_hour: 1000,
        }),
        token: None,
    });
    let server = standin.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let addr = server.local_addr();

    let (status, _, body) = raw(
        addr,
        "a",
        "POST",
        "/v2/kubernetes/clusters",
        Some(cluster_body("paused")),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let id = created["kubernetes_cluster"]["id"].as_str().unwrap().to_owned();

    tokio::time::advance(Duration::from_secs(299)).await;
    let (_, _, body) = raw(addr, "b", "GET", &cluster_path(&id), None).await;
    let c: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(c["kubernetes_cluster"]["status"]["state"], "provisioning");
    assert_eq!(c["kubernetes_cluster"]["endpoint"], "");

    tokio::time::advance(Duration::from_secs(2)).await;
    let (_, _, body) = raw(addr, "c", "GET", &cluster_path(&id), None).await;
    let c: Value = serde_json::from_str(&body).unwrap();
    let c = &c["kubernetes_cluster"];
    assert_eq!(c["status"]["state"], "running");
    assert_eq!(c["endpoint"], format!("https://{id}.k8s.ondigitalocean.com"));
    assert_ne!(
        c["created_at"], c["updated_at"],
        "updated_at moves with the (paused) clock"
    );

    let (status, _, body) = raw(addr, "d", "DELETE", &cluster_path(&id), None).await;
    assert_eq!((status, body.as_str()), (204, ""));
    tokio::time::advance(Duration::from_secs(29)).await;
    let (status, _, body) = raw(addr, "e", "GET", &cluster_path(&id), None).await;
    let c: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (status, c["kubernetes_cluster"]["status"]["state"].as_str()),
        (200, Some("deleting"))
    );
    tokio::time::advance(Duration::from_secs(2)).await;
    let (status, _, _) = raw(addr, "f", "GET", &cluster_path(&id), None).await;
    assert_eq!(status, 404);
    assert!(standin.clusters().is_empty());

    // Burst window: 2 per minute for token "burst"; the third waits for the first to age out.
    for _ in 0..2 {
        let (status, _, _) = raw(addr, "burst", "GET", "/v2/kubernetes/options", None).await;
        assert_eq!(status, 200);
    }
    tokio::time::advance(Duration::from_secs(20)).await;
    let (status, head, body) = raw(addr, "burst", "GET", "/v2/kubernetes/options", None).await;
    assert_eq!(status, 429, "{body}");
    let retry_after: u64 = head_value(&head, "retry-after").unwrap().parse().unwrap();
    assert_eq!(retry_after, 40);
    assert_eq!(head_value(&head, "ratelimit-remaining").as_deref(), Some("0"));
    tokio::time::advance(Duration::from_secs(retry_after)).await;
    let (status, head, _) = raw(addr, "burst", "GET", "/v2/kubernetes/options", None).await;
    assert_eq!(status, 200);
    assert_eq!(head_value(&head, "ratelimit-remaining").as_deref(), Some("997"));
    server.shutdown().await;
}

#[tokio::test]
async fn invalid_bodies_get_422_and_create_nothing() {
    let h = Harness::quiet().await;
    let base = cluster_body("v");
    let without = |key: &str| {
        let mut b = base.clone();
        b.as_object_mut().unwrap().remove(key);
        b
    };
    let with_pool = |pool: Value| {
        let mut b = base.clone();
        b["node_pools"] = json!([pool]);
        b
    };
    let cases: Vec<(Value, &str)> = vec![
        (without("name"), "name is required"),
        (without("region"), "region is required"),
        (without("version"), "version is required"),
        (without("node_pools"), "node_pools is required"),
        (
            json!({"name": "", "region": "fra1", "version": "latest", "node_pools": []}),
            "name must not be empty",
        ),
        (
            {
                let mut b = base.clone();
                b["node_pools"] = json!([]);
                b
            },
            "at least one node pool",
        ),
        (
            with_pool(json!({"name": "p", "size": "s-1vcpu-2gb", "count": 0})),
            "count must be at least 1",
        ),
        (
            with_pool(json!({"name": "p", "size": "s-1vcpu-2gb"})),
            "node_pools[0].count is required",
        ),
        (
            with_pool(json!({"size": "s-1vcpu-2gb", "count": 1})),
            "node_pools[0].name is required",
        ),
        (
            with_pool(json!({"name": "p", "count": 1})),
            "node_pools[0].size is required",
        ),
        (
            with_pool(json!({"name": "p", "size": "s", "count": "3"})),
            "count must be an integer",
        ),
        (
            with_pool(json!({"name": "p", "size": "s", "count": 1, "taints": [{"key": "k", "effect": "Bad"}]})),
            "effect must be one of",
        ),
        (
            with_pool(
                json!({"name": "p", "size": "s", "count": 1, "auto_scale": true, "min_nodes": 3, "max_nodes": 2}),
            ),
            "min_nodes must not be greater than max_nodes",
        ),
        (
            {
                let mut b = base.clone();
                b["node_pools"] =
                    json!([{"name": "p", "size": "s", "count": 1}, {"name": "p", "size": "s", "count": 1}]);
                b
            },
            "unique",
        ),
        (
            {
                let mut b = base.clone();
                b["tags"] = json!("x");
                b
            },
            "tags must be an array of strings",
        ),
        (
            {
                let mut b = base.clone();
                b["maintenance_policy"] = json!({"day": "someday"});
                b
            },
            "maintenance_policy.day",
        ),
    ];
    for (body, expected) in &cases {
        let a = h
            .call(Method::POST, "/v2/kubernetes/clusters", Some(body.clone()))
            .await;
        let err = a.error(422, "unprocessable_entity");
        assert!(
            err["message"].as_str().unwrap().contains(expected),
            "{expected:?} not in {err} for {body}"
        );
    }
    // Not a JSON object, or not JSON at all: 400 bad_request.
    let a = h
        .call(Method::POST, "/v2/kubernetes/clusters", Some(json!([1, 2])))
        .await;
    a.error(400, "bad_request");
    let res = h
        .http
        .post(format!("{}/v2/kubernetes/clusters", h.server.base_url()))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(h.standin.clusters().is_empty());
    assert_eq!(h.standin.count("create_cluster"), cases.len() + 2);

    // Names are unique among existing clusters.
    h.create("taken").await;
    let a = h
        .call(Method::POST, "/v2/kubernetes/clusters", Some(cluster_body("taken")))
        .await;
    assert!(
        a.error(422, "unprocessable_entity")["message"]
            .as_str()
            .unwrap()
            .contains("already exists")
    );
    assert_eq!(h.standin.clusters().len(), 1);
}

#[tokio::test]
async fn unknown_paths_are_404_and_wrong_methods_405() {
    let h = Harness::quiet().await;
    h.get("/v2/droplets").await.error(404, "not_found");
    h.get("/v2/kubernetes/clusters/bd5f5959-5e1e-4205-a714-a914373942af")
        .await
        .error(404, "not_found");
    h.get("/v2/kubernetes/clusters/not-a-uuid/node_pools")
        .await
        .error(404, "not_found");
    h.call(
        Method::DELETE,
        "/v2/kubernetes/clusters/bd5f5959-5e1e-4205-a714-a914373942af",
        None,
    )
    .await
    .error(404, "not_found");
    let a = h.call(Method::PATCH, "/v2/kubernetes/clusters", None).await;
    a.error(405, "method_not_allowed");
    assert_eq!(a.header("allow"), Some("GET, POST"));
    let a = h.call(Method::POST, "/v2/kubernetes/options", None).await;
    assert_eq!(a.status, 405);
    let recorded = h.standin.requests();
    assert_eq!(recorded[0].operation, "unknown");
    assert_eq!(recorded[1].operation, "get_cluster");
    assert_eq!(recorded[4].operation, "unknown");
}

#[tokio::test]
async fn list_paginates_with_links_and_total() {
    let h = Harness::quiet().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(h.create(&format!("c{i}")).await["id"].as_str().unwrap().to_owned());
    }
    let base = h.server.base_url();

    let all = h.get("/v2/kubernetes/clusters").await.json();
    assert_eq!(all["meta"]["total"], 5);
    assert_eq!(all["kubernetes_clusters"].as_array().unwrap().len(), 5);
    assert_eq!(all["links"], json!({}), "one page: no page links");

    let p1 = h.get("/v2/kubernetes/clusters?per_page=2").await.json();
    assert_eq!(p1["meta"]["total"], 5);
    let names: Vec<&str> = p1["kubernetes_clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["c0", "c1"]);
    assert_eq!(
        p1["links"]["pages"],
        json!({
            "next": format!("{base}/v2/kubernetes/clusters?page=2&per_page=2"),
            "last": format!("{base}/v2/kubernetes/clusters?page=3&per_page=2"),
        })
    );

    let p2 = h.get("/v2/kubernetes/clusters?page=2&per_page=2").await.json();
    assert_eq!(p2["kubernetes_clusters"][0]["id"], ids[2]);
    let pages = &p2["links"]["pages"];
    assert_eq!(
        pages["first"],
        format!("{base}/v2/kubernetes/clusters?page=1&per_page=2")
    );
    assert_eq!(
        pages["prev"],
        format!("{base}/v2/kubernetes/clusters?page=1&per_page=2")
    );
    assert_eq!(
        pages["next"],
        format!("{base}/v2/kubernetes/clusters?page=3&per_page=2")
    );

    // Following `next` from the first page visits every cluster once.
    let mut seen = Vec::new();
    let mut url = Some(format!("{base}/v2/kubernetes/clusters?per_page=2"));
    while let Some(u) = url {
        let page: Value = h
            .http
            .get(&u)
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        seen.extend(
            page["kubernetes_clusters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["id"].as_str().unwrap().to_owned()),
        );
        url = page["links"]["pages"]["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, ids);

    let p3 = h.get("/v2/kubernetes/clusters?page=3&per_page=2").await.json();
    assert_eq!(p3["kubernetes_clusters"].as_array().unwrap().len(), 1);
    assert!(p3["links"]["pages"].get("next").is_none());
    let beyond = h.get("/v2/kubernetes/clusters?page=9&per_page=2").await.json();
    assert_eq!(beyond["kubernetes_clusters"], json!([]));
    assert_eq!(beyond["meta"]["total"], 5);

    h.get("/v2/kubernetes/clusters?per_page=201")
        .await
        .error(422, "unprocessable_entity");
    h.get("/v2/kubernetes/clusters?per_page=0")
        .await
        .error(422, "unprocessable_entity");
    h.get("/v2/kubernetes/clusters?page=0")
        .await
        .error(422, "unprocessable_entity");
    h.get("/v2/kubernetes/clusters?page=abc")
        .await
        .error(400, "bad_request");
    assert_eq!(h.get("/v2/kubernetes/clusters?per_page=200").await.status, 200);
    let recorded = h.standin.requests();
    let last_list = recorded.iter().rev().find(|r| r.operation == "list_clusters").unwrap();
    assert_eq!(last_list.query.as_deref(), Some("per_page=200"));
    assert_eq!(last_list.path, "/v2/kubernetes/clusters");
}

#[tokio::test]
async fn kubeconfig_is_yaml_for_the_cluster() {
    let h = Harness::quiet().await;
    let c = h.create("kc").await;
    let id = c["id"].as_str().unwrap();
    let a = h.get(&format!("{}/kubeconfig", cluster_path(id))).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("application/yaml"));
    assert!(a.text.starts_with("apiVersion: v1\n"), "{}", a.text);
    assert!(
        a.text
            .contains(&format!("    server: https://{id}.k8s.ondigitalocean.com\n")),
        "{}",
        a.text
    );
    assert!(a.text.contains("current-context: do-fra1-kc\n"));
    assert!(a.text.contains("kind: Config\n"));
    assert!(a.text.contains("    certificate-authority-data: "));
    assert!(a.text.contains("    token: "));
    let sso = h
        .get(&format!("{}/kubeconfig?type=sso&expiry_seconds=300", cluster_path(id)))
        .await;
    assert!(sso.text.contains("command: doctl"), "{}", sso.text);
    h.get(&format!("{}/kubeconfig?type=other", cluster_path(id)))
        .await
        .error(422, "unprocessable_entity");
    h.get("/v2/kubernetes/clusters/bd5f5959-5e1e-4205-a714-a914373942af/kubeconfig")
        .await
        .error(404, "not_found");
    let creds = h
        .get(&format!("{}/credentials?expiry_seconds=60", cluster_path(id)))
        .await
        .json();
    assert_eq!(creds["server"], format!("https://{id}.k8s.ondigitalocean.com"));
    assert!(is_rfc3339(creds["expires_at"].as_str().unwrap()));
    assert_eq!(h.standin.count("get_kubeconfig"), 4);
}

#[tokio::test]
async fn delete_answers_204_then_deleting_then_404() {
    let h = Harness::new(StandinConfig {
        provision_delay: Duration::ZERO,
        delete_delay: Duration::from_millis(500),
        upgrade_delay: Duration::ZERO,
        rate_limit: None,
        token: None,
    })
    .await;
    let id = h.create("doomed").await["id"].as_str().unwrap().to_owned();
    let other = h.create("stays").await["id"].as_str().unwrap().to_owned();
    let a = h.call(Method::DELETE, &cluster_path(&id), None).await;
    assert_eq!((a.status, a.text.as_str(), a.header("content-type")), (204, "", None));
    let c = h.get(&cluster_path(&id)).await.json();
    assert_eq!(c["kubernetes_cluster"]["status"]["state"], "deleting");
    assert_eq!(h.standin.cluster(&id).unwrap().state, "deleting");
    // A second DELETE while deleting is accepted; writes are refused.
    assert_eq!(h.call(Method::DELETE, &cluster_path(&id), None).await.status, 204);
    h.call(Method::PUT, &cluster_path(&id), Some(json!({"name": "x"})))
        .await
        .error(422, "unprocessable_entity");
    tokio::time::sleep(Duration::from_millis(600)).await;
    h.get(&cluster_path(&id)).await.error(404, "not_found");
    h.call(Method::DELETE, &cluster_path(&id), None)
        .await
        .error(404, "not_found");
    let ids: Vec<String> = h.standin.clusters().into_iter().map(|c| c.id).collect();
    assert_eq!(ids, std::slice::from_ref(&other));

    // Without a delete delay the cluster is gone at once; the destroy variants delete too.
    h.standin.set_delete_delay(Duration::ZERO);
    let path = format!("{}/destroy_with_associated_resources", cluster_path(&other));
    let assoc = h.get(&path).await.json();
    assert_eq!(
        assoc,
        json!({"load_balancers": [], "volumes": [], "volume_snapshots": []})
    );
    let a = h
        .call(
            Method::DELETE,
            &format!("{path}/selective"),
            Some(json!({"volumes": []})),
        )
        .await;
    assert_eq!(a.status, 204);
    h.get(&cluster_path(&other)).await.error(404, "not_found");
    let third = h.create("third").await["id"].as_str().unwrap().to_owned();
    let path = format!("{}/destroy_with_associated_resources/dangerous", cluster_path(&third));
    assert_eq!(h.call(Method::DELETE, &path, None).await.status, 204);
    assert!(h.standin.clusters().is_empty());
}

#[tokio::test]
async fn node_pools_add_update_delete() {
    let h = Harness::quiet().await;
    let c = h.create("pools").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let first_pool = c["node_pools"][0]["id"].as_str().unwrap().to_owned();
    let pools = format!("{}/node_pools", cluster_path(&id));

    let list = h.get(&pools).await.json();
    assert_eq!(list["node_pools"].as_array().unwrap().len(), 1);

    let a = h
        .call(
            Method::POST,
            &pools,
            Some(json!({"name": "pool-b", "size": "s-4vcpu-8gb", "count": 1, "tags": ["web"], "labels": {"tier": "web"}})),
        )
        .await;
    assert_eq!(a.status, 201, "{a:?}");
    let added = a.json()["node_pool"].clone();
    let pool_id = added["id"].as_str().unwrap().to_owned();
    assert_eq!(added["tags"], json!(["web", "k8s", format!("k8s:{id}"), "k8s:worker"]));
    assert_eq!(added["nodes"].as_array().unwrap().len(), 1);
    let pool_path = format!("{pools}/{pool_id}");

    let got = h.get(&pool_path).await.json();
    assert_eq!(got["node_pool"]["labels"], json!({"tier": "web"}));
    h.call(
        Method::POST,
        &pools,
        Some(json!({"name": "pool-b", "size": "s", "count": 1})),
    )
    .await
    .error(422, "unprocessable_entity");
    h.call(
        Method::POST,
        &pools,
        Some(json!({"name": "pool-c", "size": "s", "count": 0})),
    )
    .await
    .error(422, "unprocessable_entity");

    let a = h
        .call(Method::PUT, &pool_path, Some(json!({"name": "pool-b2", "count": 3})))
        .await;
    assert_eq!(a.status, 202, "{a:?}");
    let updated = a.json()["node_pool"].clone();
    assert_eq!(
        (updated["name"].as_str(), updated["count"].as_u64()),
        (Some("pool-b2"), Some(3))
    );
    assert_eq!(updated["nodes"].as_array().unwrap().len(), 3);
    assert_eq!(updated["size"], "s-4vcpu-8gb", "size cannot change");
    assert_eq!(updated["tags"][0], "web", "tags are kept when not sent");
    h.call(Method::PUT, &pool_path, Some(json!({"name": "pool-b2"})))
        .await
        .error(422, "unprocessable_entity");
    let snapshot = h.standin.cluster(&id).unwrap();
    assert_eq!(snapshot.node_pools.len(), 2);
    assert_eq!(
        (snapshot.node_pools[1].name.as_str(), snapshot.node_pools[1].count),
        ("pool-b2", 3)
    );

    // Deleting a node shrinks the pool; with replace=1 the count stays.
    let node = updated["nodes"][0]["id"].as_str().unwrap();
    let a = h
        .call(Method::DELETE, &format!("{pool_path}/nodes/{node}?skip_drain=1"), None)
        .await;
    assert_eq!((a.status, a.text.as_str()), (202, ""));
    let node = updated["nodes"][1]["id"].as_str().unwrap();
    let a = h
        .call(Method::DELETE, &format!("{pool_path}/nodes/{node}?replace=1"), None)
        .await;
    assert_eq!(a.status, 202);
    let got = h.get(&pool_path).await.json();
    assert_eq!(got["node_pool"]["count"], 2);
    assert_eq!(got["node_pool"]["nodes"].as_array().unwrap().len(), 2);

    let a = h.call(Method::DELETE, &pool_path, None).await;
    assert_eq!((a.status, a.text.as_str()), (204, ""));
    h.get(&pool_path).await.error(404, "not_found");
    // The last pool cannot be deleted.
    h.call(Method::DELETE, &format!("{pools}/{first_pool}"), None)
        .await
        .error(422, "unprocessable_entity");
    assert_eq!(h.standin.cluster(&id).unwrap().node_pools.len(), 1);
    for op in [
        "list_node_pools",
        "add_node_pool",
        "get_node_pool",
        "update_node_pool",
        "delete_node_pool",
        "delete_node",
    ] {
        assert!(h.standin.count(op) >= 1, "{op}");
    }
}

#[tokio::test]
async fn update_cluster_and_options() {
    let h = Harness::quiet().await;
    let c = h.create("upd").await;
    let id = c["id"].as_str().unwrap().to_owned();
    let a = h
        .call(
            Method::PUT,
            &cluster_path(&id),
            Some(json!({
                "name": "upd2",
                "tags": ["k8s", format!("k8s:{id}"), "prod"],
                "auto_upgrade": true,
                "maintenance_policy": {"start_time": "03:00", "day": "sunday"},
                "ha": true,
            })),
        )
        .await;
    assert_eq!(a.status, 202, "{a:?}");
    let u = a.json()["kubernetes_cluster"].clone();
    assert_eq!(u["name"], "upd2");
    assert_eq!(u["tags"], json!(["prod", "k8s", format!("k8s:{id}")]));
    assert_eq!(
        u["maintenance_policy"],
        json!({"start_time": "03:00", "day": "sunday", "duration": "4h0m0s"})
    );
    assert_eq!(
        (u["auto_upgrade"].as_bool(), u["ha"].as_bool()),
        (Some(true), Some(true))
    );
    h.call(
        Method::PUT,
        &cluster_path(&id),
        Some(json!({"name": "upd2", "ha": false})),
    )
    .await
    .error(422, "unprocessable_entity");
    h.call(Method::PUT, &cluster_path(&id), Some(json!({"tags": []})))
        .await
        .error(422, "unprocessable_entity");

    let options = h.get("/v2/kubernetes/options").await.json();
    let latest = options["options"]["versions"][0]["slug"].as_str().unwrap().to_owned();
    assert!(
        options["options"]["regions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["slug"] == "fra1")
    );
    assert!(
        options["options"]["sizes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["slug"] == "s-2vcpu-4gb")
    );
    let mut body = cluster_body("latest");
    body["version"] = json!("latest");
    let c = h.call(Method::POST, "/v2/kubernetes/clusters", Some(body)).await.json();
    assert_eq!(c["kubernetes_cluster"]["version"], latest);
}

#[tokio::test]
async fn rate_limit_answers_429_with_retry_after() {
    let h = Harness::new(StandinConfig {
        provision_delay: Duration::from_secs(60),
        rate_limit: Some(RateLimitConfig {
            per_minute: 3,
            per_hour: 100,
        }),
        ..Default::default()
    })
    .await;
    let mut remaining = Vec::new();
    for _ in 0..3 {
        let a = h.get("/v2/kubernetes/options").await;
        assert_eq!(a.status, 200);
        assert_eq!(a.header_u64("ratelimit-limit"), 100);
        remaining.push(a.header_u64("ratelimit-remaining"));
        assert!(a.header("retry-after").is_none());
    }
    assert_eq!(remaining, [99, 98, 97]);
    let a = h.get("/v2/kubernetes/options").await;
    let body = a.error(429, "too_many_requests");
    assert_eq!(body["message"], "API rate limit exceeded.");
    assert_eq!(a.header_u64("ratelimit-remaining"), 0);
    let retry_after = a.header_u64("retry-after");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let reset = a.header_u64("ratelimit-reset");
    assert!(reset > now + 3500 && reset <= now + 3601, "reset {reset} vs now {now}");
    assert_eq!(h.standin.count_rate_limited(), 1);
    assert_eq!(h.standin.requests().last().unwrap().status, 429);

    // Limits are per token.
    let other = h
        .call_as(Some("another-token"), Method::GET, "/v2/kubernetes/options", None)
        .await;
    assert_eq!((other.status, other.header_u64("ratelimit-remaining")), (200, 99));

    // The hourly limit answers 429 without retry-after.
    h.standin.set_rate_limit(Some(RateLimitConfig {
        per_minute: 100,
        per_hour: 2,
    }));
    for _ in 0..2 {
        assert_eq!(h.get("/v2/kubernetes/options").await.status, 200);
    }
    let a = h.get("/v2/kubernetes/options").await;
    a.error(429, "too_many_requests");
    assert!(a.header("retry-after").is_none());
    assert_eq!(h.standin.count_rate_limited(), 2);

    // Unlimited: still the headers, never a 429.
    h.standin.set_rate_limit(None);
    for _ in 0..20 {
        let a = h.get("/v2/kubernetes/options").await;
        assert_eq!((a.status, a.header_u64("ratelimit-remaining")), (200, 5000));
    }
}

#[tokio::test]
async fn faults_are_consumed_in_order() {
    let h = Harness::quiet().await;
    let path = "/v2/kubernetes/clusters";

    h.standin.inject(Fault::on(
        "create_cluster",
        FaultKind::TooManyRequests { retry_after_secs: 7 },
    ));
    let a = h.call(Method::POST, path, Some(cluster_body("f1"))).await;
    a.error(429, "too_many_requests");
    assert_eq!(
        (a.header_u64("retry-after"), a.header_u64("ratelimit-remaining")),
        (7, 0)
    );
    assert!(h.standin.clusters().is_empty(), "not processed");

    h.standin.inject(Fault {
        operation: Some("create_cluster".into()),
        times: 2,
        kind: FaultKind::ServerError { status: 503 },
    });
    h.call(Method::POST, path, Some(cluster_body("f1")))
        .await
        .error(503, "service_unavailable");
    // A fault for another operation is not consumed by this one.
    assert_eq!(h.get(path).await.status, 200);
    h.call(Method::POST, path, Some(cluster_body("f1")))
        .await
        .error(503, "service_unavailable");
    assert_eq!(h.standin.pending_faults(), 0);

    h.standin.inject(Fault::on(
        "create_cluster",
        FaultKind::Error {
            status: 422,
            id: "unprocessable_entity".into(),
            message: "region is not available".into(),
        },
    ));
    let a = h.call(Method::POST, path, Some(cluster_body("f1"))).await;
    assert_eq!(
        a.error(422, "unprocessable_entity")["message"],
        "region is not available"
    );

    // A lost response: the cluster is created, the client sees 500.
    h.standin
        .inject(Fault::on("create_cluster", FaultKind::ProcessThenFail { status: 500 }));
    h.call(Method::POST, path, Some(cluster_body("f1")))
        .await
        .error(500, "server_error");
    let clusters = h.standin.clusters();
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0].name, "f1");

    // Latency delays, then processes normally.
    h.standin
        .inject(Fault::any(FaultKind::Latency(Duration::from_millis(300))));
    let started = std::time::Instant::now();
    let a = h.get(&cluster_path(&clusters[0].id)).await;
    assert_eq!(a.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // Order: the first matching fault is used first.
    h.standin
        .inject(Fault::on("get_cluster", FaultKind::ServerError { status: 500 }));
    h.standin.inject(Fault::any(FaultKind::ServerError { status: 502 }));
    h.get(&cluster_path(&clusters[0].id)).await.error(500, "server_error");
    h.get(&cluster_path(&clusters[0].id)).await.error(502, "bad_gateway");
    assert_eq!(h.get(&cluster_path(&clusters[0].id)).await.status, 200);
    assert_eq!(h.standin.count("create_cluster"), 5);
}

#[tokio::test]
async fn wrong_or_missing_token_is_401() {
    let h = Harness::quiet().await;
    let a = h
        .call_as(Some("dop_v1_wrong"), Method::GET, "/v2/kubernetes/clusters", None)
        .await;
    assert_eq!(a.error(401, "unauthorized")["message"], "Unable to authenticate you.");
    assert!(a.header("ratelimit-limit").is_some());
    h.call_as(None, Method::POST, "/v2/kubernetes/clusters", Some(cluster_body("x")))
        .await
        .error(401, "unauthorized");
    assert!(h.standin.clusters().is_empty());
    assert_eq!(h.get("/v2/kubernetes/clusters").await.status, 200);
    let statuses: Vec<u16> = h.standin.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [401, 401, 200]);
}

#[tokio::test]
async fn shutdown_stops_serving_and_state_is_shared() {
    let h = Harness::quiet().await;
    h.create("shared").await;
    // A second server on the same state sees the same clusters.
    let second = h
        .standin
        .clone()
        .serve(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let list: Value = h
        .http
        .get(format!("{}/v2/kubernetes/clusters", second.base_url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["meta"]["total"], 1);
    let url = second.base_url();
    second.shutdown().await;
    let fresh = http_client();
    assert!(fresh.get(format!("{url}/v2/kubernetes/options")).send().await.is_err());
    assert_eq!(h.standin.request_count(), 2);
}

#[tokio::test(start_paused = true)]
async fn upgrades_offer_newer_versions_and_run_through_upgrading() {
    let standin = DoStandin::new(StandinConfig {
        provision_delay: Duration::from_secs(10),
        delete_delay: Duration::ZERO,
        upgrade_delay: Duration::from_secs(60),
        rate_limit: None,
        token: None,
    });
    let server = standin.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let addr = server.local_addr();
    let (status, _, body) = raw(addr, "t", "POST", "/v2/kubernetes/clusters", Some(cluster_body("up"))).await;
    assert_eq!(status, 201, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let id = created["kubernetes_cluster"]["id"].as_str().unwrap().to_owned();
    let upgrades = format!("{}/upgrades", cluster_path(&id));
    let upgrade = format!("{}/upgrade", cluster_path(&id));
    let offered = |body: &str| -> Value {
        let v: Value = serde_json::from_str(body).unwrap();
        v["available_upgrade_versions"].clone()
    };

    // 1.33.1: the newer 1.33 patch and the next minor version, newest first; nothing older.
    let (status, _, body) = raw(addr, "t", "GET", &upgrades, None).await;
    assert_eq!(status, 200, "{body}");
    let versions = offered(&body);
    let slugs: Vec<&str> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["slug"].as_str().unwrap())
        .collect();
    assert_eq!(slugs, ["1.34.1-do.0", "1.33.5-do.0"]);
    assert_eq!(versions[0]["kubernetes_version"], "1.34.1");

    // Not while provisioning; not to a version that is not offered; a version is required.
    let to = |v: &str| Some(json!({ "version": v }));
    let (status, _, body) = raw(addr, "t", "POST", &upgrade, to("1.34.1-do.0")).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("provisioning"), "{body}");
    tokio::time::advance(Duration::from_secs(11)).await;
    let (status, _, body) = raw(addr, "t", "POST", &upgrade, to("1.32.9-do.0")).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body.contains("not an available upgrade") && body.contains("1.34.1-do.0"),
        "{body}"
    );
    let (status, _, body) = raw(addr, "t", "POST", &upgrade, Some(json!({}))).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("version is required"), "{body}");

    // Accepted: 202 without a body, then upgrading at the old version, nothing more offered.
    let (status, _, body) = raw(addr, "t", "POST", &upgrade, to("1.34.1-do.0")).await;
    assert_eq!((status, body.as_str()), (202, ""));
    let (_, _, body) = raw(addr, "t", "GET", &cluster_path(&id), None).await;
    let c: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(c["kubernetes_cluster"]["status"]["state"], "upgrading");
    assert_eq!(c["kubernetes_cluster"]["version"], "1.33.1-do.0");
    assert_eq!(standin.clusters()[0].state, "upgrading");
    let (_, _, body) = raw(addr, "t", "GET", &upgrades, None).await;
    assert!(offered(&body).is_null(), "{body}");
    let (status, _, body) = raw(addr, "t", "POST", &upgrade, to("1.33.5-do.0")).await;
    assert_eq!(status, 422, "{body}");
    assert!(body.contains("already being upgraded"), "{body}");

    // Done: running at the new version, which is the newest, so no upgrade is offered.
    tokio::time::advance(Duration::from_secs(61)).await;
    let (_, _, body) = raw(addr, "t", "GET", &cluster_path(&id), None).await;
    let c: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(c["kubernetes_cluster"]["status"]["state"], "running");
    assert_eq!(c["kubernetes_cluster"]["version"], "1.34.1-do.0");
    assert_eq!(standin.clusters()[0].version, "1.34.1-do.0");
    let (_, _, body) = raw(addr, "t", "GET", &upgrades, None).await;
    assert!(offered(&body).is_null(), "{body}");

    // Unknown clusters and wrong methods.
    let unknown = cluster_path("bd5f5959-5e1e-4205-a714-a914373942af");
    let (status, _, _) = raw(addr, "t", "GET", &format!("{unknown}/upgrades"), None).await;
    assert_eq!(status, 404);
    let (status, _, _) = raw(addr, "t", "POST", &format!("{unknown}/upgrade"), to("1.34.1-do.0")).await;
    assert_eq!(status, 404);
    let (status, head, _) = raw(addr, "t", "GET", &upgrade, None).await;
    assert_eq!(status, 405);
    assert_eq!(
        head_value(&head, "allow").as_deref(),
        Some("post"),
        "the head is lower-cased"
    );
    assert_eq!(standin.count("get_available_upgrades"), 4);
    assert_eq!(standin.count("upgrade_cluster"), 6, "the 405 is recorded as unknown");
    server.shutdown().await;
}
