//! `do-standin`: serves the stateful DigitalOcean Kubernetes API stand-in until Ctrl-C.
//!
//! ```text
//! do-standin --listen 127.0.0.1:8090 --provision-delay 5s --delete-delay 2s --upgrade-delay 5s --token dop_v1_test
//! ```

use clap::Parser;
use kluster::duration::parse as parse_duration;
use kluster::standin::{DoStandin, RateLimitConfig, StandinConfig};
use std::net::SocketAddr;
use std::time::Duration;

/// A stateful stand-in for the DigitalOcean Kubernetes (DOKS) API, for tests and demos.
#[derive(Debug, Parser)]
#[command(name = "do-standin", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// How long a new cluster stays `provisioning` (e.g. 500ms, 5s, 2m).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    provision_delay: Duration,
    /// How long a deleted cluster stays `deleting` before it is gone.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    delete_delay: Duration,
    /// How long an upgraded cluster stays `upgrading` before it runs the new version.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    upgrade_delay: Duration,
    /// Turn off the per-token rate limits.
    #[arg(long)]
    no_rate_limit: bool,
    /// Burst limit: requests per minute and token.
    #[arg(long, default_value_t = 250, conflicts_with = "no_rate_limit")]
    rate_per_minute: u32,
    /// Hourly limit: requests per hour and token.
    #[arg(long, default_value_t = 5000, conflicts_with = "no_rate_limit")]
    rate_per_hour: u32,
    /// Require this bearer token (any token is accepted when not set).
    #[arg(long)]
    token: Option<String>,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,kluster=debug")),
        )
        .init();
    let args = Args::parse();
    let config = StandinConfig {
        provision_delay: args.provision_delay,
        delete_delay: args.delete_delay,
        upgrade_delay: args.upgrade_delay,
        rate_limit: (!args.no_rate_limit).then_some(RateLimitConfig {
            per_minute: args.rate_per_minute,
            per_hour: args.rate_per_hour,
        }),
        token: args.token,
    };
    tracing::info!(
        provision_delay = ?config.provision_delay,
        delete_delay = ?config.delete_delay,
        upgrade_delay = ?config.upgrade_delay,
        rate_limit = ?config.rate_limit,
        token_required = config.token.is_some(),
        "starting the DigitalOcean stand-in"
    );
    let standin = DoStandin::new(config);
    let server = standin.serve(args.listen).await?;
    tracing::info!(url = %server.base_url(), "DigitalOcean stand-in listening; Ctrl-C stops it");
    println!("{}", server.base_url());
    tokio::signal::ctrl_c().await?;
    tracing::info!(requests = standin.request_count(), "shutting down");
    server.shutdown().await;
    Ok(())
}
