//! Operator benchmarks: throughput and pacing (figures in README).
//!
//! The operator runs as its own process (the release `kluster` binary), so its peak RSS is its
//! own; kgen's fake API server (served on 127.0.0.1) and the DigitalOcean stand-in run in this
//! process.
//!
//! ```text
//! cargo bench -p kluster --bench operator                 # both scenarios
//! cargo bench -p kluster --bench operator -- throughput   # 500 Klusters, limits out of the way
//! cargo bench -p kluster --bench operator -- pacing       # 300 Klusters, DigitalOcean's real limits
//! ```
//! `KLUSTER_BENCH_N` overrides the number of Klusters.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kluster::api::v1beta1::{Kluster, KlusterSpec, NodePool, Progress, SecretKeyRef, TokenSource};
use kluster::standin::{DoStandin, RateLimitConfig, StandinConfig};
use kube::api::{Api, DeleteParams, ListParams, PostParams};

const TOKEN: &str = "dop_v1_bench";

struct Scenario {
    name: &'static str,
    klusters: usize,
    provision_delay: Duration,
    standin_limits: Option<RateLimitConfig>,
    operator_args: Vec<String>,
    timeout: Duration,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let filter: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let n = |default: usize| {
        std::env::var("KLUSTER_BENCH_N")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let scenarios = [
        Scenario {
            name: "throughput",
            klusters: n(500),
            provision_delay: Duration::from_secs(2),
            standin_limits: None,
            operator_args: args(&[
                "--workers=32",
                "--poll-min=1s",
                "--poll-max=5s",
                "--digitalocean-requests-per-minute=1000000",
                "--digitalocean-requests-per-hour=1000000",
            ]),
            timeout: Duration::from_secs(300),
        },
        Scenario {
            name: "pacing",
            klusters: n(300),
            provision_delay: Duration::from_secs(2),
            standin_limits: Some(RateLimitConfig {
                per_minute: 250,
                per_hour: 5000,
            }),
            operator_args: args(&["--workers=16", "--poll-min=5s", "--poll-max=60s"]),
            timeout: Duration::from_secs(1800),
        },
    ];
    println!(
        "| scenario | Klusters | all Running | requests/Kluster (create) | all deleted | requests/Kluster (delete) | 429s | operator peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for scenario in scenarios
        .iter()
        .filter(|s| filter.is_empty() || filter.iter().any(|f| f == s.name))
    {
        run(scenario).await;
    }
}

fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

async fn run(s: &Scenario) {
    let api_server: kgen_fake::FakeApiServer = kluster::generated::fake_api_server();
    let (api_addr, _api_handle) = api_server.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
    let standin = DoStandin::new(StandinConfig {
        provision_delay: s.provision_delay,
        delete_delay: Duration::from_millis(500),
        upgrade_delay: Duration::from_secs(2),
        rate_limit: s.standin_limits.clone(),
        token: Some(TOKEN.to_string()),
    });
    let standin_server = standin.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();

    let dir = tempfile_dir();
    let kubeconfig = dir.join("kubeconfig");
    std::fs::write(&kubeconfig, format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{api_addr}\nusers:\n- name: fake\n  user: {{}}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: fake\ncurrent-context: fake\n"
    ))
    .unwrap();
    let mut operator = Command::new(env!("CARGO_BIN_EXE_kluster"))
        .arg(format!("--kubeconfig={}", kubeconfig.display()))
        .arg(format!("--digitalocean-url={}", standin_server.base_url()))
        .arg("--health-port=0")
        .args(&s.operator_args)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the kluster binary starts");

    let client = api_server.client();
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "default");
    let secret: Secret =
        serde_json::from_value(serde_json::json!({"metadata": {"name": "do-token"}, "stringData": {"token": TOKEN}}))
            .unwrap();
    secrets.create(&PostParams::default(), &secret).await.unwrap();
    let klusters: Api<Kluster> = Api::namespaced(client.clone(), "default");

    let started = Instant::now();
    for i in 0..s.klusters {
        klusters.create(&PostParams::default(), &kluster(i)).await.unwrap();
    }
    let running_after = wait(&klusters, s.timeout, started, &mut operator, |items| {
        items
            .iter()
            .filter(|k| k.status.as_ref().and_then(|st| st.progress) == Some(Progress::Running))
            .count()
            == s.klusters
    })
    .await;
    let create_requests = standin.request_count();

    let deleting = Instant::now();
    for i in 0..s.klusters {
        klusters
            .delete(&format!("bench-{i}"), &DeleteParams::default())
            .await
            .unwrap();
    }
    let deleted_after = wait(&klusters, s.timeout, deleting, &mut operator, |items| items.is_empty()).await;
    let delete_requests = standin.request_count() - create_requests;
    assert!(standin.clusters().is_empty(), "every cluster is gone at the stand-in");
    let rss = peak_rss_kib(operator.id());
    let _ = operator.kill();
    let _ = operator.wait();

    let per = |r: usize| r as f64 / s.klusters as f64;
    println!(
        "| {} | {} | {:.1} s | {:.1} | {:.1} s | {:.1} | {} | {:.0} MB |",
        s.name,
        s.klusters,
        running_after.as_secs_f64(),
        per(create_requests),
        deleted_after.as_secs_f64(),
        per(delete_requests),
        standin.count_rate_limited(),
        rss as f64 / 1024.0
    );
    let _ = std::fs::remove_dir_all(dir);
}

async fn wait(
    klusters: &Api<Kluster>,
    timeout: Duration,
    since: Instant,
    operator: &mut Child,
    done: impl Fn(&[Kluster]) -> bool,
) -> Duration {
    loop {
        let items = klusters.list(&ListParams::default()).await.unwrap().items;
        if done(&items) {
            return since.elapsed();
        }
        if let Ok(Some(status)) = operator.try_wait() {
            panic!("the operator exited: {status}");
        }
        assert!(since.elapsed() < timeout, "not done within {timeout:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn kluster(i: usize) -> Kluster {
    let mut k = Kluster::new(
        &format!("bench-{i}"),
        KlusterSpec {
            name: format!("bench-{i}"),
            region: "nyc1".into(),
            version: "latest".into(),
            node_pools: vec![NodePool {
                name: "default".into(),
                size: "s-2vcpu-4gb".into(),
                count: 3,
            }],
            token: TokenSource {
                secret_key_ref: SecretKeyRef {
                    name: "do-token".into(),
                    key: "token".into(),
                },
            },
        },
    );
    k.metadata.namespace = Some("default".into());
    k
}

/// Peak resident set size (VmHWM) of a process, in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("kluster-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
