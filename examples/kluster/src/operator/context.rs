//! What every reconcile shares: clients, the DigitalOcean API, the event recorder, settings, metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kube::runtime::events::{Recorder, Reporter};

use crate::digitalocean::DoApi;
use crate::generated::{Clientset, kgen_v1alpha1::KlusterLister};

/// The field manager of the operator's server-side applies and the events' reporting controller.
pub const MANAGER: &str = "kluster-operator";

/// The finalizer that keeps a Kluster until its cluster is deleted at DigitalOcean.
pub const FINALIZER: &str = "kgen.dev/kluster-cleanup";

/// The DigitalOcean tag that marks a cluster as made for a Kluster (by the Kluster's uid), so a
/// cluster created by a run that died before writing the status is found again, not made twice.
pub fn owner_tag(uid: &str) -> String {
    format!("kluster-uid:{uid}")
}

/// How often and how long the operator waits.
#[derive(Clone, Debug)]
pub struct Timing {
    /// Shortest wait between two polls of a provisioning or deleting cluster.
    pub poll_min: Duration,
    /// Longest wait between two polls.
    pub poll_max: Duration,
    /// How often a Running Kluster is checked against DigitalOcean (drift, node pools).
    pub resync: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            poll_min: Duration::from_secs(5),
            poll_max: Duration::from_secs(60),
            resync: Duration::from_secs(600),
        }
    }
}

/// Counters exposed on `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Reconciles run.
    pub reconciles: AtomicU64,
    /// Reconciles that failed.
    pub reconcile_errors: AtomicU64,
    /// 1 while this replica leads.
    pub leader: AtomicU64,
}

impl Metrics {
    /// Adds one to a counter.
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// Shared by all workers.
pub struct Context {
    /// The typed clientset kgen generated.
    pub clientset: Clientset,
    /// The informer cache of Klusters.
    pub lister: KlusterLister,
    /// DigitalOcean's API (one HTTP client and rate limiter per token).
    pub digitalocean: DoApi,
    /// Publishes events.k8s.io/v1 events.
    pub recorder: Recorder,
    /// Poll intervals.
    pub timing: Timing,
    /// Counters.
    pub metrics: Arc<Metrics>,
}

impl Context {
    /// A context; `instance` names this replica in events.
    pub fn new(
        clientset: Clientset,
        lister: KlusterLister,
        digitalocean: DoApi,
        timing: Timing,
        instance: Option<String>,
        metrics: Arc<Metrics>,
    ) -> Self {
        let reporter = Reporter {
            controller: MANAGER.to_string(),
            instance,
        };
        let recorder = Recorder::new(clientset.client().clone(), reporter);
        Context {
            clientset,
            lister,
            digitalocean,
            recorder,
            timing,
            metrics,
        }
    }
}
