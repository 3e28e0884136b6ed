//! `kluster demo`: the whole life cycle in one process, with no network and no cluster.
//!
//! kgen's fake API server (with the Kluster CRD installed, its conversion and its validating
//! webhook running in process) stands in for Kubernetes, the DigitalOcean stand-in (on 127.0.0.1)
//! for DigitalOcean, and the real operator runs between them. The demo applies the sample Kluster
//! (written at v1alpha1) and its token Secret, reads it back at v1beta1, the storage version,
//! prints each step of the progress, a `kubectl get klusters`-style table built from the CRD's
//! printer columns, a change the validating webhook refuses, and the events, then deletes the
//! Kluster and shows the cluster gone.

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::api::events::v1::Event;
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::api::v1alpha1;
use crate::api::v1beta1::Kluster;
use crate::digitalocean::DoApi;
use crate::operator::admission::{KlusterValidator, OfferCatalog, VALIDATE_PATH};
use crate::operator::{Operator, OperatorConfig, Timing, status};
use crate::standin::{DoStandin, StandinConfig};

/// The sample Kluster the README and `config/samples` use, written at v1alpha1.
pub const SAMPLE_KLUSTER: &str = include_str!("../config/samples/kgen_v1alpha1_kluster.yaml");
/// The sample token Secret (its placeholder token is what the demo's stand-in accepts).
pub const SAMPLE_SECRET: &str = include_str!("../config/samples/token_secret.yaml");
/// The webhook configurations `kgen webhook` wrote from the operator's markers.
pub const WEBHOOK_MANIFESTS: &str = include_str!("../config/webhook/manifests.yaml");
/// The node size the demo asks for to show the validating webhook refuse it.
pub const UNOFFERED_SIZE: &str = "s-64vcpu-512gb";

/// Options of `kluster demo`.
#[derive(clap::Args, Debug, Clone)]
pub struct DemoArgs {
    /// How long the stand-in takes to provision a cluster.
    #[arg(long, default_value = "3s", value_parser = crate::duration::parse)]
    pub provision_delay: Duration,
    /// How long a deleted cluster stays in `deleting` at the stand-in.
    #[arg(long, default_value = "1s", value_parser = crate::duration::parse)]
    pub delete_delay: Duration,
    /// Give up after this long.
    #[arg(long, default_value = "60s", value_parser = crate::duration::parse)]
    pub timeout: Duration,
}

impl Default for DemoArgs {
    fn default() -> Self {
        DemoArgs {
            provision_delay: Duration::from_secs(3),
            delete_delay: Duration::from_secs(1),
            timeout: Duration::from_secs(60),
        }
    }
}

type DemoResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Runs the demo, writing what happens to `out`.
pub async fn run(args: &DemoArgs, out: &mut (impl Write + Send)) -> DemoResult<()> {
    let started = Instant::now();
    let secret: Secret = serde_saphyr::from_str(SAMPLE_SECRET)?;
    let sample: v1alpha1::Kluster = serde_saphyr::from_str(SAMPLE_KLUSTER)?;
    let namespace = sample
        .metadata
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let token = secret
        .string_data
        .as_ref()
        .and_then(|d| d.get(&sample.spec.token_secret_ref.key))
        .cloned()
        .ok_or("the sample Secret has no token under stringData")?;

    let api_server: kgen_fake::FakeApiServer = crate::generated::fake_api_server();
    let offers = OfferCatalog::new(Duration::from_secs(3600));
    let validator = KlusterValidator {
        catalog: offers.clone(),
    };
    api_server.add_admission_webhooks(
        WEBHOOK_MANIFESTS,
        [(
            VALIDATE_PATH.to_string(),
            kgen_runtime::admission::validating(validator),
        )],
    )?;
    let client = api_server.client();
    writeln!(
        out,
        "Kubernetes:    kgen's fake API server (in process), CRD {} installed, its webhooks in process",
        Kluster::crd().metadata.name.unwrap_or_default()
    )?;
    let standin = DoStandin::new(StandinConfig {
        provision_delay: args.provision_delay,
        delete_delay: args.delete_delay,
        token: Some(token),
        ..StandinConfig::default()
    });
    let standin_server = standin.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    writeln!(
        out,
        "DigitalOcean:  stand-in at {} (provisioning takes {:?})",
        standin_server.base_url(),
        args.provision_delay
    )?;

    let digitalocean = DoApi::new(&standin_server.base_url())?;
    let config = OperatorConfig {
        timing: Timing {
            poll_min: Duration::from_millis(250),
            poll_max: Duration::from_secs(1),
            ..Timing::default()
        },
        offers: Some(offers),
        ..OperatorConfig::default()
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let operator = tokio::spawn(Operator::new(client.clone(), digitalocean, config).run(async {
        let _ = stopped.await;
    }));
    writeln!(
        out,
        "Operator:      running, {} workers\n",
        OperatorConfig::default().workers
    )?;

    let secrets: Api<Secret> = Api::namespaced(client.clone(), &namespace);
    let klusters: Api<Kluster> = Api::namespaced(client.clone(), &namespace);
    let old_klusters: Api<v1alpha1::Kluster> = Api::namespaced(client.clone(), &namespace);
    secrets.create(&PostParams::default(), &secret).await?;
    old_klusters.create(&PostParams::default(), &sample).await?;
    let name = sample.metadata.name.clone().unwrap_or_default();
    writeln!(
        out,
        "applied Secret {namespace}/{} and Kluster {namespace}/{name} (as kgen.dev/v1alpha1)",
        secret.metadata.name.clone().unwrap_or_default()
    )?;
    // Stored at v1beta1; each read converts to the version asked for.
    let created = klusters.get(&name).await?;
    let as_written = old_klusters.get(&name).await?;
    writeln!(
        out,
        "read back as kgen.dev/v1alpha1: spec.tokenSecretRef      = {}",
        serde_json::to_string(&as_written.spec.token_secret_ref)?
    )?;
    writeln!(
        out,
        "read back as kgen.dev/v1beta1:  spec.token.secretKeyRef  = {}  (the storage version)\n",
        serde_json::to_string(&created.spec.token.secret_key_ref)?
    )?;

    // The Kluster as created (no status yet), then every change the operator makes.
    let mut last = progress_line(&created);
    writeln!(out, "  {:>5.1}s  {last}", started.elapsed().as_secs_f64())?;
    let deadline = started + args.timeout;
    loop {
        let kluster = klusters.get(&name).await?;
        let line = progress_line(&kluster);
        if line != last {
            writeln!(out, "  {:>5.1}s  {line}", started.elapsed().as_secs_f64())?;
            last = line;
        }
        if status::current(&kluster).progress == Some(crate::api::v1beta1::Progress::Running) {
            break;
        }
        if Instant::now() > deadline {
            return Err(format!("the Kluster did not reach Running within {:?}", args.timeout).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    writeln!(out, "\n$ kubectl get klusters -n {namespace}")?;
    let listed = klusters.list(&ListParams::default()).await?;
    write!(out, "{}", printer_table(&listed.items))?;

    let kubeconfig = secrets.get(&format!("{name}-kubeconfig")).await?;
    let bytes = kubeconfig
        .data
        .as_ref()
        .and_then(|d| d.get("kubeconfig"))
        .map(|b| b.0.len())
        .unwrap_or(0);
    writeln!(
        out,
        "\nkubeconfig stored in Secret {namespace}/{name}-kubeconfig ({bytes} bytes, owned by the Kluster)"
    )?;
    writeln!(out, "DigitalOcean clusters: {}", describe_clusters(&standin))?;

    // The validating webhook knows what DigitalOcean offers; the schema cannot.
    let mut pools = serde_json::to_value(&created.spec.node_pools)?;
    pools[0]["size"] = json!(UNOFFERED_SIZE);
    writeln!(
        out,
        "\n$ kubectl patch kluster {name} -n {namespace} --type merge -p '{}'",
        json!({"spec": {"nodePools": pools}})
    )?;
    let patch = Patch::Merge(json!({"spec": {"nodePools": pools}}));
    match klusters.patch(&name, &PatchParams::default(), &patch).await {
        Err(kube::Error::Api(status)) => writeln!(out, "Error from server ({}): {}", status.reason, status.message)?,
        Err(e) => return Err(e.into()),
        Ok(_) => return Err(format!("the validating webhook let node size {UNOFFERED_SIZE} through").into()),
    }

    writeln!(out, "\n$ kubectl delete kluster {name} -n {namespace}")?;
    klusters.delete(&name, &DeleteParams::default()).await?;
    loop {
        match klusters.get_opt(&name).await? {
            Some(kluster) => {
                let line = progress_line(&kluster);
                if line != last {
                    writeln!(out, "  {:>5.1}s  {line}", started.elapsed().as_secs_f64())?;
                    last = line;
                }
            }
            None => {
                writeln!(
                    out,
                    "  {:>5.1}s  Kluster deleted (finalizer removed)",
                    started.elapsed().as_secs_f64()
                )?;
                break;
            }
        }
        if Instant::now() > deadline {
            return Err(format!("the Kluster was not deleted within {:?}", args.timeout).into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The garbage collector removes the owned Secret shortly after its owner, as in a cluster.
    let secret_left = loop {
        let left = secrets.get_opt(&format!("{name}-kubeconfig")).await?.is_some();
        if !left || Instant::now() > deadline {
            break left;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    writeln!(
        out,
        "kubeconfig Secret: {}",
        if secret_left {
            "still there"
        } else {
            "gone (garbage-collected with its owner)"
        }
    )?;
    writeln!(out, "DigitalOcean clusters: {}", describe_clusters(&standin))?;

    writeln!(out, "\nEvents:")?;
    let events: Api<Event> = Api::namespaced(client.clone(), &namespace);
    let mut items = events.list(&ListParams::default()).await?.items;
    items.sort_by_key(|e| e.event_time.as_ref().map(|t| t.0));
    for event in items {
        writeln!(
            out,
            "  {:<8} {:<18} {}",
            event.type_.unwrap_or_default(),
            event.reason.unwrap_or_default(),
            event.note.unwrap_or_default()
        )?;
    }
    writeln!(
        out,
        "\n{} requests to DigitalOcean, done in {:.1}s",
        standin.request_count(),
        started.elapsed().as_secs_f64()
    )?;

    let _ = stop.send(());
    operator.await??;
    standin_server.shutdown().await;
    Ok(())
}

fn progress_line(kluster: &Kluster) -> String {
    let status = status::current(kluster);
    let progress = status
        .progress
        .map(|p| format!("{p:?}"))
        .unwrap_or_else(|| "Pending".to_string());
    let condition = status::ready_condition(&status)
        .map(|c| format!("Ready={} {}: {}", c.status, c.reason, c.message))
        .unwrap_or_default();
    let id = status.cluster_id.map(|id| format!(" cluster {id}")).unwrap_or_default();
    format!("{progress:<9}{id}  {condition}").trim_end().to_string()
}

fn describe_clusters(standin: &DoStandin) -> String {
    let clusters = standin.clusters();
    if clusters.is_empty() {
        return "none".to_string();
    }
    clusters
        .iter()
        .map(|c| format!("{} ({}, {})", c.id, c.name, c.state))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A `kubectl get`-style table of `klusters`, with the CRD's printer columns.
pub fn printer_table(klusters: &[Kluster]) -> String {
    let crd = Kluster::crd();
    let columns = crd
        .spec
        .versions
        .first()
        .and_then(|v| v.additional_printer_columns.clone())
        .unwrap_or_default();
    let mut rows = vec![
        std::iter::once("NAME".to_string())
            .chain(columns.iter().map(|c| c.name.to_uppercase()))
            .collect::<Vec<_>>(),
    ];
    for kluster in klusters {
        let value = serde_json::to_value(kluster).unwrap_or(Value::Null);
        let mut row = vec![kluster.metadata.name.clone().unwrap_or_default()];
        for column in &columns {
            let cell = lookup(&value, &column.json_path);
            row.push(match (column.type_.as_str(), cell) {
                ("date", Some(Value::String(t))) => age(t),
                (_, Some(Value::String(s))) => s.clone(),
                (_, Some(Value::Null) | None) => "<none>".to_string(),
                (_, Some(other)) => other.to_string(),
            });
        }
        rows.push(row);
    }
    let widths: Vec<usize> = (0..rows[0].len())
        .map(|i| rows.iter().map(|r| r[i].len()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("   ").trim_end());
        out.push('\n');
    }
    out
}

/// Follows a simple JSONPath such as `.status.clusterID`.
fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.trim_start_matches('.')
        .split('.')
        .try_fold(value, |v, key| v.get(key))
}

fn age(timestamp: &str) -> String {
    let Ok(t) = timestamp.parse::<Timestamp>() else {
        return timestamp.to_string();
    };
    let secs = Timestamp::now().duration_since(t).as_secs().max(0);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 7200 => format!("{}m", s / 60),
        s => format!("{}h", s / 3600),
    }
}
