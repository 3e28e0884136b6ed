//! A test environment: kgen's fake API server with the Kluster CRD, the DigitalOcean stand-in on
//! 127.0.0.1, and the operator between them, with short poll intervals.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::api::events::v1::Event;
use kgen_fake::FakeApiServer;
use kluster::api::v1beta1::{Kluster, KlusterSpec, NodePool, SecretKeyRef, TokenSource};
use kluster::digitalocean::{DoApi, RateLimits, RetryPolicy};
use kluster::operator::{LeaseConfig, Metrics, Operator, OperatorConfig, OperatorError, Timing};
use kluster::standin::{DoStandin, StandinConfig, StandinServer};
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The token the stand-in accepts.
pub const TOKEN: &str = "dop_v1_test_token";
/// The namespace of every test object, unless a test makes its own.
pub const NS: &str = "default";
/// The field manager of the tests' own writes (so that "unknown" in managedFields can only come
/// from the operator).
pub const TEST_MANAGER: &str = "kluster-test";

/// Create parameters with the tests' field manager.
pub fn post() -> PostParams {
    PostParams {
        field_manager: Some(TEST_MANAGER.into()),
        ..Default::default()
    }
}

/// Patch parameters with the tests' field manager.
pub fn patch_params() -> PatchParams {
    PatchParams {
        field_manager: Some(TEST_MANAGER.into()),
        ..Default::default()
    }
}

/// Polls `check` every 25 ms until it holds; panics with `what` and the last `describe` after
/// `timeout`. Nothing the fake does in the background (garbage collection, the namespace
/// controller) is instantaneous: tests wait for it this way.
pub async fn eventually<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?}: {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// One event as a test sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenEvent {
    /// `Normal` or `Warning`.
    pub type_: String,
    /// The reason.
    pub reason: String,
    /// The note.
    pub note: String,
    /// `series.count`, 1 without a series.
    pub count: i32,
    /// The field managers of its managedFields.
    pub managers: Vec<String>,
}

/// A running operator.
pub struct RunningOperator {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), OperatorError>>,
    /// Its counters.
    pub metrics: Arc<Metrics>,
}

impl RunningOperator {
    /// Asks it to stop and waits.
    pub async fn stop(mut self) -> Result<(), OperatorError> {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.expect("the operator task does not panic")
    }

    /// Kills it: no clean shutdown, no lease release (a crashed pod).
    pub async fn kill(self) {
        self.task.abort();
        let _ = self.task.await;
    }

    /// Waits until it ends by itself.
    pub async fn wait(mut self) -> Result<(), OperatorError> {
        let _keep = self.stop.take();
        (&mut self.task).await.expect("the operator task does not panic")
    }

    /// Whether it has ended.
    pub fn is_finished(&self) -> bool {
        self.task.is_finished()
    }
}

/// Everything a test needs.
pub struct Env {
    pub api: FakeApiServer,
    pub client: kube::Client,
    pub standin: DoStandin,
    pub standin_server: StandinServer,
    pub digitalocean: DoApi,
}

/// Test timing: polls every 50-200 ms.
pub fn timing() -> Timing {
    Timing {
        poll_min: Duration::from_millis(50),
        poll_max: Duration::from_millis(200),
        resync: Duration::from_secs(30),
    }
}

impl Env {
    /// A fake API server with the token Secret, and a stand-in provisioning in `provision_delay`.
    pub async fn new(provision_delay: Duration) -> Env {
        Self::with_standin(StandinConfig {
            provision_delay,
            delete_delay: Duration::from_millis(100),
            upgrade_delay: Duration::from_millis(300),
            rate_limit: None,
            token: Some(TOKEN.to_string()),
        })
        .await
    }

    /// With a stand-in configured by the test.
    pub async fn with_standin(config: StandinConfig) -> Env {
        kluster::digitalocean::install_crypto_provider();
        let api: kgen_fake::FakeApiServer = kluster::generated::fake_api_server();
        let client = api.client();
        let standin = DoStandin::new(config);
        let standin_server = standin.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await.unwrap();
        let digitalocean = DoApi::new(&standin_server.base_url())
            .unwrap()
            .with_retry_policy(RetryPolicy {
                max_retries: 4,
                min_wait: Duration::from_millis(20),
                max_wait: Duration::from_millis(200),
            })
            .with_rate_limits(RateLimits::unlimited());
        let env = Env {
            api,
            client,
            standin,
            standin_server,
            digitalocean,
        };
        env.create_token_secret("do-token").await;
        env
    }

    /// Creates the Secret `name` with the test token under `token`.
    pub async fn create_token_secret(&self, name: &str) {
        self.create_token_secret_in(NS, name).await;
    }

    /// Creates the Secret `namespace/name` with the test token under `token`.
    pub async fn create_token_secret_in(&self, namespace: &str, name: &str) {
        let secret: Secret = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": namespace},
            "stringData": {"token": TOKEN},
        }))
        .unwrap();
        let secrets: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        secrets.create(&post(), &secret).await.unwrap();
    }

    /// Creates a namespace.
    pub async fn create_namespace(&self, name: &str) {
        let ns: Namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": name}})).unwrap();
        Api::<Namespace>::all(self.client.clone())
            .create(&post(), &ns)
            .await
            .unwrap();
    }

    /// Starts an operator without leader election.
    pub fn start_operator(&self) -> RunningOperator {
        self.start_operator_with(OperatorConfig {
            timing: timing(),
            ..OperatorConfig::default()
        })
    }

    /// Starts an operator with `config`.
    pub fn start_operator_with(&self, config: OperatorConfig) -> RunningOperator {
        let operator = Operator::new(self.client.clone(), self.digitalocean.clone(), config);
        let metrics = operator.metrics();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(operator.run(async {
            let _ = stopped.await;
        }));
        RunningOperator {
            stop: Some(stop),
            task,
            metrics,
        }
    }

    /// Starts a replica with leader election on a short lease.
    pub fn start_replica(&self, identity: &str) -> RunningOperator {
        let mut lease = LeaseConfig::new(NS, "kluster-leader", identity);
        lease.lease_duration = Duration::from_millis(1500);
        lease.renew_deadline = Duration::from_millis(1000);
        lease.retry_period = Duration::from_millis(200);
        self.start_operator_with(OperatorConfig {
            timing: timing(),
            leader_election: Some(lease),
            identity: Some(identity.to_string()),
            ..OperatorConfig::default()
        })
    }

    /// The Klusters API.
    pub fn klusters(&self) -> Api<Kluster> {
        self.klusters_in(NS)
    }

    /// The Klusters API of a namespace.
    pub fn klusters_in(&self, namespace: &str) -> Api<Kluster> {
        Api::namespaced(self.client.clone(), namespace)
    }

    /// The Secrets API.
    pub fn secrets(&self) -> Api<Secret> {
        self.secrets_in(NS)
    }

    /// The Secrets API of a namespace.
    pub fn secrets_in(&self, namespace: &str) -> Api<Secret> {
        Api::namespaced(self.client.clone(), namespace)
    }

    /// Creates a Kluster with one pool `default` of `count` nodes.
    pub async fn create_kluster(&self, name: &str, count: i32) -> Kluster {
        self.create_kluster_in(NS, name, count).await
    }

    /// Creates a Kluster in `namespace` with one pool `default` of `count` nodes.
    pub async fn create_kluster_in(&self, namespace: &str, name: &str, count: i32) -> Kluster {
        let mut k = kluster(name, count);
        k.metadata.namespace = Some(namespace.to_string());
        self.klusters_in(namespace).create(&post(), &k).await.unwrap()
    }

    /// Waits until `check` holds for the Kluster (panics after `timeout`, showing the last state).
    pub async fn wait_for(&self, name: &str, timeout: Duration, check: impl Fn(&Kluster) -> bool) -> Kluster {
        self.wait_for_in(NS, name, timeout, check).await
    }

    /// [`Env::wait_for`] in `namespace`.
    pub async fn wait_for_in(
        &self,
        namespace: &str,
        name: &str,
        timeout: Duration,
        check: impl Fn(&Kluster) -> bool,
    ) -> Kluster {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let current = self.klusters_in(namespace).get_opt(name).await.unwrap();
            if let Some(k) = current.as_ref().filter(|k| check(k)) {
                return k.clone();
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "timed out waiting for {name}; last state: {:#?}\nevents: {:#?}\nDigitalOcean requests: {:#?}",
                    current.map(|k| k.status),
                    self.events_in(namespace, name).await,
                    self.standin
                        .requests()
                        .iter()
                        .map(|r| format!("{} {} {}", r.method, r.path, r.status))
                        .collect::<Vec<_>>()
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Replaces the Kluster's node pools (a merge patch of the spec) and waits until the operator
    /// has applied that generation (`status.observedGeneration`).
    pub async fn set_node_pools(&self, name: &str, pools: serde_json::Value, timeout: Duration) -> Kluster {
        let patch = serde_json::json!({"spec": {"nodePools": pools}});
        let patched = self
            .klusters()
            .patch(name, &patch_params(), &Patch::Merge(&patch))
            .await
            .unwrap();
        let generation = patched.metadata.generation;
        self.wait_for(name, timeout, |k| {
            kluster::operator::status::current(k).observed_generation == generation
        })
        .await
    }

    /// Waits until the Kluster is gone.
    pub async fn wait_gone(&self, name: &str, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.klusters().get_opt(name).await.unwrap().is_some() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{name} was not deleted; events: {:#?}",
                self.events(name).await
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// `(type, reason, note)` of the events about `name`, oldest first.
    pub async fn events(&self, name: &str) -> Vec<(String, String, String)> {
        self.events_in(NS, name).await
    }

    /// [`Env::events`] in `namespace`.
    pub async fn events_in(&self, namespace: &str, name: &str) -> Vec<(String, String, String)> {
        self.seen_events_in(namespace, name)
            .await
            .into_iter()
            .map(|e| (e.type_, e.reason, e.note))
            .collect()
    }

    /// The events about `name` with their series counts and field managers, oldest first.
    pub async fn seen_events(&self, name: &str) -> Vec<SeenEvent> {
        self.seen_events_in(NS, name).await
    }

    /// [`Env::seen_events`] in `namespace`.
    pub async fn seen_events_in(&self, namespace: &str, name: &str) -> Vec<SeenEvent> {
        let api: Api<Event> = Api::namespaced(self.client.clone(), namespace);
        let mut events: Vec<Event> = api
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .filter(|e| e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name))
            .collect();
        events.sort_by_key(|e| e.event_time.as_ref().map(|t| t.0));
        events
            .into_iter()
            .map(|e| SeenEvent {
                managers: e
                    .metadata
                    .managed_fields
                    .iter()
                    .flatten()
                    .map(|m| m.manager.clone().unwrap_or_default())
                    .collect(),
                count: e.series.as_ref().map(|s| s.count).unwrap_or(1),
                type_: e.type_.unwrap_or_default(),
                reason: e.reason.unwrap_or_default(),
                note: e.note.unwrap_or_default(),
            })
            .collect()
    }

    /// The notes of the events about `name` with `reason`, oldest first.
    pub async fn notes(&self, name: &str, reason: &str) -> Vec<String> {
        self.events(name)
            .await
            .into_iter()
            .filter(|(_, r, _)| r == reason)
            .map(|(_, _, note)| note)
            .collect()
    }

    /// Reasons of the events about `name`, oldest first.
    pub async fn reasons(&self, name: &str) -> Vec<String> {
        self.events(name)
            .await
            .into_iter()
            .map(|(_, reason, _)| reason)
            .collect()
    }
}

/// A Kluster with one pool `default` of `count` nodes, token from Secret `do-token`.
pub fn kluster(name: &str, count: i32) -> Kluster {
    let mut k = Kluster::new(
        name,
        KlusterSpec {
            name: format!("{name}-cluster"),
            region: "nyc1".into(),
            version: "latest".into(),
            node_pools: vec![NodePool {
                name: "default".into(),
                size: "s-2vcpu-4gb".into(),
                count,
            }],
            token: TokenSource {
                secret_key_ref: SecretKeyRef {
                    name: "do-token".into(),
                    key: "token".into(),
                },
            },
        },
    );
    k.metadata.namespace = Some(NS.to_string());
    k
}

/// Whether the Kluster is Running with Ready=True.
pub fn is_running(k: &Kluster) -> bool {
    let status = kluster::operator::status::current(k);
    status.progress == Some(kluster::api::v1beta1::Progress::Running)
        && kluster::operator::status::ready_condition(&status).is_some_and(|c| c.status == "True")
}
