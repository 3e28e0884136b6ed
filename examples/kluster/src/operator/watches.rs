//! Reacting to the Secrets a Kluster depends on, not only to its resync.
//!
//! One metadata-only informer watches Secrets (the operator's namespace scope; no Secret data is
//! sent or cached) and maps each change to the Klusters it matters to:
//!
//! - a token Secret created, changed (data, labels, annotations: its `resourceVersion` moves
//!   without a finalizer change) or deleted requeues every Kluster whose `spec.tokenSecretRef`
//!   names it, found through the Kluster informer's [`TOKEN_INDEX`];
//! - a deleted Secret owned by a Kluster (its kubeconfig) requeues that Kluster, which stores it
//!   again;
//! - any change of a Secret carrying [`TOKEN_FINALIZER`] queues a release check
//!   ([`tokens::release_if_unused`](super::tokens::release_if_unused)).
//!
//! The operator's own writes (the kubeconfig apply, the token finalizer) bring nothing back.

use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kgen_runtime::informer::{Handlers, SharedInformer};
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;

use super::controller::KlusterQueue;
use super::tokens::{SecretQueue, TOKEN_FINALIZER, TOKEN_INDEX, index_key};
use crate::api::v1beta1::Kluster;
use crate::generated::kgen_v1beta1::KlusterLister;

/// Secret metadata, as the informer caches it.
pub type SecretMeta = PartialObjectMeta<Secret>;

/// The informer of Secret metadata.
pub type SecretInformer = SharedInformer<SecretMeta>;

/// A metadata-only informer of the Secrets in `namespace` (all when `None`).
pub fn secret_informer(client: kube::Client, namespace: Option<&str>) -> SecretInformer {
    // An `Api` of `PartialObjectMeta` asks for metadata only (`as=PartialObjectMetadata`).
    let api: Api<SecretMeta> = match namespace {
        Some(ns) => Api::namespaced(client, ns),
        None => Api::all(client),
    };
    SharedInformer::new(api, watcher::Config::default(), None)
}

fn namespace_name(s: &SecretMeta) -> (String, String) {
    (
        s.metadata.namespace.clone().unwrap_or_default(),
        s.metadata.name.clone().unwrap_or_default(),
    )
}

fn has_token_finalizer(s: &SecretMeta) -> bool {
    s.metadata
        .finalizers
        .as_ref()
        .is_some_and(|f| f.iter().any(|x| x == TOKEN_FINALIZER))
}

/// Requeues the Klusters whose token is the Secret `s`.
fn requeue_users(lister: &KlusterLister, klusters: &KlusterQueue, s: &SecretMeta) {
    let (namespace, name) = namespace_name(s);
    for kluster in lister
        .by_index(TOKEN_INDEX, &index_key(&namespace, &name))
        .unwrap_or_default()
    {
        klusters.add(ObjectRef::from_obj(&*kluster));
    }
}

/// Requeues the Kluster owning the Secret `s`, if one does.
fn requeue_owner(klusters: &KlusterQueue, s: &SecretMeta) {
    let (namespace, _) = namespace_name(s);
    for owner in s.metadata.owner_references.iter().flatten() {
        if owner.kind == "Kluster" && owner.api_version.starts_with("kgen.dev/") {
            klusters.add(ObjectRef::<Kluster>::new(&owner.name).within(&namespace));
        }
    }
}

/// Routes Secret events to the Kluster queue and the token Secret queue.
pub fn route(informer: &SecretInformer, lister: KlusterLister, klusters: KlusterQueue, secrets: SecretQueue) {
    let (l1, l2, l3) = (lister.clone(), lister.clone(), lister);
    let (k1, k2, k3) = (klusters.clone(), klusters.clone(), klusters);
    let (s1, s2, s3) = (secrets.clone(), secrets.clone(), secrets);
    informer.add_event_handler(
        Handlers::new()
            .on_add(move |s: &Arc<SecretMeta>| {
                requeue_users(&l1, &k1, s);
                if has_token_finalizer(s) {
                    s1.add(namespace_name(s));
                }
            })
            .on_update(move |old: &Arc<SecretMeta>, new: &Arc<SecretMeta>| {
                if old.metadata.resource_version == new.metadata.resource_version {
                    return;
                }
                // A change of the finalizers alone is the token protection's own write (or the
                // start of a deletion, which a Kluster using the token does not care about).
                if old.metadata.finalizers == new.metadata.finalizers
                    && old.metadata.deletion_timestamp == new.metadata.deletion_timestamp
                {
                    requeue_users(&l2, &k2, new);
                }
                if has_token_finalizer(new) {
                    s2.add(namespace_name(new));
                }
            })
            .on_delete(move |s: &Arc<SecretMeta>| {
                requeue_users(&l3, &k3, s);
                requeue_owner(&k3, s);
                s3.add(namespace_name(s));
            }),
    );
}
