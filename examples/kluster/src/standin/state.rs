//! The stand-in's clusters, node pools and nodes, and the handlers of every operation.
//!
//! Lifecycles are computed from `tokio::time::Instant`s compared at request time (no background
//! tasks): a cluster is `provisioning` until its `ready_at`, then `running`; after a delete it is
//! `deleting` until `gone_at`, then it is removed; after an upgrade it is `upgrading` until the
//! upgrade's end, then `running` at the new version.

use super::clock::{Clock, base64};
use super::{StandinCluster, StandinNodePool};
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;
use uuid::Uuid;

/// An API error: `{id, message}` with an HTTP status.
#[derive(Clone, Debug)]
pub(crate) struct ApiError {
    pub status: u16,
    pub id: String,
    pub message: String,
}

impl ApiError {
    pub(crate) fn new(status: u16, id: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            id: id.to_owned(),
            message: message.into(),
        }
    }

    pub(crate) fn not_found() -> Self {
        Self::new(404, "not_found", "The resource you were accessing could not be found.")
    }

    pub(crate) fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(422, "unprocessable_entity", message)
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "bad_request", message)
    }
}

/// The short error id DigitalOcean uses for a status.
pub(crate) fn error_id(status: u16) -> &'static str {
    match status {
        400 => "bad_request",
        401 => "unauthorized",
        403 => "forbidden",
        404 => "not_found",
        405 => "method_not_allowed",
        409 => "conflict",
        413 => "request_entity_too_large",
        422 => "unprocessable_entity",
        429 => "too_many_requests",
        502 => "bad_gateway",
        503 => "service_unavailable",
        504 => "gateway_timeout",
        s if s >= 500 => "server_error",
        _ => "error",
    }
}

/// A successful answer.
#[derive(Debug)]
pub(crate) enum Body {
    Json(Value),
    Yaml(String),
    Empty,
}

/// Status and body of a successful answer.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub body: Body,
}

impl Reply {
    fn json(status: u16, body: Value) -> Result<Reply, ApiError> {
        Ok(Reply {
            status,
            body: Body::Json(body),
        })
    }

    fn empty(status: u16) -> Result<Reply, ApiError> {
        Ok(Reply {
            status,
            body: Body::Empty,
        })
    }
}

/// Per-request context.
pub(crate) struct Ctx<'a> {
    pub now: Instant,
    pub clock: &'a Clock,
    /// `http://127.0.0.1:PORT` of the server that received the request (for pagination links).
    pub base_url: &'a str,
    pub provision_delay: Duration,
    pub delete_delay: Duration,
    pub upgrade_delay: Duration,
}

/// Query parameters, percent-decoded; the last value wins.
pub(crate) type Query = HashMap<String, String>;

/// Parses `a=1&b=x%20y`.
pub(crate) fn parse_query(raw: Option<&str>) -> Query {
    let mut query = Query::new();
    for pair in raw.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        query.insert(percent_decode(k), percent_decode(v));
    }
    query
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Kubernetes versions offered by `list_options`, newest first: (slug, kubernetes_version).
pub(crate) const VERSIONS: &[(&str, &str)] = &[
    ("1.34.1-do.0", "1.34.1"),
    ("1.33.5-do.0", "1.33.5"),
    ("1.32.9-do.0", "1.32.9"),
    ("1.31.13-do.0", "1.31.13"),
];

const REGIONS: &[(&str, &str)] = &[
    ("New York 1", "nyc1"),
    ("New York 3", "nyc3"),
    ("San Francisco 3", "sfo3"),
    ("Amsterdam 3", "ams3"),
    ("Frankfurt 1", "fra1"),
    ("London 1", "lon1"),
    ("Singapore 1", "sgp1"),
    ("Toronto 1", "tor1"),
    ("Bangalore 1", "blr1"),
    ("Sydney 1", "syd1"),
];

const SIZES: &[&str] = &[
    "s-1vcpu-2gb",
    "s-2vcpu-2gb",
    "s-2vcpu-4gb",
    "s-4vcpu-8gb",
    "s-8vcpu-16gb",
    "c-2",
    "c-4",
    "g-2vcpu-8gb",
    "g-4vcpu-16gb",
    "m-2vcpu-16gb",
];

/// Optional cluster settings stored and echoed as sent (objects or `null`).
const ECHOED_SETTINGS: &[&str] = &[
    "control_plane_firewall",
    "cluster_autoscaler_configuration",
    "sso",
    "routing_agent",
    "amd_gpu_device_plugin",
    "amd_gpu_device_metrics_exporter_plugin",
    "nvidia_gpu_device_plugin",
    "rdma_shared_dev_plugin",
    "coredns_autoscaler",
    "p2p_oci_registry_plugin",
];

const TAINT_EFFECTS: &[&str] = &["NoSchedule", "PreferNoSchedule", "NoExecute"];
const MAINTENANCE_DAYS: &[&str] = &[
    "any",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// The stand-in's own cap on nodes per pool (protects the process from absurd counts).
const MAX_POOL_COUNT: i64 = 1000;

#[derive(Clone, Debug)]
struct Node {
    id: String,
    name: String,
    droplet_id: String,
    created: Instant,
    ready_at: Instant,
}

#[derive(Clone, Debug)]
struct Pool {
    id: String,
    name: String,
    size: String,
    count: u32,
    tags: Vec<String>,
    labels: Option<Map<String, Value>>,
    taints: Vec<Value>,
    auto_scale: bool,
    min_nodes: u32,
    max_nodes: u32,
    nodes: Vec<Node>,
}

#[derive(Clone, Debug)]
struct Cluster {
    id: String,
    name: String,
    region: String,
    version: String,
    tags: Vec<String>,
    pools: Vec<Pool>,
    vpc_uuid: String,
    worker_subnet_uuid: Option<String>,
    cluster_subnet: String,
    service_subnet: String,
    maintenance_start: String,
    maintenance_day: String,
    auto_upgrade: bool,
    surge_upgrade: bool,
    ha: bool,
    isolated_workers: bool,
    settings: Map<String, Value>,
    ipv4: String,
    created: Instant,
    modified: Instant,
    ready_at: Instant,
    deleting_since: Option<Instant>,
    gone_at: Option<Instant>,
    /// An upgrade under way: the version slug it goes to and when it is done.
    upgrade: Option<(String, Instant)>,
}

impl Cluster {
    fn state(&self, now: Instant) -> &'static str {
        if self.deleting_since.is_some() {
            "deleting"
        } else if now < self.ready_at {
            "provisioning"
        } else if self.upgrade.as_ref().is_some_and(|(_, done)| now < *done) {
            "upgrading"
        } else {
            "running"
        }
    }

    /// The control plane came up (before any deletion started).
    fn ready(&self, now: Instant) -> bool {
        self.ready_at <= now && self.deleting_since.is_none_or(|d| self.ready_at <= d)
    }

    fn endpoint_url(&self) -> String {
        format!("https://{}.k8s.ondigitalocean.com", self.id)
    }

    fn context_name(&self) -> String {
        format!("do-{}-{}", self.region, self.name)
    }

    fn updated(&self, now: Instant) -> Instant {
        let mut t = self.modified;
        if self.ready_at <= now {
            t = t.max(self.ready_at);
        }
        if let Some(d) = self.deleting_since {
            t = t.max(d);
        }
        t
    }

    fn pool_index(&self, pool_id: &str) -> Result<usize, ApiError> {
        self.pools
            .iter()
            .position(|p| p.id == pool_id)
            .ok_or_else(ApiError::not_found)
    }

    fn ensure_not_deleting(&self) -> Result<(), ApiError> {
        match self.deleting_since {
            Some(_) => Err(ApiError::unprocessable("the cluster is being deleted")),
            None => Ok(()),
        }
    }
}

/// All clusters (in creation order) plus counters.
#[derive(Debug, Default)]
pub(crate) struct Store {
    clusters: Vec<Cluster>,
    next_droplet: u64,
    next_ip: u32,
}

impl Store {
    /// Drops clusters whose deletion finished.
    /// Drops clusters whose deletion finished and completes upgrades whose time has come.
    fn purge(&mut self, now: Instant) {
        self.clusters.retain(|c| c.gone_at.is_none_or(|g| now < g));
        for c in &mut self.clusters {
            if let Some((version, done)) = c.upgrade.take_if(|(_, done)| *done <= now) {
                c.version = version;
                c.modified = c.modified.max(done);
            }
        }
    }

    fn find(&mut self, now: Instant, id: &str) -> Result<usize, ApiError> {
        self.purge(now);
        self.clusters
            .iter()
            .position(|c| c.id == id)
            .ok_or_else(ApiError::not_found)
    }

    fn new_nodes(&mut self, pool_name: &str, count: u32, now: Instant, delay: Duration) -> Vec<Node> {
        (0..count)
            .map(|_| {
                self.next_droplet += 1;
                let id = Uuid::new_v4();
                Node {
                    name: format!("{pool_name}-{}", short_suffix(&id)),
                    id: id.to_string(),
                    droplet_id: (500_000_000 + self.next_droplet).to_string(),
                    created: now,
                    ready_at: now + delay,
                }
            })
            .collect()
    }

    fn new_pool(&mut self, input: PoolInput, now: Instant, delay: Duration) -> Pool {
        let nodes = self.new_nodes(&input.name, input.count, now, delay);
        let auto_scale = input.auto_scale.unwrap_or(false);
        Pool {
            id: Uuid::new_v4().to_string(),
            size: input.size.unwrap_or_default(),
            count: input.count,
            tags: user_tags(input.tags.unwrap_or_default()),
            labels: input.labels.flatten(),
            taints: input.taints.unwrap_or_default(),
            auto_scale,
            min_nodes: if auto_scale { input.min_nodes.unwrap_or(0) } else { 0 },
            max_nodes: if auto_scale { input.max_nodes.unwrap_or(0) } else { 0 },
            nodes,
            name: input.name,
        }
    }

    /// Live clusters for assertions.
    pub(crate) fn snapshot(&mut self, now: Instant) -> Vec<StandinCluster> {
        self.purge(now);
        self.clusters
            .iter()
            .map(|c| StandinCluster {
                id: c.id.clone(),
                name: c.name.clone(),
                region: c.region.clone(),
                version: c.version.clone(),
                state: c.state(now).to_owned(),
                endpoint: if c.ready(now) { c.endpoint_url() } else { String::new() },
                tags: cluster_tags(c),
                node_pools: c
                    .pools
                    .iter()
                    .map(|p| StandinNodePool {
                        id: p.id.clone(),
                        name: p.name.clone(),
                        size: p.size.clone(),
                        count: p.count,
                        tags: pool_tags(c, p),
                    })
                    .collect(),
            })
            .collect()
    }

    // ----- rendering -----

    fn cluster_json(&self, c: &Cluster, ctx: &Ctx) -> Value {
        let now = ctx.now;
        let state = c.state(now);
        let ready = c.ready(now);
        let mut status = Map::new();
        status.insert("state".into(), json!(state));
        if state != "running" {
            status.insert("message".into(), json!(state));
        }
        let mut body = json!({
            "id": c.id,
            "name": c.name,
            "region": c.region,
            "version": c.version,
            "cluster_subnet": c.cluster_subnet,
            "service_subnet": c.service_subnet,
            "vpc_uuid": c.vpc_uuid,
            "ipv4": if ready && !c.ha { c.ipv4.clone() } else { String::new() },
            "endpoint": if ready { c.endpoint_url() } else { String::new() },
            "tags": cluster_tags(c),
            "node_pools": c.pools.iter().map(|p| pool_json(c, p, ctx)).collect::<Vec<_>>(),
            "maintenance_policy": {
                "start_time": c.maintenance_start,
                "duration": "4h0m0s",
                "day": c.maintenance_day,
            },
            "auto_upgrade": c.auto_upgrade,
            "surge_upgrade": c.surge_upgrade,
            "ha": c.ha,
            "isolated_workers": c.isolated_workers,
            "registry_enabled": false,
            "status": status,
            "created_at": ctx.clock.rfc3339(c.created),
            "updated_at": ctx.clock.rfc3339(c.updated(now)),
        });
        let obj = body.as_object_mut().expect("object");
        if let Some(w) = &c.worker_subnet_uuid {
            obj.insert("worker_subnet_uuid".into(), json!(w));
        }
        for (k, v) in &c.settings {
            obj.insert(k.clone(), v.clone());
        }
        body
    }

    // ----- operations -----

    pub(crate) fn list_options(&self) -> Result<Reply, ApiError> {
        Reply::json(
            200,
            json!({
                "options": {
                    "regions": REGIONS.iter().map(|(name, slug)| json!({"name": name, "slug": slug})).collect::<Vec<_>>(),
                    "versions": VERSIONS.iter().map(|(slug, k8s)| version_json(slug, k8s)).collect::<Vec<_>>(),
                    "sizes": SIZES.iter().map(|s| json!({"name": s, "slug": s})).collect::<Vec<_>>(),
                }
            }),
        )
    }

    pub(crate) fn create_cluster(&mut self, ctx: &Ctx, body: &Value) -> Result<Reply, ApiError> {
        let m = as_object(body)?;
        let name = req_string(m, "", "name")?;
        let region = req_string(m, "", "region")?;
        let version = req_string(m, "", "version")?;
        let pools_value = m
            .get("node_pools")
            .filter(|v| !v.is_null())
            .ok_or_else(|| ApiError::unprocessable("node_pools is required"))?;
        let pools_array = pools_value
            .as_array()
            .ok_or_else(|| ApiError::unprocessable("node_pools must be an array"))?;
        if pools_array.is_empty() {
            return Err(ApiError::unprocessable(
                "node_pools must contain at least one node pool with at least one worker",
            ));
        }
        let mut pool_inputs = Vec::with_capacity(pools_array.len());
        for (i, p) in pools_array.iter().enumerate() {
            let prefix = format!("node_pools[{i}].");
            let input = parse_pool(p, &prefix, PoolMode::Create)?;
            if pool_inputs.iter().any(|q: &PoolInput| q.name == input.name) {
                return Err(ApiError::unprocessable(format!(
                    "{prefix}name: node pool names must be unique within a cluster, {:?} is used twice",
                    input.name
                )));
            }
            pool_inputs.push(input);
        }
        let tags = opt_string_array(m, "", "tags")?.unwrap_or_default();
        let auto_upgrade = opt_bool(m, "", "auto_upgrade")?.unwrap_or(false);
        let surge_upgrade = opt_bool(m, "", "surge_upgrade")?.unwrap_or(false);
        let isolated_workers = opt_bool(m, "", "isolated_workers")?.unwrap_or(false);
        let ha = opt_bool(m, "", "ha")?;
        let (maintenance_start, maintenance_day) = parse_maintenance(m.get("maintenance_policy"), None)?;
        let vpc_uuid = opt_uuid(m, "vpc_uuid")?;
        let worker_subnet_uuid = opt_uuid(m, "worker_subnet_uuid")?;
        if worker_subnet_uuid.is_some() && vpc_uuid.is_none() {
            return Err(ApiError::unprocessable("worker_subnet_uuid requires vpc_uuid"));
        }
        let cluster_subnet = opt_string(m, "", "cluster_subnet")?.unwrap_or_else(|| "10.244.0.0/16".into());
        let service_subnet = opt_string(m, "", "service_subnet")?.unwrap_or_else(|| "10.245.0.0/16".into());
        let settings = parse_settings(m)?;

        self.purge(ctx.now);
        if self.clusters.iter().any(|c| c.name == name) {
            return Err(ApiError::unprocessable(format!(
                "a cluster with the name {name:?} already exists"
            )));
        }
        let version = resolve_version(&version);
        let ha = ha.unwrap_or_else(|| ha_by_default(&version));
        let pools = pool_inputs
            .into_iter()
            .map(|input| self.new_pool(input, ctx.now, ctx.provision_delay))
            .collect();
        self.next_ip += 1;
        let cluster = Cluster {
            id: Uuid::new_v4().to_string(),
            name,
            region,
            version,
            tags: user_tags(tags),
            pools,
            vpc_uuid: vpc_uuid.unwrap_or_else(|| Uuid::new_v4().to_string()),
            worker_subnet_uuid,
            cluster_subnet,
            service_subnet,
            maintenance_start,
            maintenance_day,
            auto_upgrade,
            surge_upgrade,
            ha,
            isolated_workers,
            settings,
            ipv4: format!("203.0.113.{}", (self.next_ip - 1) % 254 + 1),
            created: ctx.now,
            modified: ctx.now,
            ready_at: ctx.now + ctx.provision_delay,
            deleting_since: None,
            gone_at: None,
            upgrade: None,
        };
        let body = json!({ "kubernetes_cluster": self.cluster_json(&cluster, ctx) });
        self.clusters.push(cluster);
        Reply::json(201, body)
    }

    pub(crate) fn list_clusters(&mut self, ctx: &Ctx, query: &Query) -> Result<Reply, ApiError> {
        let page = query_int(query, "page", 1, 1, i64::MAX)?;
        let per_page = query_int(query, "per_page", 20, 1, 200)?;
        self.purge(ctx.now);
        let total = self.clusters.len() as i64;
        let last = ((total + per_page - 1) / per_page).max(1);
        let start = ((page - 1).saturating_mul(per_page)).min(total) as usize;
        let end = (start + per_page as usize).min(total as usize);
        let items: Vec<Value> = self.clusters[start..end]
            .iter()
            .map(|c| self.cluster_json(c, ctx))
            .collect();
        let explicit_per_page = query.contains_key("per_page");
        let link = |p: i64| {
            let mut url = format!("{}/v2/kubernetes/clusters?page={p}", ctx.base_url);
            if explicit_per_page {
                url.push_str(&format!("&per_page={per_page}"));
            }
            url
        };
        let mut pages = Map::new();
        if page > 1 {
            pages.insert("first".into(), json!(link(1)));
            pages.insert("prev".into(), json!(link((page - 1).min(last))));
        }
        if page < last {
            pages.insert("next".into(), json!(link(page + 1)));
            pages.insert("last".into(), json!(link(last)));
        }
        let links = if pages.is_empty() {
            json!({})
        } else {
            json!({ "pages": pages })
        };
        Reply::json(
            200,
            json!({ "kubernetes_clusters": items, "links": links, "meta": { "total": total } }),
        )
    }

    pub(crate) fn get_cluster(&mut self, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
        let i = self.find(ctx.now, id)?;
        Reply::json(
            200,
            json!({ "kubernetes_cluster": self.cluster_json(&self.clusters[i], ctx) }),
        )
    }

    pub(crate) fn update_cluster(&mut self, ctx: &Ctx, id: &str, body: &Value) -> Result<Reply, ApiError> {
        let i = self.find(ctx.now, id)?;
        self.clusters[i].ensure_not_deleting()?;
        let m = as_object(body)?;
        let name = req_string(m, "", "name")?;
        let tags = opt_string_array(m, "", "tags")?;
        let auto_upgrade = opt_bool(m, "", "auto_upgrade")?;
        let surge_upgrade = opt_bool(m, "", "surge_upgrade")?;
        let ha = opt_bool(m, "", "ha")?;
        let current = &self.clusters[i];
        let maintenance = match m.get("maintenance_policy") {
            None => None,
            Some(v) => Some(parse_maintenance(
                Some(v),
                Some((&current.maintenance_start, &current.maintenance_day)),
            )?),
        };
        if current.ha && ha == Some(false) {
            return Err(ApiError::unprocessable(
                "ha: high availability cannot be disabled once enabled",
            ));
        }
        let settings = parse_settings(m)?;
        if self.clusters.iter().any(|c| c.name == name && c.id != id) {
            return Err(ApiError::unprocessable(format!(
                "a cluster with the name {name:?} already exists"
            )));
        }
        let c = &mut self.clusters[i];
        c.name = name;
        if let Some(tags) = tags {
            c.tags = user_tags(tags);
        }
        if let Some(v) = auto_upgrade {
            c.auto_upgrade = v;
        }
        if let Some(v) = surge_upgrade {
            c.surge_upgrade = v;
        }
        if let Some(v) = ha {
            c.ha = v;
        }
        if let Some((start, day)) = maintenance {
            c.maintenance_start = start;
            c.maintenance_day = day;
        }
        for (k, v) in settings {
            c.settings.insert(k, v);
        }
        c.modified = ctx.now;
        Reply::json(
            202,
            json!({ "kubernetes_cluster": self.cluster_json(&self.clusters[i], ctx) }),
        )
    }

    pub(crate) fn delete_cluster(&mut self, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
        let i = self.find(ctx.now, id)?;
        if ctx.delete_delay.is_zero() {
            self.clusters.remove(i);
        } else if self.clusters[i].deleting_since.is_none() {
            let c = &mut self.clusters[i];
            c.deleting_since = Some(ctx.now);
            c.gone_at = Some(ctx.now + ctx.delete_delay);
        }
        Reply::empty(204)
    }

    pub(crate) fn destroy_selective(&mut self, ctx: &Ctx, id: &str, body: &Value) -> Result<Reply, ApiError> {
        self.find(ctx.now, id)?;
        if !body.is_null() {
            let m = as_object(body)?;
            for key in ["load_balancers", "volumes", "volume_snapshots"] {
                opt_string_array(m, "", key)?;
            }
        }
        self.delete_cluster(ctx, id)
    }

    pub(crate) fn list_associated_resources(&mut self, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
        self.find(ctx.now, id)?;
        Reply::json(
            200,
            json!({ "load_balancers": [], "volumes": [], "volume_snapshots": [] }),
        )
    }

    pub(crate) fn kubeconfig(&mut self, ctx: &Ctx, id: &str, query: &Query) -> Result<Reply, ApiError> {
        query_int(query, "expiry_seconds", 0, 0, i64::MAX)?;
        let kind = query.get("type").map(String::as_str).unwrap_or("token");
        if kind != "token" && kind != "sso" {
            return Err(ApiError::unprocessable("type must be one of: token, sso"));
        }
        let i = self.find(ctx.now, id)?;
        let c = &self.clusters[i];
        let name = c.context_name();
        let user = if kind == "sso" {
            format!(
                "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: doctl\n      args:\n      - kubernetes\n      - cluster\n      - kubeconfig\n      - exec-credential\n      - --version=v1beta1\n      - {}\n      interactiveMode: IfAvailable\n",
                c.id
            )
        } else {
            format!("    token: {}\n", fake_token())
        };
        let yaml = format!(
            "apiVersion: v1\nclusters:\n- cluster:\n    certificate-authority-data: {ca}\n    server: {server}\n  name: {name}\ncontexts:\n- context:\n    cluster: {name}\n    user: {name}-admin\n  name: {name}\ncurrent-context: {name}\nkind: Config\npreferences: {{}}\nusers:\n- name: {name}-admin\n  user:\n{user}",
            ca = fake_ca(&c.id),
            server = c.endpoint_url(),
        );
        Ok(Reply {
            status: 200,
            body: Body::Yaml(yaml),
        })
    }

    pub(crate) fn credentials(&mut self, ctx: &Ctx, id: &str, query: &Query) -> Result<Reply, ApiError> {
        let expiry = query_int(query, "expiry_seconds", 0, 0, i64::MAX)?;
        let i = self.find(ctx.now, id)?;
        let c = &self.clusters[i];
        let expiry = if expiry == 0 { 7 * 24 * 3600 } else { expiry as u64 };
        let expires = ctx.now + Duration::from_secs(expiry.min(10 * 365 * 24 * 3600));
        Reply::json(
            200,
            json!({
                "server": c.endpoint_url(),
                "certificate_authority_data": fake_ca(&c.id),
                "token": fake_token(),
                "expires_at": ctx.clock.rfc3339(expires),
            }),
        )
    }

    pub(crate) fn status_messages(&mut self, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
        self.find(ctx.now, id)?;
        Reply::json(200, json!({ "messages": [] }))
    }

    pub(crate) fn available_upgrades(&mut self, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
        let i = self.find(ctx.now, id)?;
        let versions = upgrades_for(&self.clusters[i]);
        let body = if versions.is_empty() {
            Value::Null
        } else {
            Value::Array(versions.iter().map(|(slug, k8s)| version_json(slug, k8s)).collect())
        };
        Reply::json(200, json!({ "available_upgrade_versions": body }))
    }

    pub(crate) fn upgrade_cluster(&mut self, ctx: &Ctx, id: &str, body: &Value) -> Result<Reply, ApiError> {
        let i = self.find(ctx.now, id)?;
        let m = as_object(body)?;
        let version = req_string(m, "", "version")?;
        let c = &self.clusters[i];
        match c.state(ctx.now) {
            "running" => {}
            "upgrading" => return Err(ApiError::unprocessable("the cluster is already being upgraded")),
            state => {
                return Err(ApiError::unprocessable(format!(
                    "the cluster cannot be upgraded while it is {state}"
                )));
            }
        }
        let offered = upgrades_for(c);
        if !offered.iter().any(|(slug, _)| *slug == version) {
            let list = offered.iter().map(|(slug, _)| *slug).collect::<Vec<_>>().join(", ");
            return Err(ApiError::unprocessable(format!(
                "version {version:?} is not an available upgrade for this cluster (available: {})",
                if list.is_empty() { "none" } else { &list }
            )));
        }
        let c = &mut self.clusters[i];
        c.upgrade = Some((version, ctx.now + ctx.upgrade_delay));
        c.modified = ctx.now;
        self.purge(ctx.now);
        Reply::empty(202)
    }

    pub(crate) fn list_node_pools(&mut self, ctx: &Ctx, id: &str) -> Result<Reply, ApiError> {
        let i = self.find(ctx.now, id)?;
        let c = &self.clusters[i];
        let pools: Vec<Value> = c.pools.iter().map(|p| pool_json(c, p, ctx)).collect();
        Reply::json(200, json!({ "node_pools": pools }))
    }

    pub(crate) fn add_node_pool(&mut self, ctx: &Ctx, id: &str, body: &Value) -> Result<Reply, ApiError> {
        let i = self.find(ctx.now, id)?;
        self.clusters[i].ensure_not_deleting()?;
        let input = parse_pool(body, "", PoolMode::Create)?;
        if self.clusters[i].pools.iter().any(|p| p.name == input.name) {
            return Err(ApiError::unprocessable(format!(
                "name: a node pool named {:?} already exists in this cluster",
                input.name
            )));
        }
        let pool = self.new_pool(input, ctx.now, ctx.provision_delay);
        let c = &mut self.clusters[i];
        c.pools.push(pool);
        c.modified = ctx.now;
        let c = &self.clusters[i];
        Reply::json(
            201,
            json!({ "node_pool": pool_json(c, c.pools.last().expect("pushed"), ctx) }),
        )
    }

    pub(crate) fn get_node_pool(&mut self, ctx: &Ctx, id: &str, pool_id: &str) -> Result<Reply, ApiError> {
        let i = self.find(ctx.now, id)?;
        let c = &self.clusters[i];
        let p = c.pool_index(pool_id)?;
        Reply::json(200, json!({ "node_pool": pool_json(c, &c.pools[p], ctx) }))
    }

    pub(crate) fn update_node_pool(
        &mut self,
        ctx: &Ctx,
        id: &str,
        pool_id: &str,
        body: &Value,
    ) -> Result<Reply, ApiError> {
        let i = self.find(ctx.now, id)?;
        self.clusters[i].ensure_not_deleting()?;
        let p = self.clusters[i].pool_index(pool_id)?;
        let input = parse_pool(body, "", PoolMode::Update)?;
        if self.clusters[i]
            .pools
            .iter()
            .any(|q| q.name == input.name && q.id != pool_id)
        {
            return Err(ApiError::unprocessable(format!(
                "name: a node pool named {:?} already exists in this cluster",
                input.name
            )));
        }
        let current = self.clusters[i].pools[p].nodes.len() as u32;
        let added = if input.count > current {
            self.new_nodes(&input.name, input.count - current, ctx.now, ctx.provision_delay)
        } else {
            Vec::new()
        };
        let c = &mut self.clusters[i];
        let pool = &mut c.pools[p];
        pool.nodes.truncate(input.count as usize);
        pool.nodes.extend(added);
        pool.count = input.count;
        pool.name = input.name;
        if let Some(tags) = input.tags {
            pool.tags = user_tags(tags);
        }
        if let Some(labels) = input.labels {
            pool.labels = labels;
        }
        if let Some(taints) = input.taints {
            pool.taints = taints;
        }
        if let Some(auto_scale) = input.auto_scale {
            pool.auto_scale = auto_scale;
        }
        if pool.auto_scale {
            pool.min_nodes = input.min_nodes.unwrap_or(pool.min_nodes);
            pool.max_nodes = input.max_nodes.unwrap_or(pool.max_nodes);
            if pool.min_nodes > pool.max_nodes {
                // Only reachable when one bound comes from the stored pool; keep the pair consistent.
                pool.max_nodes = pool.min_nodes;
            }
        } else {
            pool.min_nodes = 0;
            pool.max_nodes = 0;
        }
        c.modified = ctx.now;
        let c = &self.clusters[i];
        Reply::json(202, json!({ "node_pool": pool_json(c, &c.pools[p], ctx) }))
    }

    pub(crate) fn delete_node_pool(&mut self, ctx: &Ctx, id: &str, pool_id: &str) -> Result<Reply, ApiError> {
        let i = self.find(ctx.now, id)?;
        self.clusters[i].ensure_not_deleting()?;
        let p = self.clusters[i].pool_index(pool_id)?;
        if self.clusters[i].pools.len() == 1 {
            return Err(ApiError::unprocessable(
                "a cluster must have at least one node pool; delete the cluster instead",
            ));
        }
        let c = &mut self.clusters[i];
        c.pools.remove(p);
        c.modified = ctx.now;
        Reply::empty(204)
    }

    pub(crate) fn delete_node(
        &mut self,
        ctx: &Ctx,
        id: &str,
        pool_id: &str,
        node_id: &str,
        query: &Query,
    ) -> Result<Reply, ApiError> {
        query_int(query, "skip_drain", 0, 0, 1)?;
        let replace = query_int(query, "replace", 0, 0, 1)? == 1;
        let i = self.find(ctx.now, id)?;
        self.clusters[i].ensure_not_deleting()?;
        let p = self.clusters[i].pool_index(pool_id)?;
        let n = self.clusters[i].pools[p]
            .nodes
            .iter()
            .position(|n| n.id == node_id)
            .ok_or_else(ApiError::not_found)?;
        let pool_name = self.clusters[i].pools[p].name.clone();
        let replacement = if replace {
            self.new_nodes(&pool_name, 1, ctx.now, ctx.provision_delay)
        } else {
            Vec::new()
        };
        let c = &mut self.clusters[i];
        let pool = &mut c.pools[p];
        pool.nodes.remove(n);
        pool.nodes.extend(replacement);
        pool.count = pool.nodes.len() as u32;
        c.modified = ctx.now;
        Reply::empty(202)
    }
}

fn pool_json(c: &Cluster, p: &Pool, ctx: &Ctx) -> Value {
    let deleting = c.deleting_since.is_some();
    let nodes: Vec<Value> = p
        .nodes
        .iter()
        .map(|n| {
            let up = n.ready_at <= ctx.now;
            let state = if deleting {
                "deleting"
            } else if up {
                "running"
            } else {
                "provisioning"
            };
            json!({
                "id": n.id,
                "name": if up { n.name.as_str() } else { "" },
                "status": { "state": state },
                "droplet_id": if up { n.droplet_id.as_str() } else { "" },
                "created_at": ctx.clock.rfc3339(n.created),
                "updated_at": ctx.clock.rfc3339(if up { n.ready_at } else { n.created }),
            })
        })
        .collect();
    json!({
        "id": p.id,
        "name": p.name,
        "size": p.size,
        "count": p.count,
        "tags": pool_tags(c, p),
        "labels": p.labels,
        "taints": p.taints,
        "auto_scale": p.auto_scale,
        "min_nodes": p.min_nodes,
        "max_nodes": p.max_nodes,
        "nodes": nodes,
    })
}

fn cluster_tags(c: &Cluster) -> Vec<String> {
    let mut tags = c.tags.clone();
    tags.push("k8s".into());
    tags.push(format!("k8s:{}", c.id));
    tags
}

fn pool_tags(c: &Cluster, p: &Pool) -> Vec<String> {
    let mut tags = p.tags.clone();
    tags.push("k8s".into());
    tags.push(format!("k8s:{}", c.id));
    tags.push("k8s:worker".into());
    tags
}

/// The client's tags without the system tags the server adds itself, without duplicates.
fn user_tags(tags: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        if t != "k8s" && !t.starts_with("k8s:") && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

/// `latest` → newest slug; `1.33` → newest `1.33.x` slug; anything else as given.
fn resolve_version(requested: &str) -> String {
    if requested == "latest" {
        return VERSIONS[0].0.to_owned();
    }
    let is_minor = requested.split('.').count() == 2 && requested.split('.').all(|p| p.parse::<u32>().is_ok());
    if is_minor
        && let Some((slug, _)) = VERSIONS
            .iter()
            .find(|(_, k8s)| k8s.strip_prefix(requested).is_some_and(|rest| rest.starts_with('.')))
    {
        return (*slug).to_owned();
    }
    requested.to_owned()
}

/// `1.33.5-do.0` as numbers (major, minor, patch, DigitalOcean revision); `None` for other shapes.
pub(crate) fn parse_slug(slug: &str) -> Option<(u32, u32, u32, u32)> {
    let (upstream, revision) = slug.split_once("-do.")?;
    let mut parts = upstream.split('.').map(|p| p.parse::<u32>().ok());
    let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() {
        return None;
    }
    Some((major, minor, patch, revision.parse().ok()?))
}

/// The versions a cluster can be upgraded to, newest first: every offered version newer than
/// its own, up to the next minor version (DOKS upgrades one minor version at a time). None while
/// an upgrade is under way.
fn upgrades_for(c: &Cluster) -> Vec<(&'static str, &'static str)> {
    if c.upgrade.is_some() {
        return Vec::new();
    }
    let Some(current) = parse_slug(&c.version) else {
        return Vec::new();
    };
    VERSIONS
        .iter()
        .filter(|(slug, _)| parse_slug(slug).is_some_and(|v| v > current && v.0 == current.0 && v.1 <= current.1 + 1))
        .copied()
        .collect()
}

fn version_json(slug: &str, k8s: &str) -> Value {
    json!({
        "slug": slug,
        "kubernetes_version": k8s,
        "supported_features": ["cluster-autoscaler", "docr-integration", "ha-control-plane", "token-authentication"],
    })
}

/// HA is on by default from DOKS 1.36.0.
fn ha_by_default(version: &str) -> bool {
    let mut parts = version.split(['.', '-']).map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor) = (parts.next().unwrap_or(0), parts.next().unwrap_or(0));
    (major, minor) >= (1, 36)
}

fn short_suffix(id: &Uuid) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    id.as_bytes()[..5]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

fn fake_token() -> String {
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// A PEM-shaped (not cryptographically meaningful) CA certificate, base64-encoded as kubeconfigs carry it.
fn fake_ca(cluster_id: &str) -> String {
    let der: Vec<u8> = format!("stand-in CA for DOKS cluster {cluster_id}; not a real certificate")
        .bytes()
        .cycle()
        .take(384)
        .collect();
    let body = base64(&der);
    let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(std::str::from_utf8(line).expect("ascii"));
        pem.push('\n');
    }
    pem.push_str("-----END CERTIFICATE-----\n");
    base64(pem.as_bytes())
}

// ----- request validation -----

fn as_object(body: &Value) -> Result<&Map<String, Value>, ApiError> {
    body.as_object()
        .ok_or_else(|| ApiError::bad_request("the request body must be a JSON object"))
}

fn req_string(m: &Map<String, Value>, prefix: &str, key: &str) -> Result<String, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Err(ApiError::unprocessable(format!("{prefix}{key} is required"))),
        Some(Value::String(s)) if s.trim().is_empty() => {
            Err(ApiError::unprocessable(format!("{prefix}{key} must not be empty")))
        }
        Some(Value::String(s)) if s.len() > 255 => Err(ApiError::unprocessable(format!(
            "{prefix}{key} must be at most 255 characters"
        ))),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::unprocessable(format!("{prefix}{key} must be a string"))),
    }
}

fn opt_string(m: &Map<String, Value>, prefix: &str, key: &str) -> Result<Option<String>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ApiError::unprocessable(format!("{prefix}{key} must be a string"))),
    }
}

fn opt_uuid(m: &Map<String, Value>, key: &str) -> Result<Option<String>, ApiError> {
    match opt_string(m, "", key)? {
        Some(s) if s.is_empty() => Ok(None),
        Some(s) if Uuid::parse_str(&s).is_err() => Err(ApiError::unprocessable(format!("{key} must be a UUID"))),
        other => Ok(other),
    }
}

fn opt_bool(m: &Map<String, Value>, prefix: &str, key: &str) -> Result<Option<bool>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ApiError::unprocessable(format!("{prefix}{key} must be a boolean"))),
    }
}

fn opt_int(m: &Map<String, Value>, prefix: &str, key: &str) -> Result<Option<i64>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_i64()
            .map(Some)
            .ok_or_else(|| ApiError::unprocessable(format!("{prefix}{key} must be an integer"))),
    }
}

fn opt_string_array(m: &Map<String, Value>, prefix: &str, key: &str) -> Result<Option<Vec<String>>, ApiError> {
    match m.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| ApiError::unprocessable(format!("{prefix}{key} must be an array of strings")))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some),
        Some(_) => Err(ApiError::unprocessable(format!(
            "{prefix}{key} must be an array of strings"
        ))),
    }
}

/// An integer query parameter within `[min, max]`: 400 when it is not an integer, 422 when out of range.
fn query_int(query: &Query, key: &str, default: i64, min: i64, max: i64) -> Result<i64, ApiError> {
    let Some(raw) = query.get(key) else {
        return Ok(default);
    };
    let value: i64 = raw
        .parse()
        .map_err(|_| ApiError::bad_request(format!("{key} must be an integer")))?;
    if value < min || value > max {
        let range = if max == i64::MAX {
            format!("at least {min}")
        } else {
            format!("between {min} and {max}")
        };
        return Err(ApiError::unprocessable(format!("{key} must be {range}")));
    }
    Ok(value)
}

fn parse_settings(m: &Map<String, Value>) -> Result<Map<String, Value>, ApiError> {
    let mut settings = Map::new();
    for key in ECHOED_SETTINGS {
        match m.get(*key) {
            None => {}
            Some(v @ (Value::Object(_) | Value::Null)) => {
                settings.insert((*key).to_owned(), v.clone());
            }
            Some(_) => return Err(ApiError::unprocessable(format!("{key} must be an object"))),
        }
    }
    Ok(settings)
}

/// (start_time, day) from an optional `maintenance_policy`; `null` or absent keeps `current` or the default.
fn parse_maintenance(value: Option<&Value>, current: Option<(&str, &str)>) -> Result<(String, String), ApiError> {
    let (mut start, mut day) = current
        .map(|(s, d)| (s.to_owned(), d.to_owned()))
        .unwrap_or_else(|| ("00:00".into(), "any".into()));
    let m = match value {
        None | Some(Value::Null) => return Ok((start, day)),
        Some(Value::Object(m)) => m,
        Some(_) => return Err(ApiError::unprocessable("maintenance_policy must be an object")),
    };
    if let Some(s) = opt_string(m, "maintenance_policy.", "start_time")? {
        let valid = s.len() == 5
            && s.as_bytes()[2] == b':'
            && s[..2].parse::<u32>().is_ok_and(|h| h < 24)
            && s[3..].parse::<u32>().is_ok_and(|mi| mi < 60);
        if !valid {
            return Err(ApiError::unprocessable(
                "maintenance_policy.start_time must be a time of day as HH:MM (UTC)",
            ));
        }
        start = s;
    }
    if let Some(d) = opt_string(m, "maintenance_policy.", "day")? {
        if !MAINTENANCE_DAYS.contains(&d.as_str()) {
            return Err(ApiError::unprocessable(format!(
                "maintenance_policy.day must be one of: {}",
                MAINTENANCE_DAYS.join(", ")
            )));
        }
        day = d;
    }
    Ok((start, day))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum PoolMode {
    /// Create or add: `name`, `size` and `count` are required.
    Create,
    /// Update: `name` and `count` are required; `size` cannot change and is ignored.
    Update,
}

#[derive(Debug)]
struct PoolInput {
    name: String,
    size: Option<String>,
    count: u32,
    tags: Option<Vec<String>>,
    labels: Option<Option<Map<String, Value>>>,
    taints: Option<Vec<Value>>,
    auto_scale: Option<bool>,
    min_nodes: Option<u32>,
    max_nodes: Option<u32>,
}

fn parse_pool(value: &Value, prefix: &str, mode: PoolMode) -> Result<PoolInput, ApiError> {
    let m = match value {
        Value::Object(m) => m,
        _ if prefix.is_empty() => return Err(ApiError::bad_request("the request body must be a JSON object")),
        _ => return Err(ApiError::unprocessable(format!("{prefix} must be an object"))),
    };
    let name = req_string(m, prefix, "name")?;
    let size = match mode {
        PoolMode::Create => Some(req_string(m, prefix, "size")?),
        PoolMode::Update => None,
    };
    let count =
        opt_int(m, prefix, "count")?.ok_or_else(|| ApiError::unprocessable(format!("{prefix}count is required")))?;
    if count < 1 {
        return Err(ApiError::unprocessable(format!(
            "{prefix}count must be at least 1: a node pool needs at least one worker"
        )));
    }
    if count > MAX_POOL_COUNT {
        return Err(ApiError::unprocessable(format!(
            "{prefix}count must be at most {MAX_POOL_COUNT}"
        )));
    }
    let tags = opt_string_array(m, prefix, "tags")?;
    let labels = match m.get("labels") {
        None => None,
        Some(Value::Null) => Some(None),
        Some(Value::Object(l)) => {
            if l.values().any(|v| !v.is_string()) {
                return Err(ApiError::unprocessable(format!(
                    "{prefix}labels values must be strings"
                )));
            }
            Some(Some(l.clone()))
        }
        Some(_) => return Err(ApiError::unprocessable(format!("{prefix}labels must be an object"))),
    };
    let taints = match m.get("taints") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            for (i, t) in items.iter().enumerate() {
                let t = t
                    .as_object()
                    .ok_or_else(|| ApiError::unprocessable(format!("{prefix}taints[{i}] must be an object")))?;
                let taint_prefix = format!("{prefix}taints[{i}].");
                req_string(t, &taint_prefix, "key")?;
                opt_string(t, &taint_prefix, "value")?;
                let effect = req_string(t, &taint_prefix, "effect")?;
                if !TAINT_EFFECTS.contains(&effect.as_str()) {
                    return Err(ApiError::unprocessable(format!(
                        "{taint_prefix}effect must be one of: {}",
                        TAINT_EFFECTS.join(", ")
                    )));
                }
            }
            Some(items.clone())
        }
        Some(_) => return Err(ApiError::unprocessable(format!("{prefix}taints must be an array"))),
    };
    let auto_scale = opt_bool(m, prefix, "auto_scale")?;
    let bound = |key: &str| -> Result<Option<u32>, ApiError> {
        match opt_int(m, prefix, key)? {
            Some(v) if !(0..=MAX_POOL_COUNT).contains(&v) => Err(ApiError::unprocessable(format!(
                "{prefix}{key} must be between 0 and {MAX_POOL_COUNT}"
            ))),
            other => Ok(other.map(|v| v as u32)),
        }
    };
    let min_nodes = bound("min_nodes")?;
    let max_nodes = bound("max_nodes")?;
    if auto_scale == Some(true) {
        if let (Some(min), Some(max)) = (min_nodes, max_nodes)
            && min > max
        {
            return Err(ApiError::unprocessable(format!(
                "{prefix}min_nodes must not be greater than max_nodes"
            )));
        }
        if max_nodes == Some(0) {
            return Err(ApiError::unprocessable(format!("{prefix}max_nodes must be at least 1")));
        }
    }
    Ok(PoolInput {
        name,
        size,
        count: count as u32,
        tags,
        labels,
        taints,
        auto_scale,
        min_nodes,
        max_nodes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_versions() {
        assert_eq!(resolve_version("latest"), VERSIONS[0].0);
        assert_eq!(resolve_version("1.33"), "1.33.5-do.0");
        assert_eq!(resolve_version("1.3"), "1.3");
        assert_eq!(resolve_version("1.33.1-do.0"), "1.33.1-do.0");
        assert!(ha_by_default("1.36.0-do.0"));
        assert!(!ha_by_default("1.34.1-do.0"));
        assert_eq!(parse_slug("1.33.5-do.0"), Some((1, 33, 5, 0)));
        assert_eq!(parse_slug("1.33"), None);
        assert_eq!(parse_slug("latest"), None);
    }

    #[test]
    fn parses_queries() {
        let q = parse_query(Some("page=2&per_page=5&x=a%20b+c&bad=%zz&tail=%4"));
        assert_eq!(q["page"], "2");
        assert_eq!(q["per_page"], "5");
        assert_eq!(q["x"], "a b c");
        assert_eq!(q["bad"], "%zz");
        assert_eq!(q["tail"], "%4");
    }

    #[test]
    fn strips_system_tags() {
        let tags = vec!["a".into(), "k8s".into(), "k8s:123".into(), "a".into(), "b".into()];
        assert_eq!(user_tags(tags), vec!["a".to_owned(), "b".to_owned()]);
    }
}
