//! [`Lister`] and [`NamespaceLister`]: read-only, typed views of an [`Indexer`].
//!
//! The counterpart of what client-go's lister-gen writes for every kind: `Get`, `List(selector)` and,
//! for namespaced kinds, `<Kind>s(namespace)` returning a namespace lister. Results are the shared
//! cached objects ([`Arc<K>`]), sorted by namespace, then name.

use std::{fmt, sync::Arc};

use kube::{
    Resource, ResourceExt,
    core::{Selector, SelectorExt},
};

use super::indexer::Indexer;

/// Whether `selector` matches the object's labels.
fn selects<K: Resource>(selector: &Selector, obj: &K) -> bool {
    selector.selects_all() || selector.matches(obj.labels())
}

/// Reads objects from an informer's cache.
///
/// Get one from [`SharedInformer::lister`](super::SharedInformer::lister), or wrap any
/// [`Indexer`] with [`Lister::new`]. Cloning is cheap.
///
/// ```
/// use std::sync::Arc;
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kgen_runtime::informer::{Indexer, Lister};
/// use kube::{api::ObjectMeta, core::{Expression, Selector}};
///
/// let indexer = Indexer::new();
/// for (ns, name, tier) in [("prod", "a", "web"), ("prod", "b", "db"), ("dev", "c", "web")] {
///     indexer.insert(Arc::new(ConfigMap {
///         metadata: ObjectMeta {
///             name: Some(name.into()),
///             namespace: Some(ns.into()),
///             labels: Some([("tier".to_string(), tier.to_string())].into()),
///             ..Default::default()
///         },
///         ..Default::default()
///     }));
/// }
/// let lister = Lister::new(indexer);
///
/// assert!(lister.get(Some("prod"), "a").is_some());
/// let web: Selector = Expression::Equal("tier".into(), "web".into()).into();
/// assert_eq!(lister.list(&web).len(), 2); // every namespace
/// assert_eq!(lister.namespace("prod").list(&web).len(), 1);
/// assert_eq!(lister.namespace("prod").list(&Selector::default()).len(), 2); // everything
/// ```
pub struct Lister<K> {
    indexer: Indexer<K>,
}

impl<K> Clone for Lister<K> {
    fn clone(&self) -> Self {
        Self {
            indexer: self.indexer.clone(),
        }
    }
}

impl<K: Resource> fmt::Debug for Lister<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Lister").field("indexer", &self.indexer).finish()
    }
}

impl<K: Resource> Lister<K> {
    /// A lister reading `indexer` (client-go's `New<Kind>Lister(indexer)`).
    pub fn new(indexer: Indexer<K>) -> Self {
        Self { indexer }
    }

    /// The object with this namespace (`None` for a cluster-scoped kind) and name.
    pub fn get(&self, namespace: Option<&str>, name: &str) -> Option<Arc<K>> {
        self.indexer.get(namespace, name)
    }

    /// Objects of every namespace whose labels match `selector` (`&Selector::default()` matches
    /// everything), sorted by namespace, then name.
    pub fn list(&self, selector: &Selector) -> Vec<Arc<K>> {
        self.indexer.select(None, |o| selects(selector, o))
    }

    /// A lister for one namespace (client-go's `lister.<Kind>s(namespace)`). Its lists read only that
    /// namespace's objects.
    pub fn namespace(&self, namespace: &str) -> NamespaceLister<K> {
        NamespaceLister {
            indexer: self.indexer.clone(),
            namespace: namespace.to_owned(),
        }
    }

    /// Objects the index `index` files under `value` (client-go's `ByIndex`), sorted by
    /// namespace, then name; an error naming the index when it does not exist (as client-go's).
    pub fn by_index(&self, index: &str, value: &str) -> Result<Vec<Arc<K>>, super::IndexerError> {
        if index != super::NAMESPACE_INDEX && !self.indexer.has_index(index) {
            return Err(super::IndexerError::NoSuchIndex(index.to_string()));
        }
        Ok(self.indexer.by_index(index, value))
    }

    /// The indexer behind this lister, for [`by_index`](Indexer::by_index) and friends.
    pub fn indexer(&self) -> &Indexer<K> {
        &self.indexer
    }
}

/// Reads the objects of one namespace; from [`Lister::namespace`].
pub struct NamespaceLister<K> {
    indexer: Indexer<K>,
    namespace: String,
}

impl<K> Clone for NamespaceLister<K> {
    fn clone(&self) -> Self {
        Self {
            indexer: self.indexer.clone(),
            namespace: self.namespace.clone(),
        }
    }
}

impl<K: Resource> fmt::Debug for NamespaceLister<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NamespaceLister")
            .field("namespace", &self.namespace)
            .field("indexer", &self.indexer)
            .finish()
    }
}

impl<K: Resource> NamespaceLister<K> {
    /// The namespace this lister reads.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The object with this name in the namespace.
    pub fn get(&self, name: &str) -> Option<Arc<K>> {
        self.indexer.get(Some(&self.namespace), name)
    }

    /// Objects of the namespace whose labels match `selector`, sorted by name. Uses the namespace
    /// index: other namespaces are not read.
    pub fn list(&self, selector: &Selector) -> Vec<Arc<K>> {
        self.indexer.select(Some(&self.namespace), |o| selects(selector, o))
    }

    /// Objects of the namespace that the index `index` files under `value`, sorted by name.
    pub fn by_index(&self, index: &str, value: &str) -> Result<Vec<Arc<K>>, super::IndexerError> {
        if index != super::NAMESPACE_INDEX && !self.indexer.has_index(index) {
            return Err(super::IndexerError::NoSuchIndex(index.to_string()));
        }
        let mut objs = self.indexer.by_index(index, value);
        objs.retain(|o| o.meta().namespace.as_deref() == Some(self.namespace.as_str()));
        Ok(objs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::informer::key_of;
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
    use kube::{api::ObjectMeta, core::Expression};

    fn cm(ns: &str, name: &str, labels: &[(&str, &str)]) -> Arc<ConfigMap> {
        Arc::new(ConfigMap {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some(ns.into()),
                labels: (!labels.is_empty())
                    .then(|| labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
                ..Default::default()
            },
            ..Default::default()
        })
    }

    fn keys(objs: Vec<Arc<ConfigMap>>) -> Vec<String> {
        objs.iter().map(|o| key_of(&**o)).collect()
    }

    fn lister() -> Lister<ConfigMap> {
        let ix = Indexer::new();
        ix.insert(cm("prod", "web-2", &[("app", "web"), ("tier", "front")]));
        ix.insert(cm("prod", "web-1", &[("app", "web")]));
        ix.insert(cm("prod", "db", &[("app", "db")]));
        ix.insert(cm("dev", "web", &[("app", "web")]));
        ix.insert(cm("dev", "plain", &[]));
        Lister::new(ix)
    }

    #[test]
    fn informer_lister_get() {
        let l = lister();
        assert_eq!(l.get(Some("prod"), "db").unwrap().metadata.name.as_deref(), Some("db"));
        assert!(l.get(Some("dev"), "db").is_none());
        assert!(l.get(None, "db").is_none());
        assert!(l.namespace("dev").get("plain").is_some());
        assert!(l.namespace("prod").get("plain").is_none());
        assert_eq!(l.namespace("dev").namespace(), "dev");
    }

    #[test]
    fn informer_lister_list_all_sorted() {
        let l = lister();
        assert_eq!(
            keys(l.list(&Selector::default())),
            ["dev/plain", "dev/web", "prod/db", "prod/web-1", "prod/web-2"]
        );
    }

    #[test]
    fn informer_lister_selector_match() {
        let l = lister();
        let web: Selector = Expression::Equal("app".into(), "web".into()).into();
        assert_eq!(keys(l.list(&web)), ["dev/web", "prod/web-1", "prod/web-2"]);
        assert_eq!(keys(l.namespace("prod").list(&web)), ["prod/web-1", "prod/web-2"]);

        let not_web: Selector = Expression::NotEqual("app".into(), "web".into()).into();
        // objects without labels match negative expressions
        assert_eq!(keys(l.list(&not_web)), ["dev/plain", "prod/db"]);

        let mut both: Selector = Expression::In("app".into(), ["web".into()].into()).into();
        both.extend(Expression::Exists("tier".into()));
        assert_eq!(keys(l.list(&both)), ["prod/web-2"]);

        let no_label: Selector = Expression::DoesNotExist("app".into()).into();
        assert_eq!(keys(l.namespace("dev").list(&no_label)), ["dev/plain"]);
        assert!(l.namespace("nope").list(&Selector::default()).is_empty());
    }

    #[test]
    fn informer_lister_cluster_scoped() {
        let ix = Indexer::new();
        ix.insert(Arc::new(Namespace {
            metadata: ObjectMeta {
                name: Some("kube-system".into()),
                ..Default::default()
            },
            ..Default::default()
        }));
        let l = Lister::new(ix);
        assert!(l.get(None, "kube-system").is_some());
        assert_eq!(l.list(&Selector::default()).len(), 1);
    }
}
