//! [`SharedInformer`]: one watch feeding one cache, any number of event handlers and listers.
//!
//! client-go's `SharedIndexInformer` on top of kube-runtime's [`watcher`]: the watcher lists and
//! watches (re-listing after a watch expires) and [`default_backoff`] retries failures; the informer
//! keeps the [`Indexer`] and turns the watcher's events into `add`, `update(old, new)` and `delete`
//! calls, which kube-runtime does not offer:
//!
//! | watcher event | cache | handlers |
//! | --- | --- | --- |
//! | `Apply(obj)` | insert | `on_update(old, obj)` if cached, else `on_add(obj)` |
//! | `Delete(obj)` | remove | `on_delete(obj)` |
//! | `Init`, `InitApply(obj)`… | unchanged: the new list is buffered | nothing yet |
//! | `InitDone` | replaced by the buffered list in one step | `on_delete` for cached objects missing from the list (the watcher emits no `Delete` for them), then `on_add` / `on_update(old, new)` for new and changed objects (by `resourceVersion`), each group sorted by namespace and name |
//!
//! After the first `InitDone` the informer [has synced](SharedInformer::has_synced).
//!
//! [`watcher`]: kube::runtime::watcher()
//! [`default_backoff`]: kube::runtime::WatchStreamExt::default_backoff

use std::{
    cell::Cell,
    fmt,
    future::Future,
    sync::{
        Arc, Mutex, MutexGuard, PoisonError, RwLock,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use futures::{StreamExt, stream::BoxStream};
use kube::{
    Api, Resource,
    runtime::{
        WatchStreamExt,
        watcher::{self, Event},
    },
};
use serde::de::DeserializeOwned;
use tokio::{
    sync::watch,
    time::{Instant, Interval, MissedTickBehavior},
};

use super::{
    handler::{EventHandler, Handlers},
    indexer::{Change, Indexer, IndexerError},
    lister::Lister,
};

/// The stream an informer consumes: what [`watcher`](kube::runtime::watcher()) produces.
pub type EventStream<K> = BoxStream<'static, Result<Event<K>, watcher::Error>>;

type TransformFn<K> = Arc<dyn Fn(K) -> K + Send + Sync>;
type ErrorFn = Arc<dyn Fn(&watcher::Error) + Send + Sync>;
type HandlerList<K> = Arc<Vec<(HandlerId, Arc<dyn EventHandler<K>>)>>;

/// Identifies a handler added with [`SharedInformer::add_event_handler`], to remove it again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HandlerId(u64);

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Status {
    synced: bool,
    stopped: bool,
}

thread_local! {
    /// Set while this thread delivers the initial adds of a new handler, which holds the handler
    /// lock: registering or removing a handler from there would deadlock.
    static REGISTERING: Cell<bool> = const { Cell::new(false) };
}

struct Inner<K> {
    indexer: Indexer<K>,
    resync: Option<Duration>,
    stream: Mutex<Option<EventStream<K>>>,
    /// Copy-on-write list; the lock also orders cache updates against handler registration.
    handlers: Mutex<HandlerList<K>>,
    next_id: AtomicU64,
    status: watch::Sender<Status>,
    stop: watch::Sender<bool>,
    transform: RwLock<Option<TransformFn<K>>>,
    on_error: RwLock<Option<ErrorFn>>,
}

/// A shared informer: one watch of one kind serves every handler and lister of that kind.
///
/// Cloning is cheap and every clone is the same informer. Nothing happens until the future from
/// [`run`](Self::run) is polled (usually spawned); a [`SharedInformerFactory`](super::SharedInformerFactory)
/// does that for all the informers it made.
///
/// ```no_run
/// use std::{sync::Arc, time::Duration};
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kgen_runtime::informer::{Handlers, SharedInformer};
/// use kube::{Api, Client, core::Selector, runtime::watcher};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::try_default().await?;
/// let api: Api<ConfigMap> = Api::namespaced(client, "prod");
/// let informer = SharedInformer::new(api, watcher::Config::default(), Some(Duration::from_secs(600)));
///
/// // The closures' argument types come from the informer.
/// informer.add_handlers(|h| {
///     h.on_add(|cm| println!("add {:?}", cm.metadata.name))
///         .on_update(|old, new| println!("update {:?} -> {:?}", old.metadata.resource_version, new.metadata.resource_version))
///         .on_delete(|cm| println!("delete {:?}", cm.metadata.name))
/// });
/// let lister = informer.lister();
///
/// let task = tokio::spawn(informer.run());
/// if !informer.wait_for_cache_sync().await {
///     return Err("informer stopped before its cache synced".into());
/// }
/// println!("{} config maps", lister.namespace("prod").list(&Selector::default()).len());
///
/// informer.shutdown();
/// task.await?;
/// # Ok(())
/// # }
/// ```
///
/// Tests can feed any stream of watcher events instead of an API server:
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kgen_runtime::informer::{Handlers, SharedInformer};
/// use kube::{api::ObjectMeta, runtime::watcher::Event};
///
/// fn cm(name: &str, rv: &str) -> ConfigMap {
///     ConfigMap {
///         metadata: ObjectMeta {
///             name: Some(name.into()),
///             namespace: Some("default".into()),
///             resource_version: Some(rv.into()),
///             ..Default::default()
///         },
///         ..Default::default()
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let events = futures::stream::iter([
///     Ok(Event::Init),
///     Ok(Event::InitApply(cm("a", "1"))),
///     Ok(Event::InitDone),
///     Ok(Event::Apply(cm("a", "2"))),
///     Ok(Event::Delete(cm("a", "3"))),
/// ]);
/// let informer = SharedInformer::from_stream(events, None);
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let log = seen.clone();
/// informer.add_event_handler(
///     Handlers::new()
///         .on_add({ let log = log.clone(); move |o: &Arc<ConfigMap>| log.lock().unwrap().push(format!("add {}", o.metadata.resource_version.as_deref().unwrap())) })
///         .on_update({ let log = log.clone(); move |old, new| log.lock().unwrap().push(format!(
///             "update {}->{}",
///             old.metadata.resource_version.as_deref().unwrap(),
///             new.metadata.resource_version.as_deref().unwrap(),
///         )) })
///         .on_delete(move |o| log.lock().unwrap().push(format!("delete {}", o.metadata.resource_version.as_deref().unwrap()))),
/// );
/// informer.run().await; // returns when the stream ends
/// assert!(informer.has_synced());
/// assert_eq!(*seen.lock().unwrap(), ["add 1", "update 1->2", "delete 3"]);
/// assert!(informer.indexer().is_empty());
/// # }
/// ```
pub struct SharedInformer<K> {
    inner: Arc<Inner<K>>,
}

impl<K> Clone for SharedInformer<K> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<K: Resource> fmt::Debug for SharedInformer<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = *self.inner.status.borrow();
        f.debug_struct("SharedInformer")
            .field("kind", &std::any::type_name::<K>())
            .field("synced", &status.synced)
            .field("stopped", &status.stopped)
            .field("resync", &self.inner.resync)
            .field(
                "handlers",
                &self.inner.handlers.lock().unwrap_or_else(PoisonError::into_inner).len(),
            )
            .field("indexer", &self.inner.indexer)
            .finish()
    }
}

impl<K> SharedInformer<K>
where
    K: Resource + Clone + DeserializeOwned + fmt::Debug + Send + Sync + 'static,
{
    /// An informer watching `api` with kube-runtime's [`watcher`](kube::runtime::watcher()) and
    /// `config` (label and field selectors, page size, streaming lists, ...). Failures of the list
    /// or the watch are reported to the [watch error handler](Self::set_watch_error_handler) and
    /// retried with [`default_backoff`](kube::runtime::WatchStreamExt::default_backoff); the
    /// informer never gives up on its own.
    ///
    /// `resync`: if set, every cached object is re-delivered to every handler as
    /// `on_update(obj, obj)` this often (client-go's resync period).
    pub fn new(api: Api<K>, config: watcher::Config, resync: Option<Duration>) -> Self {
        Self::from_stream(watcher::watcher(api, config).default_backoff(), resync)
    }
}

impl<K> SharedInformer<K>
where
    K: Resource + Send + Sync + 'static,
{
    /// An informer consuming any stream of watcher events, e.g. a test's
    /// `futures::stream::iter` or channel. [`run`](Self::run) returns when the stream ends.
    /// Errors in the stream are reported to the [watch error handler](Self::set_watch_error_handler)
    /// and skipped.
    pub fn from_stream<S>(stream: S, resync: Option<Duration>) -> Self
    where
        S: futures::Stream<Item = Result<Event<K>, watcher::Error>> + Send + 'static,
    {
        Self {
            inner: Arc::new(Inner {
                indexer: Indexer::new(),
                resync: resync.filter(|d| !d.is_zero()),
                stream: Mutex::new(Some(stream.boxed())),
                handlers: Mutex::new(Arc::new(Vec::new())),
                next_id: AtomicU64::new(0),
                status: watch::Sender::new(Status::default()),
                stop: watch::Sender::new(false),
                transform: RwLock::new(None),
                on_error: RwLock::new(None),
            }),
        }
    }

    /// The informer's cache.
    pub fn indexer(&self) -> &Indexer<K> {
        &self.inner.indexer
    }

    /// A lister reading the informer's cache.
    pub fn lister(&self) -> Lister<K> {
        Lister::new(self.inner.indexer.clone())
    }

    /// Add a custom index to the cache; see [`Indexer::add_indexer`]. Works before and after the
    /// informer started.
    ///
    /// # Errors
    ///
    /// [`IndexerError::Conflict`] if the name is taken.
    pub fn add_indexer<F>(&self, name: impl Into<String>, func: F) -> Result<(), IndexerError>
    where
        F: Fn(&K) -> Vec<String> + Send + Sync + 'static,
    {
        self.inner.indexer.add_indexer(name, func)
    }

    /// The resync period given at construction.
    pub fn resync_period(&self) -> Option<Duration> {
        self.inner.resync
    }

    fn handlers(&self) -> MutexGuard<'_, HandlerList<K>> {
        self.inner.handlers()
    }

    /// Add handlers built from closures, whose argument types are inferred from the informer:
    /// `informer.add_handlers(|h| h.on_add(|obj| println!("{}", obj.name_any())))`. Otherwise the
    /// same as [`add_event_handler`](Self::add_event_handler) with [`Handlers`].
    pub fn add_handlers(&self, build: impl FnOnce(Handlers<K>) -> Handlers<K>) -> HandlerId
    where
        Handlers<K>: EventHandler<K> + 'static,
    {
        self.add_event_handler(build(Handlers::new()))
    }

    /// Add an event handler. It first receives `on_add` for every object already cached (sorted by
    /// namespace and name; client-go does the same for handlers added to a running informer), then
    /// every later event. The initial adds run on the calling thread, before this returns.
    ///
    /// # Panics
    ///
    /// If called from one of those initial `on_add` calls (that would deadlock). Calling it from
    /// handlers during normal event delivery is fine.
    pub fn add_event_handler(&self, handler: impl EventHandler<K> + 'static) -> HandlerId {
        assert!(
            !REGISTERING.get(),
            "SharedInformer::add_event_handler called from a handler's initial on_add"
        );
        let handler: Arc<dyn EventHandler<K>> = Arc::new(handler);
        let id = HandlerId(self.inner.next_id.fetch_add(1, Ordering::Relaxed));
        let mut handlers = self.handlers();
        // Under the handler lock, the cache cannot change: the new handler sees exactly the
        // objects cached now as adds, then every later change.
        let existing = self.inner.indexer.list();
        if !existing.is_empty() {
            struct Reset;
            impl Drop for Reset {
                fn drop(&mut self) {
                    REGISTERING.set(false);
                }
            }
            REGISTERING.set(true);
            let _reset = Reset;
            for obj in &existing {
                handler.on_add(obj);
            }
        }
        let mut list = Vec::clone(&handlers);
        list.push((id, handler));
        *handlers = Arc::new(list);
        id
    }

    /// Remove a handler; returns whether it was registered. An event being delivered while this
    /// runs may still reach it.
    ///
    /// # Panics
    ///
    /// If called from a handler's initial `on_add` (see [`add_event_handler`](Self::add_event_handler)).
    pub fn remove_event_handler(&self, id: HandlerId) -> bool {
        assert!(
            !REGISTERING.get(),
            "SharedInformer::remove_event_handler called from a handler's initial on_add"
        );
        let mut handlers = self.handlers();
        if !handlers.iter().any(|(h, _)| *h == id) {
            return false;
        }
        let list: Vec<_> = handlers.iter().filter(|(h, _)| *h != id).cloned().collect();
        *handlers = Arc::new(list);
        true
    }

    /// Transform every object before it is cached and handed to handlers (client-go's
    /// `SetTransform`), e.g. to drop `metadata.managedFields` and save memory. Applies to events
    /// processed after the call; set it before [`run`](Self::run).
    pub fn set_transform(&self, transform: impl Fn(K) -> K + Send + Sync + 'static) {
        *self.inner.transform.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(transform));
    }

    /// Called for every error of the watch stream (client-go's `SetWatchErrorHandler`); the default
    /// logs it with `tracing` at warn level. The informer keeps running either way.
    pub fn set_watch_error_handler(&self, handler: impl Fn(&watcher::Error) + Send + Sync + 'static) {
        *self.inner.on_error.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(handler));
    }

    /// Whether the first complete list has been cached (client-go's `HasSynced`).
    pub fn has_synced(&self) -> bool {
        self.inner.status.borrow().synced
    }

    /// Whether [`run`](Self::run) was called (or the informer was shut down before it ran).
    pub fn is_started(&self) -> bool {
        self.inner
            .stream
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_none()
    }

    /// Whether the informer stopped: shut down, or its stream ended.
    pub fn is_stopped(&self) -> bool {
        self.inner.status.borrow().stopped
    }

    /// Wait until the first complete list has been cached; `true` then, `false` if the informer
    /// stopped before that. Waits forever if the informer is never run.
    pub async fn wait_for_cache_sync(&self) -> bool {
        let mut status = self.inner.status.subscribe();
        // The sender lives in `inner`, which `self` keeps alive: `wait_for` cannot fail.
        status
            .wait_for(|s| s.synced || s.stopped)
            .await
            .map(|s| s.synced)
            .unwrap_or(false)
    }

    /// Ask the informer to stop: the [`run`](Self::run) future returns at its next step. The
    /// cache keeps its content. An informer shut down before it ran never runs.
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
        let never_ran = self
            .inner
            .stream
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .is_some();
        if never_ran {
            self.inner.status.send_modify(|s| s.stopped = true);
        }
    }

    /// The informer's loop, to spawn: `tokio::spawn(informer.run())`. It processes events until
    /// [`shutdown`](Self::shutdown) or the end of the stream, and delivers resyncs. Only the first
    /// call does anything; later ones return at once.
    pub fn run(&self) -> impl Future<Output = ()> + Send + 'static {
        let inner = self.inner.clone();
        let stream = inner.stream.lock().unwrap_or_else(PoisonError::into_inner).take();
        async move {
            let Some(mut stream) = stream else {
                tracing::debug!(kind = std::any::type_name::<K>(), "informer already started");
                return;
            };
            let mut stop = inner.stop.subscribe();
            let mut resync = inner.resync.map(|period| {
                let mut interval = tokio::time::interval_at(Instant::now() + period, period);
                interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
                interval
            });
            let mut relist: Option<Vec<Arc<K>>> = None;
            loop {
                tokio::select! {
                    biased;
                    _ = stop.wait_for(|stop| *stop) => break,
                    // before the stream, so that a busy stream cannot starve resyncs
                    _ = tick(&mut resync) => inner.resync(),
                    event = stream.next() => match event {
                        Some(Ok(event)) => inner.process(event, &mut relist),
                        Some(Err(error)) => inner.watch_error(&error),
                        None => break,
                    },
                }
            }
            inner.status.send_modify(|s| s.stopped = true);
        }
    }
}

async fn tick(interval: &mut Option<Interval>) {
    match interval {
        Some(interval) => {
            interval.tick().await;
        }
        None => std::future::pending().await,
    }
}

impl<K: Resource + Send + Sync + 'static> Inner<K> {
    fn handlers(&self) -> MutexGuard<'_, HandlerList<K>> {
        self.handlers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn transform(&self, obj: K) -> Arc<K> {
        let transform = self.transform.read().unwrap_or_else(PoisonError::into_inner).clone();
        Arc::new(match transform {
            Some(t) => t(obj),
            None => obj,
        })
    }

    fn watch_error(&self, error: &watcher::Error) {
        let handler = self.on_error.read().unwrap_or_else(PoisonError::into_inner).clone();
        match handler {
            Some(h) => h(error),
            None => tracing::warn!(
                kind = std::any::type_name::<K>(),
                %error,
                "informer watch failed; retrying"
            ),
        }
    }

    /// Apply one watcher event to the cache and dispatch what changed. `relist` buffers the objects
    /// of an `Init`..`InitDone` sequence.
    fn process(&self, event: Event<K>, relist: &mut Option<Vec<Arc<K>>>) {
        let mut synced_now = false;
        let (changes, handlers) = {
            let handlers = self.handlers();
            let changes = match event {
                Event::Apply(obj) => {
                    let obj = self.transform(obj);
                    match self.indexer.insert(obj.clone()) {
                        Some(old) => vec![Change::Updated { old, new: obj }],
                        None => vec![Change::Added(obj)],
                    }
                }
                Event::Delete(obj) => {
                    let obj = self.transform(obj);
                    let meta = obj.meta();
                    self.indexer
                        .remove(meta.namespace.as_deref(), meta.name.as_deref().unwrap_or(""));
                    vec![Change::Deleted(obj)]
                }
                Event::Init => {
                    *relist = Some(Vec::new());
                    Vec::new()
                }
                Event::InitApply(obj) => {
                    let obj = self.transform(obj);
                    match relist {
                        Some(buffer) => {
                            buffer.push(obj);
                            Vec::new()
                        }
                        // not after an `Init`: the watcher never does that; treat as `Apply`
                        None => match self.indexer.insert(obj.clone()) {
                            Some(old) => vec![Change::Updated { old, new: obj }],
                            None => vec![Change::Added(obj)],
                        },
                    }
                }
                Event::InitDone => {
                    synced_now = true;
                    match relist.take() {
                        Some(objects) => self.indexer.replace(objects),
                        // without an `Init` there is no list to replace the cache with
                        None => Vec::new(),
                    }
                }
            };
            (changes, handlers.clone())
        };
        for change in &changes {
            for (_, handler) in handlers.iter() {
                match change {
                    Change::Added(obj) => handler.on_add(obj),
                    Change::Updated { old, new } => handler.on_update(old, new),
                    Change::Deleted(obj) => handler.on_delete(obj),
                }
            }
        }
        if synced_now {
            self.status
                .send_if_modified(|s| !std::mem::replace(&mut s.synced, true));
            tracing::debug!(
                kind = std::any::type_name::<K>(),
                objects = self.indexer.len(),
                "informer cache synced"
            );
        }
    }

    /// Re-deliver every cached object as `on_update(obj, obj)`.
    fn resync(&self) {
        if !self.status.borrow().synced {
            return;
        }
        let handlers = self.handlers().clone();
        if handlers.is_empty() {
            return;
        }
        for obj in self.indexer.list() {
            for (_, handler) in handlers.iter() {
                handler.on_update(&obj, &obj);
            }
        }
        tracing::trace!(kind = std::any::type_name::<K>(), "informer resync");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::informer::{Handlers, key_of, testing::within};
    use futures::channel::mpsc;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::ObjectMeta;
    use std::sync::Mutex;

    fn cm(ns: &str, name: &str, rv: &str) -> ConfigMap {
        ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                resource_version: Some(rv.into()),
                ..Default::default()
            },
            ..Default::default()
        }
    }

    fn rv(o: &ConfigMap) -> &str {
        o.metadata.resource_version.as_deref().unwrap_or("?")
    }

    type Log = Arc<Mutex<Vec<String>>>;

    /// A handler writing `add ns/name@rv`, `update ns/name@old->new`, `delete ns/name@rv`.
    fn recorder() -> (Handlers<ConfigMap>, Log) {
        let log: Log = Arc::default();
        let (a, u, d) = (log.clone(), log.clone(), log.clone());
        let h = Handlers::new()
            .on_add(move |o: &Arc<ConfigMap>| a.lock().unwrap().push(format!("add {}@{}", key_of(&**o), rv(o))))
            .on_update(move |old: &Arc<ConfigMap>, new: &Arc<ConfigMap>| {
                let same = if Arc::ptr_eq(old, new) { " (same)" } else { "" };
                u.lock()
                    .unwrap()
                    .push(format!("update {}@{}->{}{same}", key_of(&**new), rv(old), rv(new)))
            })
            .on_delete(move |o: &Arc<ConfigMap>| d.lock().unwrap().push(format!("delete {}@{}", key_of(&**o), rv(o))));
        (h, log)
    }

    fn take(log: &Log) -> Vec<String> {
        std::mem::take(&mut *log.lock().unwrap())
    }

    type Tx = mpsc::UnboundedSender<Result<Event<ConfigMap>, watcher::Error>>;

    fn channel_informer(resync: Option<Duration>) -> (SharedInformer<ConfigMap>, Tx) {
        let (tx, rx) = mpsc::unbounded();
        (SharedInformer::from_stream(rx, resync), tx)
    }

    /// Wait until `log` holds `n` entries (the informer runs on another task).
    async fn wait_len(log: &Log, n: usize) {
        for _ in 0..5000 {
            if log.lock().unwrap().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        panic!("timed out waiting for {n} events, have {:?}", log.lock().unwrap());
    }

    fn keys(informer: &SharedInformer<ConfigMap>) -> Vec<String> {
        informer.indexer().keys()
    }

    #[tokio::test]
    async fn informer_dispatches_add_update_delete_in_order() {
        let events = futures::stream::iter([
            Ok(Event::Init),
            Ok(Event::InitApply(cm("ns", "a", "1"))),
            Ok(Event::InitDone),
            Ok(Event::Apply(cm("ns", "a", "2"))),
            Ok(Event::Apply(cm("ns", "b", "3"))),
            Ok(Event::Apply(cm("ns", "a", "4"))),
            Ok(Event::Delete(cm("ns", "a", "5"))),
        ]);
        let informer = SharedInformer::from_stream(events, None);
        let (h, log) = recorder();
        informer.add_event_handler(h);
        assert!(!informer.has_synced());
        informer.run().await;
        assert_eq!(
            take(&log),
            [
                "add ns/a@1",
                "update ns/a@1->2",
                "add ns/b@3",
                "update ns/a@2->4",
                "delete ns/a@5",
            ]
        );
        assert!(informer.has_synced());
        assert!(informer.is_stopped(), "the stream ended");
        assert_eq!(keys(&informer), ["ns/b"]);
    }

    #[tokio::test]
    async fn informer_update_gets_old_object_from_cache_before_replacing() {
        let informer: SharedInformer<ConfigMap> = SharedInformer::from_stream(futures::stream::empty(), None);
        type Pair = (Arc<ConfigMap>, Arc<ConfigMap>);
        let seen: Arc<Mutex<Vec<Pair>>> = Arc::default();
        let s = seen.clone();
        let ix = informer.indexer().clone();
        informer.add_event_handler(Handlers::new().on_update(move |old, new| {
            // the cache already holds the new object when handlers run
            assert!(Arc::ptr_eq(&ix.get(Some("ns"), "a").unwrap(), new));
            s.lock().unwrap().push((old.clone(), new.clone()));
        }));
        let mut relist = None;
        informer.inner.process(Event::Apply(cm("ns", "a", "1")), &mut relist);
        let first = informer.indexer().get(Some("ns"), "a").unwrap();
        informer.inner.process(Event::Apply(cm("ns", "a", "2")), &mut relist);
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert!(Arc::ptr_eq(&seen[0].0, &first), "old is the previously cached Arc");
        assert_eq!(rv(&seen[0].1), "2");
    }

    #[tokio::test]
    async fn informer_relist_synthesizes_deletes_and_updates() {
        let informer = SharedInformer::from_stream(futures::stream::empty(), None);
        let (h, log) = recorder();
        informer.add_event_handler(h);
        let mut relist = None;
        for e in [
            Event::Init,
            Event::InitApply(cm("ns", "c", "1")),
            Event::InitApply(cm("ns", "a", "1")),
            Event::InitApply(cm("other", "b", "1")),
            Event::InitApply(cm("ns", "b", "1")),
            Event::InitDone,
        ] {
            informer.inner.process(e, &mut relist);
        }
        // the initial list: adds in namespace/name order
        assert_eq!(take(&log), ["add ns/a@1", "add ns/b@1", "add ns/c@1", "add other/b@1"]);
        assert!(informer.has_synced());

        // the watch expired; the relist misses ns/b and other/b, changed ns/c, kept ns/a, new ns/d
        informer.inner.process(Event::Init, &mut relist);
        informer
            .inner
            .process(Event::InitApply(cm("ns", "d", "7")), &mut relist);
        informer
            .inner
            .process(Event::InitApply(cm("ns", "c", "6")), &mut relist);
        informer
            .inner
            .process(Event::InitApply(cm("ns", "a", "1")), &mut relist);
        // until InitDone the cache keeps serving the old list
        assert_eq!(keys(&informer), ["ns/a", "ns/b", "ns/c", "other/b"]);
        assert!(take(&log).is_empty());
        informer.inner.process(Event::InitDone, &mut relist);
        assert_eq!(
            take(&log),
            ["delete ns/b@1", "delete other/b@1", "update ns/c@1->6", "add ns/d@7",]
        );
        assert_eq!(keys(&informer), ["ns/a", "ns/c", "ns/d"]);
    }

    #[tokio::test]
    async fn informer_sync_status_and_wait() {
        let (informer, tx) = channel_informer(None);
        let task = tokio::spawn(informer.run());
        assert!(informer.is_started());
        tx.unbounded_send(Ok(Event::Init)).unwrap();
        tx.unbounded_send(Ok(Event::InitApply(cm("ns", "a", "1")))).unwrap();
        tokio::task::yield_now().await;
        assert!(!informer.has_synced(), "not synced before InitDone");
        tx.unbounded_send(Ok(Event::InitDone)).unwrap();
        assert!(within(informer.wait_for_cache_sync()).await);
        assert!(informer.has_synced());
        assert_eq!(keys(&informer), ["ns/a"]);
        informer.shutdown();
        within(task).await.unwrap();
        assert!(informer.is_stopped());
        // still synced, still cached after shutdown
        assert!(within(informer.wait_for_cache_sync()).await);
        assert_eq!(
            informer.lister().get(Some("ns"), "a").map(|o| rv(&o).to_owned()),
            Some("1".into())
        );
    }

    #[tokio::test]
    async fn informer_wait_returns_false_when_stopped_before_sync() {
        let events = futures::stream::iter([Ok(Event::Init), Ok(Event::InitApply(cm("ns", "a", "1")))]);
        let informer = SharedInformer::from_stream(events, None);
        let task = tokio::spawn(informer.run());
        assert!(!within(informer.wait_for_cache_sync()).await);
        within(task).await.unwrap();

        let (informer, _tx) = channel_informer(None);
        let task = tokio::spawn(informer.run());
        let waiter = tokio::spawn({
            let informer = informer.clone();
            async move { within(informer.wait_for_cache_sync()).await }
        });
        tokio::task::yield_now().await;
        informer.shutdown();
        assert!(!within(waiter).await.unwrap());
        within(task).await.unwrap();

        // shut down before it ran: never runs, waiting does not hang
        let (informer, tx) = channel_informer(None);
        informer.shutdown();
        assert!(!within(informer.wait_for_cache_sync()).await);
        tx.unbounded_send(Ok(Event::InitDone)).unwrap_err(); // the stream was dropped
        within(informer.run()).await;
        assert!(!informer.has_synced());
    }

    #[tokio::test]
    async fn informer_late_handler_gets_adds_for_cached_objects() {
        let (informer, tx) = channel_informer(None);
        let (early, early_log) = recorder();
        informer.add_event_handler(early);
        let task = tokio::spawn(informer.run());
        for e in [
            Event::Init,
            Event::InitApply(cm("b", "x", "1")),
            Event::InitApply(cm("a", "y", "2")),
            Event::InitDone,
        ] {
            tx.unbounded_send(Ok(e)).unwrap();
        }
        assert!(within(informer.wait_for_cache_sync()).await);

        let (late, late_log) = recorder();
        informer.add_event_handler(late);
        // synthetic adds, delivered before add_event_handler returned, sorted
        assert_eq!(take(&late_log), ["add a/y@2", "add b/x@1"]);

        tx.unbounded_send(Ok(Event::Apply(cm("a", "y", "3")))).unwrap();
        tx.unbounded_send(Ok(Event::Delete(cm("b", "x", "4")))).unwrap();
        wait_len(&late_log, 2).await;
        assert_eq!(take(&late_log), ["update a/y@2->3", "delete b/x@4"]);
        wait_len(&early_log, 4).await;
        assert_eq!(
            take(&early_log),
            ["add a/y@2", "add b/x@1", "update a/y@2->3", "delete b/x@4"]
        );
        informer.shutdown();
        within(task).await.unwrap();
    }

    #[tokio::test]
    async fn informer_removed_handler_gets_nothing() {
        let (informer, tx) = channel_informer(None);
        let (h1, log1) = recorder();
        let (h2, log2) = recorder();
        let id1 = informer.add_event_handler(h1);
        let id2 = informer.add_event_handler(h2);
        assert_ne!(id1, id2);
        assert!(informer.remove_event_handler(id1));
        assert!(!informer.remove_event_handler(id1));
        let task = tokio::spawn(informer.run());
        tx.unbounded_send(Ok(Event::Apply(cm("a", "x", "1")))).unwrap();
        wait_len(&log2, 1).await;
        assert!(take(&log1).is_empty());
        informer.shutdown();
        within(task).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn informer_resync_redelivers_cached_objects() {
        let (informer, tx) = channel_informer(Some(Duration::from_secs(10)));
        let (h, log) = recorder();
        informer.add_event_handler(h);
        let task = tokio::spawn(informer.run());
        for e in [
            Event::Init,
            Event::InitApply(cm("b", "x", "1")),
            Event::InitApply(cm("a", "y", "2")),
            Event::InitDone,
        ] {
            tx.unbounded_send(Ok(e)).unwrap();
        }
        assert!(within(informer.wait_for_cache_sync()).await);
        assert_eq!(take(&log), ["add a/y@2", "add b/x@1"]);

        // paused clock: sleeping 25s lets exactly two resync periods pass
        tokio::time::sleep(Duration::from_secs(25)).await;
        assert_eq!(
            take(&log),
            [
                "update a/y@2->2 (same)",
                "update b/x@1->1 (same)",
                "update a/y@2->2 (same)",
                "update b/x@1->1 (same)",
            ]
        );
        informer.shutdown();
        within(task).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn informer_without_resync_period_never_resyncs() {
        let (informer, tx) = channel_informer(None);
        let (h, log) = recorder();
        informer.add_event_handler(h);
        let task = tokio::spawn(informer.run());
        for e in [Event::Init, Event::InitApply(cm("a", "y", "2")), Event::InitDone] {
            tx.unbounded_send(Ok(e)).unwrap();
        }
        assert!(within(informer.wait_for_cache_sync()).await);
        tokio::time::sleep(Duration::from_secs(3600)).await;
        assert_eq!(take(&log), ["add a/y@2"]);
        informer.shutdown();
        within(task).await.unwrap();
    }

    #[tokio::test]
    async fn informer_survives_watch_errors() {
        let events = futures::stream::iter([
            Err(watcher::Error::NoResourceVersion),
            Ok(Event::Init),
            Ok(Event::InitApply(cm("ns", "a", "1"))),
            Ok(Event::InitDone),
            Err(watcher::Error::NoResourceVersion),
            Ok(Event::Apply(cm("ns", "b", "2"))),
        ]);
        let informer = SharedInformer::from_stream(events, None);
        let errors = Arc::new(AtomicU64::new(0));
        let e = errors.clone();
        informer.set_watch_error_handler(move |err| {
            assert!(matches!(err, watcher::Error::NoResourceVersion));
            e.fetch_add(1, Ordering::Relaxed);
        });
        informer.run().await;
        assert_eq!(errors.load(Ordering::Relaxed), 2);
        assert!(informer.has_synced());
        assert_eq!(keys(&informer), ["ns/a", "ns/b"]);
    }

    #[tokio::test]
    async fn informer_transform_applies_before_caching() {
        let events = futures::stream::iter([Ok(Event::Apply(ConfigMap {
            data: Some([("big".to_string(), "x".repeat(1000))].into()),
            ..cm("ns", "a", "1")
        }))]);
        let informer = SharedInformer::from_stream(events, None);
        informer.set_transform(|mut cm: ConfigMap| {
            cm.data = None;
            cm
        });
        let added = Arc::new(Mutex::new(None));
        let a = added.clone();
        informer.add_event_handler(
            Handlers::new().on_add(move |o: &Arc<ConfigMap>| *a.lock().unwrap() = Some(o.data.is_none())),
        );
        informer.run().await;
        assert_eq!(*added.lock().unwrap(), Some(true));
        assert!(informer.indexer().get(Some("ns"), "a").unwrap().data.is_none());
    }

    #[tokio::test]
    async fn informer_run_only_once_and_delete_of_unknown_object_is_delivered() {
        let events = futures::stream::iter([Ok(Event::Delete(cm("ns", "ghost", "9")))]);
        let informer = SharedInformer::from_stream(events, None);
        let (h, log) = recorder();
        informer.add_event_handler(h);
        let second = informer.run(); // takes the stream
        informer.run().await; // nothing to do
        assert!(!informer.is_stopped());
        within(second).await;
        assert_eq!(take(&log), ["delete ns/ghost@9"]);
        assert!(informer.is_stopped());
    }

    #[tokio::test]
    async fn informer_indexers_and_lister_follow_events() {
        let events = futures::stream::iter([
            Ok(Event::Init),
            Ok(Event::InitApply(cm("a", "x", "1"))),
            Ok(Event::InitApply(cm("b", "y", "1"))),
            Ok(Event::InitDone),
            Ok(Event::Delete(cm("a", "x", "2"))),
        ]);
        let informer = SharedInformer::from_stream(events, None);
        informer
            .add_indexer("rv", |o: &ConfigMap| vec![rv(o).to_owned()])
            .unwrap();
        informer.run().await;
        assert_eq!(informer.indexer().index_keys("rv", "1"), ["b/y"]);
        let lister = informer.lister();
        assert!(lister.namespace("a").get("x").is_none());
        assert!(lister.namespace("b").get("y").is_some());
    }

    #[test]
    fn informer_registering_from_initial_add_panics_instead_of_deadlocking() {
        let informer: SharedInformer<ConfigMap> = SharedInformer::from_stream(futures::stream::empty(), None);
        informer.inner.process(Event::Apply(cm("a", "x", "1")), &mut None);
        let (tx, rx) = std::sync::mpsc::channel();
        // on a thread, so that a regression (a deadlock) fails the test instead of hanging it
        std::thread::spawn(move || {
            let inf = informer.clone();
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                informer.add_event_handler(Handlers::new().on_add(move |_: &Arc<ConfigMap>| {
                    inf.add_event_handler(Handlers::new());
                }));
            }));
            let message = match result {
                Ok(_) => "no panic".to_owned(),
                Err(e) => e
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| e.downcast_ref::<String>().cloned())
                    .unwrap_or_default(),
            };
            // registering works again afterwards
            informer.add_event_handler(Handlers::new());
            tx.send(message).unwrap();
        });
        let message = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("add_event_handler from an initial on_add deadlocked");
        assert!(message.contains("initial on_add"), "{message}");
    }
}
