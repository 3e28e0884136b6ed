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
use kube::runtime::events::{Event, EventType};
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use serde_json::{Value, json};
use tracing::{debug, info, warn};

use super::context::{Context, FINALIZER, MANAGER, Metrics, owner_tag};
use super::nodepools::{self, PoolChange};
use super::status::{self, reasons};
use crate::api::v1alpha1::{Kluster, KlusterStatus, Progress};
use crate::digitalocean::{ClusterCreate, ClusterState, DoClient, DoError, Token};

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
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    /// A DigitalOcean API call failed.
    #[error("{0}")]
    DigitalOcean(#[from] DoError),
    /// The token Secret or its key is missing or empty.
    #[error("{0}")]
    Token(String),
}

/// Event reasons, as `kubectl describe` shows them.
pub mod events {
    /// Before the create call.
    pub const CREATING: &str = "Creating";
    /// DigitalOcean accepted the cluster.
    pub const CREATED: &str = "Created";
    /// DigitalOcean is provisioning the cluster.
    pub const PROVISIONING: &str = "Provisioning";
    /// The cluster runs and its kubeconfig is stored.
    pub const RUNNING: &str = "Running";
    /// Node pools are being changed.
    pub const UPDATING_NODE_POOLS: &str = "UpdatingNodePools";
    /// Deletion started.
    pub const DELETING: &str = "Deleting";
    /// The cluster is gone.
    pub const DELETED: &str = "Deleted";
    /// An existing cluster tagged with the Kluster's uid was adopted.
    pub const ADOPTED: &str = "Adopted";
    /// The token Secret or key is missing.
    pub const TOKEN_MISSING: &str = "TokenSecretMissing";
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
        debug!(kluster = %key, "gone from the cache");
        return Ok(Outcome::Done);
    };
    let kluster = (*cached).clone();
    let run = Reconciler {
        ctx,
        namespace,
        kluster,
    };
    if run.kluster.metadata.deletion_timestamp.is_some() {
        run.finalize().await
    } else if run.ensure_finalizer().await? {
        // The finalizer's update event brings the key back, with the object as written.
        Ok(Outcome::Done)
    } else {
        run.apply().await
    }
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

    fn klusters(&self) -> crate::generated::kgen_v1alpha1::KlusterClient {
        self.ctx.clientset.kgen_v1alpha1().klusters(&self.namespace)
    }

    async fn event(&self, type_: EventType, reason: &str, note: String) {
        let reference = self.kluster.object_ref(&());
        let event = Event {
            type_,
            reason: reason.to_string(),
            note: Some(note),
            action: reason.to_string(),
            secondary: None,
        };
        if let Err(e) = self.ctx.recorder.publish(&event, &reference).await {
            warn!(kluster = %self.name(), reason, error = %e, "could not publish event");
        }
    }

    async fn warn_api(&self, what: &str, error: &DoError) {
        self.event(
            EventType::Warning,
            events::API_ERROR,
            format!("{what}: {}", error.api_message()),
        )
        .await;
    }

    /// Adds the finalizer first, so the cluster can always be cleaned up; true if it was added.
    async fn ensure_finalizer(&self) -> Result<bool, ReconcileError> {
        let finalizers = self.kluster.finalizers();
        if finalizers.iter().any(|f| f == FINALIZER) {
            return Ok(false);
        }
        let patch = if self.kluster.metadata.finalizers.is_none() {
            json!([
                {"op": "test", "path": "/metadata/finalizers", "value": null},
                {"op": "add", "path": "/metadata/finalizers", "value": [FINALIZER]},
            ])
        } else {
            json!([
                {"op": "test", "path": "/metadata/finalizers", "value": finalizers},
                {"op": "add", "path": "/metadata/finalizers/-", "value": FINALIZER},
            ])
        };
        let patch: json_patch::Patch = serde_json::from_value(patch).expect("a valid JSON patch");
        self.klusters()
            .patch(&self.name(), &PatchParams::default(), &Patch::<()>::Json(patch))
            .await?;
        Ok(true)
    }

    async fn remove_finalizer(&self) -> Result<(), ReconcileError> {
        let finalizers = self.kluster.finalizers();
        let rest: Vec<&String> = finalizers.iter().filter(|f| *f != FINALIZER).collect();
        let patch = json!([
            {"op": "test", "path": "/metadata/finalizers", "value": finalizers},
            {"op": "replace", "path": "/metadata/finalizers", "value": rest},
        ]);
        let patch: json_patch::Patch = serde_json::from_value(patch).expect("a valid JSON patch");
        match self
            .klusters()
            .patch(&self.name(), &PatchParams::default(), &Patch::<()>::Json(patch))
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
                "observedGeneration",
                "conditions",
            ] {
                map.entry(key).or_insert(Value::Null);
            }
        }
        let patch = json!({ "status": body });
        let updated = self
            .klusters()
            .patch_status(&self.name(), &PatchParams::default(), &Patch::Merge(&patch))
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

    /// The DigitalOcean client for the token in `spec.tokenSecretRef`.
    async fn digitalocean(&mut self) -> Result<DoClient, ReconcileError> {
        match self.read_token().await? {
            Ok(token) => Ok(self.ctx.digitalocean.client(token)),
            Err(problem) => {
                self.event(EventType::Warning, events::TOKEN_MISSING, problem.clone())
                    .await;
                self.set_condition(None, false, reasons::TOKEN_MISSING, problem.clone())
                    .await?;
                Err(ReconcileError::Token(problem))
            }
        }
    }

    /// The token, or what is wrong with the Secret (never the token itself).
    async fn read_token(&self) -> Result<Result<Token, String>, ReconcileError> {
        let reference = &self.kluster.spec.token_secret_ref;
        let secrets: Api<Secret> = Api::namespaced(self.ctx.clientset.client().clone(), &self.namespace);
        let Some(secret) = secrets.get_opt(&reference.name).await? else {
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
        match value {
            Some(token) if !token.is_empty() => Ok(Ok(Token::new(token))),
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

    fn poll_interval(&self) -> Duration {
        // Back off with the time already spent waiting: a quarter of it, within the bounds.
        let timing = &self.ctx.timing;
        let since = status::ready_condition(&status::current(&self.kluster))
            .map(|c| Timestamp::now().duration_since(c.last_transition_time.0))
            .and_then(|d| Duration::try_from(d).ok())
            .unwrap_or_default();
        (since / 4).clamp(timing.poll_min, timing.poll_max)
    }

    /// Create or adopt, wait for Running, store the kubeconfig, keep node pools in step.
    async fn apply(mut self) -> Result<Outcome, ReconcileError> {
        let client = self.digitalocean().await?;
        let mut current = status::current(&self.kluster);
        if current.cluster_id.is_none() && current.progress == Some(Progress::Creating) {
            // The cache may not have our last status write yet: read the Kluster itself before
            // concluding that a create may have been lost.
            self.kluster = self.klusters().get(&self.name()).await?;
            current = status::current(&self.kluster);
        }
        let cluster_id = match current.cluster_id.clone() {
            Some(id) => id,
            None => return self.create(&client, current.progress == Some(Progress::Creating)).await,
        };
        let cluster = match client.get_cluster(&cluster_id).await {
            Ok(c) => c,
            Err(e) if e.is_not_found() => return self.cluster_vanished(&cluster_id).await,
            Err(e) => {
                self.warn_api(&format!("reading cluster {cluster_id}"), &e).await;
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
            .unwrap_or_else(|| format!("cluster {cluster_id} is {state:?}").to_lowercase());
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
                    info!(kluster = %self.name(), cluster = %found.id, "adopting the cluster tagged with the Kluster's uid");
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
                    self.warn_api("looking for an existing cluster", &e).await;
                    return Err(e.into());
                }
            }
        }
        // Record the intent before the call, so a crash after it leads to the lookup above.
        self.set_condition(
            Some(Progress::Creating),
            false,
            reasons::CREATING,
            "creating the cluster".into(),
        )
        .await?;
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
                self.warn_api("creating the cluster", &e).await;
                let message = format!("create failed: {}", e.api_message());
                self.set_condition(Some(Progress::Creating), false, reasons::API_ERROR, message)
                    .await?;
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
        new.progress = Some(Progress::Pending);
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
        cluster: &crate::digitalocean::Cluster,
        progress: Progress,
        ready: bool,
        reason: &str,
        message: String,
    ) -> Result<Outcome, ReconcileError> {
        let secret_name = format!("{}-kubeconfig", self.name());
        self.ensure_kubeconfig(client, &cluster.id, &secret_name).await?;

        let tags = vec![owner_tag(&self.kluster.uid().unwrap_or_default())];
        let changes = nodepools::plan(&self.kluster.spec.node_pools, &cluster.node_pools, &tags);
        if !changes.is_empty() {
            let summary = changes.iter().map(PoolChange::describe).collect::<Vec<_>>().join(", ");
            self.event(EventType::Normal, events::UPDATING_NODE_POOLS, summary)
                .await;
            for change in &changes {
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
                    self.warn_api(&change.describe(), &e).await;
                    return Err(e.into());
                }
            }
        }

        let was_running = status::current(&self.kluster).progress == Some(Progress::Running);
        let mut new = status::current(&self.kluster);
        new.progress = Some(progress);
        new.kubeconfig_secret = Some(secret_name);
        // The spec is applied once no node pool change is left to make.
        if changes.is_empty() {
            new.observed_generation = self.kluster.metadata.generation;
        }
        status::set_ready(&mut new, ready, reason, &message, self.kluster.metadata.generation);
        // The event goes first: whoever sees Running in the status finds the event too.
        if !was_running && progress == Progress::Running {
            let endpoint = cluster.endpoint.clone().unwrap_or_default();
            self.event(
                EventType::Normal,
                events::RUNNING,
                format!("cluster {} is running at {endpoint}", cluster.id),
            )
            .await;
        }
        self.write_status(new).await?;
        if changes.is_empty() {
            Ok(Outcome::RequeueAfter(self.ctx.timing.resync))
        } else {
            Ok(Outcome::RequeueAfter(self.ctx.timing.poll_min))
        }
    }

    /// Stores the kubeconfig in a Secret owned by the Kluster (fetched when missing or a day old).
    async fn ensure_kubeconfig(
        &self,
        client: &DoClient,
        cluster_id: &str,
        secret_name: &str,
    ) -> Result<(), ReconcileError> {
        let secrets: Api<Secret> = Api::namespaced(self.ctx.clientset.client().clone(), &self.namespace);
        if let Some(existing) = secrets.get_opt(secret_name).await? {
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
                self.warn_api("fetching the kubeconfig", &e).await;
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
        secrets
            .patch(secret_name, &PatchParams::apply(MANAGER).force(), &Patch::Apply(&value))
            .await?;
        Ok(())
    }

    /// Deletes the cluster at DigitalOcean, waits until it is gone, then lets the Kluster go.
    async fn finalize(mut self) -> Result<Outcome, ReconcileError> {
        if !self.kluster.finalizers().iter().any(|f| f == FINALIZER) {
            return Ok(Outcome::Done);
        }
        let current = status::current(&self.kluster);
        let delete_requested = current.progress == Some(Progress::Deleting)
            && status::ready_condition(&current).is_some_and(|c| c.reason == reasons::DELETING);
        let client = self.digitalocean().await?;
        let cluster_id = match current.cluster_id.clone() {
            Some(id) => Some(id),
            // A create may have gone out before its id was recorded.
            None if current.progress == Some(Progress::Creating) => client
                .find_cluster_by_tag(&owner_tag(&self.kluster.uid().unwrap_or_default()))
                .await?
                .map(|c| c.id),
            None => None,
        };
        if let Some(id) = &cluster_id {
            if !delete_requested {
                self.event(EventType::Normal, events::DELETING, format!("deleting cluster {id}"))
                    .await;
                match client.delete_cluster(id).await {
                    Ok(()) => {}
                    Err(e) if e.is_not_found() => {}
                    Err(e) => {
                        self.warn_api(&format!("deleting cluster {id}"), &e).await;
                        return Err(e.into());
                    }
                }
                let mut new = current.clone();
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
                    self.warn_api(&format!("reading cluster {id}"), &e).await;
                    return Err(e.into());
                }
            }
            self.event(EventType::Normal, events::DELETED, format!("cluster {id} is gone"))
                .await;
        }
        self.remove_finalizer().await?;
        info!(kluster = %self.name(), "finalized");
        Ok(Outcome::Done)
    }
}
