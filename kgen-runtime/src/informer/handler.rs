//! [`EventHandler`]: client-go's `ResourceEventHandler`, and the closure-based [`Handlers`].
//!
//! Handlers are called by the [`SharedInformer`](super::SharedInformer) task, one event at a time,
//! after the cache has been updated. They should be quick (typically: put a key on a work queue) and
//! must not block: while a handler runs the informer processes no events.

use std::{fmt, sync::Arc};

/// Receives the changes an informer sees (client-go's `ResourceEventHandler`).
///
/// Objects are the shared cached objects: read-only, clone before changing.
///
/// - `on_add`: a new object (from a watch event, a relist, or, for a handler added to a running
///   informer, every object already cached);
/// - `on_update`: a changed object, with the version cached before the change; also called with
///   `old` and `new` the same object on every resync period;
/// - `on_delete`: a removed object: the state the watch reported, or after a relist the last cached
///   state of an object that vanished while the watch was down (client-go's
///   `DeletedFinalStateUnknown`).
///
/// ```
/// use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kgen_runtime::informer::EventHandler;
///
/// #[derive(Default)]
/// struct Counter(AtomicUsize);
///
/// impl EventHandler<ConfigMap> for Counter {
///     fn on_add(&self, _obj: &Arc<ConfigMap>) {
///         self.0.fetch_add(1, Ordering::Relaxed);
///     }
///     fn on_update(&self, _old: &Arc<ConfigMap>, _new: &Arc<ConfigMap>) {}
///     fn on_delete(&self, _obj: &Arc<ConfigMap>) {
///         self.0.fetch_sub(1, Ordering::Relaxed);
///     }
/// }
/// ```
pub trait EventHandler<K>: Send + Sync {
    /// An object was added.
    fn on_add(&self, obj: &Arc<K>);
    /// An object changed from `old` to `new` (or a resync re-delivered it: `old` is `new`).
    fn on_update(&self, old: &Arc<K>, new: &Arc<K>);
    /// An object was deleted.
    fn on_delete(&self, obj: &Arc<K>);
}

impl<K, H: EventHandler<K> + ?Sized> EventHandler<K> for Arc<H> {
    fn on_add(&self, obj: &Arc<K>) {
        (**self).on_add(obj)
    }
    fn on_update(&self, old: &Arc<K>, new: &Arc<K>) {
        (**self).on_update(old, new)
    }
    fn on_delete(&self, obj: &Arc<K>) {
        (**self).on_delete(obj)
    }
}

impl<K, H: EventHandler<K> + ?Sized> EventHandler<K> for Box<H> {
    fn on_add(&self, obj: &Arc<K>) {
        (**self).on_add(obj)
    }
    fn on_update(&self, old: &Arc<K>, new: &Arc<K>) {
        (**self).on_update(old, new)
    }
    fn on_delete(&self, obj: &Arc<K>) {
        (**self).on_delete(obj)
    }
}

type AddFn<K> = Box<dyn Fn(&Arc<K>) + Send + Sync>;
type UpdateFn<K> = Box<dyn Fn(&Arc<K>, &Arc<K>) + Send + Sync>;

/// An [`EventHandler`] made of closures (client-go's `ResourceEventHandlerFuncs`); events without a
/// closure are ignored.
///
/// ```
/// use std::sync::Arc;
/// use k8s_openapi::api::core::v1::ConfigMap;
/// use kgen_runtime::informer::{Handlers, SharedInformer};
/// use kube::runtime::watcher;
///
/// # fn demo(informer: SharedInformer<ConfigMap>) {
/// informer.add_event_handler(
///     Handlers::new()
///         .on_add(|cm: &Arc<ConfigMap>| println!("added {:?}", cm.metadata.name))
///         .on_update(|old, new| {
///             if old.metadata.resource_version != new.metadata.resource_version {
///                 println!("changed {:?}", new.metadata.name);
///             }
///         })
///         .on_delete(|cm| println!("deleted {:?}", cm.metadata.name)),
/// );
/// # }
/// ```
pub struct Handlers<K> {
    add: Option<AddFn<K>>,
    update: Option<UpdateFn<K>>,
    delete: Option<AddFn<K>>,
}

impl<K> Default for Handlers<K> {
    fn default() -> Self {
        Self {
            add: None,
            update: None,
            delete: None,
        }
    }
}

impl<K> fmt::Debug for Handlers<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handlers")
            .field("on_add", &self.add.is_some())
            .field("on_update", &self.update.is_some())
            .field("on_delete", &self.delete.is_some())
            .finish()
    }
}

impl<K> Handlers<K> {
    /// A handler that ignores every event until closures are set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Call `f` for added objects.
    #[must_use]
    pub fn on_add(mut self, f: impl Fn(&Arc<K>) + Send + Sync + 'static) -> Self {
        self.add = Some(Box::new(f));
        self
    }

    /// Call `f(old, new)` for updated objects and resyncs.
    #[must_use]
    pub fn on_update(mut self, f: impl Fn(&Arc<K>, &Arc<K>) + Send + Sync + 'static) -> Self {
        self.update = Some(Box::new(f));
        self
    }

    /// Call `f` for deleted objects.
    #[must_use]
    pub fn on_delete(mut self, f: impl Fn(&Arc<K>) + Send + Sync + 'static) -> Self {
        self.delete = Some(Box::new(f));
        self
    }
}

impl<K> EventHandler<K> for Handlers<K> {
    fn on_add(&self, obj: &Arc<K>) {
        if let Some(f) = &self.add {
            f(obj)
        }
    }
    fn on_update(&self, old: &Arc<K>, new: &Arc<K>) {
        if let Some(f) = &self.update {
            f(old, new)
        }
    }
    fn on_delete(&self, obj: &Arc<K>) {
        if let Some(f) = &self.delete {
            f(obj)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn informer_handlers_call_the_right_closure() {
        let log = Arc::new(Mutex::new(Vec::<String>::new()));
        let (a, u, d) = (log.clone(), log.clone(), log.clone());
        let h: Handlers<String> = Handlers::new()
            .on_add(move |o| a.lock().unwrap().push(format!("add {o}")))
            .on_update(move |o, n| u.lock().unwrap().push(format!("update {o}->{n}")))
            .on_delete(move |o| d.lock().unwrap().push(format!("delete {o}")));
        let (x, y) = (Arc::new("x".to_string()), Arc::new("y".to_string()));
        EventHandler::on_add(&h, &x);
        EventHandler::on_update(&h, &x, &y);
        EventHandler::on_delete(&h, &y);
        // through the Arc and Box blanket impls
        let shared: Arc<dyn EventHandler<String>> = Arc::new(h);
        shared.on_add(&y);
        Box::new(shared).on_delete(&x);
        assert_eq!(
            *log.lock().unwrap(),
            ["add x", "update x->y", "delete y", "add y", "delete x"]
        );
        // unset closures are ignored
        EventHandler::on_add(&Handlers::<String>::new(), &x);
    }
}
