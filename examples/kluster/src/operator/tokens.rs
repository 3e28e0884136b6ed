//! Protecting the token Secrets that cleanups need, as Kubernetes protects a PVC in use.
//!
//! A Kluster needs its DigitalOcean token to delete its cluster. If the Secret could go first (a
//! namespace deletion deletes the Secret and the Klusters at the same moment; a user may delete it
//! by hand), the cluster would be left running at DigitalOcean and the Kluster stuck in its
//! finalizer. So the operator puts the finalizer [`TOKEN_FINALIZER`] on a token Secret *before* it
//! sends the first create call with it, and removes it only once no Kluster that may have a
//! cluster ([`status::may_have_cluster`] and the cleanup finalizer) refers to the Secret. A deleted
//! Secret then stays readable (`Terminating`) until the last cleanup that needs it is done.
//!
//! Adding and releasing never interleave: both run under the Secret's lock in [`TokenLocks`], and
//! a Kluster records its intent (progress `Creating`) under that lock before the create call, so
//! the release check, which reads every Kluster the cache does not show as a holder again from
//! the API server, sees it. A Kluster that has no cluster yet does not create one with a Secret
//! that is being deleted (it could not get a finalizer, and would keep the Secret from going).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::Secret;
use kgen_runtime::workqueue::WorkQueue;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use tracing::{debug, info, warn};

use super::context::{Context, FINALIZER, MANAGER, kube_error_text};
use super::status;
use crate::api::v1beta1::Kluster;

/// The finalizer the operator puts on a token Secret while a Kluster may need it for cleanup.
pub const TOKEN_FINALIZER: &str = "kgen.dev/token-in-use";

/// The Kluster informer's index of token Secrets: `namespace/name`.
pub const TOKEN_INDEX: &str = "token-secret";

/// Token Secrets to check, by `(namespace, name)`.
pub type SecretQueue = WorkQueue<SecretKey>;

/// The [`TOKEN_INDEX`] value of a Secret.
pub fn index_key(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}")
}

/// The [`TOKEN_INDEX`] values of a Kluster.
pub fn index_of(kluster: &Kluster) -> Vec<String> {
    vec![index_key(
        kluster.metadata.namespace.as_deref().unwrap_or_default(),
        &kluster.spec.token.secret_key_ref.name,
    )]
}

/// Whether `kluster` needs its token Secret kept: it may have a cluster and still has to clean up.
pub fn holds(kluster: &Kluster) -> bool {
    kluster.finalizers().iter().any(|f| f == FINALIZER) && status::may_have_cluster(&status::current(kluster))
}

/// A Secret's `(namespace, name)`.
type SecretKey = (String, String);

/// One async lock per token Secret.
#[derive(Default)]
pub struct TokenLocks {
    locks: Mutex<HashMap<SecretKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl TokenLocks {
    /// Waits for the lock of the Secret `namespace/name`.
    pub async fn lock(&self, namespace: &str, name: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            locks
                .entry((namespace.to_string(), name.to_string()))
                .or_default()
                .clone()
        };
        lock.lock_owned().await
    }
}

/// A JSON patch adding `finalizer` to an object whose finalizers are `current`, failing (422) if
/// they changed meanwhile.
pub fn add_finalizer_patch(current: Option<&Vec<String>>, finalizer: &str) -> json_patch::Patch {
    let patch = match current {
        None => json!([
            {"op": "test", "path": "/metadata/finalizers", "value": null},
            {"op": "add", "path": "/metadata/finalizers", "value": [finalizer]},
        ]),
        Some(list) => json!([
            {"op": "test", "path": "/metadata/finalizers", "value": list},
            {"op": "add", "path": "/metadata/finalizers/-", "value": finalizer},
        ]),
    };
    serde_json::from_value(patch).expect("a valid JSON patch")
}

/// A JSON patch removing `finalizer` from `current`, failing (422) if they changed meanwhile.
pub fn remove_finalizer_patch(current: &[String], finalizer: &str) -> json_patch::Patch {
    let rest: Vec<&String> = current.iter().filter(|f| *f != finalizer).collect();
    serde_json::from_value(json!([
        {"op": "test", "path": "/metadata/finalizers", "value": current},
        {"op": "replace", "path": "/metadata/finalizers", "value": rest},
    ]))
    .expect("a valid JSON patch")
}

/// Patch parameters with the operator's field manager.
pub fn params() -> PatchParams {
    PatchParams {
        field_manager: Some(MANAGER.to_string()),
        ..Default::default()
    }
}

/// What [`protect`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Protection {
    /// The Secret carries [`TOKEN_FINALIZER`].
    Protected,
    /// The Secret does not exist.
    Missing,
    /// The Secret is being deleted: no new cluster is made with it.
    Terminating,
}

/// Makes sure the Secret `namespace/name` carries [`TOKEN_FINALIZER`], reading it fresh. The
/// caller holds the Secret's lock ([`TokenLocks::lock`]).
pub async fn protect(ctx: &Context, namespace: &str, name: &str) -> Result<Protection, kube::Error> {
    let secrets: Api<Secret> = Api::namespaced(ctx.clientset.client().clone(), namespace);
    // A concurrent change of the finalizers fails the patch's test: read again, a few times.
    let mut attempt = 0;
    loop {
        let Some(secret) = secrets.get_opt(name).await? else {
            return Ok(Protection::Missing);
        };
        // As a pod cannot start with a PVC that is being deleted, no new cluster is made with a
        // Secret that is going, even while others still hold it.
        if secret.metadata.deletion_timestamp.is_some() {
            return Ok(Protection::Terminating);
        }
        if secret.finalizers().iter().any(|f| f == TOKEN_FINALIZER) {
            return Ok(Protection::Protected);
        }
        let patch = add_finalizer_patch(secret.metadata.finalizers.as_ref(), TOKEN_FINALIZER);
        match secrets.patch(name, &params(), &Patch::<()>::Json(patch)).await {
            Ok(_) => {
                info!(namespace = %namespace,
                    secret = %name,
                    "protecting the token Secret while Klusters may need it for cleanup"
                );
                return Ok(Protection::Protected);
            }
            Err(kube::Error::Api(s)) if s.code == 422 && attempt < 3 => attempt += 1,
            Err(e) => return Err(e),
        }
    }
}

/// Removes [`TOKEN_FINALIZER`] from the Secret `namespace/name` if no Kluster holds it any more;
/// true if it was removed.
pub async fn release_if_unused(ctx: &Context, namespace: &str, name: &str) -> Result<bool, kube::Error> {
    let _guard = ctx.tokens.lock(namespace, name).await;
    let secrets: Api<Secret> = Api::namespaced(ctx.clientset.client().clone(), namespace);
    let Some(secret) = secrets.get_opt(name).await? else {
        return Ok(false);
    };
    let finalizers = secret.finalizers().to_vec();
    if !finalizers.iter().any(|f| f == TOKEN_FINALIZER) {
        return Ok(false);
    }
    let candidates = ctx
        .lister
        .by_index(TOKEN_INDEX, &index_key(namespace, name))
        .unwrap_or_default();
    if let Some(holder) = candidates.iter().find(|k| holds(k)) {
        debug!(namespace = %namespace, secret = %name, kluster = %holder.name_any(), "token Secret still needed");
        return Ok(false);
    }
    // The cache may lag behind a Kluster that just recorded a create under the lock: ask the API.
    let klusters = ctx.clientset.kgen_v1beta1().klusters(namespace);
    for candidate in &candidates {
        if let Some(fresh) = klusters.get_opt(&candidate.name_any()).await?
            && fresh.spec.token.secret_key_ref.name == name
            && holds(&fresh)
        {
            debug!(namespace = %namespace, secret = %name, kluster = %fresh.name_any(), "token Secret still needed");
            return Ok(false);
        }
    }
    let patch = remove_finalizer_patch(&finalizers, TOKEN_FINALIZER);
    match secrets.patch(name, &params(), &Patch::<()>::Json(patch)).await {
        Ok(_) => {
            info!(namespace = %namespace,
                secret = %name,
                "no Kluster needs the token Secret for cleanup any more; released it"
            );
            Ok(true)
        }
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
        Err(e) => Err(e),
    }
}

/// Runs release checks from `queue` until it shuts down.
pub async fn worker(ctx: Arc<Context>, queue: SecretQueue) {
    while let Some(key) = queue.get().await {
        let (namespace, name) = &key;
        match release_if_unused(&ctx, namespace, name).await {
            Ok(_) => queue.forget(&key),
            Err(e) => {
                let retries = queue.num_requeues(&key);
                if retries < 3 {
                    debug!(namespace = %namespace, secret = %name, retries, error = %kube_error_text(&e), "token Secret check failed; retrying");
                } else {
                    warn!(namespace = %namespace, secret = %name, retries, error = %kube_error_text(&e), "token Secret check failed; retrying");
                }
                queue.add_rate_limited(key.clone());
            }
        }
        queue.done(&key);
    }
}
