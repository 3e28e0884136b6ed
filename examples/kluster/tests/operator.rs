//! The operator against kgen's fake API server and the DigitalOcean stand-in: the life cycle and
//! the faults an operator meets in production.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use common::{Env, NS, TEST_MANAGER, TOKEN, eventually, is_running, kluster, patch_params, post};
use kluster::api::v1beta1::Progress;
use kluster::operator::{FINALIZER, MANAGER, TOKEN_FINALIZER, status};
use kluster::standin::{Fault, FaultKind};
use kube::ResourceExt;
use kube::api::{DeleteParams, Patch, PostParams};
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
    assert_eq!(
        env.notes("alpha", "ResizingNodePool").await,
        ["resize pool default to 5"]
    );
    assert_eq!(
        env.notes("alpha", "AddingNodePool").await,
        ["add pool extra (1 x s-1vcpu-2gb)"]
    );
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
    assert_eq!(env.notes("alpha", "DeletingNodePool").await, ["delete pool extra"]);
    let synced = env
        .wait_for("alpha", WAIT, |k| {
            status::synced_condition(&status::current(k)).is_some_and(|c| c.status == "True")
        })
        .await;
    assert_eq!(
        status::synced_condition(&status::current(&synced)).unwrap().reason,
        "Synced"
    );

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
    k.spec.token.secret_key_ref.name = "later".into();
    env.klusters().create(&post(), &k).await.unwrap();

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

    // The repeated warning is one event with a series, its note intact.
    let warnings: Vec<_> = env
        .seen_events("beta")
        .await
        .into_iter()
        .filter(|e| e.reason == "TokenSecretMissing")
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].count >= 2, "{warnings:?}");
    assert_eq!(warnings[0].note, "Secret default/later not found");
    assert_eq!(
        status::current(&env.klusters().get("beta").await.unwrap()).progress,
        Some(Progress::Pending),
        "the PROGRESS column is never blank"
    );

    // The backoff has grown to seconds by now; the Secret's watch brings the Kluster back at once.
    env.create_token_secret("later").await;
    env.wait_for("beta", Duration::from_secs(1), |k| {
        status::current(k).cluster_id.is_some()
    })
    .await;
    env.wait_for("beta", WAIT, is_running).await;
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
    // Until it is killed, the first operator cannot find the cluster by its tag either (however
    // late this test gets to kill it on a loaded machine).
    env.standin.inject(Fault {
        operation: Some("list_clusters".into()),
        times: 10_000,
        kind: FaultKind::ServerError { status: 503 },
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

    env.standin.clear_faults();
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
        match env.klusters().create(&post(), &obj).await {
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
        .patch("fixed", &patch_params(), &Patch::Merge(&patch))
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
    // a created it (0), b took it over (1), c took the released Lease (2).
    assert_eq!(lease["spec"]["leaseTransitions"], 2, "{lease}");
    let managers: Vec<&str> = lease["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["manager"].as_str().unwrap())
        .collect();
    assert!(managers.iter().all(|m| *m == MANAGER), "{managers:?}");
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
    let klusters: kube::Api<kluster::api::v1beta1::Kluster> = kube::Api::namespaced(client, NS);
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

/// Issue 12 §3: every node pool change is an event of its own, with its note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_pool_change_is_its_own_event() {
    let env = Env::new(Duration::from_millis(100)).await;
    let operator = env.start_operator();
    env.create_kluster("pools", 3).await;
    env.wait_for("pools", WAIT, is_running).await;
    let default = |count: i32| json!({"name": "default", "size": "s-2vcpu-4gb", "count": count});
    let workers = json!({"name": "workers", "size": "s-1vcpu-2gb", "count": 1});
    env.set_node_pools("pools", json!([default(5)]), WAIT).await;
    env.set_node_pools("pools", json!([default(5), workers]), WAIT).await;
    env.set_node_pools("pools", json!([default(4), workers]), WAIT).await;
    env.set_node_pools("pools", json!([default(4)]), WAIT).await;
    env.set_node_pools("pools", json!([default(5)]), WAIT).await;

    let notes: Vec<(String, String)> = env
        .events("pools")
        .await
        .into_iter()
        .filter(|(_, r, _)| r.ends_with("NodePool"))
        .map(|(_, r, n)| (r, n))
        .collect();
    let pair = |r: &str, n: &str| (r.to_string(), n.to_string());
    assert_eq!(
        notes,
        [
            pair("ResizingNodePool", "resize pool default to 5"),
            pair("AddingNodePool", "add pool workers (1 x s-1vcpu-2gb)"),
            pair("ResizingNodePool", "resize pool default to 4"),
            pair("DeletingNodePool", "delete pool workers"),
        ],
        "each distinct change is its own event; the repeated resize to 5 is the first one's series"
    );
    let series = env
        .seen_events("pools")
        .await
        .into_iter()
        .find(|e| e.note == "resize pool default to 5")
        .unwrap();
    assert_eq!(series.count, 2, "{series:?}");
    operator.stop().await.unwrap();
}

/// Issue 12 §4: `Pending` first, then `Creating`, then `Running`, as the status writes show it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_is_pending_then_creating_then_running() {
    let env = Env::new(Duration::from_millis(200)).await;
    let operator = env.start_operator();
    env.create_kluster("steps", 1).await;
    env.wait_for("steps", WAIT, is_running).await;
    let mut seen: Vec<String> = Vec::new();
    for action in env.api.actions() {
        if action.matches("patch", "klusters/status")
            && let Some(progress) = action.body.as_ref().and_then(|b| b["status"]["progress"].as_str())
            && seen.last().map(String::as_str) != Some(progress)
        {
            seen.push(progress.to_string());
        }
    }
    assert_eq!(seen, ["Pending", "Creating", "Running"]);
    operator.stop().await.unwrap();
}

/// Issue 12 §4: one field manager on every write of the operator, and none says "unknown".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_write_names_the_operator_as_field_manager() {
    let env = Env::new(Duration::from_millis(100)).await;
    let operator = env.start_replica("replica-a");
    env.create_kluster("managed", 1).await;
    env.wait_for("managed", WAIT, is_running).await;
    env.set_node_pools(
        "managed",
        json!([{"name": "default", "size": "s-2vcpu-4gb", "count": 2}]),
        WAIT,
    )
    .await;
    let managers = |obj: serde_json::Value| -> Vec<String> {
        obj["metadata"]["managedFields"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|m| m["manager"].as_str().unwrap().to_string())
            .collect()
    };
    let kluster = managers(env.api.get_json("klusters", Some(NS), "managed").unwrap());
    assert!(kluster.contains(&MANAGER.to_string()), "{kluster:?}");
    assert!(kluster.iter().all(|m| m == MANAGER || m == TEST_MANAGER), "{kluster:?}");
    let kubeconfig = managers(env.api.get_json("secrets", Some(NS), "managed-kubeconfig").unwrap());
    assert_eq!(kubeconfig, [MANAGER]);
    let token = env.api.get_json("secrets", Some(NS), "do-token").unwrap();
    assert!(
        token["metadata"]["finalizers"].to_string().contains(TOKEN_FINALIZER),
        "{token}"
    );
    assert_eq!(managers(token), [TEST_MANAGER, MANAGER]);
    let lease = managers(env.api.get_json("leases", Some(NS), "kluster-leader").unwrap());
    assert_eq!(lease, [MANAGER]);
    let events = env.seen_events("managed").await;
    assert!(events.len() >= 4, "{events:?}");
    assert!(events.iter().all(|e| e.managers == [MANAGER]), "{events:?}");
    operator.stop().await.unwrap();
}

/// Issue 12 §4: the operator's client sends a User-Agent, so even a write without a field
/// manager is recorded under `kluster-operator`, not `unknown`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_client_identifies_itself() {
    kluster::digitalocean::install_crypto_provider();
    let api = kgen_fake::FakeApiServer::new();
    let (addr, _server) = api.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let config = kube::Config::new(format!("http://{addr}").parse().unwrap());
    let configmap = |name: &str| -> k8s_openapi::api::core::v1::ConfigMap {
        serde_json::from_value(json!({"metadata": {"name": name}, "data": {"k": "v"}})).unwrap()
    };
    let identified = kluster::operator::client(config.clone()).unwrap();
    let plain = kube::Client::try_from(config).unwrap();
    for (client, name) in [(identified, "with-agent"), (plain, "without")] {
        kube::Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(client, NS)
            .create(&PostParams::default(), &configmap(name))
            .await
            .unwrap();
    }
    let manager = |name: &str| {
        api.get_json("configmaps", Some(NS), name).unwrap()["metadata"]["managedFields"][0]["manager"].clone()
    };
    assert_eq!(manager("with-agent"), MANAGER);
    assert_eq!(manager("without"), "unknown", "what kube's client sends by default");
}

/// Issue 12 §4: a failure that stops progress is a condition reason and a Warning event with
/// the API server's message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_kubeconfig_secret_write_is_reported() {
    let env = Env::new(Duration::from_millis(300)).await;
    let operator = env.start_operator();
    env.create_kluster("quota", 1).await;
    env.wait_for("quota", WAIT, |k| status::current(k).cluster_id.is_some())
        .await;
    let message = "secrets \"quota-kubeconfig\" is forbidden: exceeded quota: secrets, requested: count/secrets=1";
    env.api.fail_next_with(
        "patch",
        "secrets",
        4,
        kube::core::Status::failure(message, "Forbidden").with_code(403),
    );
    let failed = env
        .wait_for("quota", WAIT, |k| {
            status::ready_condition(&status::current(k)).is_some_and(|c| c.reason == "KubeconfigSecretFailed")
        })
        .await;
    let ready = status::ready_condition(&status::current(&failed)).unwrap().clone();
    assert_eq!(ready.status, "False");
    assert!(ready.message.contains(message), "{}", ready.message);
    let warnings = env.notes("quota", "KubeconfigSecretFailed").await;
    assert!(warnings.iter().any(|n| n.contains(message)), "{warnings:?}");
    assert!(
        env.events("quota")
            .await
            .iter()
            .any(|(t, r, _)| t == "Warning" && r == "KubeconfigSecretFailed")
    );
    // Once the API server accepts the write, the Kluster runs.
    env.wait_for("quota", WAIT, is_running).await;
    operator.stop().await.unwrap();
}

/// Issue 12 §5: a deleted kubeconfig Secret is stored again within a second, not at the resync.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_kubeconfig_secret_is_recreated_at_once() {
    let env = Env::new(Duration::from_millis(100)).await;
    let operator = env.start_operator();
    env.create_kluster("kc", 1).await;
    env.wait_for("kc", WAIT, is_running).await;
    let before = env.secrets().get("kc-kubeconfig").await.unwrap();
    env.secrets()
        .delete("kc-kubeconfig", &DeleteParams::default())
        .await
        .unwrap();
    let old_uid = before.uid().unwrap();
    eventually(
        "the kubeconfig Secret is stored again",
        Duration::from_secs(1),
        || async {
            env.secrets()
                .get_opt("kc-kubeconfig")
                .await
                .unwrap()
                .is_some_and(|s| s.uid().unwrap() != old_uid)
        },
    )
    .await;
    // The event follows the write.
    let expected = "Secret default/kc-kubeconfig was missing; stored the kubeconfig again";
    eventually("the KubeconfigRestored event", WAIT, || async {
        env.notes("kc", "KubeconfigRestored").await == [expected]
    })
    .await;
    assert!(is_running(&env.klusters().get("kc").await.unwrap()));
    operator.stop().await.unwrap();
}

/// Issue 12 §5: a token Secret fixed later (the key added) is noticed within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_secret_fixed_later_is_noticed_at_once() {
    let env = Env::new(Duration::from_millis(100)).await;
    let secret: k8s_openapi::api::core::v1::Secret = serde_json::from_value(json!({
        "metadata": {"name": "wrong-key", "namespace": NS},
        "stringData": {"tokn": TOKEN},
    }))
    .unwrap();
    env.secrets().create(&post(), &secret).await.unwrap();
    let operator = env.start_operator();
    let mut k = kluster("fixme", 1);
    k.spec.token.secret_key_ref.name = "wrong-key".into();
    env.klusters().create(&post(), &k).await.unwrap();
    let waiting = env
        .wait_for("fixme", WAIT, |k| {
            status::ready_condition(&status::current(k)).is_some_and(|c| c.reason == "TokenSecretMissing")
        })
        .await;
    let message = status::ready_condition(&status::current(&waiting))
        .unwrap()
        .message
        .clone();
    assert_eq!(message, "Secret default/wrong-key has no key \"token\"");
    // Let the backoff grow to seconds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let fix = json!({"stringData": {"token": TOKEN}});
    env.secrets()
        .patch("wrong-key", &patch_params(), &Patch::Merge(&fix))
        .await
        .unwrap();
    env.wait_for("fixme", Duration::from_secs(1), |k| {
        status::current(k).cluster_id.is_some()
    })
    .await;
    env.wait_for("fixme", WAIT, is_running).await;
    operator.stop().await.unwrap();
}

/// Issue 12 §5: a newer `spec.version` upgrades the cluster through DigitalOcean's upgrade
/// endpoints; an older one is refused with a condition; one that is not offered is reported.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn version_changes_upgrade_the_cluster_and_downgrades_are_refused() {
    let env = Env::new(Duration::from_millis(100)).await;
    let operator = env.start_operator();
    let mut k = kluster("up", 1);
    k.spec.version = "1.33.5-do.0".into();
    env.klusters().create(&post(), &k).await.unwrap();
    let running = env.wait_for("up", WAIT, is_running).await;
    assert_eq!(status::current(&running).version.as_deref(), Some("1.33.5-do.0"));
    let set_version = |v: &'static str| {
        let env = &env;
        async move {
            let patch = json!({"spec": {"version": v}});
            env.klusters()
                .patch("up", &patch_params(), &Patch::Merge(&patch))
                .await
                .unwrap()
        }
    };
    let synced = |k: &kluster::api::v1beta1::Kluster| status::synced_condition(&status::current(k)).cloned();

    // Upgrade: Upgrading (progress and Synced=False), then Running at the new version.
    set_version("1.34").await;
    let upgrading = env
        .wait_for("up", WAIT, |k| status::current(k).progress == Some(Progress::Upgrading))
        .await;
    assert_eq!(synced(&upgrading).unwrap().reason, "Upgrading");
    assert_eq!(synced(&upgrading).unwrap().status, "False");
    let upgraded = env
        .wait_for("up", WAIT, |k| {
            is_running(k) && status::current(k).version.as_deref() == Some("1.34.1-do.0")
        })
        .await;
    assert_eq!(synced(&upgraded).unwrap().status, "True");
    assert_eq!(
        status::current(&upgraded).observed_generation,
        upgraded.metadata.generation
    );
    assert_eq!(env.standin.clusters()[0].version, "1.34.1-do.0");
    assert_eq!(env.standin.count("upgrade_cluster"), 1, "one upgrade request");
    assert!(env.standin.count("get_available_upgrades") >= 1);
    let id = status::current(&upgraded).cluster_id.unwrap();
    assert_eq!(
        env.notes("up", "Upgrading").await,
        [format!("upgrading cluster {id} from 1.33.5-do.0 to 1.34.1-do.0")]
    );
    assert_eq!(
        env.notes("up", "Upgraded").await,
        [format!("cluster {id} runs 1.34.1-do.0")]
    );

    // Downgrade: refused, nothing sent, the cluster keeps running.
    let patched = set_version("1.33.5-do.0").await;
    let refused = env
        .wait_for("up", WAIT, |k| {
            synced(k).is_some_and(|c| c.reason == "DowngradeRefused")
                && status::current(k).observed_generation == patched.metadata.generation
        })
        .await;
    let condition = synced(&refused).unwrap();
    assert_eq!(condition.status, "False");
    assert!(
        condition
            .message
            .contains("older than the cluster's version 1.34.1-do.0"),
        "{}",
        condition.message
    );
    assert!(
        is_running(&refused),
        "a refused downgrade does not take the cluster down"
    );
    let warnings: Vec<_> = env
        .events("up")
        .await
        .into_iter()
        .filter(|(t, r, _)| t == "Warning" && r == "DowngradeRefused")
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");

    // Not offered: reported with what is offered; back to the running version: in sync again.
    set_version("1.36.0-do.0").await;
    let unavailable = env
        .wait_for("up", WAIT, |k| {
            synced(k).is_some_and(|c| c.reason == "UpgradeUnavailable")
        })
        .await;
    assert!(
        synced(&unavailable).unwrap().message.contains("available: none"),
        "{:?}",
        synced(&unavailable)
    );
    set_version("1.34.1-do.0").await;
    env.wait_for("up", WAIT, |k| synced(k).is_some_and(|c| c.status == "True"))
        .await;
    assert_eq!(env.standin.count("upgrade_cluster"), 1);
    assert_eq!(env.standin.clusters()[0].version, "1.34.1-do.0");
    operator.stop().await.unwrap();
}

/// Issue 12 §2: a standby waiting for the Lease is ready (a rolling update can proceed); which
/// replica leads is a metric.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_standby_is_ready_and_leadership_is_a_metric() {
    let env = Env::new(Duration::from_millis(100)).await;
    let free_port = || {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let (leader_addr, standby_addr) = (free_port(), free_port());
    let replica = |identity: &str, addr| {
        let mut lease = kluster::operator::LeaseConfig::new(NS, "kluster-leader", identity);
        lease.lease_duration = Duration::from_secs(15);
        lease.renew_deadline = Duration::from_secs(10);
        lease.retry_period = Duration::from_millis(200);
        env.start_operator_with(kluster::operator::OperatorConfig {
            timing: common::timing(),
            leader_election: Some(lease),
            identity: Some(identity.to_string()),
            health_addr: Some(addr),
            ..Default::default()
        })
    };
    let leader = replica("old-pod", leader_addr);
    eventually("old-pod leads", WAIT, || async {
        leader.metrics.leader.load(Ordering::Relaxed) == 1
    })
    .await;
    let standby = replica("new-pod", standby_addr);
    let http = reqwest::Client::new();
    let get = |addr: std::net::SocketAddr, path: &'static str| {
        let http = http.clone();
        async move {
            let response = http.get(format!("http://{addr}{path}")).send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        }
    };
    eventually("the standby is ready", WAIT, || async {
        get(standby_addr, "/readyz").await.0 == 200
    })
    .await;
    // It stays ready while the old leader holds the Lease, and does not reconcile.
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(get(standby_addr, "/readyz").await.0, 200);
    assert_eq!(get(standby_addr, "/healthz").await.0, 200);
    let metric = |text: &str, name: &str| -> u64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing:\n{text}"))
            .parse()
            .unwrap()
    };
    let standby_metrics = get(standby_addr, "/metrics").await.1;
    assert_eq!(metric(&standby_metrics, "kluster_leader"), 0);
    assert_eq!(metric(&standby_metrics, "kluster_leader_acquisitions_total"), 0);
    let leader_metrics = get(leader_addr, "/metrics").await.1;
    assert_eq!(metric(&leader_metrics, "kluster_leader"), 1);
    assert_eq!(get(leader_addr, "/readyz").await.0, 200);
    assert_eq!(standby.metrics.reconciles.load(Ordering::Relaxed), 0);

    // The old pod goes (a rolling update deletes it): the new one takes over at once.
    leader.stop().await.unwrap();
    eventually("new-pod leads", WAIT, || async {
        standby.metrics.leader.load(Ordering::Relaxed) == 1
    })
    .await;
    assert_eq!(metric(&get(standby_addr, "/metrics").await.1, "kluster_leader"), 1);
    standby.stop().await.unwrap();
}

/// Issue 12 §2: a Lease RBAC does not allow (or whose namespace is missing) stops the operator at
/// start with a clear error, instead of a 403 logged every retry period while /healthz says ok.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lease_the_operator_may_not_use_fails_at_start() {
    let forbidden = "leases.coordination.k8s.io \"kluster-leader\" is forbidden: User \"system:serviceaccount:kluster-system:kluster-controller-manager\" cannot get resource \"leases\" in API group \"coordination.k8s.io\" in the namespace \"other\"";
    for (namespace, expected) in [("other", forbidden), ("nowhere", "namespaces \"nowhere\" not found")] {
        let env = Env::new(Duration::from_millis(100)).await;
        if namespace == "other" {
            // What RBAC answers for a namespace the operator's Role does not cover.
            env.create_namespace("other").await;
            env.api.fail_next_with(
                "*",
                "leases",
                1000,
                kube::core::Status::failure(forbidden, "Forbidden").with_code(403),
            );
        }
        let mut lease = kluster::operator::LeaseConfig::new(namespace, "kluster-leader", "pod-a");
        lease.retry_period = Duration::from_millis(100);
        let operator = env.start_operator_with(kluster::operator::OperatorConfig {
            timing: common::timing(),
            leader_election: Some(lease),
            ..Default::default()
        });
        let started = tokio::time::Instant::now();
        let error = tokio::time::timeout(Duration::from_secs(5), operator.wait())
            .await
            .expect("the operator stops by itself")
            .expect_err("an error");
        assert!(started.elapsed() < Duration::from_secs(2));
        let text = error.to_string();
        assert!(text.contains(&format!("{namespace}/kluster-leader")), "{text}");
        assert!(text.contains(expected), "{text}");
        assert!(text.contains("--lease-namespace"), "{text}");
    }
}

/// Issue 12 §6: `leaseTransitions` counts every change of holder, as client-go counts it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lease_transitions_count_every_holder_change() {
    let env = Env::new(Duration::from_millis(100)).await;
    let elector = |identity: &str| {
        let mut lease = kluster::operator::LeaseConfig::new(NS, "transitions", identity);
        lease.lease_duration = Duration::from_millis(300);
        kluster::operator::LeaderElector::new(env.client.clone(), lease)
    };
    let transitions =
        || env.api.get_json("leases", Some(NS), "transitions").unwrap()["spec"]["leaseTransitions"].clone();
    let (a, b) = (elector("a"), elector("b"));
    assert!(a.try_acquire_or_renew().await.unwrap());
    assert_eq!(transitions(), 0, "created");
    assert!(a.try_acquire_or_renew().await.unwrap());
    assert_eq!(transitions(), 0, "a renewal is no transition");
    a.release().await;
    assert!(b.try_acquire_or_renew().await.unwrap());
    assert_eq!(transitions(), 1, "b took the released Lease");
    // b stops renewing: a sees the record stand still for a lease duration, then takes over.
    assert!(!a.try_acquire_or_renew().await.unwrap());
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(a.try_acquire_or_renew().await.unwrap());
    assert_eq!(transitions(), 2, "a took over from b");
}

/// Issue 12 §2, end to end: the `kluster` binary exits non-zero with a clear error when its Lease
/// namespace is unusable, instead of retrying for ever while /healthz says ok.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_exits_at_once_when_its_lease_namespace_is_unusable() {
    let api: kgen_fake::FakeApiServer = kluster::generated::fake_api_server();
    let (addr, _server) = api.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let kubeconfig = std::env::temp_dir().join(format!("kluster-test-{}.yaml", uuid::Uuid::new_v4().simple()));
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{addr}\nusers:\n- name: test\n  user: {{}}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: test\ncurrent-context: fake\n"
        ),
    )
    .unwrap();
    let run = tokio::process::Command::new(env!("CARGO_BIN_EXE_kluster"))
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args([
            "--leader-elect",
            "--lease-namespace",
            "nowhere",
            "--health-port",
            "0",
            "--webhook-port",
            "0",
            "--digitalocean-url",
            "http://127.0.0.1:9",
        ])
        .env_remove("KUBECONFIG")
        .env_remove("POD_NAMESPACE")
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("the operator exits by itself")
        .unwrap();
    let _ = std::fs::remove_file(&kubeconfig);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("cannot use the leader-election Lease nowhere/kluster-leader")
            && stderr.contains("namespaces \"nowhere\" not found"),
        "{stderr}"
    );
}
