//! The shared [`DoApi`] and the per-token [`DoClient`].

use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::error::Error as _;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, Url};
use serde::de::DeserializeOwned;
use tokio::time::Instant;
use tracing::Instrument;

use super::error::{DoError, api_error};
use super::limiter::{Limiter, RateInfo, RateLimits};
use super::retry::{RetryMode, RetryPolicy, retry_after};
use super::token::Token;
use super::types::{
    Cluster, ClusterCreate, ClusterEnvelope, ClusterPage, ClusterUpgrade, KubernetesOptions, KubernetesVersion,
    NodePool, NodePoolCreate, NodePoolEnvelope, NodePoolUpdate, OptionsEnvelope, UpgradesEnvelope,
};

const USER_AGENT: &str = concat!("kluster/", env!("CARGO_PKG_VERSION"));
const JSON: &str = "application/json";
/// The kubeconfig endpoint answers YAML, its errors JSON.
const YAML_OR_JSON: &str = "application/yaml, application/json;q=0.9";
const PER_PAGE: u32 = 200;
/// A guard against a server that never stops paging (200 × 10,000 clusters).
const MAX_PAGES: u32 = 10_000;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// The DigitalOcean API shared by all Klusters: one reqwest client (one connection pool), the base
/// URL, the retry policy, the per-token rate limiters and request counters. Cloning is cheap and
/// clones share limiters and counters.
#[derive(Clone)]
pub struct DoApi {
    http: reqwest::Client,
    base: Url,
    retry: RetryPolicy,
    limits: RateLimits,
    limiters: Arc<LimiterRegistry>,
    stats: Arc<Stats>,
}

struct LimiterRegistry {
    /// Random keys for the token hash, so the map key cannot be reproduced outside this process.
    keys: RandomState,
    by_token: Mutex<HashMap<u64, Arc<Limiter>>>,
}

impl LimiterRegistry {
    fn new() -> Self {
        LimiterRegistry {
            keys: RandomState::new(),
            by_token: Mutex::new(HashMap::new()),
        }
    }
}

#[derive(Default)]
struct Stats {
    sent: AtomicU64,
    rate_limited: AtomicU64,
}

impl fmt::Debug for DoApi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DoApi")
            .field("base_url", &self.base.as_str())
            .field("retry", &self.retry)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

impl DoApi {
    /// An API client for `base_url` ([`DEFAULT_BASE_URL`](super::DEFAULT_BASE_URL) in production).
    /// `http://` is allowed (tests and the stand-in use `http://127.0.0.1:<port>`); a path prefix
    /// is kept. Loopback URLs bypass any proxy configured in the environment.
    pub fn new(base_url: &str) -> Result<Self, DoError> {
        let invalid = |why: &str| DoError::InvalidBaseUrl(format!("{base_url:?}: {why}"));
        let base = Url::parse(base_url.trim()).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(invalid("the scheme must be http or https"));
        }
        if base.host_str().is_none_or(str::is_empty) || base.cannot_be_a_base() {
            return Err(invalid("a host is required"));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(invalid("a query or fragment is not allowed"));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(invalid("credentials in the URL are not allowed"));
        }
        super::install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT);
        let host = base.host_str().unwrap_or_default();
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if loopback {
            builder = builder.no_proxy();
        }
        let http = builder.build().map_err(|e| DoError::Transport {
            message: format!("building the HTTP client: {}", describe(&e)),
            attempts: 0,
        })?;
        Ok(DoApi {
            http,
            base,
            retry: RetryPolicy::default(),
            limits: RateLimits::default(),
            limiters: Arc::new(LimiterRegistry::new()),
            stats: Arc::new(Stats::default()),
        })
    }

    /// Replaces the retry policy (default: [`RetryPolicy::default`]).
    pub fn with_retry_policy(mut self, p: RetryPolicy) -> Self {
        self.retry = p;
        self
    }

    /// Replaces the client-side rate limits (default: [`RateLimits::default`]). Call it before
    /// [`DoApi::client`]: it starts a fresh set of per-token limiters for this value and its clones.
    pub fn with_rate_limits(mut self, l: RateLimits) -> Self {
        self.limits = l;
        self.limiters = Arc::new(LimiterRegistry::new());
        self
    }

    /// A client for `token`. Clients for the same token share one limiter; the token is looked up
    /// by a keyed hash and is neither stored in the map nor logged.
    pub fn client(&self, token: Token) -> DoClient {
        let key = token.fingerprint(&self.limiters.keys);
        let limiter = {
            let mut map = self.limiters.by_token.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(key)
                .or_insert_with(|| Arc::new(Limiter::new(&self.limits)))
                .clone()
        };
        DoClient {
            api: self.clone(),
            token,
            limiter,
        }
    }

    /// HTTP requests actually sent (retries included), for benchmarks.
    pub fn requests_sent(&self) -> u64 {
        self.stats.sent.load(Ordering::Relaxed)
    }

    /// `429 Too Many Requests` responses received.
    pub fn rate_limited_responses(&self) -> u64 {
        self.stats.rate_limited.load(Ordering::Relaxed)
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.base.as_str()
    }

    /// The retry policy in use.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// The client-side rate limits in use.
    pub fn rate_limits(&self) -> &RateLimits {
        &self.limits
    }

    /// `base` + `/v2/...` segments, each percent-encoded (an id cannot add path segments).
    fn url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }
}

/// A DigitalOcean client bound to one token. Cheap to clone; clones share the token's limiter.
#[derive(Clone)]
pub struct DoClient {
    api: DoApi,
    token: Token,
    limiter: Arc<Limiter>,
}

impl fmt::Debug for DoClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DoClient")
            .field("base_url", &self.api.base.as_str())
            .field("token", &self.token)
            .finish_non_exhaustive()
    }
}

/// A successful response.
struct Success {
    body: Bytes,
}

impl DoClient {
    /// `POST /v2/kubernetes/clusters`. Retried only on `429`: after a `5xx` or a lost connection
    /// the cluster may exist, so the caller looks it up by tag ([`DoClient::find_cluster_by_tag`]).
    pub async fn create_cluster(&self, req: &ClusterCreate) -> Result<Cluster, DoError> {
        let url = self.api.url(&["v2", "kubernetes", "clusters"]);
        let body = self
            .send(
                "create_cluster",
                Method::POST,
                url,
                Some(to_json(req)?),
                RetryMode::RejectedOnly,
                JSON,
            )
            .await?;
        Ok(decode::<ClusterEnvelope>("create_cluster", &body.body)?.kubernetes_cluster)
    }

    /// `GET /v2/kubernetes/clusters/{id}`.
    pub async fn get_cluster(&self, id: &str) -> Result<Cluster, DoError> {
        let url = self.api.url(&["v2", "kubernetes", "clusters", id]);
        let body = self
            .send("get_cluster", Method::GET, url, None, RetryMode::Idempotent, JSON)
            .await?;
        Ok(decode::<ClusterEnvelope>("get_cluster", &body.body)?.kubernetes_cluster)
    }

    /// `GET /v2/kubernetes/clusters`, every page (`per_page=200`). The next page's number is read
    /// from `links.pages.next`, but the request goes to this client's base URL (the link may name a
    /// proxy's upstream); page numbers must increase.
    pub async fn list_clusters(&self) -> Result<Vec<Cluster>, DoError> {
        let mut clusters = Vec::new();
        let mut page = 1u32;
        for _ in 0..MAX_PAGES {
            let mut url = self.api.url(&["v2", "kubernetes", "clusters"]);
            url.query_pairs_mut()
                .append_pair("page", &page.to_string())
                .append_pair("per_page", &PER_PAGE.to_string());
            let body = self
                .send("list_clusters", Method::GET, url, None, RetryMode::Idempotent, JSON)
                .await?;
            let decoded: ClusterPage = decode("list_clusters", &body.body)?;
            clusters.extend(decoded.kubernetes_clusters);
            let Some(next) = decoded.links.pages.next.filter(|n| !n.trim().is_empty()) else {
                return Ok(clusters);
            };
            let next_page = page_number(&next, &self.api.base)?;
            if next_page <= page {
                return Err(DoError::Decode {
                    message: format!("list_clusters: page {page} links to page {next_page} as next; stopping a loop"),
                });
            }
            page = next_page;
        }
        Err(DoError::Decode {
            message: format!("list_clusters: more than {MAX_PAGES} pages"),
        })
    }

    /// The first cluster carrying `tag` (the operator tags each cluster with its Kluster's UID),
    /// found by listing all clusters.
    pub async fn find_cluster_by_tag(&self, tag: &str) -> Result<Option<Cluster>, DoError> {
        let mut found = self
            .list_clusters()
            .await?
            .into_iter()
            .filter(|c| c.tags.iter().any(|t| t == tag));
        let first = found.next();
        if let Some(other) = found.next() {
            tracing::warn!(tag, first = ?first.as_ref().map(|c| &c.id), other = %other.id,
                "several DigitalOcean clusters carry the same tag; using the first");
        }
        Ok(first)
    }

    /// `DELETE /v2/kubernetes/clusters/{id}` (`204`). A missing cluster is a `404` error.
    pub async fn delete_cluster(&self, id: &str) -> Result<(), DoError> {
        let url = self.api.url(&["v2", "kubernetes", "clusters", id]);
        self.send("delete_cluster", Method::DELETE, url, None, RetryMode::Idempotent, JSON)
            .await?;
        Ok(())
    }

    /// `GET /v2/kubernetes/clusters/{id}/kubeconfig`: the kubeconfig as raw YAML text.
    pub async fn get_kubeconfig(&self, id: &str) -> Result<String, DoError> {
        let url = self.api.url(&["v2", "kubernetes", "clusters", id, "kubeconfig"]);
        let body = self
            .send(
                "get_kubeconfig",
                Method::GET,
                url,
                None,
                RetryMode::Idempotent,
                YAML_OR_JSON,
            )
            .await?;
        String::from_utf8(body.body.to_vec()).map_err(|e| DoError::Decode {
            message: format!("get_kubeconfig: the kubeconfig is not UTF-8: {e}"),
        })
    }

    /// `GET /v2/kubernetes/options`: the regions, versions and node sizes DigitalOcean offers.
    pub async fn kubernetes_options(&self) -> Result<KubernetesOptions, DoError> {
        let url = self.api.url(&["v2", "kubernetes", "options"]);
        let body = self
            .send("list_options", Method::GET, url, None, RetryMode::Idempotent, JSON)
            .await?;
        Ok(decode::<OptionsEnvelope>("list_options", &body.body)?.options)
    }

    /// `GET /v2/kubernetes/clusters/{id}/upgrades`: the versions the cluster can be upgraded to
    /// (empty when the API answers `null`: the cluster is up to date, or an upgrade is under way).
    pub async fn get_available_upgrades(&self, id: &str) -> Result<Vec<KubernetesVersion>, DoError> {
        let url = self.api.url(&["v2", "kubernetes", "clusters", id, "upgrades"]);
        let body = self
            .send(
                "get_available_upgrades",
                Method::GET,
                url,
                None,
                RetryMode::Idempotent,
                JSON,
            )
            .await?;
        Ok(decode::<UpgradesEnvelope>("get_available_upgrades", &body.body)?.available_upgrade_versions)
    }

    /// `POST /v2/kubernetes/clusters/{id}/upgrade` with `{"version": …}` (`202`). Retried only on
    /// `429`, like the other POSTs: the caller reads the cluster again before trying once more.
    pub async fn upgrade_cluster(&self, id: &str, version: &str) -> Result<(), DoError> {
        let url = self.api.url(&["v2", "kubernetes", "clusters", id, "upgrade"]);
        let body = ClusterUpgrade {
            version: version.to_owned(),
        };
        self.send(
            "upgrade_cluster",
            Method::POST,
            url,
            Some(to_json(&body)?),
            RetryMode::RejectedOnly,
            JSON,
        )
        .await?;
        Ok(())
    }

    /// `POST /v2/kubernetes/clusters/{cluster_id}/node_pools`. Retried only on `429`, like create.
    pub async fn add_node_pool(&self, cluster_id: &str, pool: &NodePoolCreate) -> Result<NodePool, DoError> {
        let url = self
            .api
            .url(&["v2", "kubernetes", "clusters", cluster_id, "node_pools"]);
        let body = self
            .send(
                "add_node_pool",
                Method::POST,
                url,
                Some(to_json(pool)?),
                RetryMode::RejectedOnly,
                JSON,
            )
            .await?;
        Ok(decode::<NodePoolEnvelope>("add_node_pool", &body.body)?.node_pool)
    }

    /// `PUT /v2/kubernetes/clusters/{cluster_id}/node_pools/{pool_id}` (`202`).
    pub async fn update_node_pool(
        &self,
        cluster_id: &str,
        pool_id: &str,
        update: &NodePoolUpdate,
    ) -> Result<NodePool, DoError> {
        let url = self
            .api
            .url(&["v2", "kubernetes", "clusters", cluster_id, "node_pools", pool_id]);
        let body = self
            .send(
                "update_node_pool",
                Method::PUT,
                url,
                Some(to_json(update)?),
                RetryMode::Idempotent,
                JSON,
            )
            .await?;
        Ok(decode::<NodePoolEnvelope>("update_node_pool", &body.body)?.node_pool)
    }

    /// `DELETE /v2/kubernetes/clusters/{cluster_id}/node_pools/{pool_id}` (`204`).
    pub async fn delete_node_pool(&self, cluster_id: &str, pool_id: &str) -> Result<(), DoError> {
        let url = self
            .api
            .url(&["v2", "kubernetes", "clusters", cluster_id, "node_pools", pool_id]);
        self.send(
            "delete_node_pool",
            Method::DELETE,
            url,
            None,
            RetryMode::Idempotent,
            JSON,
        )
        .await?;
        Ok(())
    }

    /// The `ratelimit-*` headers of the latest response for this token, if any carried them.
    pub fn rate_info(&self) -> Option<RateInfo> {
        self.limiter.rate()
    }

    /// The shared API this client belongs to.
    pub fn api(&self) -> &DoApi {
        &self.api
    }

    /// Sends a request with rate limiting and retries; returns the body of a `2xx` response.
    async fn send(
        &self,
        op: &'static str,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        mode: RetryMode,
        accept: &'static str,
    ) -> Result<Success, DoError> {
        let span = tracing::debug_span!("digitalocean", op, method = %method, path = url.path());
        self.send_inner(method, url, body, mode, accept).instrument(span).await
    }

    async fn send_inner(
        &self,
        method: Method,
        url: Url,
        body: Option<Bytes>,
        mode: RetryMode,
        accept: &'static str,
    ) -> Result<Success, DoError> {
        let policy = &self.api.retry;
        let secret = self.token.secret();
        let mut attempts: u32 = 0;
        loop {
            self.limiter.acquire().await;
            attempts += 1;
            self.api.stats.sent.fetch_add(1, Ordering::Relaxed);
            let mut request = self
                .api
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(secret)
                .header(ACCEPT, accept);
            if let Some(body) = &body {
                request = request.header(CONTENT_TYPE, JSON).body(body.clone());
            }
            tracing::debug!(attempt = attempts, "sending DigitalOcean API request");
            let started = Instant::now();
            let outcome = match request.send().await {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let headers = response.headers().clone();
                    self.limiter.observe(status, &headers);
                    if status == 429 {
                        self.api.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                    }
                    match response.bytes().await {
                        Ok(bytes) => Ok((status, headers, bytes)),
                        Err(e) => Err(format!("reading the {status} response: {}", describe(&e))),
                    }
                }
                Err(e) => Err(describe(&e)),
            };
            let elapsed_ms = started.elapsed().as_millis() as u64;
            let may_retry = attempts <= policy.max_retries;
            match outcome {
                Ok((status, headers, bytes)) => {
                    let request_id = headers.get("x-request-id").and_then(|v| v.to_str().ok());
                    tracing::debug!(
                        attempt = attempts,
                        status,
                        request_id,
                        elapsed_ms,
                        "DigitalOcean API response"
                    );
                    if (200..300).contains(&status) {
                        return Ok(Success { body: bytes });
                    }
                    let err = api_error(status, &bytes, request_id, attempts, secret);
                    if may_retry && mode.retries_status(status) {
                        let wait = (status == 429 || status == 503)
                            .then(|| retry_after(&headers))
                            .flatten()
                            .unwrap_or_else(|| policy.backoff(attempts - 1));
                        tracing::debug!(attempt = attempts, status, wait_ms = wait.as_millis() as u64, error = %err,
                            "retrying DigitalOcean API request");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(err);
                }
                Err(message) => {
                    let message = scrub(&message, secret);
                    if may_retry && mode.retries_transport() {
                        let wait = policy.backoff(attempts - 1);
                        tracing::debug!(attempt = attempts, elapsed_ms, wait_ms = wait.as_millis() as u64, error = %message,
                            "retrying DigitalOcean API request after a transport error");
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    tracing::debug!(attempt = attempts, elapsed_ms, error = %message, "DigitalOcean API request failed");
                    return Err(DoError::Transport { message, attempts });
                }
            }
        }
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Bytes, DoError> {
    serde_json::to_vec(value).map(Bytes::from).map_err(|e| DoError::Decode {
        message: format!("encoding the request body: {e}"),
    })
}

fn decode<T: DeserializeOwned>(op: &str, body: &[u8]) -> Result<T, DoError> {
    serde_json::from_slice(body).map_err(|e| DoError::Decode {
        message: format!("{op}: {e} (in a {}-byte body)", body.len()),
    })
}

/// The `page` query parameter of a `links.pages.next` URL (absolute, or relative to `base`).
fn page_number(next: &str, base: &Url) -> Result<u32, DoError> {
    let url = Url::parse(next)
        .or_else(|_| base.join(next))
        .map_err(|e| DoError::Decode {
            message: format!("list_clusters: links.pages.next {next:?} is not a URL: {e}"),
        })?;
    url.query_pairs()
        .find(|(k, _)| k == "page")
        .and_then(|(_, v)| v.parse::<u32>().ok())
        .ok_or_else(|| DoError::Decode {
            message: format!("list_clusters: links.pages.next {next:?} has no page number"),
        })
}

/// A reqwest error with its causes (reqwest's own text names the URL, never headers).
fn describe(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

fn scrub(text: &str, secret: &str) -> String {
    if secret.is_empty() {
        text.to_owned()
    } else {
        text.replace(secret, "***")
    }
}
