//! [`SharedInformerFactory`]: one [`SharedInformer`] per kind, started and stopped together.
//!
//! client-go's `SharedInformerFactory` (what informer-gen's `factory.go` wraps): every component
//! asking the factory for the informer of a kind gets the same one, so a process runs one watch and
//! keeps one cache per kind however many controllers read it. kube-runtime can only share a
//! reflector through its unstable subscribe API; the factory needs no unstable feature.

use std::{
    any::{Any, TypeId},
    collections::{BTreeMap, HashMap},
    fmt,
    sync::{Arc, Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use futures::future::{BoxFuture, FutureExt, join_all};
use kube::{
    Api, Client, Resource,
    core::{ClusterResourceScope, NamespaceResourceScope},
    runtime::watcher,
};
use serde::de::DeserializeOwned;
use tokio::task::JoinHandle;

use super::{informer::SharedInformer, lister::Lister};

/// How a factory builds the [`Api`] of a kind from its scope: namespaced kinds are watched in the
/// factory's [namespace](SharedInformerFactory::namespace) (every namespace without one),
/// cluster-scoped kinds always cluster-wide.
///
/// Implemented for kube's [`NamespaceResourceScope`] and [`ClusterResourceScope`], the scopes of
/// k8s-openapi types, `#[derive(CustomResource)]` types and kgen-generated kinds.
pub trait ApiScope {
    /// The [`Api`] to watch `K` with.
    fn api<K>(client: Client, namespace: Option<&str>) -> Api<K>
    where
        K: Resource<Scope = Self, DynamicType = ()>;
}

impl ApiScope for NamespaceResourceScope {
    fn api<K>(client: Client, namespace: Option<&str>) -> Api<K>
    where
        K: Resource<Scope = Self, DynamicType = ()>,
    {
        match namespace {
            Some(ns) => Api::namespaced(client, ns),
            None => Api::all(client),
        }
    }
}

impl ApiScope for ClusterResourceScope {
    fn api<K>(client: Client, _namespace: Option<&str>) -> Api<K>
    where
        K: Resource<Scope = Self, DynamicType = ()>,
    {
        Api::all(client)
    }
}

/// What the factory needs from an informer whatever its kind.
trait ErasedInformer: Send + Sync {
    fn as_any(&self) -> &dyn Any;
    fn run(&self) -> BoxFuture<'static, ()>;
    fn shutdown(&self);
    fn wait_for_cache_sync(&self) -> BoxFuture<'static, bool>;
}

impl<K: Resource + Send + Sync + 'static> ErasedInformer for SharedInformer<K> {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn run(&self) -> BoxFuture<'static, ()> {
        SharedInformer::run(self).boxed()
    }
    fn shutdown(&self) {
        SharedInformer::shutdown(self)
    }
    fn wait_for_cache_sync(&self) -> BoxFuture<'static, bool> {
        let this = self.clone();
        async move { this.wait_for_cache_sync().await }.boxed()
    }
}

struct Entry {
    type_id: TypeId,
    kind: &'static str,
    informer: Arc<dyn ErasedInformer>,
    task: Option<JoinHandle<()>>,
    started: bool,
}

#[derive(Default)]
struct State {
    /// In creation order, so that `start` is deterministic.
    entries: Vec<Entry>,
    shut_down: bool,
}

type TweakFn = Arc<dyn Fn(watcher::Config) -> watcher::Config + Send + Sync>;

/// Makes and runs one [`SharedInformer`] per kind (client-go's `SharedInformerFactory`).
///
/// Configure the factory (namespace, selectors, resync periods) before asking it for informers:
/// options apply to informers created afterwards. Clones share the informers.
///
/// ```no_run
/// use std::time::Duration;
/// use k8s_openapi::api::{apps::v1::Deployment, core::v1::Pod};
/// use kgen_runtime::informer::{Handlers, SharedInformerFactory};
/// use kube::{Client, core::Selector};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let client = Client::try_default().await?;
/// let factory = SharedInformerFactory::new(client, Some(Duration::from_secs(600)))
///     .namespace("prod")
///     .labels("app.kubernetes.io/managed-by=kluster-operator");
///
/// // the same informer, hence one watch of pods, for both calls
/// let pods = factory.informer::<Pod>();
/// pods.add_event_handler(Handlers::new().on_add(|pod: &std::sync::Arc<Pod>| {
///     println!("pod {:?}", pod.metadata.name)
/// }));
/// let pod_lister = factory.lister::<Pod>();
/// let deployments = factory.lister::<Deployment>();
///
/// factory.start();
/// if !factory.wait_for_cache_sync().await {
///     return Err("an informer stopped before its cache synced".into());
/// }
/// println!("{} pods", pod_lister.namespace("prod").list(&Selector::default()).len());
/// println!("{} deployments", deployments.list(&Selector::default()).len());
///
/// factory.shutdown().await;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct SharedInformerFactory {
    client: Client,
    default_resync: Option<Duration>,
    namespace: Option<String>,
    labels: Option<String>,
    fields: Option<String>,
    tweak: Option<TweakFn>,
    custom_resync: HashMap<TypeId, Option<Duration>>,
    state: Arc<Mutex<State>>,
}

impl fmt::Debug for SharedInformerFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds: Vec<&str> = self.state().entries.iter().map(|e| e.kind).collect();
        f.debug_struct("SharedInformerFactory")
            .field("default_resync", &self.default_resync)
            .field("namespace", &self.namespace)
            .field("labels", &self.labels)
            .field("fields", &self.fields)
            .field("tweak", &self.tweak.is_some())
            .field("informers", &kinds)
            .finish()
    }
}

impl SharedInformerFactory {
    /// A factory whose informers use `client` and resync every `default_resync` (`None`: never;
    /// client-go's `NewSharedInformerFactory(client, defaultResync)`).
    pub fn new(client: Client, default_resync: Option<Duration>) -> Self {
        Self {
            client,
            default_resync,
            namespace: None,
            labels: None,
            fields: None,
            tweak: None,
            custom_resync: HashMap::new(),
            state: Arc::default(),
        }
    }

    /// Watch namespaced kinds in this namespace only (client-go's `WithNamespace`); cluster-scoped
    /// kinds are still watched cluster-wide. An empty string means every namespace.
    #[must_use]
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        let namespace = namespace.into();
        self.namespace = (!namespace.is_empty()).then_some(namespace);
        self
    }

    /// Watch only objects matching this label selector, e.g. `"app=web,tier!=cache"`.
    #[must_use]
    pub fn labels(mut self, selector: impl Into<String>) -> Self {
        self.labels = Some(selector.into());
        self
    }

    /// Watch only objects matching this field selector, e.g. `"metadata.name=kluster"`.
    #[must_use]
    pub fn fields(mut self, selector: impl Into<String>) -> Self {
        self.fields = Some(selector.into());
        self
    }

    /// Change the [`watcher::Config`] of every informer (client-go's `WithTweakListOptions`), after
    /// the label and field selectors are set: page size, streaming lists, timeouts, ...
    #[must_use]
    pub fn tweak(mut self, tweak: impl Fn(watcher::Config) -> watcher::Config + Send + Sync + 'static) -> Self {
        self.tweak = Some(Arc::new(tweak));
        self
    }

    /// A resync period for kind `K` instead of the default (client-go's `WithCustomResyncConfig`).
    #[must_use]
    pub fn resync_for<K: 'static>(mut self, resync: Option<Duration>) -> Self {
        self.custom_resync.insert(TypeId::of::<K>(), resync);
        self
    }

    /// The client informers use.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The watcher configuration the factory gives its informers.
    pub fn watcher_config(&self) -> watcher::Config {
        let mut config = watcher::Config::default();
        if let Some(labels) = &self.labels {
            config = config.labels(labels);
        }
        if let Some(fields) = &self.fields {
            config = config.fields(fields);
        }
        match &self.tweak {
            Some(tweak) => tweak(config),
            None => config,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The informer of kind `K`: created on the first call, the same informer (one watch, one
    /// cache) on every later call (client-go's `factory.<Group>().<Version>().<Kind>s().Informer()`).
    ///
    /// An informer created after [`start`](Self::start) runs from the next `start`.
    pub fn informer<K>(&self) -> SharedInformer<K>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + fmt::Debug + Send + Sync + 'static,
        K::Scope: ApiScope,
    {
        let type_id = TypeId::of::<K>();
        let mut state = self.state();
        if let Some(entry) = state.entries.iter().find(|e| e.type_id == type_id) {
            return entry
                .informer
                .as_any()
                .downcast_ref::<SharedInformer<K>>()
                .expect("entries are keyed by their TypeId")
                .clone();
        }
        let api = <K::Scope as ApiScope>::api::<K>(self.client.clone(), self.namespace.as_deref());
        let resync = self.custom_resync.get(&type_id).copied().unwrap_or(self.default_resync);
        let informer = SharedInformer::new(api, self.watcher_config(), resync);
        state.entries.push(Entry {
            type_id,
            kind: std::any::type_name::<K>(),
            informer: Arc::new(informer.clone()),
            task: None,
            started: false,
        });
        informer
    }

    /// The lister of kind `K`'s informer (creating the informer if needed).
    pub fn lister<K>(&self) -> Lister<K>
    where
        K: Resource<DynamicType = ()> + Clone + DeserializeOwned + fmt::Debug + Send + Sync + 'static,
        K::Scope: ApiScope,
    {
        self.informer::<K>().lister()
    }

    /// Spawn every informer not started yet on the current tokio runtime. Calling it again starts
    /// only informers created since; after [`shutdown`](Self::shutdown) it does nothing.
    ///
    /// # Panics
    ///
    /// Outside a tokio runtime.
    pub fn start(&self) {
        let mut state = self.state();
        if state.shut_down {
            return;
        }
        for entry in state.entries.iter_mut().filter(|e| !e.started) {
            entry.started = true;
            entry.task = Some(tokio::spawn(entry.informer.run()));
        }
    }

    /// Wait until every started informer has synced its cache; `false` if one stopped before that
    /// (client-go's `WaitForCacheSync`). Informers not started are not waited for.
    pub async fn wait_for_cache_sync(&self) -> bool {
        self.wait_for_cache_sync_by_kind().await.values().all(|synced| *synced)
    }

    /// Like [`wait_for_cache_sync`](Self::wait_for_cache_sync), with the outcome per kind (keyed by
    /// Rust type name), as client-go's map.
    pub async fn wait_for_cache_sync_by_kind(&self) -> BTreeMap<&'static str, bool> {
        let waits: Vec<(&'static str, BoxFuture<'static, bool>)> = self
            .state()
            .entries
            .iter()
            .filter(|e| e.started)
            .map(|e| (e.kind, e.informer.wait_for_cache_sync()))
            .collect();
        let (kinds, futures): (Vec<_>, Vec<_>) = waits.into_iter().unzip();
        kinds.into_iter().zip(join_all(futures).await).collect()
    }

    /// Stop every informer and wait for their tasks to end (client-go's `Shutdown`). Informers never
    /// started will not run; the factory starts nothing afterwards. Caches keep their content.
    pub async fn shutdown(&self) {
        let tasks: Vec<(&'static str, JoinHandle<()>)> = {
            let mut state = self.state();
            state.shut_down = true;
            state
                .entries
                .iter_mut()
                .filter_map(|e| {
                    e.informer.shutdown();
                    e.task.take().map(|t| (e.kind, t))
                })
                .collect()
        };
        for (kind, task) in tasks {
            if let Err(error) = task.await {
                tracing::error!(kind, %error, "informer task failed");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::informer::testing::{MockServer, cm, within};
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace, Secret};
    use kube::core::Selector;

    #[tokio::test]
    async fn informer_factory_returns_the_same_informer_per_type() {
        let server = MockServer::new();
        let factory = SharedInformerFactory::new(server.client(), None);
        let a = factory.informer::<ConfigMap>();
        let b = factory.clone().informer::<ConfigMap>();
        a.indexer().insert(Arc::new(cm("ns", "x", "1")));
        assert!(b.indexer().get(Some("ns"), "x").is_some(), "one cache");
        assert!(factory.lister::<ConfigMap>().get(Some("ns"), "x").is_some());
        // another type, another informer
        let s = factory.informer::<Secret>();
        assert!(s.indexer().is_empty());
        assert_eq!(factory.state().entries.len(), 2);
        let debug = format!("{factory:?}");
        assert!(debug.contains("ConfigMap") && debug.contains("Secret"), "{debug}");
    }

    #[tokio::test]
    async fn informer_factory_start_sync_shutdown() {
        let server = MockServer::new();
        server.set_items("configmaps", vec![cm("prod", "a", "1"), cm("dev", "b", "1")]);
        let factory = SharedInformerFactory::new(server.client(), None);
        let cms = factory.informer::<ConfigMap>();
        let nss = factory.informer::<Namespace>();
        factory.start();
        factory.start(); // idempotent
        assert!(within(factory.wait_for_cache_sync()).await);
        assert!(cms.has_synced() && nss.has_synced());
        assert_eq!(cms.indexer().keys(), ["dev/b", "prod/a"]);
        let lists = server.lists("/api/v1/configmaps");
        assert_eq!(lists.len(), 1, "one list of configmaps: {lists:?}");
        let by_kind = within(factory.wait_for_cache_sync_by_kind()).await;
        assert_eq!(by_kind.len(), 2);

        // an informer created after start runs from the next start
        let secrets = factory.informer::<Secret>();
        assert!(!secrets.is_started());
        factory.start();
        assert!(secrets.is_started());
        assert!(within(factory.wait_for_cache_sync()).await);

        within(factory.shutdown()).await;
        assert!(cms.is_stopped() && nss.is_stopped() && secrets.is_stopped());
        // after shutdown nothing starts
        let late = factory.informer::<k8s_openapi::api::core::v1::Pod>();
        factory.start();
        assert!(!late.is_started());
    }

    #[tokio::test]
    async fn informer_factory_applies_namespace_and_selectors() {
        let server = MockServer::new();
        let factory = SharedInformerFactory::new(server.client(), Some(Duration::from_secs(30)))
            .namespace("prod")
            .labels("app=web")
            .fields("metadata.name=a")
            .tweak(|c| c.page_size(7))
            .resync_for::<Namespace>(None);
        let cms = factory.informer::<ConfigMap>();
        let nss = factory.informer::<Namespace>();
        assert_eq!(cms.resync_period(), Some(Duration::from_secs(30)));
        assert_eq!(nss.resync_period(), None);
        factory.start();
        assert!(within(factory.wait_for_cache_sync()).await);
        within(factory.shutdown()).await;

        let cm_list = server.lists("/api/v1/namespaces/prod/configmaps");
        assert_eq!(cm_list.len(), 1, "namespaced kind watched in the namespace");
        let q = &cm_list[0];
        assert!(q.contains("labelSelector=app%3Dweb"), "{q}");
        assert!(q.contains("fieldSelector=metadata.name%3Da"), "{q}");
        assert!(q.contains("limit=7"), "{q}");
        assert_eq!(
            server.lists("/api/v1/namespaces").len(),
            1,
            "cluster-scoped kind watched cluster-wide: {:?}",
            server.requests()
        );
    }

    #[tokio::test]
    async fn informer_from_api_backs_off_and_recovers_after_a_failed_list() {
        let server = MockServer::new();
        server.fail_next_lists(1);
        server.set_items("configmaps", vec![cm("ns", "a", "1")]);
        let api: Api<ConfigMap> = Api::all(server.client());
        let informer = SharedInformer::new(api, watcher::Config::default(), None);
        let errors = Arc::new(Mutex::new(Vec::new()));
        let e = errors.clone();
        informer.set_watch_error_handler(move |err| e.lock().unwrap().push(err.to_string()));
        let task = tokio::spawn(informer.run());
        let synced = tokio::time::timeout(Duration::from_secs(10), informer.wait_for_cache_sync())
            .await
            .expect("synced after the backoff");
        assert!(synced);
        let errors = errors.lock().unwrap().clone();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("initial object list"), "{errors:?}");
        assert_eq!(server.lists("/api/v1/configmaps").len(), 2);
        let lister = informer.lister();
        assert_eq!(lister.list(&Selector::default()).len(), 1);
        informer.shutdown();
        within(task).await.unwrap();
    }
}
