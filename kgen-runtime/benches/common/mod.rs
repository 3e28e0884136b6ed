//! Shared parts of the kgen-runtime and kgen-fake benchmarks: a counting global allocator, realistic objects, and
//! timing and table helpers.
#![allow(dead_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta, Time};
use kube::CustomResource;
use serde::{Deserialize, Serialize};

// ---------------------------------------------------------------------------------------------
// Counting allocator

/// The system allocator, counting the bytes asked for and given back (what the program holds,
/// not the allocator's own overhead and rounding).
pub struct Counting;

static ALLOCATED: AtomicU64 = AtomicU64::new(0);
static FREED: AtomicU64 = AtomicU64::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        FREED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        FREED.fetch_add(layout.size() as u64, Ordering::Relaxed);
        ALLOCATED.fetch_add(new_size as u64, Ordering::Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Bytes currently allocated through [`Counting`] (when it is the global allocator).
pub fn live_bytes() -> u64 {
    ALLOCATED.load(Ordering::Relaxed) - FREED.load(Ordering::Relaxed)
}

// ---------------------------------------------------------------------------------------------
// Objects

/// A node pool of a [`Cluster`].
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct NodePool {
    pub name: String,
    pub size: String,
    pub count: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_scale: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_nodes: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_nodes: Option<i32>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// A custom resource shaped like the Kluster example's: a managed Kubernetes cluster.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[kube(
    group = "kgen.dev",
    version = "v1alpha1",
    kind = "Cluster",
    namespaced,
    status = "ClusterStatus",
    schema = "disabled"
)]
#[serde(rename_all = "camelCase")]
pub struct ClusterSpec {
    pub region: String,
    pub version: String,
    pub node_pools: Vec<NodePool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintenance_window: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high_availability: Option<bool>,
}

/// The status of a [`Cluster`].
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

/// Number of label values of the `app` label: each value selects 1% of the objects.
pub const APPS: usize = 100;

fn time(i: usize) -> Time {
    let secs = 1_767_225_600 + i as i64 * 17; // 2026-01-01 onwards
    Time(k8s_openapi::jiff::Timestamp::from_second(secs).expect("valid timestamp"))
}

/// Metadata as the API server returns it (without managedFields): 10 labels, 5 annotations.
pub fn meta(ns: &str, name: &str, i: usize) -> ObjectMeta {
    let mut labels: BTreeMap<String, String> = BTreeMap::new();
    labels.insert("app".into(), format!("app-{}", i % APPS));
    labels.insert("app.kubernetes.io/name".into(), name.to_string());
    labels.insert("app.kubernetes.io/instance".into(), format!("{name}-prod"));
    labels.insert("app.kubernetes.io/version".into(), format!("1.{}.{}", i % 7, i % 13));
    labels.insert("app.kubernetes.io/component".into(), "control-plane".into());
    labels.insert("app.kubernetes.io/part-of".into(), "platform".into());
    labels.insert("app.kubernetes.io/managed-by".into(), "kluster-operator".into());
    labels.insert("team".into(), format!("team-{}", i % 9));
    labels.insert("environment".into(), ["prod", "staging", "dev"][i % 3].into());
    labels.insert("tier".into(), ["web", "db", "cache", "batch"][i % 4].into());
    let mut annotations: BTreeMap<String, String> = BTreeMap::new();
    annotations.insert("kgen.dev/owner".into(), format!("owner-{}@example.com", i % 31));
    annotations.insert("kgen.dev/cost-center".into(), format!("cc-{:05}", i % 977));
    annotations.insert("kgen.dev/last-reconciled".into(), "2026-11-22T10:00:00Z".into());
    annotations.insert(
        "kgen.dev/description".into(),
        format!("cluster {name} of tenant {} in its primary region", i % 53),
    );
    annotations.insert("kgen.dev/ticket".into(), format!("OPS-{}", 10_000 + i));
    ObjectMeta {
        name: Some(name.into()),
        namespace: Some(ns.into()),
        uid: Some(format!(
            "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            i,
            i % 0xffff,
            i % 0xfff,
            (i * 7) % 0xfff,
            i * 7919
        )),
        resource_version: Some(format!("{}", 100_000 + i)),
        generation: Some(1 + (i % 5) as i64),
        creation_timestamp: Some(time(i)),
        labels: Some(labels),
        annotations: Some(annotations),
        finalizers: Some(vec!["kgen.dev/cleanup".into()]),
        ..Default::default()
    }
}

/// A ConfigMap with [`meta`] and five data entries.
pub fn config_map(ns: &str, name: &str, i: usize) -> ConfigMap {
    let mut data: BTreeMap<String, String> = BTreeMap::new();
    data.insert("region".into(), ["nyc1", "ams3", "fra1", "sgp1"][i % 4].into());
    data.insert("replicas".into(), format!("{}", 1 + i % 5));
    data.insert("log-level".into(), "info".into());
    data.insert(
        "endpoint".into(),
        format!("https://{name}.{ns}.svc.cluster.local:8443/api"),
    );
    data.insert(
        "config.yaml".into(),
        format!("server:\n  port: 8080\n  workers: {}\ncache:\n  ttl: 30s\n", 2 + i % 8),
    );
    ConfigMap {
        metadata: meta(ns, name, i),
        data: Some(data),
        ..Default::default()
    }
}

/// A [`Cluster`] with [`meta`], three node pools and two conditions.
pub fn cluster(ns: &str, name: &str, i: usize) -> Cluster {
    let pool = |n: usize| NodePool {
        name: format!("pool-{n}"),
        size: ["s-2vcpu-4gb", "s-4vcpu-8gb", "c-8"][n % 3].into(),
        count: 3 + (i + n) as i32 % 5,
        auto_scale: Some(n != 0),
        min_nodes: (n != 0).then_some(1),
        max_nodes: (n != 0).then_some(10),
        labels: [("pool".to_string(), format!("pool-{n}"))].into(),
    };
    let condition = |t: &str, reason: &str| Condition {
        type_: t.into(),
        status: "True".into(),
        reason: reason.into(),
        message: format!("{t} since the last reconcile of {name}"),
        last_transition_time: time(i + 100),
        observed_generation: Some(1),
    };
    Cluster {
        metadata: meta(ns, name, i),
        spec: ClusterSpec {
            region: ["nyc1", "ams3", "fra1", "sgp1"][i % 4].into(),
            version: format!("1.3{}.{}-do.0", i % 3, i % 6),
            node_pools: (0..3).map(pool).collect(),
            tags: vec!["managed".into(), format!("tenant-{}", i % 53)],
            maintenance_window: Some("sunday=03:00".into()),
            high_availability: Some(i.is_multiple_of(2)),
        },
        status: Some(ClusterStatus {
            phase: Some("Running".into()),
            cluster_id: Some(format!("{:032x}", i * 104_729)),
            endpoint: Some(format!("https://{:032x}.k8s.ondigitalocean.com", i * 104_729)),
            observed_generation: Some(1),
            conditions: vec![condition("Ready", "Provisioned"), condition("Upgraded", "UpToDate")],
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Timing and output

/// Runs `f` `iters` times and returns the mean time per call.
pub fn per_call(iters: usize, mut f: impl FnMut(usize)) -> Duration {
    let t = Instant::now();
    for i in 0..iters {
        f(i);
    }
    t.elapsed() / iters as u32
}

/// The best (lowest) of `rounds` measurements of [`per_call`]: the least disturbed by other load.
pub fn best_of(rounds: usize, iters: usize, mut f: impl FnMut(usize)) -> Duration {
    (0..rounds)
        .map(|_| per_call(iters, &mut f))
        .min()
        .expect("at least one round")
}

/// A duration with a unit that suits it: `87 ns`, `12.3 µs`, `4.56 ms`, `1.23 s`.
pub fn fmt_dur(d: Duration) -> String {
    let ns = d.as_nanos();
    if ns < 1_000 {
        format!("{ns} ns")
    } else if ns < 1_000_000 {
        format!("{:.1} µs", ns as f64 / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.2} s", ns as f64 / 1e9)
    }
}

/// A thousands-separated integer: `12,345`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Prints a Markdown table.
pub fn table(header: &[&str], rows: &[Vec<String>]) {
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([header[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c}{}", " ".repeat(w - c.chars().count())))
            .collect();
        println!("| {} |", padded.join(" | "));
    };
    line(header.iter().map(|h| h.to_string()).collect());
    println!(
        "|{}|",
        widths.iter().map(|w| "-".repeat(w + 2)).collect::<Vec<_>>().join("|")
    );
    for r in rows {
        line(r.clone());
    }
}

/// The machine's load average (1, 5, 15 minutes), where `/proc/loadavg` exists.
pub fn load_average() -> Option<String> {
    let s = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
}
