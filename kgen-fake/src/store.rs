//! The in-memory store: resources, objects, the global resourceVersion counter, the bounded event
//! history, and the registered watchers.

use super::conversion::{Direction, View, to_version};
use super::faults::{Action, Fault};
use super::meta::meta_mut;
use super::resources::ResourceDef;
use super::selectors::{FieldSelector, LabelSelector};
use serde_json::{Value, json};
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// A resource type's identity: (group, plural).
pub(crate) type ResKey = (String, String);
/// An object's identity within its resource: (namespace, name); namespace "" when cluster-scoped.
pub(crate) type ObjKey = (String, String);

/// A watch event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change, kept in the history for watches that resume from a resourceVersion.
#[derive(Clone, Debug)]
pub(crate) struct HistoryEvent {
    pub rv: u64,
    pub res: ResKey,
    pub ty: EventType,
    pub object: Value,
    /// The object before a modification (to tell selector transitions apart).
    pub old: Option<Value>,
}

/// What a watcher receives.
#[derive(Clone, Debug)]
pub(crate) enum WatchItem {
    Event(EventType, Value),
    Bookmark {
        rv: u64,
        initial_events_end: bool,
    },
    /// The object could not be converted to the watch's version: an `ERROR` event, then the end.
    Error(Box<kube::core::Status>),
}

/// What a watch selects.
#[derive(Clone, Debug, Default)]
pub(crate) struct WatchFilter {
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    /// The version the watch sees objects at, for resources converted by a webhook (selectors
    /// apply to the converted object, as each version has its own watch cache in a real server).
    pub view: Option<View>,
}

impl WatchFilter {
    pub(crate) fn matches(&self, obj: &Value) -> bool {
        if let Some(ns) = &self.namespace
            && super::meta::namespace_of(obj) != ns
        {
            return false;
        }
        self.labels.matches(obj) && self.fields.matches(obj)
    }

    /// The ADDED event of a current object (initial events), if it matches.
    pub(crate) fn initial(&self, obj: &Value) -> Option<WatchItem> {
        let converted = match &self.view {
            None => None,
            Some(v) => match v.read(obj) {
                Ok(o) => Some(o),
                Err(e) => return Some(WatchItem::Error(e)),
            },
        };
        let obj = converted.as_ref().unwrap_or(obj);
        self.matches(obj)
            .then(|| WatchItem::Event(EventType::Added, obj.clone()))
    }

    /// The event a watcher with this filter sees for a change (selector transitions turn
    /// modifications into additions or deletions), if any.
    pub(crate) fn translate(&self, ev: &HistoryEvent) -> Option<WatchItem> {
        let converted = match &self.view {
            None => None,
            Some(v) => {
                let object = match v.read(&ev.object) {
                    Ok(o) => o,
                    Err(e) => return Some(WatchItem::Error(e)),
                };
                let old = match ev.old.as_ref().map(|o| v.read(o)).transpose() {
                    Ok(o) => o,
                    Err(e) => return Some(WatchItem::Error(e)),
                };
                Some((object, old))
            }
        };
        let (object, old) = match &converted {
            Some((o, old)) => (o, old.as_ref()),
            None => (&ev.object, ev.old.as_ref()),
        };
        let now = self.matches(object);
        match ev.ty {
            EventType::Added | EventType::Deleted => now.then(|| WatchItem::Event(ev.ty, object.clone())),
            EventType::Modified => {
                let before = old.is_some_and(|o| self.matches(o));
                match (before, now) {
                    (true, true) => Some(WatchItem::Event(EventType::Modified, object.clone())),
                    (false, true) => Some(WatchItem::Event(EventType::Added, object.clone())),
                    (true, false) => Some(WatchItem::Event(EventType::Deleted, object.clone())),
                    (false, false) => None,
                }
            }
        }
    }
}

pub(crate) struct Watcher {
    pub id: u64,
    pub res: ResKey,
    pub filter: WatchFilter,
    pub tx: mpsc::UnboundedSender<WatchItem>,
}

/// The objects of one resource type.
pub(crate) struct Stored {
    pub def: Arc<ResourceDef>,
    pub objects: BTreeMap<ObjKey, Value>,
    /// The resourceVersion at which the resource's watch cache started: watches from an
    /// earlier one get 410 Gone.
    pub cache_start: u64,
}

/// Everything the server holds, behind one mutex.
pub(crate) struct State {
    pub rv: u64,
    pub resources: BTreeMap<ResKey, Stored>,
    pub history: VecDeque<HistoryEvent>,
    pub history_limit: usize,
    /// Watches from a resourceVersion older than this get 410 Gone.
    pub compacted_rv: u64,
    pub watchers: Vec<Watcher>,
    pub next_watcher_id: u64,
    pub actions: Vec<Action>,
    pub faults: Vec<Fault>,
    pub latency: Duration,
    pub bookmark_interval: Duration,
    pub strict_namespaces: bool,
    /// Custom resources must carry their `kind` and `apiVersion` (create, update, apply).
    pub strict_type_meta: bool,
    /// Watches may resume from before a resource's watch cache started.
    pub resume_before_start: bool,
    /// How long after a write the garbage collector runs.
    pub gc_delay: Duration,
    /// Collect garbage in the request that made it, before answering.
    pub gc_synchronous: bool,
    /// A write happened since the last collection.
    pub gc_pending: bool,
    /// A collection task is scheduled.
    pub gc_scheduled: bool,
    /// The state itself, for the collection task.
    pub self_ref: Weak<Mutex<State>>,
    /// Conversions registered in process, by (group, plural).
    pub converters: BTreeMap<(String, String), Arc<dyn kgen_runtime::conversion::Converter>>,
    /// Admission webhooks, in the order the API server calls them.
    pub webhooks: Vec<super::admission::Webhook>,
    /// The handlers answering admission webhooks, by service path (or URL).
    pub admission_handlers: BTreeMap<String, Arc<dyn kgen_runtime::admission::AdmissionHandler>>,
}

impl State {
    pub(crate) fn new() -> Self {
        State {
            rv: 0,
            resources: BTreeMap::new(),
            history: VecDeque::new(),
            history_limit: 10_000,
            compacted_rv: 0,
            watchers: Vec::new(),
            next_watcher_id: 1,
            actions: Vec::new(),
            faults: Vec::new(),
            latency: Duration::ZERO,
            bookmark_interval: Duration::from_secs(1),
            strict_namespaces: true,
            strict_type_meta: true,
            resume_before_start: false,
            gc_delay: Duration::from_millis(100),
            gc_synchronous: false,
            gc_pending: false,
            gc_scheduled: false,
            self_ref: Weak::new(),
            converters: BTreeMap::new(),
            webhooks: Vec::new(),
            admission_handlers: BTreeMap::new(),
        }
    }

    /// The converter registered for a resource converted by webhook.
    pub(crate) fn converter(&self, def: &ResourceDef) -> Option<Arc<dyn kgen_runtime::conversion::Converter>> {
        self.converters.get(&Self::key_of(def)).cloned()
    }

    /// How a reader sees `def`'s objects at `version`; `None` when nothing is converted (no
    /// webhook conversion), where objects are served by rewriting `apiVersion`.
    pub(crate) fn view(&self, def: &Arc<ResourceDef>, version: &str) -> Option<View> {
        (def.conversion != super::resources::Conversion::None).then(|| View {
            def: def.clone(),
            version: version.to_string(),
            converter: self.converter(def),
        })
    }

    /// `obj` (as stored, or at any version) converted to `version`.
    pub(crate) fn at_version(
        &self,
        def: &ResourceDef,
        version: &str,
        obj: &Value,
        direction: Direction,
    ) -> Result<Value, Box<kube::core::Status>> {
        to_version(def, self.converter(def).as_ref(), obj, version, direction)
    }

    /// `obj` (at a request's version) as it is stored: converted to the storage version.
    pub(crate) fn storage_form(&self, def: &ResourceDef, obj: &Value) -> Result<Value, Box<kube::core::Status>> {
        self.at_version(def, &def.storage_version().name, obj, Direction::Write)
    }

    /// Registers (or replaces) a resource type, keeping objects it already has.
    pub(crate) fn register(&mut self, def: ResourceDef) {
        let key = (def.group.clone(), def.plural.clone());
        let def = Arc::new(def);
        let rv = self.rv;
        self.resources
            .entry(key)
            .and_modify(|s| s.def = def.clone())
            .or_insert_with(|| Stored {
                def,
                objects: BTreeMap::new(),
                cache_start: rv,
            });
    }

    /// The resource served at `group`/`version` as `plural`.
    pub(crate) fn find(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceDef>> {
        let s = self.resources.get(&(group.to_string(), plural.to_string()))?;
        s.def.version(version).map(|_| s.def.clone())
    }

    /// The resource of an `apiVersion` and `kind`.
    pub(crate) fn find_kind(&self, api_version: &str, kind: &str) -> Option<Arc<ResourceDef>> {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        self.resources
            .values()
            .find(|s| s.def.group == group && s.def.kind == kind && s.def.version(version).is_some())
            .map(|s| s.def.clone())
    }

    /// A resource by `plural` or `plural.group`; a bare plural prefers the core group.
    pub(crate) fn find_by_name(&self, resource: &str) -> Option<Arc<ResourceDef>> {
        if let Some(s) = self.resources.get(&(String::new(), resource.to_string())) {
            return Some(s.def.clone());
        }
        if let Some((plural, group)) = resource.split_once('.')
            && let Some(s) = self.resources.get(&(group.to_string(), plural.to_string()))
        {
            return Some(s.def.clone());
        }
        self.resources
            .values()
            .find(|s| s.def.plural == resource)
            .map(|s| s.def.clone())
    }

    pub(crate) fn key_of(def: &ResourceDef) -> ResKey {
        (def.group.clone(), def.plural.clone())
    }

    pub(crate) fn get(&self, def: &ResourceDef, key: &ObjKey) -> Option<&Value> {
        self.resources.get(&Self::key_of(def))?.objects.get(key)
    }

    pub(crate) fn objects(&self, def: &ResourceDef) -> impl Iterator<Item = (&ObjKey, &Value)> {
        self.resources
            .get(&Self::key_of(def))
            .into_iter()
            .flat_map(|s| s.objects.iter())
    }

    /// Stores `obj` under a new resourceVersion and tells watchers. Returns the stored object.
    pub(crate) fn put(&mut self, def: &ResourceDef, key: ObjKey, mut obj: Value) -> Value {
        self.rv += 1;
        let rv = self.rv;
        meta_mut(&mut obj).insert("resourceVersion".into(), json!(rv.to_string()));
        let res = Self::key_of(def);
        let stored = self.resources.get_mut(&res).expect("registered resource");
        let old = stored.objects.insert(key, obj.clone());
        let ty = if old.is_some() {
            EventType::Modified
        } else {
            EventType::Added
        };
        self.record(HistoryEvent {
            rv,
            res,
            ty,
            object: obj.clone(),
            old,
        });
        obj
    }

    /// Removes an object; its DELETED event carries a new resourceVersion.
    pub(crate) fn remove(&mut self, def: &ResourceDef, key: &ObjKey) -> Option<Value> {
        let res = Self::key_of(def);
        let mut obj = self.resources.get_mut(&res)?.objects.remove(key)?;
        self.rv += 1;
        let rv = self.rv;
        meta_mut(&mut obj).insert("resourceVersion".into(), json!(rv.to_string()));
        self.record(HistoryEvent {
            rv,
            res,
            ty: EventType::Deleted,
            object: obj.clone(),
            old: None,
        });
        Some(obj)
    }

    fn record(&mut self, ev: HistoryEvent) {
        self.gc_pending = true;
        self.watchers.retain(|w| {
            if w.res != ev.res {
                return !w.tx.is_closed();
            }
            match w.filter.translate(&ev) {
                Some(item) => w.tx.send(item).is_ok(),
                None => !w.tx.is_closed(),
            }
        });
        self.history.push_back(ev);
        while self.history.len() > self.history_limit {
            if let Some(old) = self.history.pop_front() {
                self.compacted_rv = old.rv;
            }
        }
    }

    /// Drops the whole event history: watches from any earlier resourceVersion get 410 Gone.
    pub(crate) fn compact(&mut self) {
        self.history.clear();
        self.compacted_rv = self.rv;
    }

    /// Registers a watcher. `from`: `None` to start now (after `initial` ADDED events for the
    /// current objects, when asked), `Some(rv)` to replay the history after `rv` first.
    /// Errors with the oldest resourceVersion a watch may resume from when `rv` is older: the
    /// start of the resource's watch cache, or the last change dropped from the history.
    pub(crate) fn start_watch(
        &mut self,
        def: &ResourceDef,
        filter: WatchFilter,
        from: Option<u64>,
        initial: bool,
        initial_end_bookmark: bool,
    ) -> Result<(u64, mpsc::UnboundedReceiver<WatchItem>), u64> {
        let res = Self::key_of(def);
        let (tx, rx) = mpsc::unbounded_channel();
        match from {
            Some(rv) => {
                let start = if self.resume_before_start {
                    0
                } else {
                    self.resources.get(&res).map_or(0, |s| s.cache_start)
                };
                let oldest = self.compacted_rv.max(start);
                if rv < oldest {
                    return Err(oldest);
                }
                for ev in self.history.iter().filter(|e| e.rv > rv && e.res == res) {
                    if let Some(item) = filter.translate(ev) {
                        let _ = tx.send(item);
                    }
                }
            }
            None => {
                if initial {
                    for (_, obj) in self.objects(def) {
                        if let Some(item) = filter.initial(obj) {
                            let _ = tx.send(item);
                        }
                    }
                }
                if initial_end_bookmark {
                    let _ = tx.send(WatchItem::Bookmark {
                        rv: self.rv,
                        initial_events_end: true,
                    });
                }
            }
        }
        let id = self.next_watcher_id;
        self.next_watcher_id += 1;
        self.watchers.push(Watcher { id, res, filter, tx });
        Ok((id, rx))
    }

    /// Queues a bookmark at the current resourceVersion for watcher `id` (after every event
    /// already queued for it). False if the watcher is gone.
    pub(crate) fn bookmark(&mut self, id: u64) -> bool {
        let rv = self.rv;
        match self.watchers.iter().find(|w| w.id == id) {
            Some(w) => {
                w.tx.send(WatchItem::Bookmark {
                    rv,
                    initial_events_end: false,
                })
                .is_ok()
            }
            None => false,
        }
    }

    pub(crate) fn stop_watch(&mut self, id: u64) {
        self.watchers.retain(|w| w.id != id);
    }
}
