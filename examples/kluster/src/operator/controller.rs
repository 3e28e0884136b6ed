//! The control loop: the generated Kluster informer feeds keys into a rate-limited work queue,
//! and workers reconcile them, one worker per key at a time.

use std::sync::Arc;

use kgen_runtime::informer::Handlers;
use kgen_runtime::workqueue::WorkQueue;
use kube::runtime::reflector::ObjectRef;
use tracing::{debug, warn};

use super::context::{Context, Metrics};
use super::reconcile::{Outcome, reconcile};
use super::tokens::{self, SecretQueue};
use crate::api::v1beta1::Kluster;
use crate::generated::kgen_v1beta1::KlusterInformer;

/// The work queue of Kluster keys.
pub type KlusterQueue = WorkQueue<ObjectRef<Kluster>>;

/// Whether an update needs a reconcile. Status-only changes (most of them the operator's own
/// writes) do not; spec changes (generation), deletion and resyncs (same object) do.
pub fn needs_reconcile(old: &Kluster, new: &Kluster) -> bool {
    let (o, n) = (&old.metadata, &new.metadata);
    o.resource_version == n.resource_version
        || o.generation != n.generation
        || o.deletion_timestamp != n.deletion_timestamp
        || o.finalizers != n.finalizers
        || o.uid != n.uid
}

fn token_key(k: &Kluster) -> (String, String) {
    (
        k.metadata.namespace.clone().unwrap_or_default(),
        k.spec.token.secret_key_ref.name.clone(),
    )
}

/// Puts the key of every added, changed (see [`needs_reconcile`]) and resynced Kluster on the
/// queue, and the token Secret of every Kluster that stops holding it (deleted, finalized, its
/// cluster gone, or pointed at another Secret) on `secrets`, for a release check.
pub fn enqueue_from(informer: &KlusterInformer, queue: &KlusterQueue, secrets: &SecretQueue) {
    let (on_add, on_update) = (queue.clone(), queue.clone());
    let (released, deleted) = (secrets.clone(), secrets.clone());
    informer.informer().add_event_handler(
        Handlers::new()
            .on_add(move |k: &Arc<Kluster>| on_add.add(ObjectRef::from_obj(&**k)))
            .on_update(move |old: &Arc<Kluster>, new: &Arc<Kluster>| {
                if needs_reconcile(old, new) {
                    on_update.add(ObjectRef::from_obj(&**new))
                }
                let moved = old.spec.token.secret_key_ref.name != new.spec.token.secret_key_ref.name;
                if tokens::holds(old) && (moved || !tokens::holds(new)) {
                    released.add(token_key(old));
                }
            })
            .on_delete(move |k: &Arc<Kluster>| deleted.add(token_key(k))),
    );
}

/// Runs one worker until the queue shuts down.
pub async fn worker(ctx: Arc<Context>, queue: KlusterQueue) {
    while let Some(key) = queue.get().await {
        let namespace = key.namespace.clone().unwrap_or_default();
        match reconcile(&ctx, &key).await {
            Ok(Outcome::Done) => queue.forget(&key),
            Ok(Outcome::RequeueAfter(delay)) => {
                queue.forget(&key);
                queue.add_after(key.clone(), delay);
            }
            Err(error) => {
                Metrics::inc(&ctx.metrics.reconcile_errors);
                let retries = queue.num_requeues(&key);
                if retries < 3 {
                    debug!(namespace = %namespace, name = %key.name, retries, %error, "reconcile failed; retrying with backoff");
                } else {
                    warn!(namespace = %namespace, name = %key.name, retries, %error, "reconcile failed; retrying with backoff");
                }
                queue.add_rate_limited(key.clone());
            }
        }
        queue.done(&key);
    }
}
