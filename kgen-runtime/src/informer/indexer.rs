//! [`Indexer`]: the thread-safe, indexed object cache behind every informer and lister.
//!
//! The Rust counterpart of client-go's `cache.Indexer` (`ThreadSafeStore` plus `Indexers`):
//!
//! - objects are stored once, as [`Arc<K>`], keyed by namespace and name; a lookup by namespace and
//!   name is two hash lookups and allocates nothing;
//! - the namespace is a built-in index: objects live in one bucket per namespace, so listing one
//!   namespace never looks at the objects of another (kube-runtime's `Store` scans everything);
//! - custom indexes map an index function's values to the objects that produced them, like
//!   client-go's `AddIndexers`, and can be added at any time (existing objects are indexed on the spot).
//!
//! Memory: the cache adds no copy of any string. Buckets and index entries are sets of `Arc<K>`
//! hashed by the object's own namespace and name (read from its metadata), so an object costs its
//! `Arc` header, one pointer in its namespace bucket and one pointer per index value, plus hash
//! table slack; one `String` per namespace and per index value.

use std::{
    borrow::Borrow,
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    fmt,
    hash::{Hash, Hasher},
    sync::{Arc, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard},
};

use kube::Resource;

/// The name under which [`Indexer::by_index`], [`Indexer::index_keys`] and
/// [`Indexer::index_values`] reach the built-in namespace index (client-go's `cache.NamespaceIndex`).
///
/// It cannot be used as the name of a custom index.
pub const NAMESPACE_INDEX: &str = "namespace";

/// An index function: the values under which an object is indexed (client-go's `IndexFunc`).
///
/// It must be deterministic: the values of an object that is replaced or removed are computed again
/// to find the entries to drop.
pub type IndexFn<K> = Arc<dyn Fn(&K) -> Vec<String> + Send + Sync>;

/// The cache key of an object as client-go writes it: `namespace/name`, or `name` for cluster-scoped
/// objects (client-go's `MetaNamespaceKeyFunc`).
///
/// ```
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kube::api::ObjectMeta;
///
/// let cm = ConfigMap {
///     metadata: ObjectMeta {
///         name: Some("settings".into()),
///         namespace: Some("prod".into()),
///         ..Default::default()
///     },
///     ..Default::default()
/// };
/// assert_eq!(kgen_runtime::informer::key_of(&cm), "prod/settings");
/// ```
pub fn key_of<K: Resource>(obj: &K) -> String {
    let (ns, name) = ns_name(obj);
    format_key(ns, name)
}

fn format_key(ns: &str, name: &str) -> String {
    if ns.is_empty() {
        name.to_owned()
    } else {
        format!("{ns}/{name}")
    }
}

/// Namespace (`""` for cluster-scoped objects) and name (`""` if unset) of an object.
pub(crate) fn ns_name<K: Resource>(obj: &K) -> (&str, &str) {
    let meta = obj.meta();
    (
        meta.namespace.as_deref().unwrap_or(""),
        meta.name.as_deref().unwrap_or(""),
    )
}

/// Errors from [`Indexer::add_indexer`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexerError {
    /// An index with this name exists already (or the name is [`NAMESPACE_INDEX`]).
    #[error("an index named {0:?} already exists")]
    Conflict(String),
    /// No index has this name (client-go: "Index with name ... does not exist").
    #[error("index with name {0:?} does not exist")]
    NoSuchIndex(String),
}

/// What a [`Indexer::replace`] changed, in the order it reports them.
#[derive(Debug, Clone)]
pub enum Change<K> {
    /// The object was not in the cache.
    Added(Arc<K>),
    /// The object replaced a different version of itself.
    Updated {
        /// The cached version before the replacement.
        old: Arc<K>,
        /// The version now cached.
        new: Arc<K>,
    },
    /// The object was cached but is missing from the new list; this is its last cached state.
    Deleted(Arc<K>),
}

/// An object in its namespace bucket: hashed and compared by name, found by `&str`.
struct ByName<K>(Arc<K>);

impl<K: Resource> ByName<K> {
    fn name(&self) -> &str {
        ns_name(&*self.0).1
    }
}

impl<K: Resource> Borrow<str> for ByName<K> {
    fn borrow(&self) -> &str {
        self.name()
    }
}

impl<K: Resource> Hash for ByName<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // must hash exactly as `str` does, for lookups by `&str`
        self.name().hash(state)
    }
}

impl<K: Resource> PartialEq for ByName<K> {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl<K: Resource> Eq for ByName<K> {}

/// An object in an index value's set: hashed and compared by namespace and name.
struct ByKey<K>(Arc<K>);

impl<K: Resource> Hash for ByKey<K> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        ns_name(&*self.0).hash(state)
    }
}

impl<K: Resource> PartialEq for ByKey<K> {
    fn eq(&self, other: &Self) -> bool {
        ns_name(&*self.0) == ns_name(&*other.0)
    }
}

impl<K: Resource> Eq for ByKey<K> {}

type Bucket<K> = HashSet<ByName<K>>;

struct Index<K> {
    func: IndexFn<K>,
    values: HashMap<String, HashSet<ByKey<K>>>,
}

struct Store<K> {
    /// namespace (`""` = cluster scope) -> objects by name. This level is the namespace index.
    namespaces: HashMap<String, Bucket<K>>,
    len: usize,
    indices: HashMap<String, Index<K>>,
}

impl<K> Default for Store<K> {
    fn default() -> Self {
        Self {
            namespaces: HashMap::new(),
            len: 0,
            indices: HashMap::new(),
        }
    }
}

/// Values of an index function without duplicates (client-go tolerates duplicates too).
fn index_values<K>(func: &IndexFn<K>, obj: &K) -> Vec<String> {
    let mut values = func(obj);
    if values.len() > 1 {
        values.sort_unstable();
        values.dedup();
    }
    values
}

/// Sort objects by namespace, then name.
fn sort_by_key<K: Resource>(objs: &mut [Arc<K>]) {
    objs.sort_unstable_by(|a, b| ns_name(&**a).cmp(&ns_name(&**b)));
}

impl<K: Resource> Store<K> {
    fn insert(&mut self, obj: Arc<K>) -> Option<Arc<K>> {
        let (ns, _) = ns_name(&*obj);
        let bucket = match self.namespaces.get_mut(ns) {
            Some(bucket) => bucket,
            None => self.namespaces.entry(ns.to_owned()).or_default(),
        };
        let old = bucket.replace(ByName(obj.clone())).map(|b| b.0);
        if old.is_none() {
            self.len += 1;
        }
        for index in self.indices.values_mut() {
            let new_values = index_values(&index.func, &obj);
            if let Some(old) = &old {
                for value in index_values(&index.func, old) {
                    if !new_values.contains(&value) {
                        remove_from_index(&mut index.values, &value, old);
                    }
                }
            }
            for value in new_values {
                // `replace`: a value the old version had too now holds the new version
                index.values.entry(value).or_default().replace(ByKey(obj.clone()));
            }
        }
        old
    }

    fn remove(&mut self, ns: &str, name: &str) -> Option<Arc<K>> {
        let bucket = self.namespaces.get_mut(ns)?;
        let old = bucket.take(name)?.0;
        if bucket.is_empty() {
            self.namespaces.remove(ns);
        }
        self.len -= 1;
        for index in self.indices.values_mut() {
            for value in index_values(&index.func, &old) {
                remove_from_index(&mut index.values, &value, &old);
            }
        }
        Some(old)
    }

    fn get(&self, ns: &str, name: &str) -> Option<&Arc<K>> {
        self.namespaces.get(ns)?.get(name).map(|b| &b.0)
    }

    fn index_set(&self, index: &str, value: &str) -> Option<&HashSet<ByKey<K>>> {
        self.indices.get(index)?.values.get(value)
    }
}

fn remove_from_index<K: Resource>(values: &mut HashMap<String, HashSet<ByKey<K>>>, value: &str, obj: &Arc<K>) {
    if let Some(set) = values.get_mut(value) {
        set.remove(&ByKey(obj.clone()));
        if set.is_empty() {
            values.remove(value);
        }
    }
}

fn same_version<K: Resource>(a: &K, b: &K) -> bool {
    match (&a.meta().resource_version, &b.meta().resource_version) {
        (Some(a), Some(b)) => a == b,
        _ => false,
    }
}

/// A thread-safe cache of `Arc<K>` keyed by namespace and name, with a namespace index and custom
/// indexes.
///
/// Cloning is cheap and every clone shares the same cache. Readers get `Arc<K>`: shared, read-only
/// objects; clone the `K` (`(*arc).clone()`) before changing one.
///
/// Cluster-scoped objects live under the namespace `""`; lookups accept `None` or `Some("")` for them.
/// Every list is sorted by namespace, then name.
///
/// ```
/// use std::sync::Arc;
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kgen_runtime::informer::Indexer;
/// use kube::api::ObjectMeta;
///
/// fn cm(ns: &str, name: &str, app: &str) -> Arc<ConfigMap> {
///     Arc::new(ConfigMap {
///         metadata: ObjectMeta {
///             name: Some(name.into()),
///             namespace: Some(ns.into()),
///             labels: Some([("app".to_string(), app.to_string())].into()),
///             ..Default::default()
///         },
///         ..Default::default()
///     })
/// }
///
/// let indexer = Indexer::new();
/// indexer.insert(cm("prod", "a", "web"));
/// indexer.insert(cm("prod", "b", "db"));
/// indexer.insert(cm("dev", "a", "web"));
///
/// // O(1) lookup by namespace and name
/// assert!(indexer.get(Some("prod"), "b").is_some());
/// // the namespace index: only the bucket of "dev" is read
/// assert_eq!(indexer.list_namespace("dev").len(), 1);
///
/// // a custom index, added after the objects: they are indexed on the spot
/// indexer.add_indexer("by-app", |cm: &ConfigMap| {
///     cm.metadata.labels.iter().flatten()
///         .filter(|(k, _)| *k == "app")
///         .map(|(_, v)| v.clone())
///         .collect()
/// })?;
/// let web = indexer.by_index("by-app", "web");
/// assert_eq!(web.len(), 2);
/// assert_eq!(indexer.index_keys("by-app", "web"), ["dev/a", "prod/a"]);
/// # Ok::<(), kgen_runtime::informer::IndexerError>(())
/// ```
pub struct Indexer<K> {
    store: Arc<RwLock<Store<K>>>,
}

impl<K> Clone for Indexer<K> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
        }
    }
}

impl<K> Default for Indexer<K> {
    fn default() -> Self {
        Self {
            store: Arc::new(RwLock::new(Store::default())),
        }
    }
}

impl<K: Resource> fmt::Debug for Indexer<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let store = self.read();
        f.debug_struct("Indexer")
            .field("len", &store.len)
            .field("namespaces", &store.namespaces.len())
            .field("indices", &store.indices.keys().collect::<BTreeSet<_>>())
            .finish()
    }
}

impl<K: Resource> Indexer<K> {
    /// An empty cache without custom indexes.
    pub fn new() -> Self {
        Self::default()
    }

    // A panicking index function poisons the lock; the store stays usable (the panic surfaces
    // where it happened), as with client-go, which does not guard index functions either.
    fn read(&self) -> RwLockReadGuard<'_, Store<K>> {
        self.store.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Store<K>> {
        self.store.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Add a custom index (client-go's `AddIndexers`): `func` returns the values under which an
    /// object is found with [`by_index`](Self::by_index). Objects already cached are indexed now.
    ///
    /// `func` must be deterministic, and cheap: it runs under the cache's write lock on every
    /// insert, replace and removal.
    ///
    /// # Errors
    ///
    /// [`IndexerError::Conflict`] if an index with this name exists, or the name is
    /// [`NAMESPACE_INDEX`].
    pub fn add_indexer<F>(&self, name: impl Into<String>, func: F) -> Result<(), IndexerError>
    where
        F: Fn(&K) -> Vec<String> + Send + Sync + 'static,
    {
        let name = name.into();
        let mut store = self.write();
        if name == NAMESPACE_INDEX || store.indices.contains_key(&name) {
            return Err(IndexerError::Conflict(name));
        }
        let func: IndexFn<K> = Arc::new(func);
        let mut values: HashMap<String, HashSet<ByKey<K>>> = HashMap::new();
        for bucket in store.namespaces.values() {
            for obj in bucket {
                for value in index_values(&func, &obj.0) {
                    values.entry(value).or_default().insert(ByKey(obj.0.clone()));
                }
            }
        }
        store.indices.insert(name, Index { func, values });
        Ok(())
    }

    /// Whether an index with this name exists ([`NAMESPACE_INDEX`] always does).
    pub fn has_index(&self, name: &str) -> bool {
        name == NAMESPACE_INDEX || self.read().indices.contains_key(name)
    }

    /// Names of the custom indexes, sorted.
    pub fn indexers(&self) -> Vec<String> {
        let mut names: Vec<String> = self.read().indices.keys().cloned().collect();
        names.sort_unstable();
        names
    }

    /// Insert or replace an object; returns the version it replaced.
    pub fn insert(&self, obj: Arc<K>) -> Option<Arc<K>> {
        self.write().insert(obj)
    }

    /// Remove an object; returns it if it was cached.
    pub fn remove(&self, namespace: Option<&str>, name: &str) -> Option<Arc<K>> {
        self.write().remove(namespace.unwrap_or(""), name)
    }

    /// Replace the whole content with `objects` (client-go's `Replace`, what a relist does) in one
    /// step: readers see either the old or the new content.
    ///
    /// Returns what changed: first the deletions (cached objects missing from `objects`), then the
    /// additions and updates, each group sorted by namespace and name. An object whose
    /// `metadata.resourceVersion` equals the cached one's is unchanged: the cached `Arc` is kept and
    /// nothing is reported; without a resource version on both sides it counts as updated. If
    /// `objects` holds one key twice, the last one wins.
    pub fn replace(&self, objects: impl IntoIterator<Item = Arc<K>>) -> Vec<Change<K>> {
        let objects: Vec<Arc<K>> = objects.into_iter().collect();
        let mut incoming: BTreeMap<(&str, &str), &Arc<K>> = BTreeMap::new();
        for obj in &objects {
            incoming.insert(ns_name(&**obj), obj);
        }
        let mut store = self.write();
        let mut deleted: Vec<Arc<K>> = store
            .namespaces
            .values()
            .flatten()
            .filter(|o| !incoming.contains_key(&ns_name(&*o.0)))
            .map(|o| o.0.clone())
            .collect();
        sort_by_key(&mut deleted);
        let mut changes = Vec::with_capacity(deleted.len() + incoming.len());
        for obj in deleted {
            let (ns, name) = ns_name(&*obj);
            if let Some(old) = store.remove(ns, name) {
                changes.push(Change::Deleted(old));
            }
        }
        for ((ns, name), obj) in incoming {
            match store.get(ns, name) {
                Some(old) if same_version(&**old, &**obj) => {}
                Some(_) => {
                    let old = store.insert(obj.clone()).expect("cached object");
                    changes.push(Change::Updated { old, new: obj.clone() });
                }
                None => {
                    store.insert(obj.clone());
                    changes.push(Change::Added(obj.clone()));
                }
            }
        }
        changes
    }

    /// Remove everything (indexes stay defined).
    pub fn clear(&self) {
        let mut store = self.write();
        store.namespaces.clear();
        store.len = 0;
        for index in store.indices.values_mut() {
            index.values.clear();
        }
    }

    /// The object with this namespace (`None` for cluster-scoped objects) and name.
    pub fn get(&self, namespace: Option<&str>, name: &str) -> Option<Arc<K>> {
        self.read().get(namespace.unwrap_or(""), name).cloned()
    }

    /// The object with this [`key_of`] key (`namespace/name`, or `name`; client-go's `GetByKey`).
    pub fn get_by_key(&self, key: &str) -> Option<Arc<K>> {
        match key.split_once('/') {
            Some((ns, name)) => self.get(Some(ns), name),
            None => self.get(None, key),
        }
    }

    /// Number of cached objects.
    pub fn len(&self) -> usize {
        self.read().len
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every cached object, sorted by namespace, then name.
    pub fn list(&self) -> Vec<Arc<K>> {
        self.select(None, |_| true)
    }

    /// The objects of one namespace (`""` for cluster-scoped objects), sorted by name. Only that
    /// namespace's bucket is read.
    pub fn list_namespace(&self, namespace: &str) -> Vec<Arc<K>> {
        self.select(Some(namespace), |_| true)
    }

    /// Keys of every cached object ([`key_of`] format), sorted by namespace, then name
    /// (client-go's `ListKeys`).
    pub fn keys(&self) -> Vec<String> {
        self.list().iter().map(|o| key_of(&**o)).collect()
    }

    /// Namespaces holding at least one object, sorted (`""` stands for cluster-scoped objects).
    pub fn namespaces(&self) -> Vec<String> {
        let mut namespaces: Vec<String> = self.read().namespaces.keys().cloned().collect();
        namespaces.sort_unstable();
        namespaces
    }

    /// Objects of `namespace` (all namespaces if `None`) for which `keep` is true, sorted by
    /// namespace, then name. `keep` runs under the read lock and sees only the chosen namespace.
    pub(crate) fn select(&self, namespace: Option<&str>, mut keep: impl FnMut(&K) -> bool) -> Vec<Arc<K>> {
        let store = self.read();
        let buckets: Vec<&Bucket<K>> = match namespace {
            Some(ns) => store.namespaces.get(ns).into_iter().collect(),
            None => store.namespaces.values().collect(),
        };
        let mut hits: Vec<Arc<K>> = buckets
            .into_iter()
            .flatten()
            .filter(|o| keep(&o.0))
            .map(|o| o.0.clone())
            .collect();
        drop(store);
        sort_by_key(&mut hits);
        hits
    }

    /// Objects whose index function returned `value` for the index `index` (client-go's
    /// `ByIndex`), sorted by namespace, then name. [`NAMESPACE_INDEX`] is the built-in namespace
    /// index. An index that does not exist yields nothing (see [`has_index`](Self::has_index)).
    pub fn by_index(&self, index: &str, value: &str) -> Vec<Arc<K>> {
        if index == NAMESPACE_INDEX {
            return self.list_namespace(value);
        }
        let mut objs: Vec<Arc<K>> = self
            .read()
            .index_set(index, value)
            .map(|set| set.iter().map(|o| o.0.clone()).collect())
            .unwrap_or_default();
        sort_by_key(&mut objs);
        objs
    }

    /// Keys ([`key_of`] format) of the objects indexed under `value` in `index` (client-go's
    /// `IndexKeys`), sorted by namespace, then name.
    pub fn index_keys(&self, index: &str, value: &str) -> Vec<String> {
        self.by_index(index, value).iter().map(|o| key_of(&**o)).collect()
    }

    /// Every value of `index` that indexes at least one object, sorted (client-go's
    /// `ListIndexFuncValues`).
    pub fn index_values(&self, index: &str) -> Vec<String> {
        if index == NAMESPACE_INDEX {
            return self.namespaces();
        }
        let mut values: Vec<String> = self
            .read()
            .indices
            .get(index)
            .map(|i| i.values.keys().cloned().collect())
            .unwrap_or_default();
        values.sort_unstable();
        values
    }

    /// The values `index` computes for `obj`. For [`NAMESPACE_INDEX`] this is the object's
    /// namespace.
    pub fn values_of(&self, index: &str, obj: &K) -> Vec<String> {
        if index == NAMESPACE_INDEX {
            return vec![ns_name(obj).0.to_owned()];
        }
        let func = self.read().indices.get(index).map(|i| i.func.clone());
        func.map(|f| index_values(&f, obj)).unwrap_or_default()
    }

    /// Objects sharing at least one `index` value with `obj` (client-go's `Index`), sorted by
    /// namespace, then name.
    pub fn matching(&self, index: &str, obj: &K) -> Vec<Arc<K>> {
        if index == NAMESPACE_INDEX {
            return self.list_namespace(ns_name(obj).0);
        }
        let store = self.read();
        let Some(idx) = store.indices.get(index) else {
            return Vec::new();
        };
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        let mut objs: Vec<Arc<K>> = Vec::new();
        for value in index_values(&idx.func, obj) {
            for o in idx.values.get(&value).into_iter().flatten() {
                if seen.insert(ns_name(&*o.0)) {
                    objs.push(o.0.clone());
                }
            }
        }
        drop(seen);
        drop(store);
        sort_by_key(&mut objs);
        objs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
    use kube::api::ObjectMeta;

    fn cm(ns: &str, name: &str, labels: &[(&str, &str)], rv: Option<&str>) -> Arc<ConfigMap> {
        Arc::new(ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                resource_version: rv.map(Into::into),
                labels: Some(labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    fn names(objs: &[Arc<ConfigMap>]) -> Vec<String> {
        objs.iter().map(|o| key_of(&**o)).collect()
    }

    fn app_index(cm: &ConfigMap) -> Vec<String> {
        cm.metadata
            .labels
            .iter()
            .flatten()
            .filter(|(k, _)| *k == "app")
            .map(|(_, v)| v.clone())
            .collect()
    }

    #[test]
    fn informer_indexer_get_insert_remove() {
        let ix = Indexer::new();
        assert!(ix.is_empty());
        assert!(ix.insert(cm("a", "x", &[], Some("1"))).is_none());
        let old = ix.insert(cm("a", "x", &[], Some("2"))).expect("replaced");
        assert_eq!(old.metadata.resource_version.as_deref(), Some("1"));
        assert_eq!(ix.len(), 1);
        let got = ix.get(Some("a"), "x").expect("cached");
        assert_eq!(got.metadata.resource_version.as_deref(), Some("2"));
        assert!(ix.get(Some("b"), "x").is_none());
        assert!(ix.get(None, "x").is_none());
        assert!(ix.get_by_key("a/x").is_some());
        let removed = ix.remove(Some("a"), "x").expect("removed");
        assert_eq!(removed.metadata.resource_version.as_deref(), Some("2"));
        assert!(ix.is_empty());
        assert!(ix.namespaces().is_empty(), "empty namespace buckets are dropped");
        assert!(ix.remove(Some("a"), "x").is_none());
    }

    #[test]
    fn informer_indexer_cluster_scoped() {
        let ix = Indexer::new();
        ix.insert(Arc::new(Namespace {
            metadata: ObjectMeta {
                name: Some("prod".into()),
                ..Default::default()
            },
            ..Default::default()
        }));
        assert!(ix.get(None, "prod").is_some());
        assert!(ix.get(Some(""), "prod").is_some());
        assert!(ix.get_by_key("prod").is_some());
        assert_eq!(ix.keys(), ["prod"]);
        assert_eq!(ix.namespaces(), [""]);
    }

    #[test]
    fn informer_indexer_lists_sorted() {
        let ix = Indexer::new();
        for (ns, n) in [("b", "2"), ("a-b", "1"), ("a", "z"), ("b", "1"), ("a", "a")] {
            ix.insert(cm(ns, n, &[], None));
        }
        // namespace first, then name (not the `ns/name` string order, where "a-b/1" < "a/a")
        assert_eq!(names(&ix.list()), ["a/a", "a/z", "a-b/1", "b/1", "b/2"]);
        assert_eq!(ix.keys(), ["a/a", "a/z", "a-b/1", "b/1", "b/2"]);
        assert_eq!(names(&ix.list_namespace("b")), ["b/1", "b/2"]);
        assert_eq!(ix.namespaces(), ["a", "a-b", "b"]);
    }

    #[test]
    fn informer_indexer_namespace_index_reads_one_bucket() {
        let ix = Indexer::new();
        for i in 0..1000 {
            ix.insert(cm("big", &format!("o{i}"), &[], None));
        }
        ix.insert(cm("small", "one", &[], None));
        ix.insert(cm("small", "two", &[], None));
        let mut visited = Vec::new();
        let hits = ix.select(Some("small"), |o| {
            visited.push(key_of(o));
            true
        });
        visited.sort();
        assert_eq!(
            visited,
            ["small/one", "small/two"],
            "only the namespace's bucket is visited"
        );
        assert_eq!(names(&hits), ["small/one", "small/two"]);
        // the same index through the client-go names
        assert_eq!(ix.index_keys(NAMESPACE_INDEX, "small"), ["small/one", "small/two"]);
        assert_eq!(ix.by_index(NAMESPACE_INDEX, "small").len(), 2);
        assert_eq!(ix.index_values(NAMESPACE_INDEX), ["big", "small"]);
        assert_eq!(ix.values_of(NAMESPACE_INDEX, &cm("q", "x", &[], None)), ["q"]);
    }

    #[test]
    fn informer_indexer_custom_index_follows_changes() {
        let ix = Indexer::new();
        ix.add_indexer("app", app_index).unwrap();
        assert_eq!(
            ix.add_indexer("app", app_index),
            Err(IndexerError::Conflict("app".into()))
        );
        assert!(ix.add_indexer(NAMESPACE_INDEX, app_index).is_err());
        ix.insert(cm("a", "x", &[("app", "web")], None));
        ix.insert(cm("b", "y", &[("app", "web")], None));
        ix.insert(cm("a", "z", &[("app", "db")], None));
        assert_eq!(ix.index_keys("app", "web"), ["a/x", "b/y"]);
        assert_eq!(names(&ix.by_index("app", "web")), ["a/x", "b/y"]);
        assert_eq!(ix.index_values("app"), ["db", "web"]);

        // an update moves the object between values
        ix.insert(cm("a", "x", &[("app", "db")], None));
        assert_eq!(ix.index_keys("app", "web"), ["b/y"]);
        assert_eq!(ix.index_keys("app", "db"), ["a/x", "a/z"]);
        assert_eq!(
            names(&ix.matching("app", &cm("q", "q", &[("app", "db")], None))),
            ["a/x", "a/z"]
        );

        // a removal drops it, and values without objects disappear
        ix.remove(Some("b"), "y");
        assert!(ix.by_index("app", "web").is_empty());
        assert_eq!(ix.index_values("app"), ["db"]);

        // unknown index
        assert!(ix.by_index("nope", "web").is_empty());
        assert!(!ix.has_index("nope"));
        assert!(ix.has_index("app") && ix.has_index(NAMESPACE_INDEX));
        assert_eq!(ix.indexers(), ["app"]);
    }

    #[test]
    fn informer_indexer_index_serves_the_current_version() {
        let ix = Indexer::new();
        ix.add_indexer("app", app_index).unwrap();
        ix.insert(cm("a", "x", &[("app", "web")], Some("1")));
        ix.insert(cm("a", "x", &[("app", "web")], Some("2")));
        let hits = ix.by_index("app", "web");
        assert_eq!(hits.len(), 1);
        assert!(Arc::ptr_eq(&hits[0], &ix.get(Some("a"), "x").unwrap()));
        assert_eq!(hits[0].metadata.resource_version.as_deref(), Some("2"));
        let matched = ix.matching("app", &cm("q", "q", &[("app", "web")], None));
        assert_eq!(matched[0].metadata.resource_version.as_deref(), Some("2"));
    }

    #[test]
    fn informer_indexer_stores_each_object_once() {
        let ix = Indexer::new();
        ix.add_indexer("app", app_index).unwrap();
        let obj = cm("a", "x", &[("app", "web")], None);
        ix.insert(obj.clone());
        // ours, the namespace bucket's, the one index value's: no copies of the object
        assert_eq!(Arc::strong_count(&obj), 3);
        ix.insert(cm("a", "x", &[("app", "web")], None));
        assert_eq!(Arc::strong_count(&obj), 1, "a replaced version is released everywhere");
    }

    #[test]
    fn informer_indexer_index_added_late_indexes_existing_objects() {
        let ix = Indexer::new();
        ix.insert(cm("a", "x", &[("app", "web")], None));
        ix.insert(cm("a", "y", &[("app", "db")], None));
        ix.add_indexer("app", app_index).unwrap();
        assert_eq!(ix.index_keys("app", "web"), ["a/x"]);
        assert_eq!(ix.index_keys("app", "db"), ["a/y"]);
        // several values per object, duplicates collapse
        ix.add_indexer("multi", |_: &ConfigMap| vec!["p".into(), "q".into(), "p".into()])
            .unwrap();
        assert_eq!(ix.index_keys("multi", "p"), ["a/x", "a/y"]);
        assert_eq!(ix.index_keys("multi", "q"), ["a/x", "a/y"]);
    }

    #[test]
    fn informer_indexer_replace_reports_changes() {
        let ix = Indexer::new();
        ix.add_indexer("app", app_index).unwrap();
        ix.insert(cm("a", "keep", &[("app", "web")], Some("1")));
        ix.insert(cm("a", "change", &[("app", "web")], Some("1")));
        ix.insert(cm("b", "gone2", &[("app", "web")], Some("1")));
        ix.insert(cm("a", "gone1", &[("app", "web")], Some("1")));
        let kept = ix.get(Some("a"), "keep").unwrap();

        let changes = ix.replace([
            cm("c", "new", &[], Some("5")),
            cm("a", "change", &[("app", "db")], Some("4")),
            cm("a", "keep", &[("app", "web")], Some("1")),
        ]);
        let summary: Vec<String> = changes
            .iter()
            .map(|c| match c {
                Change::Added(o) => format!("add {}", key_of(&**o)),
                Change::Updated { old, new } => format!(
                    "update {} {}->{}",
                    key_of(&**new),
                    old.metadata.resource_version.as_deref().unwrap(),
                    new.metadata.resource_version.as_deref().unwrap()
                ),
                Change::Deleted(o) => format!("delete {}", key_of(&**o)),
            })
            .collect();
        assert_eq!(
            summary,
            ["delete a/gone1", "delete b/gone2", "update a/change 1->4", "add c/new"]
        );
        assert!(
            Arc::ptr_eq(&kept, &ix.get(Some("a"), "keep").unwrap()),
            "unchanged Arc kept"
        );
        assert_eq!(ix.keys(), ["a/change", "a/keep", "c/new"]);
        assert_eq!(ix.index_keys("app", "web"), ["a/keep"]);
        assert_eq!(ix.index_keys("app", "db"), ["a/change"]);
        assert_eq!(ix.namespaces(), ["a", "c"]);
    }

    #[test]
    fn informer_indexer_clear_keeps_indexes() {
        let ix = Indexer::new();
        ix.add_indexer("app", app_index).unwrap();
        ix.insert(cm("a", "x", &[("app", "web")], None));
        ix.clear();
        assert!(ix.is_empty());
        assert!(ix.index_values("app").is_empty());
        ix.insert(cm("a", "y", &[("app", "web")], None));
        assert_eq!(ix.index_keys("app", "web"), ["a/y"]);
    }

    #[test]
    fn informer_indexer_is_shared_between_threads() {
        let ix: Indexer<ConfigMap> = Indexer::new();
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let ix = ix.clone();
                std::thread::spawn(move || {
                    for i in 0..250 {
                        ix.insert(cm(&format!("ns{t}"), &format!("o{i}"), &[], None));
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(ix.len(), 1000);
        assert_eq!(ix.list_namespace("ns2").len(), 250);
    }
}
