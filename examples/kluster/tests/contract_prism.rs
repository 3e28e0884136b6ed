//! Contract tests: reqwest → `prism proxy --errors` (the official DOKS contract) → the stand-in.
//!
//! Prism refuses a request that breaks the contract (422 `application/problem+json`) and replaces a
//! response that breaks it (500 `application/problem+json`). So when an answer arrives with the
//! stand-in's own status, its `x-request-id` and no `sl-violations` header, both the request and
//! the stand-in's response conform to the contract.

#[path = "support/prism.rs"]
mod prism;

use kluster::standin::{DoStandin, Fault, FaultKind, RateLimitConfig, StandinConfig, StandinServer};
use prism::{PrismProxy, start_prism_proxy};
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "dop_v1_contract_test";
const UNKNOWN_ID: &str = "bd5f5959-5e1e-4205-a714-a914373942af";

fn http_client() -> reqwest::Client {
    // reqwest is built with `rustls-no-provider`; building a client needs a provider even for http://.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

#[derive(Debug)]
struct Answer {
    status: u16,
    headers: HeaderMap,
    text: String,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    fn is_problem(&self) -> bool {
        self.header("content-type")
            .is_some_and(|ct| ct.starts_with("application/problem+json"))
    }
}

/// The stand-in behind Prism.
struct Contract {
    standin: DoStandin,
    _server: StandinServer,
    proxy: PrismProxy,
    http: reqwest::Client,
}

impl Contract {
    async fn new(config: StandinConfig) -> Contract {
        let standin = DoStandin::new(config);
        let server = standin.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let proxy = start_prism_proxy(&server.base_url()).await;
        Contract {
            standin,
            _server: server,
            proxy,
            http: http_client(),
        }
    }

    async fn send(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self
            .http
            .request(method, format!("{}{path}", self.proxy.base_url()))
            .bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("{e}\nprism:\n{}", self.proxy.logs()));
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let text = res.text().await.unwrap();
        Answer { status, headers, text }
    }

    /// Sends through Prism and asserts the answer is the stand-in's own, with `status`, unchanged
    /// by Prism: proof that request and response conform to the contract.
    async fn expect(&self, method: Method, path: &str, body: Option<Value>, status: u16) -> Answer {
        self.expect_as(TOKEN, method, path, body, status).await
    }

    async fn expect_as(&self, token: &str, method: Method, path: &str, body: Option<Value>, status: u16) -> Answer {
        let before = self.standin.request_count();
        let answer = self.send(token, method.clone(), path, body).await;
        let context = || format!("{method} {path}: {answer:?}\nprism:\n{}", tail(&self.proxy.logs()));
        assert!(
            !answer.is_problem(),
            "Prism flagged a contract violation: {}",
            context()
        );
        assert!(answer.header("sl-violations").is_none(), "{}", context());
        assert_eq!(answer.status, status, "{}", context());
        let recorded = self.standin.requests();
        assert_eq!(recorded.len(), before + 1, "the stand-in answered it: {}", context());
        let last = recorded.last().unwrap();
        assert_eq!(last.status, status, "{}", context());
        assert_eq!(
            answer.header("x-request-id"),
            Some(last.request_id.as_str()),
            "{}",
            context()
        );
        for h in ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"] {
            let v = answer.header(h).unwrap_or_else(|| panic!("{h} missing: {}", context()));
            v.parse::<u64>()
                .unwrap_or_else(|_| panic!("{h} not an integer: {}", context()));
        }
        if status >= 400 {
            let body = answer.json();
            assert!(body["id"].is_string() && body["message"].is_string(), "{}", context());
        }
        answer
    }

    async fn create(&self, body: Value) -> Value {
        let a = self
            .expect(Method::POST, "/v2/kubernetes/clusters", Some(body), 201)
            .await;
        a.json()["kubernetes_cluster"].clone()
    }

    async fn wait_running(&self, id: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let c = self.expect(Method::GET, &cluster_path(id), None, 200).await.json();
            if c["kubernetes_cluster"]["status"]["state"] == "running" {
                return c["kubernetes_cluster"].clone();
            }
            assert!(tokio::time::Instant::now() < deadline, "never running: {c}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn tail(logs: &str) -> String {
    let lines: Vec<&str> = logs.lines().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

fn cluster_path(id: &str) -> String {
    format!("/v2/kubernetes/clusters/{id}")
}

fn basic_cluster(name: &str) -> Value {
    json!({
        "name": name,
        "region": "nyc1",
        "version": "1.33.1-do.0",
        "node_pools": [{ "size": "s-1vcpu-2gb", "count": 3, "name": "worker-pool" }],
    })
}

fn no_limits() -> StandinConfig {
    StandinConfig {
        provision_delay: Duration::from_millis(300),
        delete_delay: Duration::from_millis(300),
        upgrade_delay: Duration::from_millis(300),
        rate_limit: None,
        token: Some(TOKEN.into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_conforms_to_the_contract() {
    let c = Contract::new(no_limits()).await;

    c.expect(Method::GET, "/v2/kubernetes/options", None, 200).await;

    // Creates: the contract's own examples, plus one with most optional settings.
    let basic = c.create(basic_cluster("prod-cluster-01")).await;
    assert_eq!(basic["status"]["state"], "provisioning");
    let multi = c
        .create(json!({
            "name": "multi",
            "region": "nyc1",
            "version": "latest",
            "isolated_workers": false,
            "tags": ["production", "web-team"],
            "node_pools": [
                { "size": "s-1vcpu-2gb", "count": 3, "name": "frontend-pool", "tags": ["frontend"] },
                { "size": "g-4vcpu-16gb", "count": 2, "name": "backend-pool",
                  "labels": { "service": "backend", "priority": "high" },
                  "auto_scale": true, "min_nodes": 2, "max_nodes": 5 },
            ],
            "maintenance_policy": { "start_time": "12:00", "day": "any" },
        }))
        .await;
    let full = c
        .create(json!({
            "name": "full",
            "region": "fra1",
            "version": "1.33",
            "vpc_uuid": "c33931f2-a26a-4e61-b85c-4e95a2ec431b",
            "worker_subnet_uuid": "cbd79771-23eb-49be-b5ea-59cc56222622",
            "cluster_subnet": "192.168.0.0/20",
            "service_subnet": "192.168.16.0/24",
            "auto_upgrade": true,
            "surge_upgrade": true,
            "ha": true,
            "maintenance_policy": null,
            "control_plane_firewall": { "enabled": true, "allowed_addresses": ["1.2.3.4/32"] },
            "cluster_autoscaler_configuration": { "scale_down_utilization_threshold": 0.65, "scale_down_unneeded_time": "1m0s", "expanders": ["priority"] },
            "sso": { "enabled": true, "required": false, "issuer_url": "https://sso.example.com", "client_id": "doks" },
            "routing_agent": { "enabled": true },
            "nvidia_gpu_device_plugin": { "enabled": false },
            "coredns_autoscaler": { "enabled": true },
            "node_pools": [{
                "name": "tainted", "size": "s-2vcpu-4gb", "count": 1, "tags": ["t"], "labels": null,
                "taints": [{ "key": "priority", "value": "high", "effect": "NoSchedule" }],
            }],
        }))
        .await;
    let (basic_id, multi_id, full_id) = (
        basic["id"].as_str().unwrap().to_owned(),
        multi["id"].as_str().unwrap().to_owned(),
        full["id"].as_str().unwrap().to_owned(),
    );

    // Get: provisioning, then running (endpoint, ipv4, named nodes).
    c.expect(Method::GET, &cluster_path(&basic_id), None, 200).await;
    let running = c.wait_running(&basic_id).await;
    assert!(running["endpoint"].as_str().unwrap().starts_with("https://"));
    let running_full = c.wait_running(&full_id).await;
    assert_eq!(running_full["ipv4"], "", "no ipv4 for an HA cluster");

    // List: one page, then paginated.
    let all = c.expect(Method::GET, "/v2/kubernetes/clusters", None, 200).await.json();
    assert_eq!(all["meta"]["total"], 3);
    for page in 1..=3 {
        let p = c
            .expect(
                Method::GET,
                &format!("/v2/kubernetes/clusters?page={page}&per_page=1"),
                None,
                200,
            )
            .await
            .json();
        assert_eq!(p["kubernetes_clusters"].as_array().unwrap().len(), 1);
    }
    c.expect(Method::GET, "/v2/kubernetes/clusters?page=7&per_page=200", None, 200)
        .await;

    // Update.
    let updated = c
        .expect(
            Method::PUT,
            &cluster_path(&multi_id),
            Some(json!({
                "name": "multi-renamed",
                "tags": ["k8s", format!("k8s:{multi_id}"), "production"],
                "maintenance_policy": { "start_time": "03:00", "day": "sunday" },
                "auto_upgrade": true,
                "surge_upgrade": false,
                "control_plane_firewall": { "enabled": false, "allowed_addresses": [] },
            })),
            202,
        )
        .await
        .json();
    assert_eq!(updated["kubernetes_cluster"]["name"], "multi-renamed");

    // Kubeconfig, credentials, status messages.
    let kc = c
        .expect(
            Method::GET,
            &format!("{}/kubeconfig", cluster_path(&basic_id)),
            None,
            200,
        )
        .await;
    assert_eq!(kc.header("content-type"), Some("application/yaml"));
    assert!(
        kc.text
            .contains(&format!("server: https://{basic_id}.k8s.ondigitalocean.com"))
    );
    let kc_query = format!("{}/kubeconfig?expiry_seconds=300&type=token", cluster_path(&basic_id));
    c.expect(Method::GET, &kc_query, None, 200).await;
    let kc_sso = format!("{}/kubeconfig?type=sso", cluster_path(&basic_id));
    c.expect(Method::GET, &kc_sso, None, 200).await;
    let creds = format!("{}/credentials?expiry_seconds=0", cluster_path(&basic_id));
    c.expect(Method::GET, &creds, None, 200).await;
    let messages = format!("{}/status_messages?since=2018-11-15T16:00:11Z", cluster_path(&basic_id));
    c.expect(Method::GET, &messages, None, 200).await;

    // Node pools.
    let pools = format!("{}/node_pools", cluster_path(&basic_id));
    c.expect(Method::GET, &pools, None, 200).await;
    let added = c
        .expect(
            Method::POST,
            &pools,
            Some(json!({
                "size": "s-1vcpu-2gb", "count": 3, "name": "new-pool", "tags": ["frontend"],
                "auto_scale": true, "min_nodes": 3, "max_nodes": 6,
            })),
            201,
        )
        .await
        .json();
    let pool_id = added["node_pool"]["id"].as_str().unwrap().to_owned();
    let pool_path = format!("{pools}/{pool_id}");
    c.expect(Method::GET, &pool_path, None, 200).await;
    let resized = c
        .expect(
            Method::PUT,
            &pool_path,
            Some(json!({
                "name": "renamed-pool", "count": 4, "tags": ["frontend", "new-tag"],
                "labels": { "tier": "web" }, "taints": [{ "key": "a", "value": "b", "effect": "NoExecute" }],
                "auto_scale": true, "min_nodes": 3, "max_nodes": 6,
            })),
            202,
        )
        .await
        .json();
    let node_id = resized["node_pool"]["nodes"][0]["id"].as_str().unwrap().to_owned();
    let node_path = format!("{pool_path}/nodes/{node_id}?skip_drain=1&replace=1");
    let a = c.expect(Method::DELETE, &node_path, None, 202).await;
    assert!(a.text.is_empty());
    let a = c.expect(Method::DELETE, &pool_path, None, 204).await;
    assert!(a.text.is_empty());

    // Associated resources and the destroy variants.
    let assoc = format!("{}/destroy_with_associated_resources", cluster_path(&multi_id));
    c.expect(Method::GET, &assoc, None, 200).await;
    let selective = Some(
        json!({ "load_balancers": [], "volumes": ["ba49449a-7435-11ea-b89e-0a58ac14480f"], "volume_snapshots": [] }),
    );
    c.expect(Method::DELETE, &format!("{assoc}/selective"), selective, 204)
        .await;
    let dangerous = format!("{}/destroy_with_associated_resources/dangerous", cluster_path(&full_id));
    c.expect(Method::DELETE, &dangerous, None, 204).await;

    // Upgrades: the versions offered, an accepted upgrade, then none offered while it runs.
    let upgrades = format!("{}/upgrades", cluster_path(&basic_id));
    let offered = c.expect(Method::GET, &upgrades, None, 200).await.json();
    let first = offered["available_upgrade_versions"][0]["slug"]
        .as_str()
        .unwrap()
        .to_owned();
    let a = c
        .expect(
            Method::POST,
            &format!("{}/upgrade", cluster_path(&basic_id)),
            Some(json!({ "version": first })),
            202,
        )
        .await;
    assert!(a.text.is_empty());
    let none = c.expect(Method::GET, &upgrades, None, 200).await.json();
    assert!(none["available_upgrade_versions"].is_null(), "{none}");

    // Delete: 204, deleting, then 404.
    c.expect(Method::DELETE, &cluster_path(&basic_id), None, 204).await;
    let deleting = c.expect(Method::GET, &cluster_path(&basic_id), None, 200).await.json();
    assert_eq!(deleting["kubernetes_cluster"]["status"]["state"], "deleting");
    c.expect(Method::GET, "/v2/kubernetes/clusters", None, 200).await;
    tokio::time::sleep(Duration::from_millis(400)).await;
    c.expect(Method::GET, &cluster_path(&basic_id), None, 404).await;
    c.expect(Method::DELETE, &cluster_path(&basic_id), None, 404).await;
    let empty = c.expect(Method::GET, "/v2/kubernetes/clusters", None, 200).await.json();
    assert_eq!(empty["meta"]["total"], 0);

    // Every operation was exercised through Prism.
    for op in kluster::standin::OPERATIONS {
        assert!(c.standin.count(op) >= 1, "{op} was not exercised");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_and_rate_limited_answers_conform_to_the_contract() {
    let c = Contract::new(no_limits()).await;
    let id = c.create(basic_cluster("errors")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let pool = format!("{}/node_pools/{UNKNOWN_ID}", cluster_path(&id));

    // 404 on every kind of path.
    let unknown = cluster_path(UNKNOWN_ID);
    c.expect(Method::GET, &unknown, None, 404).await;
    c.expect(Method::PUT, &unknown, Some(json!({"name": "x"})), 404).await;
    c.expect(Method::DELETE, &unknown, None, 404).await;
    c.expect(Method::GET, &format!("{unknown}/kubeconfig"), None, 404).await;
    c.expect(Method::GET, &format!("{unknown}/credentials"), None, 404)
        .await;
    c.expect(Method::GET, &format!("{unknown}/node_pools"), None, 404).await;
    c.expect(Method::GET, &pool, None, 404).await;
    c.expect(Method::PUT, &pool, Some(json!({"name": "p", "count": 1})), 404)
        .await;
    c.expect(Method::DELETE, &pool, None, 404).await;
    c.expect(Method::DELETE, &format!("{pool}/nodes/{UNKNOWN_ID}"), None, 404)
        .await;
    c.expect(Method::GET, &format!("{unknown}/upgrades"), None, 404).await;
    c.expect(
        Method::POST,
        &format!("{unknown}/upgrade"),
        Some(json!({"version": "1.34.1-do.0"})),
        404,
    )
    .await;

    // 422 from the stand-in for what the schema allows but the API refuses.
    let mut empty_pools = basic_cluster("bad");
    empty_pools["node_pools"] = json!([]);
    c.expect(Method::POST, "/v2/kubernetes/clusters", Some(empty_pools), 422)
        .await;
    let mut zero = basic_cluster("bad");
    zero["node_pools"][0]["count"] = json!(0);
    c.expect(Method::POST, "/v2/kubernetes/clusters", Some(zero), 422).await;
    c.expect(
        Method::POST,
        "/v2/kubernetes/clusters",
        Some(basic_cluster("errors")),
        422,
    )
    .await;
    let pools = format!("{}/node_pools", cluster_path(&id));
    c.expect(
        Method::POST,
        &pools,
        Some(json!({"name": "p", "size": "s", "count": 0})),
        422,
    )
    .await;
    let only_pool = c.standin.cluster(&id).unwrap().node_pools[0].id.clone();
    c.expect(Method::DELETE, &format!("{pools}/{only_pool}"), None, 422)
        .await;
    c.expect(
        Method::POST,
        &format!("{}/upgrade", cluster_path(&id)),
        Some(json!({"version": "1.31.13-do.0"})),
        422,
    )
    .await;
    c.expect(
        Method::GET,
        "/v2/kubernetes/clusters?page=99999999999999999999",
        None,
        400,
    )
    .await;

    // 401 from the stand-in for a wrong token (Prism only checks that there is a bearer token).
    let a = c
        .expect_as("dop_v1_wrong", Method::GET, "/v2/kubernetes/clusters", None, 401)
        .await;
    assert_eq!(a.json()["id"], "unauthorized");

    // Injected faults.
    c.standin
        .inject(Fault::on("get_cluster", FaultKind::ServerError { status: 500 }));
    c.expect(Method::GET, &cluster_path(&id), None, 500).await;
    c.standin
        .inject(Fault::on("list_clusters", FaultKind::ServerError { status: 503 }));
    c.expect(Method::GET, "/v2/kubernetes/clusters", None, 503).await;
    c.standin
        .inject(Fault::on("get_kubeconfig", FaultKind::ServerError { status: 500 }));
    c.expect(Method::GET, &format!("{}/kubeconfig", cluster_path(&id)), None, 500)
        .await;
    c.standin.inject(Fault::on(
        "update_node_pool",
        FaultKind::Error {
            status: 409,
            id: "conflict".into(),
            message: "the pool is being resized".into(),
        },
    ));
    let pool_path = format!("{pools}/{only_pool}");
    c.expect(
        Method::PUT,
        &pool_path,
        Some(json!({"name": "worker-pool", "count": 2})),
        409,
    )
    .await;
    c.standin
        .inject(Fault::on("create_cluster", FaultKind::ProcessThenFail { status: 500 }));
    c.expect(
        Method::POST,
        "/v2/kubernetes/clusters",
        Some(basic_cluster("lost")),
        500,
    )
    .await;
    assert!(c.standin.clusters().iter().any(|c| c.name == "lost"));
    c.standin
        .inject(Fault::any(FaultKind::TooManyRequests { retry_after_secs: 3 }));
    let a = c.expect(Method::GET, "/v2/kubernetes/options", None, 429).await;
    assert_eq!(a.header("retry-after"), Some("3"), "Prism passes retry-after through");
    assert_eq!(a.json()["id"], "too_many_requests");
    c.standin.inject(Fault::on(
        "delete_cluster",
        FaultKind::Latency(Duration::from_millis(50)),
    ));
    c.expect(Method::DELETE, &cluster_path(&id), None, 204).await;

    // The rate limiter's own 429s (the windows start empty after `set_rate_limit`).
    c.standin.set_rate_limit(Some(RateLimitConfig {
        per_minute: 3,
        per_hour: 100,
    }));
    let id = c.create(basic_cluster("limited")).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    c.expect(Method::GET, &cluster_path(&id), None, 200).await;
    let a = c.expect(Method::GET, "/v2/kubernetes/clusters", None, 200).await;
    assert_eq!(a.header("ratelimit-remaining"), Some("97"));
    for path in [
        cluster_path(&id),
        "/v2/kubernetes/clusters".to_owned(),
        format!("{}/node_pools", cluster_path(&id)),
    ] {
        let a = c.expect(Method::GET, &path, None, 429).await;
        assert_eq!(a.json()["message"], "API rate limit exceeded.");
        assert_eq!(a.header("ratelimit-remaining"), Some("0"));
        let retry_after: u64 = a.header("retry-after").expect("retry-after").parse().unwrap();
        assert!((1..=60).contains(&retry_after));
    }
    let a = c
        .expect(
            Method::POST,
            "/v2/kubernetes/clusters",
            Some(basic_cluster("other")),
            429,
        )
        .await;
    assert!(a.header("retry-after").is_some());
    assert_eq!(c.standin.count_rate_limited(), 5, "one injected, four from the limiter");
    assert!(!c.standin.clusters().iter().any(|c| c.name == "other"));
}

/// The harness catches violations in both directions: a bad request never reaches the stand-in,
/// and a bad response is replaced by Prism's 500.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prism_catches_contract_violations() {
    // A deliberately broken upstream: a number for `id`, a state outside the enum, no region.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let upstream = format!("http://{}", listener.local_addr().unwrap());
    let forwarded = Arc::new(AtomicUsize::new(0));
    let counter = forwarded.clone();
    tokio::spawn(async move {
        let body = r#"{"kubernetes_cluster":{"id":12345,"name":"x","version":"1.33.1-do.0","node_pools":[],"status":{"state":"ready"}}}"#;
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = vec![0u8; 8192];
            let _ = stream.read(&mut buf).await;
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
        }
    });
    let proxy = start_prism_proxy(&upstream).await;
    let http = http_client();
    let send = |method: Method, path: &str, body: Option<Value>| {
        let mut req = http
            .request(method, format!("{}{path}", proxy.base_url()))
            .bearer_auth(TOKEN);
        if let Some(body) = body {
            req = req.json(&body);
        }
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            Answer {
                status,
                headers,
                text: res.text().await.unwrap(),
            }
        }
    };

    // Bad requests get Prism's 422 problem+json and are not forwarded.
    let mut no_region = basic_cluster("x");
    no_region.as_object_mut().unwrap().remove("region");
    let a = send(Method::POST, "/v2/kubernetes/clusters", Some(no_region)).await;
    assert_eq!(a.status, 422, "{a:?}");
    assert!(a.is_problem(), "{a:?}");
    let problem = a.json();
    let validation = problem["validation"].as_array().expect("a validation array");
    assert!(
        validation
            .iter()
            .any(|v| v["message"].as_str().unwrap_or("").contains("region")),
        "{problem}"
    );
    let a = send(Method::GET, "/v2/kubernetes/clusters?per_page=500", None).await;
    assert!(a.status == 422 && a.is_problem(), "{a:?}");
    let a = send(Method::GET, "/v2/kubernetes/clusters/not-a-uuid", None).await;
    assert!(a.status == 422 && a.is_problem(), "{a:?}");
    let a = send(Method::POST, "/v2/kubernetes/clusters", Some(json!({"name": 5}))).await;
    assert!(a.status == 422 && a.is_problem(), "{a:?}");
    assert_eq!(forwarded.load(Ordering::SeqCst), 0, "bad requests are not forwarded");

    // A bad response is replaced by Prism's 500 problem+json listing the violations.
    let a = send(Method::GET, &cluster_path(UNKNOWN_ID), None).await;
    assert_eq!(forwarded.load(Ordering::SeqCst), 1);
    assert_eq!(a.status, 500, "{a:?}");
    assert!(a.is_problem(), "{a:?}");
    let problem = a.json();
    assert!(problem["type"].as_str().unwrap().ends_with("VIOLATIONS"), "{problem}");
    let messages = problem["validation"].to_string();
    for expected in ["region", "string", "allowed values"] {
        assert!(messages.contains(expected), "{expected:?} not flagged: {problem}");
    }
}
