//! An events.k8s.io/v1 event recorder that keeps every distinct note visible.
//!
//! kube-runtime's `Recorder` folds every event with the same type, reason and action about an
//! object into one series that keeps its first note, so "resize pool default to 5" hides
//! "add pool workers" that came after it. This one keys series on the note as well: an event
//! repeated with the same note within [`SERIES_WINDOW`] of its last occurrence bumps
//! `series.count` and `series.lastObservedTime` (as client-go's recorder does); a different note
//! is a new event.
//!
//! Every write carries the operator's field manager. An event for an object in a namespace that is
//! being deleted is refused by the API server (403, `NamespaceTerminating`); after the first such
//! refusal the recorder logs once and skips events for that namespace for [`TERMINATING_HOLD`]
//! instead of being refused again for each of them.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event as K8sEvent, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, Patch, PatchParams, PostParams};
pub use kube::runtime::events::EventType;
use serde_json::json;
use tokio::time::Instant;
use tracing::{debug, info};

use super::context::{MANAGER, kube_error_text};

/// How long after its last occurrence a repeated event still joins its series.
pub const SERIES_WINDOW: Duration = Duration::from_secs(6 * 60);
/// How long events for a namespace are skipped after the API server said it is being deleted.
pub const TERMINATING_HOLD: Duration = Duration::from_secs(60);
/// The API server refuses notes longer than this many bytes.
const MAX_NOTE: usize = 1024;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct Key {
    namespace: String,
    uid: String,
    name: String,
    warning: bool,
    reason: String,
    action: String,
    note: String,
}

#[derive(Clone, Debug)]
struct Series {
    name: String,
    count: i32,
    last: Instant,
}

/// What [`Recorder::publish`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Published {
    /// A new Event object.
    Created,
    /// An existing event's series, now at this count.
    Repeated(i32),
    /// Nothing: the namespace is being deleted.
    Skipped,
}

/// Publishes events about objects; shared by all workers.
pub struct Recorder {
    client: kube::Client,
    controller: String,
    instance: String,
    series: Mutex<HashMap<Key, Series>>,
    terminating: Mutex<HashMap<String, Instant>>,
}

impl Recorder {
    /// A recorder reporting as `controller` (the field manager too) and `instance` (this replica).
    pub fn new(client: kube::Client, instance: Option<String>) -> Self {
        Recorder {
            client,
            controller: MANAGER.to_string(),
            instance: instance.unwrap_or_else(|| MANAGER.to_string()),
            series: Mutex::new(HashMap::new()),
            terminating: Mutex::new(HashMap::new()),
        }
    }

    /// Whether events for `namespace` are being skipped because it is being deleted.
    pub fn namespace_terminating(&self, namespace: &str) -> bool {
        let terminating = self.terminating.lock().unwrap_or_else(|e| e.into_inner());
        terminating
            .get(namespace)
            .is_some_and(|since| since.elapsed() < TERMINATING_HOLD)
    }

    /// Records an event of `reason` (also its action) with `note` about `regarding`.
    pub async fn publish(
        &self,
        regarding: &ObjectReference,
        type_: EventType,
        reason: &str,
        note: &str,
    ) -> Result<Published, kube::Error> {
        let namespace = regarding.namespace.clone().unwrap_or_else(|| "default".into());
        if self.namespace_terminating(&namespace) {
            debug!(namespace = %namespace, name = ?regarding.name, reason, note, "namespace is being deleted; event skipped");
            return Ok(Published::Skipped);
        }
        let note = truncate(note, MAX_NOTE);
        let key = Key {
            namespace: namespace.clone(),
            uid: regarding.uid.clone().unwrap_or_default(),
            name: regarding.name.clone().unwrap_or_default(),
            warning: matches!(type_, EventType::Warning),
            reason: reason.to_string(),
            action: reason.to_string(),
            note: note.to_string(),
        };
        let now = Instant::now();
        let previous = {
            let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
            series.retain(|_, s| now.duration_since(s.last) < SERIES_WINDOW);
            series.get(&key).cloned()
        };
        let events: Api<K8sEvent> = Api::namespaced(self.client.clone(), &namespace);
        let result = match previous {
            Some(previous) => {
                let count = previous.count + 1;
                let patch = json!({
                    "series": EventSeries { count, last_observed_time: MicroTime(Timestamp::now()) },
                });
                let params = PatchParams {
                    field_manager: Some(MANAGER.to_string()),
                    ..Default::default()
                };
                match events.patch(&previous.name, &params, &Patch::Merge(&patch)).await {
                    Ok(_) => Ok((previous.name, count, Published::Repeated(count))),
                    // Expired or deleted meanwhile: start again.
                    Err(kube::Error::Api(s)) if s.code == 404 => self.create(&events, regarding, &key).await,
                    Err(e) => Err(e),
                }
            }
            None => self.create(&events, regarding, &key).await,
        };
        match result {
            Ok((name, count, published)) => {
                let mut series = self.series.lock().unwrap_or_else(|e| e.into_inner());
                series.insert(key, Series { name, count, last: now });
                Ok(published)
            }
            Err(e) if is_namespace_terminating(&e) => {
                let first = self
                    .terminating
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(namespace.clone(), now)
                    .is_none();
                if first {
                    info!(namespace = %namespace,
                        error = %kube_error_text(&e),
                        "namespace is being deleted; not recording events there for now"
                    );
                } else {
                    debug!(namespace = %namespace, "namespace is still being deleted; events skipped");
                }
                Ok(Published::Skipped)
            }
            Err(e) => Err(e),
        }
    }

    async fn create(
        &self,
        events: &Api<K8sEvent>,
        regarding: &ObjectReference,
        key: &Key,
    ) -> Result<(String, i32, Published), kube::Error> {
        let now = Timestamp::now();
        let name = format!(
            "{}.{:x}",
            regarding.name.as_deref().unwrap_or(&self.controller),
            now.as_nanosecond()
        );
        let event = K8sEvent {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(key.namespace.clone()),
                ..Default::default()
            },
            event_time: Some(MicroTime(now)),
            action: Some(key.action.clone()),
            reason: Some(key.reason.clone()),
            note: Some(key.note.clone()),
            type_: Some(if key.warning { "Warning" } else { "Normal" }.to_string()),
            regarding: Some(regarding.clone()),
            reporting_controller: Some(self.controller.clone()),
            reporting_instance: Some(self.instance.clone()),
            ..Default::default()
        };
        let params = PostParams {
            field_manager: Some(MANAGER.to_string()),
            ..Default::default()
        };
        events.create(&params, &event).await?;
        Ok((name, 1, Published::Created))
    }
}

/// Whether the API server refused a create because the namespace is being deleted (the
/// `NamespaceLifecycle` admission plugin: 403 with a `NamespaceTerminating` cause).
pub fn is_namespace_terminating(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(s) if s.code == 403 => {
            s.details
                .as_ref()
                .is_some_and(|d| d.causes.iter().any(|c| c.reason == "NamespaceTerminating"))
                || s.message.contains("because it is being terminated")
        }
        _ => false,
    }
}

fn truncate(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_cut_at_a_character_boundary() {
        assert_eq!(truncate("abc", 5), "abc");
        assert_eq!(truncate("aé", 2), "a");
    }

    #[test]
    fn namespace_terminating_refusals_are_recognised() {
        let status = |code, message: &str| {
            kube::Error::Api(Box::new(kube::core::Status {
                code,
                message: message.into(),
                ..Default::default()
            }))
        };
        assert!(is_namespace_terminating(&status(
            403,
            "events.events.k8s.io \"x\" is forbidden: unable to create new content in namespace t because it is being terminated"
        )));
        assert!(!is_namespace_terminating(&status(403, "forbidden by RBAC")));
        assert!(!is_namespace_terminating(&status(
            404,
            "because it is being terminated"
        )));
    }
}
