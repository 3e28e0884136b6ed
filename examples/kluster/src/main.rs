//! The kluster operator.
//!
//! ```text
//! kluster --install-crds --webhook-port 0        # run against the current kubeconfig context
//! kluster --leader-elect                         # in the cluster (config/default): webhooks on 9443
//! kluster demo                                   # everything in one process, no cluster needed
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use kgen_webhook::TlsConfig;
use kluster::digitalocean::{self, DoApi, RateLimits};
use kluster::operator::admission::{self, OfferCatalog};
use kluster::operator::{LeaseConfig, Operator, OperatorConfig, Timing};
use tracing::{error, info};

/// Manages DigitalOcean Kubernetes clusters through Kluster custom resources.
#[derive(Parser, Debug)]
#[command(version, args_conflicts_with_subcommands = true, after_help = EXAMPLES)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

const EXAMPLES: &str = "Examples:
  kluster --install-crds --webhook-port 0  run against the current kubeconfig context, no webhooks
  kluster --leader-elect                   in the cluster: webhooks on 9443, certificate from
                                           /tmp/k8s-webhook-server/serving-certs
  kluster --leader-elect --namespace team  one namespace, leader election on
  kluster demo                             the whole life cycle in one process, no cluster needed";

#[derive(Subcommand, Debug)]
enum Command {
    /// Runs kgen's fake API server, the DigitalOcean stand-in and the operator in one process,
    /// applies the sample Kluster, shows it reach Running, then deletes it.
    #[cfg(feature = "demo")]
    Demo(kluster::demo::DemoArgs),
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Kubeconfig file (default: $KUBECONFIG, ~/.kube/config, then the in-cluster config).
    #[arg(long)]
    kubeconfig: Option<std::path::PathBuf>,
    /// Watch only this namespace (default: all).
    #[arg(long, short)]
    namespace: Option<String>,
    /// DigitalOcean API base URL.
    #[arg(long, env = "DIGITALOCEAN_API_URL", default_value = digitalocean::DEFAULT_BASE_URL)]
    digitalocean_url: String,
    /// Concurrent reconciles.
    #[arg(long, default_value_t = 4)]
    workers: usize,
    /// Apply the Kluster CRD (server-side apply) at start.
    #[arg(long)]
    install_crds: bool,
    /// Hold a coordination.k8s.io Lease while reconciling, so only one replica acts.
    #[arg(long)]
    leader_elect: bool,
    /// Namespace of the leader-election Lease (default: $POD_NAMESPACE, else kluster-system). The
    /// operator exits at start if RBAC does not let it use the Lease there.
    #[arg(long)]
    lease_namespace: Option<String>,
    /// Name of the leader-election Lease.
    #[arg(long, default_value = "kluster-leader")]
    lease_name: String,
    /// Lease duration.
    #[arg(long, default_value = "15s", value_parser = kluster::duration::parse)]
    lease_duration: Duration,
    /// This replica's identity (default: $POD_NAME, else a random name).
    #[arg(long)]
    identity: Option<String>,
    /// Port of /healthz, /readyz (ready while standing by too) and /metrics (0 turns them off).
    #[arg(long, default_value_t = 8081)]
    health_port: u16,
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// Client-side limit of DigitalOcean requests per minute and token.
    #[arg(long, default_value_t = 250)]
    digitalocean_requests_per_minute: u32,
    /// Client-side limit of DigitalOcean requests per hour and token.
    #[arg(long, default_value_t = 5000)]
    digitalocean_requests_per_hour: u32,
    /// Shortest wait between two polls of a provisioning cluster.
    #[arg(long, default_value = "5s", value_parser = kluster::duration::parse)]
    poll_min: Duration,
    /// Longest wait between two polls.
    #[arg(long, default_value = "60s", value_parser = kluster::duration::parse)]
    poll_max: Duration,
    /// Port of the HTTPS webhooks: conversion (/convert) and validation
    /// (/validate-kgen-dev-v1beta1-kluster). 0 turns them off.
    #[arg(long, default_value_t = 9443)]
    webhook_port: u16,
    /// Address the webhooks listen on.
    #[arg(long, default_value = "0.0.0.0")]
    webhook_host: std::net::IpAddr,
    /// Directory with the webhook server's certificate and key (tls.crt, tls.key), as
    /// cert-manager's Secret mounts them; re-read when they change.
    #[arg(long, default_value = "/tmp/k8s-webhook-server/serving-certs")]
    webhook_cert_dir: std::path::PathBuf,
}

/// How logs are written.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

fn init_logging(format: LogFormat, default_level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

#[tokio::main]
async fn main() {
    digitalocean::install_crypto_provider();
    let cli = Cli::parse();
    let code = match cli.command {
        #[cfg(feature = "demo")]
        Some(Command::Demo(args)) => {
            // The demo's own output tells the story; logs only for problems (RUST_LOG=info for more).
            init_logging(LogFormat::Text, "warn");
            match kluster::demo::run(&args, &mut std::io::stdout()).await {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("demo failed: {e}");
                    1
                }
            }
        }
        None => {
            init_logging(cli.run.log_format, "info");
            match run(cli.run).await {
                Ok(()) => 0,
                Err(e) => {
                    error!("{e}");
                    1
                }
            }
        }
    };
    std::process::exit(code);
}

async fn run(args: RunArgs) -> Result<(), Box<dyn std::error::Error>> {
    let config = match &args.kubeconfig {
        Some(path) => {
            let kubeconfig = kube::config::Kubeconfig::read_from(path)?;
            kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await?
        }
        None => kube::Config::infer().await?,
    };
    // Identified as the operator (User-Agent kluster-operator/<version>).
    let client = kluster::operator::client(config)?;
    if args.install_crds {
        kluster::install_crd(&client).await?;
        info!("applied the Kluster CRD");
    }
    let limits = RateLimits {
        per_minute: args.digitalocean_requests_per_minute,
        per_hour: args.digitalocean_requests_per_hour,
    };
    let digitalocean = DoApi::new(&args.digitalocean_url)?.with_rate_limits(limits);
    let identity = args
        .identity
        .or_else(|| std::env::var("POD_NAME").ok())
        .unwrap_or_else(|| format!("kluster-{}", uuid::Uuid::new_v4().simple()));
    let leader_election = args.leader_elect.then(|| {
        let namespace = args
            .lease_namespace
            .clone()
            .or_else(|| std::env::var("POD_NAMESPACE").ok())
            .unwrap_or_else(|| "kluster-system".to_string());
        let mut lease = LeaseConfig::new(namespace, args.lease_name.clone(), identity.clone());
        lease.lease_duration = args.lease_duration;
        lease.renew_deadline = args.lease_duration * 2 / 3;
        lease.retry_period = (args.lease_duration / 7).max(Duration::from_millis(200));
        lease
    });
    let mut config = OperatorConfig {
        namespace: args.namespace,
        workers: args.workers,
        timing: Timing {
            poll_min: args.poll_min,
            poll_max: args.poll_max,
            ..Timing::default()
        },
        leader_election,
        health_addr: (args.health_port != 0).then(|| SocketAddr::from(([0, 0, 0, 0], args.health_port))),
        identity: Some(identity),
        offers: None,
    };
    // Served before the operator starts: the API server needs the conversion webhook to read
    // Klusters at any version but the storage one, the operator's own informer included.
    let _webhooks = if args.webhook_port != 0 {
        let offers = OfferCatalog::new(Duration::from_secs(3600));
        config.offers = Some(offers.clone());
        let tls = TlsConfig::from_pem_files(
            args.webhook_cert_dir.join("tls.crt"),
            args.webhook_cert_dir.join("tls.key"),
        )?;
        let (addr, server) = admission::webhooks(offers)
            .serve_tls(SocketAddr::new(args.webhook_host, args.webhook_port), tls)
            .await?;
        info!(%addr, "serving webhooks");
        Some(server)
    } else {
        None
    };
    let shutdown = async {
        // Kubernetes stops pods with SIGTERM; a terminal with Ctrl-C.
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        info!("shutting down");
    };
    Operator::new(client, digitalocean, config).run(shutdown).await?;
    Ok(())
}
