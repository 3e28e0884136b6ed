//! The PodSet controller: keeps `spec.replicas` pods of the template running for each PodSet and
//! reports how many are ready. Built on kube-runtime's `Controller` with kgen's typed clients and
//! apply configurations; README's "Your first operator on kgen" walks through it.

use crate::api::v1::PodSet;
use crate::generated::Clientset;
use crate::generated::apply::api::v1::{PodSetApply, PodSetStatusApply};
use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use kube::runtime::controller::{Action, Controller};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};
use std::sync::Arc;
use std::time::Duration;

/// The field manager of every write the controller makes.
pub const MANAGER: &str = "podset-controller";
/// The label that ties a pod to its PodSet.
pub const OWNER_LABEL: &str = "podset.kgen.dev/name";

/// What reconciling can fail with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request to the API server failed.
    #[error("API request failed: {0}")]
    Kube(#[from] kube::Error),
    /// The PodSet has no namespace (it is a namespaced kind, so the API server always sets one).
    #[error("PodSet {0} has no namespace")]
    NoNamespace(String),
}

/// What `reconcile` needs.
pub struct Context {
    /// The `kube::Client` for Pods.
    pub client: kube::Client,
    /// The generated clientset, for PodSets.
    pub clients: Clientset,
}

/// Runs the controller until the stream of PodSets ends (forever, against a real cluster).
pub async fn run(client: kube::Client) {
    let clients = Clientset::new(client.clone());
    // The typed client's `api()` is the kube::Api kube-runtime wants.
    let podsets = clients.podset_v1().podsets_all().api().clone();
    let pods: Api<Pod> = Api::all(client.clone());
    Controller::new(podsets, watcher::Config::default())
        .owns(pods, watcher::Config::default().labels(OWNER_LABEL))
        .run(reconcile, error_policy, Arc::new(Context { client, clients }))
        .for_each(|result| async move {
            if let Err(e) = result {
                tracing::warn!("reconcile failed: {e}");
            }
        })
        .await;
}

/// Creates missing pods, deletes extra ones, and applies the status.
pub async fn reconcile(podset: Arc<PodSet>, ctx: Arc<Context>) -> Result<Action, Error> {
    let name = podset.name_any();
    let namespace = podset.namespace().ok_or_else(|| Error::NoNamespace(name.clone()))?;
    if podset.meta().deletion_timestamp.is_some() {
        return Ok(Action::await_change()); // the garbage collector removes the pods
    }
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    let selector = format!("{OWNER_LABEL}={name}");
    let mut owned: Vec<Pod> = pods
        .list(&ListParams::default().labels(&selector))
        .await?
        .items
        .into_iter()
        .filter(|p| p.meta().deletion_timestamp.is_none())
        .collect();
    owned.sort_by_key(|p| p.name_any());

    let wanted = podset.spec.replicas.unwrap_or(1).max(0) as usize;
    for _ in owned.len()..wanted {
        pods.create(&PostParams::default(), &pod_for(&podset)).await?;
    }
    for extra in owned.iter().skip(wanted) {
        pods.delete(&extra.name_any(), &DeleteParams::background()).await?;
    }

    let ready = owned.iter().take(wanted).filter(|p| is_ready(p)).count() as i32;
    let status = PodSetApply::new(&name, &namespace).status(PodSetStatusApply::default().ready_replicas(ready));
    ctx.clients
        .podset_v1()
        .podsets(&namespace)
        .apply_status(&status, MANAGER, true)
        .await?;
    Ok(Action::requeue(Duration::from_secs(300)))
}

/// Retries a failed reconcile after a short pause.
pub fn error_policy(_podset: Arc<PodSet>, _error: &Error, _ctx: Arc<Context>) -> Action {
    Action::requeue(Duration::from_secs(5))
}

/// A pod of the PodSet's template: named after the PodSet, labelled and owned by it.
pub fn pod_for(podset: &PodSet) -> Pod {
    let template = &podset.spec.template;
    let mut metadata = template.metadata.clone().unwrap_or_default();
    metadata.generate_name = Some(format!("{}-", podset.name_any()));
    metadata.namespace = podset.namespace();
    metadata
        .labels
        .get_or_insert_with(Default::default)
        .insert(OWNER_LABEL.into(), podset.name_any());
    metadata.owner_references = podset.controller_owner_ref(&()).map(|r| vec![r]);
    Pod {
        metadata,
        spec: template.spec.clone(),
        status: None,
    }
}

/// True when the pod's Ready condition is True.
pub fn is_ready(pod: &Pod) -> bool {
    pod.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}
