//! The operator against kgen's fake API server and the DigitalOcean stand-in: the life cycle and
//! the faults an operator meets in production.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{Env, NS, TOKEN, is_running, kluster};
use kluster::operator::{FINALIZER, status};
use kluster::standin::{Fault, FaultKind};
use kube::ResourceExt;
use kube::api::{DeleteParams, Patch, PatchParams, PostParams};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_life_cycle_create_scale_delete() {
    let env = Env::new(Duration::from_millis(300)).await;
    let operator = env.start_operator();
    env.create_kluster("alpha", 3).await;

    let running = env.wait_for("alpha", WAIT, is_running).await;
    let st = status::current(&running);
    let id = st.cluster_id.clone().expect("clusterID is recorded");
    assert_eq!(st.kubeconfig_secret.as_deref(), Some("alpha-kubeconfig"));
    assert_eq!(st.observed_generation, running.metadata.generation);
    assert!(running.finalizers().contains(&FINALIZER.to_string()));
    let ready = status::ready_condition(&st).unwrap();
    assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("True", "Running"));

    // Exactly one cluster at DigitalOcean, tagged with the Kluster's uid, as the spec asks.
    let clusters = env.standin.clusters();
    assert_eq!(clusters.len(), 1);
    assert_eq!(clusters[0].id, id);
    assert_eq!(clusters[0].name, "alpha-cluster");
    assert_eq!(clusters[0].region, "nyc1");
    assert!(
        clusters[0]
            .tags
            .contains(&format!("kluster-uid:{}", running.uid().unwrap()))
    );
    assert_eq!(clusters[0].node_pools.len(), 1);
    assert_eq!(clusters[0].node_pools[0].count, 3);

    // The kubeconfig Secret is owned by the Kluster and holds the stand-in's kubeconfig.
    let secret = env.secrets().get("alpha-kubeconfig").await.unwrap();
    let owner = &secret.metadata.owner_references.as_ref().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str()),
        ("Kluster", running.uid().unwrap().as_str())
    );
    assert_eq!(owner.controller, Some(true));
    let kubeconfig = String::from_utf8(secret.data.unwrap()["kubeconfig"].0.clone()).unwrap();
    assert!(kubeconfig.contains("clusters:"), "{kubeconfig}");

    let reasons = env.reasons("alpha").await;
    for expected in ["Creating", "Created", "Provisioning", "Running"] {
        assert!(
            reasons.contains(&expected.to_string()),
            "missing event {expected}: {reasons:?}"
        );
    }
    let position = |r: &str| reasons.iter().position(|x| x == r).unwrap();
    assert!(position("Creating") < position("Created") && position("Created") < position("Running"));

    // Scale the pool and add another: applied with the node-pool endpoints.
    env.set_node_pools(
        "alpha",
        json!([
            {"name": "default", "size": "s-2vcpu-4gb", "count": 5},
            {"name": "extra", "size": "s-1vcpu-2gb", "count": 1},
        ]),
        WAIT,
    )
    .await;
    let pools = &env.standin.clusters()[0].node_pools;
    let count_of = |name: &str| pools.iter().find(|p| p.name == name).map(|p| p.count);
    assert_eq!(count_of("default"), Some(5));
    assert_eq!(count_of("extra"), Some(1));
    assert!(env.reasons("alpha").await.contains(&"UpdatingNodePools".to_string()));
    assert!(env.standin.count("update_node_pool") >= 1);
    assert!(env.standin.count("add_node_pool") >= 1);

    // Remove the extra pool again.
    env.set_node_pools(
        "alpha",
        json!([{"name": "default", "size": "s-2vcpu-4gb", "count": 5}]),
        WAIT,
    )
    .await;
    assert_eq!(env.standin.clusters()[0].node_pools.len(), 1);

    // Delete: the cluster goes, then the finalizer, then the owned Secret.
    env.klusters().delete("alpha", &DeleteParams::default()).await.unwrap();
    env.wait_gone("alpha", WAIT).await;
    assert!(env.standin.clusters().is_empty(), "the cluster is gone at DigitalOcean");
    // The garbage collector takes the owned Secret after its owner is gone.
    let deadline = tokio::time::Instant::now() + WAIT;
    while env.secrets().get_opt("alpha-kubeconfig").await.unwrap().is_some() {
        assert!(tokio::time::Instant::now() < deadline, "the owned Secret is gone");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let reasons = env.reasons("alpha").await;
    assert!(
        reasons.contains(&"Deleting".to_string()) && reasons.contains(&"Deleted".to_string()),
        "{reasons:?}"
    );
    assert_eq!(env.standin.count("delete_cluster"), 1, "DELETE is sent once");
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_token_secret_is_reported_and_retried_with_backoff() {
    let env = Env::new(Duration::from_millis(100)).await;
    let operator = env.start_operator();
    let mut k = kluster("beta", 1);
    k.spec.token_secret_ref.name = "later".into();
    env.klusters().create(&PostParams::default(), &k).await.unwrap();

    let waiting = env
        .wait_for("beta", WAIT, |k| {
            status::ready_condition(&status::current(k)).is_some_and(|c| c.reason == "TokenSecretMissing")
        })
        .await;
    let condition = status::ready_condition(&status::current(&waiting)).unwrap().clone();
    assert_eq!(condition.status, "False");
    assert!(condition.message.contains("later"), "{}", condition.message);
    assert!(!condition.message.contains(TOKEN));
    let events = env.events("beta").await;
    assert!(
        events
            .iter()
            .any(|(t, r, _)| t == "Warning" && r == "TokenSecretMissing"),
        "{events:?}"
    );

    // Backoff, not a hot loop: 5 ms, 10 ms, 20 ms, ... gives about 9 attempts in 2 s.
    let before = operator.metrics.reconciles.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let attempts = operator.metrics.reconciles.load(Ordering::Relaxed) - before;
    assert!(attempts <= 12, "{attempts} reconciles in 2 s is a hot loop");
    assert_eq!(
        env.standin.request_count(),
        0,
        "nothing is sent to DigitalOcean without a token"
    );

    env.create_token_secret("later").await;
    // The backoff may have grown to a few seconds; the Kluster still gets there.
    env.wait_for("beta", Duration::from_secs(30), is_running).await;
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_storms_and_server_errors_converge_within_bounded_requests() {
    let env = Env::new(Duration::from_millis(200)).await;
    for _ in 0..3 {
        env.standin.inject(Fault {
            operation: None,
            times: 4,
            kind: FaultKind::TooManyRequests { retry_after_secs: 0 },
        });
        env.standin.inject(Fault {
            operation: Some("get_cluster".into()),
            times: 3,
            kind: FaultKind::ServerError { status: 503 },
        });
    }
    env.standin.inject(Fault {
        operation: Some("get_kubeconfig".into()),
        times: 2,
        kind: FaultKind::ServerError { status: 500 },
    });
    let operator = env.start_operator();
    env.create_kluster("gamma", 1).await;
    env.wait_for("gamma", Duration::from_secs(60), is_running).await;
    assert_eq!(env.standin.clusters().len(), 1, "one cluster despite the errors");
    let requests = env.standin.request_count();
    assert!(requests <= 60, "{requests} requests to converge");
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_create_response_then_restart_makes_exactly_one_cluster() {
    let env = Env::new(Duration::from_millis(200)).await;
    // DigitalOcean creates the cluster but the response never arrives (a 500 after the work).
    env.standin.inject(Fault {
        operation: Some("create_cluster".into()),
        times: 1,
        kind: FaultKind::ProcessThenFail { status: 500 },
    });
    let first = env.start_operator();
    env.create_kluster("delta", 1).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while env.standin.count("create_cluster") == 0 {
        assert!(tokio::time::Instant::now() < deadline, "create was never sent");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Kill the operator right after the lost response, before it could record anything.
    first.kill().await;
    assert_eq!(env.standin.clusters().len(), 1);
    assert!(
        status::current(&env.klusters().get("delta").await.unwrap())
            .cluster_id
            .is_none()
    );

    let second = env.start_operator();
    let running = env.wait_for("delta", WAIT, is_running).await;
    assert_eq!(env.standin.clusters().len(), 1, "exactly one cluster exists");
    assert_eq!(
        status::current(&running).cluster_id.as_deref(),
        Some(env.standin.clusters()[0].id.as_str())
    );
    assert_eq!(env.standin.count("create_cluster"), 1, "create is not repeated");
    assert!(env.reasons("delta").await.contains(&"Adopted".to_string()));
    second.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletion_while_provisioning_deletes_the_cluster() {
    let env = Env::new(Duration::from_secs(30)).await;
    let operator = env.start_operator();
    env.create_kluster("eps", 2).await;
    env.wait_for("eps", WAIT, |k| status::current(k).cluster_id.is_some())
        .await;
    assert_eq!(env.standin.clusters()[0].state, "provisioning");
    env.klusters().delete("eps", &DeleteParams::default()).await.unwrap();
    env.wait_gone("eps", WAIT).await;
    assert!(env.standin.clusters().is_empty());
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_klusters_are_rejected_by_the_crd_schema() {
    let env = Env::new(Duration::from_millis(100)).await;
    let cases = [
        (
            "zero-count",
            json!([{"name": "default", "size": "s-1vcpu-2gb", "count": 0}]),
            "count",
        ),
        ("no-pools", json!([]), "nodePools"),
        (
            "bad-pool-name",
            json!([{"name": "Not_OK", "size": "s-1vcpu-2gb", "count": 1}]),
            "name",
        ),
    ];
    for (name, pools, field) in cases {
        let mut body = serde_json::to_value(kluster(name, 1)).unwrap();
        body["spec"]["nodePools"] = pools;
        let obj = serde_json::from_value(body).unwrap();
        match env.klusters().create(&PostParams::default(), &obj).await {
            Err(kube::Error::Api(s)) => {
                assert_eq!(s.code, 422, "{name}: {s:?}");
                assert!(s.message.contains(field), "{name}: {}", s.message);
            }
            other => panic!("{name} was accepted: {other:?}"),
        }
    }
    // name and region are immutable.
    env.create_kluster("fixed", 1).await;
    let patch = json!({"spec": {"region": "fra1"}});
    match env
        .klusters()
        .patch("fixed", &PatchParams::default(), &Patch::Merge(&patch))
        .await
    {
        Err(kube::Error::Api(s)) => assert_eq!(s.code, 422, "{s:?}"),
        other => panic!("a region change was accepted: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflicts_on_status_writes_are_retried() {
    let env = Env::new(Duration::from_millis(200)).await;
    env.api.fail_next("patch", "klusters/status", 3, 409);
    let operator = env.start_operator();
    env.create_kluster("zeta", 1).await;
    env.wait_for("zeta", WAIT, is_running).await;
    assert_eq!(env.standin.clusters().len(), 1);
    assert!(operator.metrics.reconcile_errors.load(Ordering::Relaxed) >= 3);
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_leader_reconciles_and_the_standby_takes_over() {
    let env = Env::new(Duration::from_millis(100)).await;
    let leader = env.start_replica("replica-a");
    // Let replica-a take the lease before replica-b starts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let standby = env.start_replica("replica-b");
    env.create_kluster("eta", 1).await;
    env.wait_for("eta", WAIT, is_running).await;
    assert_eq!(leader.metrics.leader.load(Ordering::Relaxed), 1);
    assert_eq!(standby.metrics.leader.load(Ordering::Relaxed), 0);
    assert_eq!(
        standby.metrics.reconciles.load(Ordering::Relaxed),
        0,
        "the standby does nothing"
    );

    // The leader crashes without releasing the lease: the standby takes over after it expires.
    leader.kill().await;
    let killed_at = tokio::time::Instant::now();
    env.create_kluster("theta", 1).await;
    env.wait_for("theta", WAIT, is_running).await;
    assert_eq!(standby.metrics.leader.load(Ordering::Relaxed), 1);
    assert!(standby.metrics.reconciles.load(Ordering::Relaxed) > 0);
    assert!(
        killed_at.elapsed() < Duration::from_secs(10),
        "took over within the lease duration plus polling"
    );

    // A clean stop releases the lease at once: a new replica leads quickly.
    standby.stop().await.unwrap();
    let third = env.start_replica("replica-c");
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1000);
    while third.metrics.leader.load(Ordering::Relaxed) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the released lease was not taken within 1 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    third.stop().await.unwrap();
    let lease = env.api.get_json("leases", Some(NS), "kluster-leader").unwrap();
    assert!(lease["spec"]["holderIdentity"].is_null(), "released: {lease}");
    assert!(lease["spec"]["leaseTransitions"].as_i64().unwrap() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn install_crds_applies_the_generated_crd_to_a_bare_api_server() {
    kluster::digitalocean::install_crypto_provider();
    let api = kgen_fake::FakeApiServer::new();
    let client = api.client();
    kluster::install_crd(&client).await.unwrap();
    // Idempotent, as a restart applies it again.
    kluster::install_crd(&client).await.unwrap();
    let stored = api
        .get_json("customresourcedefinitions", None, "klusters.kgen.dev")
        .expect("the CRD is stored");
    assert_eq!(stored["spec"]["names"]["kind"], "Kluster");
    let klusters: kube::Api<kluster::api::v1alpha1::Kluster> = kube::Api::namespaced(client, NS);
    klusters
        .create(&PostParams::default(), &kluster("served", 1))
        .await
        .expect("the new resource is served");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_readiness_and_metrics_endpoints() {
    let env = Env::new(Duration::from_millis(100)).await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let operator = env.start_operator_with(kluster::operator::OperatorConfig {
        timing: common::timing(),
        health_addr: Some(addr),
        ..Default::default()
    });
    env.create_kluster("observed", 1).await;
    env.wait_for("observed", WAIT, is_running).await;
    let http = reqwest::Client::new();
    let get = |path: &str| http.get(format!("http://{addr}{path}")).send();
    assert_eq!(get("/healthz").await.unwrap().status(), 200);
    assert_eq!(get("/readyz").await.unwrap().status(), 200);
    assert_eq!(get("/nope").await.unwrap().status(), 404);
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    let value = |name: &str| -> u64 {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing:\n{metrics}"))
            .parse()
            .unwrap()
    };
    assert!(value("kluster_reconcile_total") >= 2);
    assert_eq!(
        value("kluster_digitalocean_requests_total"),
        env.standin.request_count() as u64
    );
    assert_eq!(value("kluster_leader"), 0, "no leader election configured");
    operator.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_errors_become_warning_events_with_the_message_and_request_id() {
    let env = Env::new(Duration::from_millis(100)).await;
    env.standin.inject(Fault::on(
        "create_cluster",
        FaultKind::Error {
            status: 422,
            id: "unprocessable_entity".into(),
            message: "region nyc1 is full".into(),
        },
    ));
    let operator = env.start_operator();
    env.create_kluster("iota", 1).await;
    env.wait_for("iota", WAIT, is_running).await;

    let events = env.events("iota").await;
    let (_, _, note) = events
        .iter()
        .find(|(t, r, _)| t == "Warning" && r == "DigitalOceanAPIError")
        .unwrap_or_else(|| panic!("no Warning event: {events:?}"));
    let failed = env
        .standin
        .requests()
        .into_iter()
        .find(|r| r.status == 422)
        .expect("the 422 was recorded");
    assert!(note.contains("region nyc1 is full"), "{note}");
    assert!(
        note.contains(&failed.request_id),
        "the request id {} is in {note}",
        failed.request_id
    );
    assert!(!note.contains(TOKEN));
    assert_eq!(env.standin.clusters().len(), 1, "the retry created the cluster once");
    operator.stop().await.unwrap();
}
