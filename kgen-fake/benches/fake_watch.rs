//! Fake API server watch benchmark: events per second delivered to 10 informers.
//!
//! ```text
//! cargo bench -p kgen-fake --bench fake_watch
//! ```
//!
//! Starts 10 [`SharedInformer`]s on one kind, each with its own watch against
//! [`FakeApiServer`] through the in-process `kube::Client`, and waits until they have synced. Then
//! a client creates 5,000 objects (one request each), and the time until every informer's event
//! handler has seen all 5,000 `ADDED`s is measured; then the same with 5,000 updates (merge
//! patches, `MODIFIED`); then 5,000 more objects stored with [`FakeApiServer::insert`], without a
//! client or HTTP handling, so that delivery alone is measured. Events per second = 10 x 5,000 /
//! that time. Write throughput is reported on the side: writes and deliveries run concurrently on
//! the same runtime, so they compete for the same cores. Runs on a 2-worker tokio runtime (as an
//! operator on a 2-core machine would; `KGEN_BENCH_THREADS=1` for a current-thread runtime).
//!
//! Two kinds: a built-in ConfigMap (no schema) and a custom resource with a CRD (pruning, defaults
//! and OpenAPI validation on every write). `KGEN_BENCH_OBJECTS=N` changes the object count,
//! `KGEN_BENCH_INFORMERS=N` the informers, `KGEN_BENCH_WRITERS=N` the requests in flight (1),
//! `KGEN_BENCH_THREADS=N` the runtime's worker threads (2).

// The same objects and helpers as the runtime's benchmarks (this bench is not in the published package).
#[path = "../../kgen-runtime/benches/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::*;
use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kgen_fake::FakeApiServer;
use kgen_runtime::informer::{Handlers, SharedInformer};
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::json;

const INFORMERS: usize = 10;

/// Requests in flight at once.
fn writers() -> usize {
    std::env::var("KGEN_BENCH_WRITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
        .max(1)
}

fn informers_wanted() -> usize {
    std::env::var("KGEN_BENCH_INFORMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(INFORMERS)
}
const DEFAULT_OBJECTS: usize = 5_000;
const NAMESPACE: &str = "bench";

/// The namespace the objects live in (the server requires it to exist, as a real one does).
fn namespace() -> serde_json::Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}})
}

struct Phase {
    what: &'static str,
    writes: Duration,
    delivered: Duration,
}

/// Counts the events each informer's handler saw.
struct Counters(Vec<Arc<AtomicUsize>>);

impl Counters {
    fn min(&self) -> usize {
        self.0
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .min()
            .unwrap_or(usize::MAX)
    }
}

async fn wait_for(counters: &Counters, n: usize, start: Instant) -> Duration {
    let deadline = start + Duration::from_secs(120);
    while counters.min() < n {
        assert!(Instant::now() < deadline, "informers did not see {n} events in 120 s");
        tokio::time::sleep(Duration::from_micros(500)).await;
    }
    start.elapsed()
}

async fn run<K>(
    server: &FakeApiServer,
    objects: usize,
    make: impl Fn(usize) -> K,
    patch: impl Fn(usize) -> serde_json::Value,
) -> Vec<Phase>
where
    K: Resource<DynamicType = (), Scope = kube::core::NamespaceResourceScope>
        + Clone
        + Serialize
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    let api: Api<K> = Api::namespaced(server.client(), NAMESPACE);
    let mut informers = Vec::new();
    let mut counters = Vec::new();
    for _ in 0..informers_wanted() {
        let informer = SharedInformer::new(api.clone(), watcher::Config::default(), None);
        let count = Arc::new(AtomicUsize::new(0));
        let (a, u) = (count.clone(), count.clone());
        informer.add_event_handler(
            Handlers::new()
                .on_add(move |_: &Arc<K>| {
                    a.fetch_add(1, Ordering::Relaxed);
                })
                .on_update(move |_, _| {
                    u.fetch_add(1, Ordering::Relaxed);
                }),
        );
        tokio::spawn(informer.run());
        informers.push(informer);
        counters.push(count);
    }
    let counters = Counters(counters);
    let synced = Instant::now();
    while !informers.iter().all(SharedInformer::has_synced) {
        assert!(synced.elapsed() < Duration::from_secs(30), "informers did not sync");
        tokio::time::sleep(Duration::from_millis(1)).await;
    }

    let mut phases = Vec::new();
    let start = Instant::now();
    let writer = {
        let api = api.clone();
        let objs: Vec<K> = (0..objects).map(&make).collect();
        tokio::spawn(async move {
            futures::stream::iter(&objs)
                .for_each_concurrent(writers(), |o| {
                    let api = &api;
                    async move {
                        if let Err(e) = api.create(&PostParams::default(), o).await {
                            fail(&format!("create: {e}"));
                        }
                    }
                })
                .await;
            start.elapsed()
        })
    };
    let delivered = wait_for(&counters, objects, start).await;
    phases.push(Phase {
        what: "create (ADDED)",
        writes: writer.await.expect("writer"),
        delivered,
    });

    let start = Instant::now();
    let writer = {
        let api = api.clone();
        let patches: Vec<(String, serde_json::Value)> = (0..objects).map(|i| (make(i).name_any(), patch(i))).collect();
        tokio::spawn(async move {
            futures::stream::iter(&patches)
                .for_each_concurrent(writers(), |(name, p)| {
                    let api = &api;
                    async move {
                        if let Err(e) = api.patch(name, &PatchParams::default(), &Patch::Merge(p)).await {
                            fail(&format!("patch: {e}"));
                        }
                    }
                })
                .await;
            start.elapsed()
        })
    };
    let delivered = wait_for(&counters, 2 * objects, start).await;
    phases.push(Phase {
        what: "merge patch (MODIFIED)",
        writes: writer.await.expect("writer"),
        delivered,
    });

    // Writes straight into the store (no client, no HTTP handling): what is left is delivery.
    let objs: Vec<serde_json::Value> = (objects..2 * objects)
        .map(|i| serde_json::to_value(make(i)).expect("serialises"))
        .collect();
    let start = Instant::now();
    for o in objs {
        if let Err(e) = server.insert(o) {
            fail(&format!("insert: {e}"));
        }
    }
    let writes = start.elapsed();
    let delivered = wait_for(&counters, 3 * objects, start).await;
    phases.push(Phase {
        what: "FakeApiServer::insert (ADDED)",
        writes,
        delivered,
    });
    for i in &informers {
        assert_eq!(i.indexer().len(), 2 * objects);
        i.shutdown();
    }
    phases
}

/// Ends the benchmark with an error (from any task).
fn fail(why: &str) -> ! {
    eprintln!("error: {why}");
    std::process::exit(1)
}

/// What a client sends on create: no server-set metadata.
fn for_create(meta: &mut ObjectMeta) {
    meta.uid = None;
    meta.resource_version = None;
    meta.creation_timestamp = None;
    meta.generation = None;
}

fn config_map_named(i: usize) -> ConfigMap {
    let mut c = config_map(NAMESPACE, &format!("cm-{i:05}"), i);
    for_create(&mut c.metadata);
    c
}

fn crd() -> serde_json::Value {
    let s = |t: &str| json!({"type": t});
    let pool = json!({
        "type": "object", "required": ["name", "size", "count"],
        "properties": {
            "name": {"type": "string", "maxLength": 63},
            "size": s("string"),
            "count": {"type": "integer", "format": "int32", "minimum": 1},
            "autoScale": s("boolean"),
            "minNodes": {"type": "integer", "format": "int32", "minimum": 0},
            "maxNodes": {"type": "integer", "format": "int32", "minimum": 0},
            "labels": {"type": "object", "additionalProperties": s("string")}
        }
    });
    let spec = json!({
        "type": "object",
        "required": ["region", "version", "nodePools"],
        "properties": {
            "region": {"type": "string", "pattern": "^[a-z]{3}[0-9]$"},
            "version": {"type": "string", "minLength": 1},
            "tags": {"type": "array", "x-kubernetes-list-type": "set", "items": s("string")},
            "maintenanceWindow": s("string"),
            "highAvailability": {"type": "boolean", "default": false},
            "nodePools": {
                "type": "array", "minItems": 1,
                "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
                "items": pool
            }
        }
    });
    let schema = json!({
        "type": "object",
        "properties": {
            "apiVersion": s("string"), "kind": s("string"), "metadata": s("object"),
            "spec": spec,
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
        }
    });
    json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": "clusters.kgen.dev"},
        "spec": {
            "group": "kgen.dev",
            "names": {"kind": "Cluster", "listKind": "ClusterList", "plural": "clusters", "singular": "cluster"},
            "scope": "Namespaced",
            "versions": [{
                "name": "v1alpha1", "served": true, "storage": true,
                "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": schema}
            }]
        }
    })
}

fn cluster_named(i: usize) -> Cluster {
    let mut c = cluster(NAMESPACE, &format!("cl-{i:05}"), i);
    for_create(&mut c.metadata);
    c.status = None;
    c
}

/// A tokio runtime: `threads` workers, or the current thread only for 0 or 1.
fn runtime(threads: usize) -> tokio::runtime::Runtime {
    if threads <= 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .enable_all()
            .build()
    }
    .expect("runtime")
}

fn env_usize(name: &str) -> Option<usize> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn main() {
    let objects = env_usize("KGEN_BENCH_OBJECTS").unwrap_or(DEFAULT_OBJECTS).max(1);
    let informers = informers_wanted();
    let started = Instant::now();
    println!("kgen-fake: fake API server watch benchmark");
    println!(
        "  {informers} SharedInformers (one watch each) on one kind; a client writes {} objects ({} request(s) in flight)",
        thousands(objects as u64),
        writers()
    );
    if let Some(load) = load_average() {
        println!("  load average at start: {load}");
    }
    println!();
    let threads = env_usize("KGEN_BENCH_THREADS").unwrap_or(2);
    let runs = [(threads, "ConfigMap"), (threads, "Cluster (CR)")];

    let mut rows = Vec::new();
    for (threads, kind) in runs {
        let rt = runtime(threads);
        let phases = rt.block_on(async {
            if kind == "ConfigMap" {
                let server = FakeApiServer::new().with_object(namespace());
                let patch = |i: usize| json!({"data": {"replicas": format!("{}", i + 100)}});
                run(&server, objects, config_map_named, patch).await
            } else {
                let server = FakeApiServer::new().with_object(namespace()).with_crd(crd());
                let patch = |i: usize| json!({"spec": {"version": format!("1.33.{}-do.0", i % 10)}});
                run(&server, objects, cluster_named, patch).await
            }
        });
        drop(rt);
        let rt_name = if threads <= 1 {
            "current thread".to_string()
        } else {
            format!("{threads} workers")
        };
        for p in phases {
            let events = (informers * objects) as f64;
            rows.push(vec![
                kind.to_string(),
                rt_name.clone(),
                p.what.to_string(),
                format!(
                    "{} ({}/s)",
                    fmt_dur(p.writes),
                    thousands((objects as f64 / p.writes.as_secs_f64()) as u64)
                ),
                fmt_dur(p.delivered),
                thousands((events / p.delivered.as_secs_f64()) as u64),
            ]);
        }
    }
    table(
        &[
            "kind",
            "tokio runtime",
            "writes",
            "all writes done",
            "all events delivered",
            "events/s delivered",
        ],
        &rows,
    );
    println!();
    println!(
        "Events delivered: {informers} informers x {} events per phase, counted by each informer's handler; times from",
        thousands(objects as u64)
    );
    println!("the first write. Server, client, writer and informers share the runtime's threads.");
    println!("Done in {}.", fmt_dur(started.elapsed()));
}
