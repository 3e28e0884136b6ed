//! Informer cache benchmark: lookups, lists and memory of 10,000 objects in 100 namespaces.
//!
//! ```text
//! cargo bench -p kgen-runtime --bench lister
//! ```
//!
//! Fills an [`Indexer`] (the cache behind every informer and lister) with 10,000 objects (100
//! namespaces of 100) deserialized from JSON, as a watch delivers them, and measures through a
//! [`Lister`]:
//!
//! * `get(namespace, name)`, over keys in a scrambled order;
//! * a namespace's `list` (100 objects), against the same list from a cache holding only that
//!   namespace: equal times mean other namespaces are not read;
//! * `list` of all 10,000; label-selector lists (1% match) over all namespaces and over one; the
//!   same objects through a custom index;
//! * memory: bytes held per cached object (the object itself, then the cache's own structures),
//!   counted by a global allocator, against the object's `serde_json::to_vec` length.
//!
//! Two object types: a ConfigMap and a custom resource shaped like the Kluster example's, both with
//! 10 labels, 5 annotations, a uid, timestamps and a finalizer (no managedFields). Timings are the
//! best of several rounds, to be the least disturbed by other load. Targets are reported, never
//! enforced.

mod common;

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kgen_runtime::informer::{Indexer, Lister};
use kube::Resource;
use kube::core::{DynamicObject, Expression, Selector};
use serde::Serialize;
use serde::de::DeserializeOwned;

#[global_allocator]
static GLOBAL: Counting = Counting;

const NAMESPACES: usize = 100;
const PER_NAMESPACE: usize = 100;
const OBJECTS: usize = NAMESPACES * PER_NAMESPACE;

/// Target for one `get`.
const TARGET_GET: Duration = Duration::from_nanos(100);
/// Target for cache memory per object, as a multiple of the object's JSON size.
const TARGET_MEMORY_RATIO: f64 = 2.0;

fn ns(n: usize) -> String {
    format!("tenant-{n:03}")
}

fn name(i: usize) -> String {
    format!("cluster-{i:05}")
}

/// The JSON of every object, as a watch would deliver it.
fn jsons<T: Serialize>(make: impl Fn(&str, &str, usize) -> T) -> Vec<Vec<u8>> {
    (0..OBJECTS)
        .map(|i| serde_json::to_vec(&make(&ns(i % NAMESPACES), &name(i), i)).expect("serialises"))
        .collect()
}

struct Memory {
    /// Mean JSON length.
    json: f64,
    /// Bytes held per decoded object (in its `Arc`).
    object: f64,
    /// Bytes per object of the indexer's own structures (namespace buckets).
    cache: f64,
    /// Bytes per object of a custom index on one label.
    index: f64,
}

/// Decodes every object and fills an indexer, counting the bytes held.
fn fill<K>(jsons: &[Vec<u8>]) -> (Indexer<K>, Memory)
where
    K: Resource + DeserializeOwned,
{
    let json = jsons.iter().map(Vec::len).sum::<usize>() as f64 / jsons.len() as f64;
    let mut objects: Vec<Arc<K>> = Vec::with_capacity(jsons.len());
    let before = live_bytes();
    for j in jsons {
        objects.push(Arc::new(serde_json::from_slice(j).expect("deserialises")));
    }
    let decoded = live_bytes();
    let indexer = Indexer::new();
    for o in objects.drain(..) {
        indexer.insert(o);
    }
    let filled = live_bytes();
    drop(objects);
    let n = jsons.len() as f64;
    let memory = Memory {
        json,
        object: (decoded - before) as f64 / n,
        cache: (filled - decoded) as f64 / n,
        index: 0.0,
    };
    (indexer, memory)
}

fn app_selector(app: usize) -> Selector {
    Expression::Equal("app".into(), format!("app-{app}")).into()
}

/// Timings of one object type; rows for the table.
fn timings<K>(kind: &str, jsons: &[Vec<u8>], rows: &mut Vec<Vec<String>>) -> Memory
where
    K: Resource + DeserializeOwned + Send + Sync + 'static,
{
    let (indexer, mut memory) = fill::<K>(jsons);
    assert_eq!(indexer.len(), OBJECTS);
    let before = live_bytes();
    indexer
        .add_indexer("app", |o: &K| {
            o.meta()
                .labels
                .iter()
                .flatten()
                .filter(|(k, _)| *k == "app")
                .map(|(_, v)| v.clone())
                .collect()
        })
        .expect("new index");
    memory.index = (live_bytes() - before) as f64 / OBJECTS as f64;
    let lister = Lister::new(indexer.clone());

    // Keys in a scrambled order (a multiplicative step coprime with the count), so lookups do not
    // walk the hash tables in order.
    let keys: Vec<(String, String)> = (0..OBJECTS)
        .map(|k| (k * 7_919) % OBJECTS)
        .map(|i| (ns(i % NAMESPACES), name(i)))
        .collect();
    let get = best_of(5, 1_000_000, |i| {
        let (n, m) = &keys[i % OBJECTS];
        black_box(lister.get(Some(n), m));
    });
    let missing = best_of(5, 1_000_000, |i| {
        let (n, _) = &keys[i % OBJECTS];
        black_box(lister.get(Some(n), "absent"));
    });
    let target = |d: Duration, t: Duration| if d <= t { "met" } else { "missed" };
    rows.push(vec![
        kind.into(),
        "get(ns, name)".into(),
        fmt_dur(get),
        format!("~{} ns: {}", TARGET_GET.as_nanos(), target(get, TARGET_GET)),
    ]);
    let (hot_ns, hot_name) = &keys[0];
    let hot = best_of(5, 1_000_000, |_| {
        black_box(lister.get(Some(hot_ns), hot_name));
    });
    rows.push(vec![
        kind.into(),
        "get(ns, name), one key over and over".into(),
        fmt_dur(hot),
        "everything in CPU caches".into(),
    ]);
    rows.push(vec![
        kind.into(),
        "get(ns, name), not cached".into(),
        fmt_dur(missing),
        "no object is read".into(),
    ]);

    let all = Selector::default();
    let one_ns = ns(42);
    let ns_list = best_of(5, 2_000, |_| {
        black_box(lister.namespace(&one_ns).list(&all));
    });
    assert_eq!(lister.namespace(&one_ns).list(&all).len(), PER_NAMESPACE);
    // The same namespace alone in a cache.
    let alone = Indexer::<K>::new();
    for o in lister.namespace(&one_ns).list(&all) {
        alone.insert(o);
    }
    let alone = Lister::new(alone);
    let ns_alone = best_of(5, 2_000, |_| {
        black_box(alone.namespace(&one_ns).list(&all));
    });
    rows.push(vec![
        kind.into(),
        format!("namespace(ns).list(): {PER_NAMESPACE} of {}", thousands(OBJECTS as u64)),
        fmt_dur(ns_list),
        format!(
            "{}x the same list from a cache of that namespace alone ({})",
            ratio(ns_list, ns_alone),
            fmt_dur(ns_alone)
        ),
    ]);
    let all_list = best_of(3, 20, |_| {
        black_box(lister.list(&all));
    });
    rows.push(vec![
        kind.into(),
        format!("list(): all {}", thousands(OBJECTS as u64)),
        fmt_dur(all_list),
        format!("{}x the namespace list", ratio(all_list, ns_list)),
    ]);

    let sel = app_selector(7);
    let matched = lister.list(&sel).len();
    assert_eq!(matched, OBJECTS / APPS);
    let sel_all = best_of(3, 20, |_| {
        black_box(lister.list(&sel));
    });
    rows.push(vec![
        kind.into(),
        format!("list(app=app-7): {matched} of {}", thousands(OBJECTS as u64)),
        fmt_dur(sel_all),
        "matches labels of every object".into(),
    ]);
    let ns_sel = best_of(5, 2_000, |_| {
        black_box(lister.namespace(&one_ns).list(&app_selector(42)));
    });
    rows.push(vec![
        kind.into(),
        format!(
            "namespace(ns).list(app=app-42): {} of {PER_NAMESPACE}",
            lister.namespace(&one_ns).list(&app_selector(42)).len()
        ),
        fmt_dur(ns_sel),
        String::new(),
    ]);
    let by_index = best_of(5, 2_000, |_| {
        black_box(indexer.by_index("app", "app-7"));
    });
    rows.push(vec![
        kind.into(),
        format!(
            "by_index(\"app\", \"app-7\"): {} objects",
            indexer.by_index("app", "app-7").len()
        ),
        fmt_dur(by_index),
        format!("{}x faster than the selector list", ratio(sel_all, by_index)),
    ]);
    memory
}

fn ratio(a: Duration, b: Duration) -> String {
    format!("{:.1}", a.as_secs_f64() / b.as_secs_f64())
}

fn main() {
    let started = Instant::now();
    println!("kgen-runtime informer cache benchmark");
    println!(
        "  {} objects in {NAMESPACES} namespaces of {PER_NAMESPACE}, decoded from JSON into an Indexer, read through a Lister",
        thousands(OBJECTS as u64)
    );
    if let Some(load) = load_average() {
        println!("  load average at start: {load}");
    }
    println!();

    let cm_json = jsons(config_map);
    let cluster_json = jsons(cluster);
    let mut rows = Vec::new();
    let cm_mem = timings::<ConfigMap>("ConfigMap", &cm_json, &mut rows);
    let cl_mem = timings::<Cluster>("Cluster (CR)", &cluster_json, &mut rows);
    table(&["object", "operation", "time per call", "note"], &rows);
    println!();

    // Memory only: the custom resource as kube's DynamicObject (spec and status as serde_json).
    let (_, dyn_mem) = fill::<DynamicObject>(&cluster_json);
    let mut rows = Vec::new();
    for (kind, m) in [
        ("ConfigMap", cm_mem),
        ("Cluster (CR)", cl_mem),
        ("Cluster as DynamicObject", dyn_mem),
    ] {
        let total = m.object + m.cache;
        let ratio = total / m.json;
        rows.push(vec![
            kind.into(),
            format!("{:.0} B", m.json),
            format!("{:.0} B", m.object),
            format!("{:.0} B", m.cache),
            format!("{total:.0} B"),
            format!("{:.0} B", m.index),
            format!(
                "{ratio:.2}x (target < {TARGET_MEMORY_RATIO}x: {})",
                if ratio < TARGET_MEMORY_RATIO { "met" } else { "missed" }
            ),
        ]);
    }
    table(
        &[
            "object",
            "JSON (to_vec)",
            "decoded object",
            "cache structures",
            "held per object",
            "+ custom label index",
            "held / JSON",
        ],
        &rows,
    );
    println!();
    println!("Memory: bytes requested from the allocator and not freed (allocator overhead not included), per object;");
    println!(
        "\"decoded object\" is the Arc'd object, \"cache structures\" the indexer's namespace buckets (what an informer"
    );
    println!("holds: object + structures); a custom index on the \"app\" label costs the extra shown.");
    println!(
        "Inline sizes: ConfigMap {} B, Cluster {} B, DynamicObject {} B (of which ObjectMeta {} B), plus 16 B of Arc",
        std::mem::size_of::<ConfigMap>(),
        std::mem::size_of::<Cluster>(),
        std::mem::size_of::<DynamicObject>(),
        std::mem::size_of::<ObjectMeta>()
    );
    println!(
        "counts; each label, annotation or data map is a BTreeMap with a node of 11 slots (~540 B) once non-empty."
    );
    println!("Done in {}.", fmt_dur(started.elapsed()));
}
