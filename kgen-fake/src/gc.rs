//! The controllers of kube-controller-manager the fake runs itself, asynchronously as they run:
//! the garbage collector and the namespace controller.
//!
//! Every write marks a collection as pending; at the end of the request (or of
//! [`FakeApiServer::insert`](super::FakeApiServer::insert)) a pass is scheduled on the Tokio
//! runtime, [`FakeApiServer::with_gc_delay`](super::FakeApiServer::with_gc_delay) later (100 ms
//! by default). A pass repeats rounds until nothing changes:
//!
//! * an owner being deleted with the `orphan` finalizer: its dependents lose their owner
//!   references to it, then the finalizer is removed (the owner goes unless other finalizers
//!   remain);
//! * an object not being deleted whose owner references all point to owners that are gone
//!   (looked up by kind, namespace and name, and compared by uid) or are being deleted in the
//!   foreground is deleted (in the foreground if it has dependents and an owner waits for it,
//!   otherwise with the propagation its own finalizers ask for, else in the background); one
//!   with some existing owners loses the references to the others;
//! * an owner being deleted with the `foregroundDeletion` finalizer loses the finalizer once no
//!   dependent with `blockOwnerDeletion: true` remains;
//! * a terminating namespace: every object in it is deleted; once it is empty, its `kubernetes`
//!   finalizer (`spec.finalizers`) is removed and it goes unless other finalizers remain.
//!
//! Without a Tokio runtime (e.g. `insert` from a plain `#[test]`), and with
//! [`FakeApiServer::with_synchronous_gc`](super::FakeApiServer::with_synchronous_gc), the pass
//! runs at once, before the call returns.

use super::meta::{finalizers_of, meta_mut, meta_str, namespace_of, set_path, uid_of};
use super::objects::DeleteOpts;
use super::resources::{DeletePropagation, ResourceDef};
use super::store::{ObjKey, State};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;

/// `metadata.finalizers` entry of an owner whose dependents are orphaned before it goes.
pub(crate) const ORPHAN: &str = "orphan";
/// `metadata.finalizers` entry of an owner that waits for its blocking dependents.
pub(crate) const FOREGROUND: &str = "foregroundDeletion";
/// `spec.finalizers` entry of a namespace, removed once the namespace is empty.
pub(crate) const NAMESPACE_FINALIZER: &str = "kubernetes";

/// One owner reference of an object.
struct OwnerRef {
    api_version: String,
    kind: String,
    name: String,
    uid: String,
    block: bool,
}

fn owner_refs(obj: &Value) -> Vec<OwnerRef> {
    obj.pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .map(|r| {
                    let s = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
                    OwnerRef {
                        api_version: s("apiVersion"),
                        kind: s("kind"),
                        name: s("name"),
                        uid: s("uid"),
                        block: r.get("blockOwnerDeletion").and_then(Value::as_bool) == Some(true),
                    }
                })
                .collect()
        })
        .unwrap_or_default()
}

/// What an owner reference points to, for the collector.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// Exists and is not waiting for its dependents.
    Solid,
    /// Gone, or replaced by an object of another uid.
    Dangling,
    /// Being deleted in the foreground.
    Waiting,
}

pub(crate) fn being_deleted(obj: &Value) -> bool {
    meta_str(obj, "deletionTimestamp").is_some()
}

fn has_finalizer(obj: &Value, f: &str) -> bool {
    finalizers_of(obj).iter().any(|x| x == f)
}

impl State {
    /// Schedules a collection pass if a write asked for one: on the Tokio runtime after the GC
    /// delay, or at once (synchronous GC, or no runtime).
    pub(crate) fn schedule_gc(&mut self) {
        if !self.gc_pending {
            return;
        }
        if self.gc_synchronous {
            self.collect_garbage();
            return;
        }
        if self.gc_scheduled {
            return;
        }
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            self.collect_garbage();
            return;
        };
        self.gc_scheduled = true;
        let weak = self.self_ref.clone();
        let delay = self.gc_delay;
        handle.spawn(async move {
            if delay.is_zero() {
                tokio::task::yield_now().await;
            } else {
                tokio::time::sleep(delay).await;
            }
            if let Some(state) = weak.upgrade() {
                let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
                st.gc_scheduled = false;
                st.collect_garbage();
            }
        });
    }

    /// Runs collection rounds until one changes nothing.
    pub(crate) fn collect_garbage(&mut self) {
        for _ in 0..1000 {
            let before = self.rv;
            self.gc_round();
            if self.rv == before {
                break;
            }
        }
        self.gc_pending = false;
    }

    /// The objects `pick` selects (copied, so that the round can write).
    fn objects_where(
        &self,
        pick: impl Fn(&ResourceDef, &ObjKey, &Value) -> bool,
    ) -> Vec<(Arc<ResourceDef>, ObjKey, Value)> {
        self.resources
            .values()
            .flat_map(|s| {
                s.objects
                    .iter()
                    .filter(|(k, v)| pick(&s.def, k, v))
                    .map(|(k, v)| (s.def.clone(), k.clone(), v.clone()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// The state of the owner `r` of an object in namespace `ns`; `None` when its kind is not
    /// served (the collector cannot tell, and leaves the reference alone).
    fn owner_state(&self, r: &OwnerRef, ns: &str) -> Option<Owner> {
        let def = self.find_kind(&r.api_version, &r.kind)?;
        let key = (
            if def.namespaced { ns.to_string() } else { String::new() },
            r.name.clone(),
        );
        if def.namespaced && ns.is_empty() {
            // A cluster-scoped dependent cannot have a namespaced owner: the API server's
            // collector reports the reference as unresolvable and leaves the dependent alone.
            return None;
        }
        Some(match self.get(&def, &key) {
            Some(o) if uid_of(o) == r.uid => {
                if being_deleted(o) && has_finalizer(o, FOREGROUND) {
                    Owner::Waiting
                } else {
                    Owner::Solid
                }
            }
            _ => Owner::Dangling,
        })
    }

    fn has_dependents(&self, uid: &str) -> bool {
        !uid.is_empty()
            && self
                .resources
                .values()
                .flat_map(|s| s.objects.values())
                .any(|o| owner_refs(o).iter().any(|r| r.uid == uid))
    }

    fn gc_round(&mut self) {
        // Owners being deleted with the orphan finalizer.
        for (def, key, obj) in self.objects_where(|_, _, o| being_deleted(o) && has_finalizer(o, ORPHAN)) {
            self.orphan_dependents(uid_of(&obj));
            self.remove_finalizer(&def, &key, ORPHAN);
        }
        // Dependents of owners that are gone or wait for them.
        let dependents = self.objects_where(|_, _, o| {
            !being_deleted(o)
                && o.pointer("/metadata/ownerReferences")
                    .is_some_and(|r| r.as_array().is_some_and(|a| !a.is_empty()))
        });
        for (def, key, obj) in dependents {
            let refs = owner_refs(&obj);
            // An earlier deletion of this round may have taken it.
            if self.get(&def, &key).is_none_or(being_deleted) {
                continue;
            }
            let ns = namespace_of(&obj).to_string();
            let states: Vec<Option<Owner>> = refs.iter().map(|r| self.owner_state(r, &ns)).collect();
            if states.iter().any(|s| matches!(s, None | Some(Owner::Solid))) {
                let drop: BTreeSet<String> = refs
                    .iter()
                    .zip(&states)
                    .filter(|(_, s)| matches!(s, Some(Owner::Dangling | Owner::Waiting)))
                    .map(|(r, _)| r.uid.clone())
                    .collect();
                if !drop.is_empty() {
                    self.drop_owner_refs(&def, &key, &drop);
                }
                continue;
            }
            let waited_for = states.contains(&Some(Owner::Waiting));
            let policy = if waited_for && self.has_dependents(uid_of(&obj)) {
                DeletePropagation::Foreground
            } else if has_finalizer(&obj, ORPHAN) {
                DeletePropagation::Orphan
            } else if has_finalizer(&obj, FOREGROUND) {
                DeletePropagation::Foreground
            } else {
                DeletePropagation::Background
            };
            let opts = DeleteOpts {
                propagation: Some(policy),
                ..DeleteOpts::default()
            };
            let _ = self.delete_object(&def, &key, &opts);
        }
        // Owners deleted in the foreground whose blocking dependents are gone.
        for (def, key, obj) in self.objects_where(|_, _, o| being_deleted(o) && has_finalizer(o, FOREGROUND)) {
            let uid = uid_of(&obj).to_string();
            let blocked = self
                .resources
                .values()
                .flat_map(|s| s.objects.values())
                .any(|o| owner_refs(o).iter().any(|r| r.uid == uid && r.block));
            if !blocked {
                self.remove_finalizer(&def, &key, FOREGROUND);
            }
        }
        // Terminating namespaces.
        let Some(ns_def) = self.find("", "v1", "namespaces") else {
            return;
        };
        let terminating: Vec<ObjKey> = self
            .objects(&ns_def)
            .filter(|(_, n)| being_deleted(n))
            .map(|(k, _)| k.clone())
            .collect();
        for key in terminating {
            let ns = key.1.clone();
            for (def, k, _) in self.objects_where(|d, k, o| d.namespaced && k.0 == ns && !being_deleted(o)) {
                let opts = DeleteOpts {
                    propagation: Some(DeletePropagation::Background),
                    ..DeleteOpts::default()
                };
                let _ = self.delete_object(&def, &k, &opts);
            }
            if !self.namespace_has_objects(&ns) {
                self.finalize_namespace(&ns_def, &key);
            }
        }
    }

    /// Removes `finalizer` from an object; the object goes if it was being deleted and no
    /// finalizer remains.
    pub(crate) fn remove_finalizer(&mut self, def: &Arc<ResourceDef>, key: &ObjKey, finalizer: &str) {
        let Some(mut obj) = self.get(def, key).cloned() else {
            return;
        };
        if !has_finalizer(&obj, finalizer) {
            return;
        }
        let rest: Vec<String> = finalizers_of(&obj).into_iter().filter(|f| f != finalizer).collect();
        if rest.is_empty() && being_deleted(&obj) && self.may_go(def, &obj) {
            self.finish_removal(def, key);
            return;
        }
        let meta = meta_mut(&mut obj);
        if rest.is_empty() {
            meta.remove("finalizers");
        } else {
            meta.insert("finalizers".into(), json!(rest));
        }
        self.put(def, key.clone(), obj);
    }

    /// Whether an object being deleted without finalizers may be removed: a namespace must have
    /// lost its `spec.finalizers` too.
    pub(crate) fn may_go(&self, def: &ResourceDef, obj: &Value) -> bool {
        !is_namespace(def)
            || obj
                .pointer("/spec/finalizers")
                .and_then(Value::as_array)
                .is_none_or(|a| a.is_empty())
    }

    /// The namespace controller's last step: the `kubernetes` finalizer goes, then the namespace
    /// unless other finalizers remain.
    fn finalize_namespace(&mut self, def: &Arc<ResourceDef>, key: &ObjKey) {
        let Some(mut ns) = self.get(def, key).cloned() else {
            return;
        };
        let spec_finalizers: Vec<Value> = ns
            .pointer("/spec/finalizers")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let rest: Vec<Value> = spec_finalizers
            .iter()
            .filter(|f| f.as_str() != Some(NAMESPACE_FINALIZER))
            .cloned()
            .collect();
        if rest.is_empty() && finalizers_of(&ns).is_empty() {
            self.finish_removal(def, key);
            return;
        }
        if rest.len() != spec_finalizers.len() {
            set_path(&mut ns, "spec.finalizers", json!(rest));
            self.put(def, key.clone(), ns);
        }
    }

    /// Removes the owner references to `uid` from its dependents.
    pub(crate) fn orphan_dependents(&mut self, uid: &str) {
        if uid.is_empty() {
            return;
        }
        let uids = BTreeSet::from([uid.to_string()]);
        for (def, key, _) in self.objects_where(|_, _, o| owner_refs(o).iter().any(|r| r.uid == uid)) {
            self.drop_owner_refs(&def, &key, &uids);
        }
    }

    fn drop_owner_refs(&mut self, def: &Arc<ResourceDef>, key: &ObjKey, uids: &BTreeSet<String>) {
        let Some(mut obj) = self.get(def, key).cloned() else {
            return;
        };
        let meta = meta_mut(&mut obj);
        if let Some(Value::Array(refs)) = meta.get_mut("ownerReferences") {
            refs.retain(|r| !r.get("uid").and_then(Value::as_str).is_some_and(|u| uids.contains(u)));
            if refs.is_empty() {
                meta.remove("ownerReferences");
            }
        }
        self.put(def, key.clone(), obj);
    }

    pub(crate) fn namespace_has_objects(&self, ns: &str) -> bool {
        self.resources
            .values()
            .filter(|s| s.def.namespaced)
            .any(|s| s.objects.keys().any(|k| k.0 == ns))
    }
}

pub(crate) fn is_namespace(def: &ResourceDef) -> bool {
    def.group.is_empty() && def.plural == "namespaces"
}
