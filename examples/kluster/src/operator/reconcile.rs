//! One reconcile of one Kluster: level-based and idempotent. It reads the Kluster from the
//! informer's cache, compares it with DigitalOcean, makes one step towards the spec, writes the
//! status and says when to look again.

use std::collections::BTreeMap;
use std::time::Duration;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};
use tracing::{debug, info, warn};

use super::context::{Context, FINALIZER, MANAGER, Metrics, kube_error_text, owner_tag};
use super::nodepools::{self, PoolChange};
use super::recorder::EventType;
use super::status::{self, SYNCED, reasons};
use super::tokens::{self, Protection, TOKEN_FINALIZER};
use super::versions::{self, Need};
use crate::api::v1beta1::{Kluster, KlusterStatus, Progress};
use crate::digitalocean::{Cluster, ClusterCreate, ClusterState, DoClient, DoError, Token};

/// What the controller does with the key after a successful reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to wait for; the next change of the Kluster brings it back.
    Done,
    /// Look again after this long (polling DigitalOcean, periodic drift check).
    RequeueAfter(Duration),
}

/// Why a reconcile failed; the key is retried with per-item exponential backoff.
#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    /// A Kubernetes API call failed.
    #[error("Kubernetes API {}", kube_error_text(.0))]
    Kube(#[from] kube::Error),
    /// A DigitalOcean API call failed.
    #[error("{0}")]
    DigitalOcean(#[from] DoError),
    /// The token Secret or its key is missing or empty.
    #[error("{0}")]
    Token(String),
}

/// Event reasons, as `kubectl describe` shows them. Each action has its own reason, and events
/// with different notes are separate events ([`super::recorder`]).
pub mod events {
    /// Before the create call.
    pub const CREATING: &str = "Creating";
    /// DigitalOcean accepted the cluster.
    pub const CREATED: &str = "Created";
    /// DigitalOcean is provisioning the cluster.
    pub const PROVISIONING: &str = "Provisioning";
    /// The cluster runs and its kubeconfig is stored.
    pub const RUNNING: &str = "Running";
    /// A node pool is being added.
    pub const ADDING_NODE_POOL: &str = "AddingNodePool";
    /// A node pool is being resized.
    pub const RESIZING_NODE_POOL: &str = "ResizingNodePool";
    /// A node pool is being deleted.
    pub const DELETING_NODE_POOL: &str = "DeletingNodePool";
    /// An upgrade was requested at DigitalOcean.
    pub const UPGRADING: &str = "Upgrading";
    /// The cluster runs the version the spec asks for, after an upgrade.
    pub const UPGRADED: &str = "Upgraded";
    /// `spec.version` is older than the cluster's.
    pub const DOWNGRADE_REFUSED: &str = "DowngradeRefused";
    /// No upgrade to `spec.version` is offered.
    pub const UPGRADE_UNAVAILABLE: &str = "UpgradeUnavailable";
    /// The kubeconfig Secret was missing and was stored again.
    pub const KUBECONFIG_RESTORED: &str = "KubeconfigRestored";
    /// Writing the kubeconfig Secret failed.
    pub const KUBECONFIG_FAILED: &str = "KubeconfigSecretFailed";
    /// Deletion started.
    pub const DELETING: &str = "Deleting";
    /// The cluster is gone.
    pub const DELETED: &str = "Deleted";
    /// An existing cluster tagged with the Kluster's uid was adopted.
    pub const ADOPTED: &str = "Adopted";
    /// The token Secret or key is missing.
    pub const TOKEN_MISSING: &str = "TokenSecretMissing";
    /// The token Secret could not be read or protected.
    pub const TOKEN_UNREADABLE: &str = "TokenSecretUnreadable";
    /// A DigitalOcean call failed.
    pub const API_ERROR: &str = "DigitalOceanAPIError";
    /// The cluster vanished at DigitalOcean and will be created again.
    pub const CLUSTER_NOT_FOUND: &str = "ClusterNotFound";
    /// DigitalOcean reports the cluster in error.
    pub const CLUSTER_ERROR: &str = "ClusterError";
}

/// The annotation on the kubeconfig Secret that records when the kubeconfig was fetched
/// (DigitalOcean's kubeconfigs expire after 7 days; they are refreshed daily).
pub const FETCHED_AT: &str = "kgen.dev/kubeconfig-fetched-at";
const KUBECONFIG_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

/// Reconciles the Kluster `key` names.
pub async fn reconcile(ctx: &Context, key: &ObjectRef<Kluster>) -> Result<Outcome, ReconcileError> {
    Metrics::inc(&ctx.metrics.reconciles);
    let namespace = key.namespace.clone().unwrap_or_default();
    let Some(cached) = ctx.lister.klusters(&namespace).get(&key.name) else {
        debug!(namespace = %namespace, name = %key.name, "gone from the cache");
        return Ok(Outcome::Done);
    };
    let kluster = (*cached).clone();
    let mut run = Reconciler {
        ctx,
        namespace,
        kluster,
    };
    if run.kluster.metadata.deletion_timestamp.is_some() {
        run.finalize().await
    } else if run.first_sight().await? {
        // The finalizer's update event brings the key back, with the object as written.
        Ok(Outcome::Done)
    } else {
        run.apply().await
    }
}

/// The token and the Secret it was read from.
struct TokenSecret {
    token: Token,
    protected: bool,
}

struct Reconciler<'a> {
    ctx: &'a Context,
    namespace: String,
    kluster: Kluster,
}

impl Reconciler<'_> {
    fn name(&self) -> String {
        self.kluster.name_any()
    }

    fn secret_name(&self) -> String {
        self.kluster.spec.token.secret_key_ref.name.clone()
    }

    fn klusters(&self) -> crate::generated::kgen_v1beta1::KlusterClient {
        self.ctx.clientset.kgen_v1beta1().klusters(&self.namespace)
    }

    fn secrets(&self) -> Api<Secret> {
        Api::namespaced(self.ctx.clientset.client().clone(), &self.namespace)
    }

    async fn event(&self, type_: EventType, reason: &str, note: String) {
        let reference = self.kluster.object_ref(&());
        if let Err(e) = self.ctx.recorder.publish(&reference, type_, reason, &note).await {
            warn!(namespace = %self.namespace, name = %self.name(), reason, error = %kube_error_text(&e),
                "could not publish event");
        }
    }

    /// A failure that stops progress: a Warning event with the API's message, and the same reason
    /// and message on Ready=False while the cluster is not up, or on Synced=False once it runs.
    async fn fail(&mut self, reason: &str, message: String) {
        self.event(EventType::Warning, reason, message.clone()).await;
        let mut new = status::current(&self.kluster);
        let generation = self.kluster.metadata.generation;
        if status::ready_condition(&new).is_some_and(|c| c.status == "True") {
            status::set_condition(&mut new, SYNCED, false, reason, &message, generation);
        } else {
            status::set_ready(&mut new, false, reason, &message, generation);
        }
        if let Err(e) = self.write_status(new).await {
            debug!(namespace = %self.namespace, name = %self.name(), error = %e, "could not record the failure in the status");
        }
    }

    /// [`Self::fail`] for a DigitalOcean error, whose message carries the request id.
    async fn fail_api(&mut self, what: &str, error: &DoError) {
        self.fail(reasons::API_ERROR, format!("{what}: {}", error.api_message()))
            .await;
    }

    /// First sight: adds the finalizer (so the cluster can always be cleaned up) and writes
    /// progress `Pending`; true if the finalizer was added.
    async fn first_sight(&mut self) -> Result<bool, ReconcileError> {
        let added = if self.kluster.finalizers().iter().any(|f| f == FINALIZER) {
            false
        } else {
            let patch = tokens::add_finalizer_patch(self.kluster.metadata.finalizers.as_ref(), FINALIZER);
            self.kluster = self
                .klusters()
                .patch(&self.name(), &tokens::params(), &Patch::<()>::Json(patch))
                .await?;
            true
        };
        if status::current(&self.kluster).progress.is_none() {
            let mut new = status::current(&self.kluster);
            new.progress = Some(Progress::Pending);
            status::set_ready(
                &mut new,
                false,
                reasons::PENDING,
                "accepted; reading the DigitalOcean token",
                self.kluster.metadata.generation,
            );
            self.write_status(new).await?;
        }
        Ok(added)
    }

    async fn remove_finalizer(&self) -> Result<(), ReconcileError> {
        let patch = tokens::remove_finalizer_patch(self.kluster.finalizers(), FINALIZER);
        match self
            .klusters()
            .patch(&self.name(), &tokens::params(), &Patch::<()>::Json(patch))
            .await
        {
            Ok(_) => Ok(()),
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// Writes `new` if it differs from the cached status (a merge patch of the status
    /// subresource; absent fields are written as null so they are cleared).
    async fn write_status(&mut self, new: KlusterStatus) -> Result<(), ReconcileError> {
        let old = status::current(&self.kluster);
        if !status::differs(&old, &new) {
            return Ok(());
        }
        let mut body = serde_json::to_value(&new).expect("status serializes");
        if let Value::Object(map) = &mut body {
            for key in [
                "clusterID",
                "progress",
                "kubeconfigSecret",
                "version",
                "observedGeneration",
                "conditions",
            ] {
                map.entry(key).or_insert(Value::Null);
            }
        }
        let patch = json!({ "status": body });
        let updated = self
            .klusters()
            .patch_status(&self.name(), &tokens::params(), &Patch::Merge(&patch))
            .await?;
        self.kluster = updated;
        Ok(())
    }

    async fn set_condition(
        &mut self,
        progress: Option<Progress>,
        ready: bool,
        reason: &str,
        message: String,
    ) -> Result<(), ReconcileError> {
        let mut new = status::current(&self.kluster);
        if progress.is_some() {
            new.progress = progress;
        }
        status::set_ready(&mut new, ready, reason, &message, self.kluster.metadata.generation);
        self.write_status(new).await
    }

    /// The token in `spec.tokenSecretRef` and whether its Secret is protected; a missing Secret
    /// or key is a Warning event and Ready=False.
    async fn token(&mut self) -> Result<TokenSecret, ReconcileError> {
        match self.read_token().await {
            Ok(Ok(token)) => Ok(token),
            Ok(Err(problem)) => {
                self.event(EventType::Warning, events::TOKEN_MISSING, problem.clone())
                    .await;
                self.set_condition(None, false, reasons::TOKEN_MISSING, problem.clone())
                    .await?;
                Err(ReconcileError::Token(problem))
            }
            Err(e) => {
                let message = format!(
                    "reading Secret {}/{}: {}",
                    self.namespace,
                    self.secret_name(),
                    kube_error_text(&e)
                );
                self.fail(reasons::TOKEN_UNREADABLE, message).await;
                Err(e.into())
            }
        }
    }

    /// The token, or what is wrong with the Secret (never the token itself).
    async fn read_token(&self) -> Result<Result<TokenSecret, String>, kube::Error> {
        let reference = &self.kluster.spec.token.secret_key_ref;
        let Some(secret) = self.secrets().get_opt(&reference.name).await? else {
            return Ok(Err(format!("Secret {}/{} not found", self.namespace, reference.name)));
        };
        let value = secret
            .data
            .as_ref()
            .and_then(|d| d.get(&reference.key))
            .map(|ByteString(bytes)| String::from_utf8_lossy(bytes).trim().to_string())
            .or_else(|| {
                secret
                    .string_data
                    .as_ref()
                    .and_then(|d| d.get(&reference.key))
                    .map(|s| s.trim().to_string())
            });
        let protected = secret.finalizers().iter().any(|f| f == TOKEN_FINALIZER);
        match value {
            Some(token) if !token.is_empty() => Ok(Ok(TokenSecret {
                token: Token::new(token),
                protected,
            })),
            Some(_) => Ok(Err(format!(
                "key {:?} of Secret {}/{} is empty",
                reference.key, self.namespace, reference.name
            ))),
            None => Ok(Err(format!(
                "Secret {}/{} has no key {:?}",
                self.namespace, reference.name, reference.key
            ))),
        }
    }

    /// Puts the token finalizer on the Secret (see [`super::tokens`]); the caller holds its lock.
    /// A Secret that is gone or being deleted cannot be protected: Ready=False, and an error.
    async fn protect_token(&mut self) -> Result<(), ReconcileError> {
        let secret = self.secret_name();
        match tokens::protect(self.ctx, &self.namespace, &secret).await {
            Ok(Protection::Protected) => Ok(()),
            Ok(found) => {
                let problem = match found {
                    Protection::Missing => format!("Secret {}/{secret} not found", self.namespace),
                    _ => format!(
                        "Secret {}/{secret} is being deleted; no cluster is created with its token",
                        self.namespace
                    ),
                };
                self.event(EventType::Warning, events::TOKEN_MISSING, problem.clone())
                    .await;
                self.set_condition(None, false, reasons::TOKEN_MISSING, problem.clone())
                    .await?;
                Err(ReconcileError::Token(problem))
            }
            Err(e) => {
                let message = format!(
                    "adding finalizer {TOKEN_FINALIZER} to Secret {}/{secret}: {}",
                    self.namespace,
                    kube_error_text(&e)
                );
                self.fail(reasons::TOKEN_UNREADABLE, message).await;
                Err(e.into())
            }
        }
    }

    fn poll_interval(&self) -> Duration {
        // Back off with the time already spent waiting: a quarter of it, within the bounds.
        let timing = &self.ctx.timing;
        let since = status::ready_condition(&status::current(&self.kluster))
            .map(|c| Timestamp::now().duration_since(c.last_transition_time.0))
            .and_then(|d| Duration::try_from(d).ok())
            .unwrap_or_default();
        (since / 4).clamp(timing.poll_min, timing.poll_max)
    }

    /// Create or adopt, wait for Running, store the kubeconfig, keep node pools and the version
    /// in step.
    async fn apply(mut self) -> Result<Outcome, ReconcileError> {
        let token = self.token().await?;
        let client = self.ctx.digitalocean.client(token.token);
        if let Some(offers) = &self.ctx.offers {
            // For the validating webhook; a failure only leaves the old answer in place.
            if let Err(e) = offers.refresh_if_stale(&client).await {
                tracing::warn!(error = %e, "reading DigitalOcean's Kubernetes options");
            }
        }
        let mut current = status::current(&self.kluster);
        if current.cluster_id.is_none() && current.progress == Some(Progress::Creating) {
            // The cache may not have our last status write yet: read the Kluster itself before
            // concluding that a create may have been lost.
            self.kluster = self.klusters().get(&self.name()).await?;
            current = status::current(&self.kluster);
        }
        if status::may_have_cluster(&current) && !token.protected {
            // Made by an earlier version, or the Kluster now names another Secret.
            let secret = self.secret_name();
            let _guard = self.ctx.tokens.lock(&self.namespace, &secret).await;
            match tokens::protect(self.ctx, &self.namespace, &secret).await {
                Ok(Protection::Protected) => {}
                Ok(_) => {
                    let note = format!(
                        "Secret {}/{secret} is being deleted, and deleting cluster {} needs its token",
                        self.namespace,
                        current.cluster_id.as_deref().unwrap_or("(being created)")
                    );
                    self.event(EventType::Warning, events::TOKEN_MISSING, note).await;
                }
                Err(e) => {
                    let message = format!(
                        "adding finalizer {TOKEN_FINALIZER} to Secret {}/{secret}: {}",
                        self.namespace,
                        kube_error_text(&e)
                    );
                    self.fail(reasons::TOKEN_UNREADABLE, message).await;
                    return Err(e.into());
                }
            }
        }
        let cluster_id = match current.cluster_id.clone() {
            Some(id) => id,
            None => return self.create(&client, current.progress == Some(Progress::Creating)).await,
        };
        let cluster = match client.get_cluster(&cluster_id).await {
            Ok(c) => c,
            Err(e) if e.is_not_found() => return self.cluster_vanished(&cluster_id).await,
            Err(e) => {
                self.fail_api(&format!("reading cluster {cluster_id}"), &e).await;
                return Err(e.into());
            }
        };
        let state = cluster
            .status
            .as_ref()
            .map(|s| s.state.clone())
            .unwrap_or(ClusterState::Provisioning);
        if matches!(state, ClusterState::Deleted | ClusterState::Deleting) {
            return self.cluster_vanished(&cluster_id).await;
        }
        let (progress, ready, reason) = status::from_cluster_state(&state);
        let message = cluster
            .status
            .as_ref()
            .and_then(|s| s.message.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| format!("cluster {cluster_id} is {state}"));
        match state {
            ClusterState::Running | ClusterState::Upgrading | ClusterState::Degraded => {
                self.running(&client, &cluster, progress, ready, reason, message).await
            }
            ClusterState::Error => {
                if status::ready_condition(&current).map(|c| c.reason.as_str()) != Some(reasons::CLUSTER_ERROR) {
                    self.event(EventType::Warning, events::CLUSTER_ERROR, message.clone())
                        .await;
                }
                self.set_condition(Some(progress), ready, reason, message).await?;
                Ok(Outcome::RequeueAfter(self.ctx.timing.poll_max))
            }
            _ => {
                let was = status::ready_condition(&current).map(|c| c.reason.clone());
                if was.as_deref() != Some(reasons::PROVISIONING) {
                    self.event(
                        EventType::Normal,
                        events::PROVISIONING,
                        format!("DigitalOcean is provisioning cluster {cluster_id}"),
                    )
                    .await;
                }
                self.set_condition(Some(progress), ready, reason, message).await?;
                Ok(Outcome::RequeueAfter(self.poll_interval()))
            }
        }
    }

    /// No cluster id in the status: adopt the cluster tagged with our uid, or create one.
    async fn create(mut self, client: &DoClient, maybe_created: bool) -> Result<Outcome, ReconcileError> {
        let uid = self.kluster.uid().unwrap_or_default();
        let tag = owner_tag(&uid);
        // Only a run that may have sent the create call before dying needs the lookup; it keeps
        // create from being repeated blindly without costing every new Kluster a list call.
        if maybe_created {
            match client.find_cluster_by_tag(&tag).await {
                Ok(Some(found)) => {
                    info!(namespace = %self.namespace, name = %self.name(), cluster = %found.id,
                        "adopting the cluster tagged with the Kluster's uid");
                    self.event(
                        EventType::Normal,
                        events::ADOPTED,
                        format!("adopted cluster {} tagged {tag}", found.id),
                    )
                    .await;
                    return self.record_created(found.id).await;
                }
                Ok(None) => {}
                Err(e) => {
                    self.fail_api("looking for an existing cluster", &e).await;
                    return Err(e.into());
                }
            }
        }
        {
            // Protect the token, then record the intent before the call (a crash after it leads
            // to the lookup above), under the Secret's lock: a release check sees one or neither.
            let _guard = self.ctx.tokens.lock(&self.namespace, &self.secret_name()).await;
            self.protect_token().await?;
            self.set_condition(
                Some(Progress::Creating),
                false,
                reasons::CREATING,
                "creating the cluster".into(),
            )
            .await?;
        }
        let spec = &self.kluster.spec;
        let request = ClusterCreate {
            name: spec.name.clone(),
            region: spec.region.clone(),
            version: spec.version.clone(),
            node_pools: spec
                .node_pools
                .iter()
                .map(|p| nodepools::create_request(p, &[]))
                .collect(),
            tags: vec![tag],
        };
        self.event(
            EventType::Normal,
            events::CREATING,
            format!("creating cluster {} in {}", spec.name, spec.region),
        )
        .await;
        match client.create_cluster(&request).await {
            Ok(cluster) => {
                self.event(
                    EventType::Normal,
                    events::CREATED,
                    format!("DigitalOcean created cluster {}", cluster.id),
                )
                .await;
                self.record_created(cluster.id).await
            }
            Err(e) => {
                self.fail(reasons::API_ERROR, format!("create failed: {}", e.api_message()))
                    .await;
                Err(e.into())
            }
        }
    }

    async fn record_created(mut self, id: String) -> Result<Outcome, ReconcileError> {
        let mut new = status::current(&self.kluster);
        new.cluster_id = Some(id.clone());
        new.progress = Some(Progress::Creating);
        status::set_ready(
            &mut new,
            false,
            reasons::CREATING,
            &format!("cluster {id} created"),
            self.kluster.metadata.generation,
        );
        self.write_status(new).await?;
        Ok(Outcome::RequeueAfter(self.ctx.timing.poll_min))
    }

    async fn cluster_vanished(mut self, id: &str) -> Result<Outcome, ReconcileError> {
        let message = format!("cluster {id} no longer exists at DigitalOcean; creating it again");
        self.event(EventType::Warning, events::CLUSTER_NOT_FOUND, message.clone())
            .await;
        let mut new = status::current(&self.kluster);
        new.cluster_id = None;
        new.kubeconfig_secret = None;
        new.version = None;
        new.progress = Some(Progress::Pending);
        new.conditions.retain(|c| c.type_ != SYNCED);
        status::set_ready(
            &mut new,
            false,
            reasons::CLUSTER_NOT_FOUND,
            &message,
            self.kluster.metadata.generation,
        );
        self.write_status(new).await?;
        Ok(Outcome::RequeueAfter(self.ctx.timing.poll_min))
    }

    async fn running(
        mut self,
        client: &DoClient,
        cluster: &Cluster,
        progress: Progress,
        ready: bool,
        reason: &str,
        message: String,
    ) -> Result<Outcome, ReconcileError> {
        let secret_name = format!("{}-kubeconfig", self.name());
        self.ensure_kubeconfig(client, &cluster.id, &secret_name).await?;
        let before = status::current(&self.kluster);
        let generation = self.kluster.metadata.generation;

        // Node pools: each change is its own event.
        let tags = vec![owner_tag(&self.kluster.uid().unwrap_or_default())];
        let changes = nodepools::plan(&self.kluster.spec.node_pools, &cluster.node_pools, &tags);
        for change in &changes {
            let reason = match change {
                PoolChange::Add(_) => events::ADDING_NODE_POOL,
                PoolChange::Resize { .. } => events::RESIZING_NODE_POOL,
                PoolChange::Delete { .. } => events::DELETING_NODE_POOL,
            };
            self.event(EventType::Normal, reason, change.describe()).await;
            let result = match change {
                PoolChange::Add(pool) => client.add_node_pool(&cluster.id, pool).await.map(drop),
                PoolChange::Resize { pool_id, update } => {
                    client.update_node_pool(&cluster.id, pool_id, update).await.map(drop)
                }
                PoolChange::Delete { pool_id, .. } => match client.delete_node_pool(&cluster.id, pool_id).await {
                    Err(e) if e.is_not_found() => Ok(()),
                    other => other,
                },
            };
            if let Err(e) = result {
                self.fail_api(&change.describe(), &e).await;
                return Err(e.into());
            }
        }

        // The version: upgrade to a newer spec.version, refuse an older one.
        let mut progress = progress;
        let mut upgrading = state_is(cluster, &ClusterState::Upgrading);
        let (synced, synced_reason, synced_message, final_answer) = if !changes.is_empty() {
            let summary = changes.iter().map(PoolChange::describe).collect::<Vec<_>>().join(", ");
            (false, reasons::UPDATING_NODE_POOLS, summary, false)
        } else {
            match versions::need(&self.kluster.spec.version, &cluster.version) {
                Need::Current => (
                    true,
                    reasons::SYNCED,
                    format!("node pools and version {} match the spec", cluster.version),
                    true,
                ),
                Need::Upgrade if upgrading => (
                    false,
                    reasons::UPGRADING,
                    format!(
                        "DigitalOcean is upgrading cluster {} from {}",
                        cluster.id, cluster.version
                    ),
                    false,
                ),
                Need::Upgrade if upgrade_pending(&before) => {
                    upgrading = true;
                    progress = Progress::Upgrading;
                    (
                        false,
                        reasons::UPGRADING,
                        format!(
                            "waiting for DigitalOcean to start upgrading cluster {} from {}",
                            cluster.id, cluster.version
                        ),
                        false,
                    )
                }
                Need::Upgrade if !state_is(cluster, &ClusterState::Running) => (
                    false,
                    reasons::UPGRADING,
                    format!(
                        "waiting for cluster {} to be running before it is upgraded (it is {})",
                        cluster.id,
                        cluster.state()
                    ),
                    false,
                ),
                Need::Upgrade => match self.upgrade(client, cluster).await? {
                    Ok(target) => {
                        upgrading = true;
                        progress = Progress::Upgrading;
                        (
                            false,
                            reasons::UPGRADING,
                            format!("upgrading cluster {} from {} to {target}", cluster.id, cluster.version),
                            false,
                        )
                    }
                    Err(why) => (false, reasons::UPGRADE_UNAVAILABLE, why, true),
                },
                Need::Downgrade => (
                    false,
                    reasons::DOWNGRADE_REFUSED,
                    format!(
                        "spec.version {} is older than the cluster's version {}; DigitalOcean cannot downgrade a cluster",
                        self.kluster.spec.version, cluster.version
                    ),
                    true,
                ),
                Need::Unknown(why) => (false, reasons::UPGRADE_UNAVAILABLE, why, true),
            }
        };
        let refused = [reasons::DOWNGRADE_REFUSED, reasons::UPGRADE_UNAVAILABLE];
        let was = status::synced_condition(&before).map(|c| (c.reason.clone(), c.message.clone()));
        if refused.contains(&synced_reason)
            && was.as_ref().map(|(r, m)| (r.as_str(), m.as_str())) != Some((synced_reason, synced_message.as_str()))
        {
            self.event(EventType::Warning, synced_reason, synced_message.clone())
                .await;
        }
        if before.progress == Some(Progress::Upgrading) && !upgrading && synced {
            self.event(
                EventType::Normal,
                events::UPGRADED,
                format!("cluster {} runs {}", cluster.id, cluster.version),
            )
            .await;
        }

        let was_running = before.progress == Some(Progress::Running);
        let mut new = status::current(&self.kluster);
        new.progress = Some(progress);
        new.kubeconfig_secret = Some(secret_name);
        new.version = Some(cluster.version.clone()).filter(|v| !v.is_empty());
        // The spec is applied once nothing is left to do, or what is left cannot be done.
        if final_answer {
            new.observed_generation = generation;
        }
        status::set_ready(&mut new, ready, reason, &message, generation);
        status::set_condition(&mut new, SYNCED, synced, synced_reason, &synced_message, generation);
        // The event goes first: whoever sees Running in the status finds the event too.
        if !was_running && progress == Progress::Running && before.progress != Some(Progress::Upgrading) {
            let endpoint = cluster.endpoint.clone().unwrap_or_default();
            self.event(
                EventType::Normal,
                events::RUNNING,
                format!("cluster {} is running at {endpoint}", cluster.id),
            )
            .await;
        }
        self.write_status(new).await?;
        if !changes.is_empty() || upgrading {
            Ok(Outcome::RequeueAfter(self.ctx.timing.poll_min))
        } else {
            Ok(Outcome::RequeueAfter(self.ctx.timing.resync))
        }
    }

    /// Asks DigitalOcean for an upgrade to `spec.version`: the target slug, or why there is none.
    async fn upgrade(
        &mut self,
        client: &DoClient,
        cluster: &Cluster,
    ) -> Result<Result<String, String>, ReconcileError> {
        let offered = match client.get_available_upgrades(&cluster.id).await {
            Ok(o) => o,
            Err(e) => {
                self.fail_api(&format!("reading the upgrades of cluster {}", cluster.id), &e)
                    .await;
                return Err(e.into());
            }
        };
        let spec = self.kluster.spec.version.clone();
        let Some(target) = versions::pick(&spec, &offered) else {
            let list = offered.iter().map(|v| v.slug.as_str()).collect::<Vec<_>>().join(", ");
            return Ok(Err(format!(
                "DigitalOcean offers no upgrade of cluster {} from {} to {spec} (available: {})",
                cluster.id,
                cluster.version,
                if list.is_empty() { "none" } else { &list }
            )));
        };
        self.event(
            EventType::Normal,
            events::UPGRADING,
            format!("upgrading cluster {} from {} to {target}", cluster.id, cluster.version),
        )
        .await;
        if let Err(e) = client.upgrade_cluster(&cluster.id, &target).await {
            self.fail_api(&format!("upgrading cluster {} to {target}", cluster.id), &e)
                .await;
            return Err(e.into());
        }
        info!(namespace = %self.namespace, name = %self.name(), cluster = %cluster.id, from = %cluster.version, to = %target,
            "upgrade requested");
        Ok(Ok(target))
    }

    /// Stores the kubeconfig in a Secret owned by the Kluster (fetched when missing or a day old).
    async fn ensure_kubeconfig(
        &mut self,
        client: &DoClient,
        cluster_id: &str,
        secret_name: &str,
    ) -> Result<(), ReconcileError> {
        let secrets = self.secrets();
        let existing = secrets.get_opt(secret_name).await?;
        if let Some(existing) = &existing {
            let fetched = existing
                .annotations()
                .get(FETCHED_AT)
                .and_then(|t| t.parse::<Timestamp>().ok());
            let fresh = fetched.is_some_and(|t| {
                Duration::try_from(Timestamp::now().duration_since(t)).is_ok_and(|age| age < KUBECONFIG_MAX_AGE)
            });
            if fresh {
                return Ok(());
            }
        }
        let kubeconfig = match client.get_kubeconfig(cluster_id).await {
            Ok(k) => k,
            Err(e) => {
                self.fail_api("fetching the kubeconfig", &e).await;
                return Err(e.into());
            }
        };
        let owner = OwnerReference {
            api_version: Kluster::api_version(&()).to_string(),
            kind: Kluster::kind(&()).to_string(),
            name: self.name(),
            uid: self.kluster.uid().unwrap_or_default(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        };
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some(secret_name.to_string()),
                namespace: Some(self.namespace.clone()),
                owner_references: Some(vec![owner]),
                annotations: Some(BTreeMap::from([(FETCHED_AT.to_string(), Timestamp::now().to_string())])),
                labels: Some(BTreeMap::from([(
                    "app.kubernetes.io/managed-by".to_string(),
                    MANAGER.to_string(),
                )])),
                ..Default::default()
            },
            type_: Some("Opaque".into()),
            data: Some(BTreeMap::from([(
                "kubeconfig".to_string(),
                ByteString(kubeconfig.into_bytes()),
            )])),
            ..Default::default()
        };
        let mut value = serde_json::to_value(&secret).expect("a Secret serializes");
        value["apiVersion"] = json!("v1");
        value["kind"] = json!("Secret");
        if let Err(e) = secrets
            .patch(secret_name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&value))
            .await
        {
            let message = format!(
                "writing Secret {}/{secret_name}: {}",
                self.namespace,
                kube_error_text(&e)
            );
            self.event(EventType::Warning, events::KUBECONFIG_FAILED, message.clone())
                .await;
            let mut new = status::current(&self.kluster);
            status::set_ready(
                &mut new,
                false,
                reasons::KUBECONFIG_FAILED,
                &message,
                self.kluster.metadata.generation,
            );
            if let Err(write) = self.write_status(new).await {
                debug!(namespace = %self.namespace, name = %self.name(), error = %write, "could not record the failure in the status");
            }
            return Err(e.into());
        }
        if existing.is_none() && status::current(&self.kluster).kubeconfig_secret.is_some() {
            self.event(
                EventType::Normal,
                events::KUBECONFIG_RESTORED,
                format!(
                    "Secret {}/{secret_name} was missing; stored the kubeconfig again",
                    self.namespace
                ),
            )
            .await;
        }
        Ok(())
    }

    /// Deletes the cluster at DigitalOcean, waits until it is gone, then lets the Kluster go.
    async fn finalize(mut self) -> Result<Outcome, ReconcileError> {
        if !self.kluster.finalizers().iter().any(|f| f == FINALIZER) {
            return Ok(Outcome::Done);
        }
        let mut current = status::current(&self.kluster);
        if status::may_have_cluster(&current) && !deletion_requested(&current) {
            // The cache may not have our last status write (Deleting) yet: read the Kluster
            // itself, so the DELETE is sent once.
            match self.klusters().get_opt(&self.name()).await? {
                Some(fresh) => self.kluster = fresh,
                None => return Ok(Outcome::Done),
            }
            current = status::current(&self.kluster);
        }
        if !status::may_have_cluster(&current) {
            // No cluster recorded and no create ever sent: nothing to clean up, no token needed.
            self.remove_finalizer().await?;
            info!(namespace = %self.namespace, name = %self.name(), "finalized; no cluster had been created");
            return Ok(Outcome::Done);
        }
        let delete_requested = deletion_requested(&current);
        let token = self.token().await?;
        let client = self.ctx.digitalocean.client(token.token);
        let cluster_id = match current.cluster_id.clone() {
            Some(id) => Some(id),
            // A create may have gone out before its id was recorded.
            None => match client
                .find_cluster_by_tag(&owner_tag(&self.kluster.uid().unwrap_or_default()))
                .await
            {
                Ok(found) => found.map(|c| c.id),
                Err(e) => {
                    self.fail_api("looking for a cluster to delete", &e).await;
                    return Err(e.into());
                }
            },
        };
        if let Some(id) = &cluster_id {
            if !delete_requested {
                self.event(EventType::Normal, events::DELETING, format!("deleting cluster {id}"))
                    .await;
                match client.delete_cluster(id).await {
                    Ok(()) => {}
                    Err(e) if e.is_not_found() => {}
                    Err(e) => {
                        self.fail_api(&format!("deleting cluster {id}"), &e).await;
                        return Err(e.into());
                    }
                }
                let mut new = status::current(&self.kluster);
                new.cluster_id = Some(id.clone());
                new.progress = Some(Progress::Deleting);
                status::set_ready(
                    &mut new,
                    false,
                    reasons::DELETING,
                    &format!("cluster {id} is being deleted"),
                    self.kluster.metadata.generation,
                );
                self.write_status(new).await?;
            }
            match client.get_cluster(id).await {
                Err(e) if e.is_not_found() => {}
                Ok(c) if c.status.as_ref().is_some_and(|s| s.state == ClusterState::Deleted) => {}
                Ok(_) => return Ok(Outcome::RequeueAfter(self.poll_interval())),
                Err(e) => {
                    self.fail_api(&format!("reading cluster {id}"), &e).await;
                    return Err(e.into());
                }
            }
            self.event(EventType::Normal, events::DELETED, format!("cluster {id} is gone"))
                .await;
        }
        self.remove_finalizer().await?;
        self.ctx.secret_queue.add((self.namespace.clone(), self.secret_name()));
        info!(namespace = %self.namespace, name = %self.name(), cluster = ?cluster_id, "finalized");
        Ok(Outcome::Done)
    }
}

/// Whether the DELETE of the cluster was sent (and recorded).
fn deletion_requested(status: &KlusterStatus) -> bool {
    status.progress == Some(Progress::Deleting)
        && status::ready_condition(status).is_some_and(|c| c.reason == reasons::DELETING)
}

/// How long after an accepted upgrade request a cluster that still runs its old version is given
/// to start upgrading before the request is made again.
const UPGRADE_START_GRACE: Duration = Duration::from_secs(600);

/// Whether an upgrade was requested recently and DigitalOcean may not have started it yet (it
/// offers no upgrade meanwhile, which is no reason to report one unavailable).
fn upgrade_pending(before: &KlusterStatus) -> bool {
    before.progress == Some(Progress::Upgrading)
        && status::synced_condition(before).is_some_and(|c| {
            c.reason == reasons::UPGRADING
                && Duration::try_from(Timestamp::now().duration_since(c.last_transition_time.0))
                    .is_ok_and(|since| since < UPGRADE_START_GRACE)
        })
}

fn state_is(cluster: &Cluster, state: &ClusterState) -> bool {
    &cluster.state() == state
}
