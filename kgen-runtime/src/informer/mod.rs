//! Informers, indexed cache, listers: client-go's `tools/cache` and informer-gen's factory for
//! kube-rs.
//!
//! kube-runtime's `reflector` keeps a cache of one watch, but it has no event handlers (and no old
//! object on update), no deletes for objects that vanished while the watch was down, no indexes, no
//! resync and no sharing of one watch between controllers without its unstable subscribe API. This
//! module adds those on top of kube-runtime's [`watcher`](kube::runtime::watcher()):
//!
//! | client-go | here |
//! | --- | --- |
//! | `cache.Indexer`, `AddIndexers`, `ByIndex`, `IndexKeys` | [`Indexer`], [`Indexer::add_indexer`], [`Indexer::by_index`], [`Indexer::index_keys`] |
//! | `<Kind>Lister`, `<Kind>NamespaceLister` | [`Lister`], [`NamespaceLister`] |
//! | `ResourceEventHandler`, `ResourceEventHandlerFuncs` | [`EventHandler`], [`Handlers`] |
//! | `SharedIndexInformer` | [`SharedInformer`] |
//! | `SharedInformerFactory` | [`SharedInformerFactory`] |
//!
//! Objects are shared [`Arc`](std::sync::Arc)s: one copy per object in the cache whatever reads it.
//! Clone the object before changing it, as client-go asks callers to `DeepCopy`.
//!
//! ```no_run
//! use std::sync::Arc;
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kgen_runtime::informer::{Handlers, SharedInformerFactory};
//! use kube::{Client, core::Selector};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let factory = SharedInformerFactory::new(Client::try_default().await?, None);
//! let informer = factory.informer::<ConfigMap>();
//! informer.add_event_handler(Handlers::new().on_update(|old: &Arc<ConfigMap>, new| {
//!     println!("{:?}: {:?} -> {:?}", new.metadata.name, old.data, new.data);
//! }));
//! factory.start();
//! factory.wait_for_cache_sync().await;
//! let all = informer.lister().list(&Selector::default());
//! # Ok(())
//! # }
//! ```

mod factory;
mod handler;
mod indexer;
#[allow(clippy::module_inception)]
mod informer;
mod lister;
#[cfg(test)]
mod testing;

pub use factory::{ApiScope, SharedInformerFactory};
pub use handler::{EventHandler, Handlers};
pub use indexer::{Change, IndexFn, Indexer, IndexerError, NAMESPACE_INDEX, key_of};
pub use informer::{EventStream, HandlerId, SharedInformer};
pub use lister::{Lister, NamespaceLister};

/// kube-runtime's watcher configuration, which [`SharedInformerFactory::tweak`] changes (named here
/// so generated code needs no `kube/runtime` feature of its own).
pub type WatcherConfig = kube::runtime::watcher::Config;
