//! The operator's whole life cycle through `prism proxy --errors` (DigitalOcean's official DOKS
//! contract) in front of the stand-in: any request of the operator or response of the stand-in
//! that breaks the contract is refused or replaced by Prism, and this test fails.

mod common;
#[path = "support/prism.rs"]
mod prism;

use std::time::Duration;

use common::{Env, is_running, kluster, patch_params, post};
use kluster::digitalocean::{DoApi, RateLimits, RetryPolicy};
use kluster::operator::admission::OfferCatalog;
use kluster::operator::{OperatorConfig, status};
use kluster::standin::{Fault, FaultKind};
use kube::api::{DeleteParams, Patch};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operator_life_cycle_conforms_to_the_digitalocean_contract() {
    let mut env = Env::new(Duration::from_millis(500)).await;
    let proxy = prism::start_prism_proxy(&env.standin_server.base_url()).await;
    env.digitalocean = DoApi::new(proxy.base_url())
        .unwrap()
        .with_retry_policy(RetryPolicy {
            max_retries: 4,
            min_wait: Duration::from_millis(50),
            max_wait: Duration::from_secs(1),
        })
        .with_rate_limits(RateLimits::unlimited());
    // A rate-limit answer and a server error pass through Prism too.
    env.standin.inject(Fault::on(
        "get_cluster",
        FaultKind::TooManyRequests { retry_after_secs: 1 },
    ));
    env.standin
        .inject(Fault::on("get_kubeconfig", FaultKind::ServerError { status: 503 }));

    // With the validating webhook's catalog on, as the binary runs by default.
    let operator = env.start_operator_with(OperatorConfig {
        timing: common::timing(),
        offers: Some(OfferCatalog::new(Duration::from_secs(3600))),
        ..OperatorConfig::default()
    });
    let mut k = kluster("contract", 2);
    k.spec.version = "1.33.5-do.0".into();
    env.klusters().create(&post(), &k).await.unwrap();
    let wait = Duration::from_secs(60);
    let logs = || proxy.logs();
    let running = env.wait_for("contract", wait, is_running).await;
    assert!(status::current(&running).cluster_id.is_some(), "{}", logs());

    env.set_node_pools(
        "contract",
        json!([
            {"name": "default", "size": "s-2vcpu-4gb", "count": 3},
            {"name": "burst", "size": "s-1vcpu-2gb", "count": 1},
        ]),
        wait,
    )
    .await;
    env.set_node_pools(
        "contract",
        json!([{"name": "default", "size": "s-2vcpu-4gb", "count": 3}]),
        wait,
    )
    .await;

    // An upgrade to the next minor version.
    let patch = json!({"spec": {"version": "1.34"}});
    env.klusters()
        .patch("contract", &patch_params(), &Patch::Merge(&patch))
        .await
        .unwrap();
    env.wait_for("contract", wait, |k| {
        is_running(k) && status::current(k).version.as_deref() == Some("1.34.1-do.0")
    })
    .await;

    env.klusters()
        .delete("contract", &DeleteParams::default())
        .await
        .unwrap();
    env.wait_gone("contract", wait).await;
    operator.stop().await.unwrap();

    // Every operation the operator uses went through the contract check.
    for operation in [
        "create_cluster",
        "get_cluster",
        "get_kubeconfig",
        "add_node_pool",
        "update_node_pool",
        "delete_node_pool",
        "get_available_upgrades",
        "upgrade_cluster",
        "delete_cluster",
        "list_options",
    ] {
        assert!(env.standin.count(operation) > 0, "{operation} was not exercised");
    }
    // Prism refused no request: everything the client sent reached the stand-in...
    assert_eq!(
        env.digitalocean.requests_sent() as usize,
        env.standin.request_count(),
        "{}",
        logs()
    );
    // ...and replaced no response (it would have logged the violation).
    // The launcher's readiness probes hit a path the contract does not have; the rest is the operator.
    let log: String = logs()
        .lines()
        .filter(|l| !l.contains("/__prism_ready"))
        .map(|l| format!("{l}\n"))
        .collect();
    // Prism's validator logs only problems ("[VALIDATOR] ✖ error ...", "Violation: ...").
    for marker in ["VALIDATOR", "✖", "iolation"] {
        assert!(
            !log.contains(marker),
            "Prism reported a contract problem ({marker}):\n{log}"
        );
    }
    assert!(env.standin.clusters().is_empty());
}
