//! Leader election with a coordination.k8s.io/v1 Lease, so two replicas never reconcile at once.
//!
//! The rules are client-go's `leaderelection` package's: a candidate takes the Lease when nobody
//! holds it or when its record has not changed for `lease_duration` *as observed by the candidate's
//! own clock* (so clock skew between replicas does not matter); the leader renews it every
//! `retry_period` and gives up leading when it could not renew within `renew_deadline`. Writes use
//! the Lease's resourceVersion, so of two candidates racing for it exactly one wins. Every change
//! of holder (a takeover, or taking a released Lease) counts in `spec.leaseTransitions`, as
//! client-go counts it.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, PostParams};
use tokio::sync::Mutex;
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::context::{MANAGER, kube_error_text};

/// Where the Lease is and how long leadership lasts.
#[derive(Clone, Debug)]
pub struct LeaseConfig {
    /// Namespace of the Lease.
    pub namespace: String,
    /// Name of the Lease.
    pub name: String,
    /// This replica's identity (its pod name, say).
    pub identity: String,
    /// How long a record that stopped changing keeps others from taking the Lease.
    pub lease_duration: Duration,
    /// How long the leader keeps trying to renew before it stops leading.
    pub renew_deadline: Duration,
    /// Time between two attempts to acquire or renew.
    pub retry_period: Duration,
}

impl LeaseConfig {
    /// client-go's defaults: 15 s lease, 10 s renew deadline, 2 s retry period.
    pub fn new(namespace: impl Into<String>, name: impl Into<String>, identity: impl Into<String>) -> Self {
        LeaseConfig {
            namespace: namespace.into(),
            name: name.into(),
            identity: identity.into(),
            lease_duration: Duration::from_secs(15),
            renew_deadline: Duration::from_secs(10),
            retry_period: Duration::from_secs(2),
        }
    }
}

/// What this candidate last saw of the Lease, and when (by its own clock).
struct Observed {
    holder: Option<String>,
    renew_time: Option<MicroTime>,
    at: Instant,
}

/// A candidate for leadership.
pub struct LeaderElector {
    api: Api<Lease>,
    config: LeaseConfig,
    observed: Mutex<Option<Observed>>,
}

impl LeaderElector {
    /// A candidate using `client`.
    pub fn new(client: kube::Client, config: LeaseConfig) -> Self {
        LeaderElector {
            api: Api::namespaced(client, &config.namespace),
            config,
            observed: Mutex::new(None),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &LeaseConfig {
        &self.config
    }

    /// `namespace/name` of the Lease.
    pub fn lease(&self) -> String {
        format!("{}/{}", self.config.namespace, self.config.name)
    }

    /// The holder this candidate last saw on the Lease (none before the first look, or when
    /// it was free).
    pub async fn observed_holder(&self) -> Option<String> {
        self.observed.lock().await.as_ref().and_then(|o| o.holder.clone())
    }

    /// One attempt to acquire or renew the Lease; true if this candidate leads now.
    pub async fn try_acquire_or_renew(&self) -> Result<bool, kube::Error> {
        let now = MicroTime(Timestamp::now());
        let duration_secs = self.config.lease_duration.as_secs().max(1) as i32;
        let Some(lease) = self.api.get_opt(&self.config.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.config.name.clone()),
                    ..Default::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.config.identity.clone()),
                    lease_duration_seconds: Some(duration_secs),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            return match self.api.create(&post_params(), &lease).await {
                Ok(_) => {
                    info!(identity = %self.config.identity, lease = %self.lease(), "acquired the new lease");
                    Ok(true)
                }
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                Err(e) => Err(e),
            };
        };
        let spec = lease.spec.clone().unwrap_or_default();
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let held_by_me = holder.as_deref() == Some(self.config.identity.as_str());
        if !held_by_me && holder.is_some() && !self.expired(&spec).await {
            return Ok(false);
        }
        let mut new_spec = spec.clone();
        new_spec.holder_identity = Some(self.config.identity.clone());
        new_spec.lease_duration_seconds = Some(duration_secs);
        new_spec.renew_time = Some(now.clone());
        if !held_by_me {
            new_spec.acquire_time = Some(now);
            new_spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        let mut updated = lease.clone();
        updated.spec = Some(new_spec);
        match self.api.replace(&self.config.name, &post_params(), &updated).await {
            Ok(_) => {
                if !held_by_me {
                    info!(identity = %self.config.identity, lease = %self.lease(), previous = ?holder,
                        transitions = new_spec_transitions(&updated), "took over the lease");
                }
                Ok(true)
            }
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Whether the other holder's record has stood still for a lease duration, as seen locally.
    async fn expired(&self, spec: &LeaseSpec) -> bool {
        let mut observed = self.observed.lock().await;
        let holder = spec.holder_identity.clone().filter(|h| !h.is_empty());
        let renew_time = spec.renew_time.clone();
        let changed = match &*observed {
            Some(o) => o.holder != holder || o.renew_time != renew_time,
            None => true,
        };
        if changed {
            *observed = Some(Observed {
                holder,
                renew_time,
                at: Instant::now(),
            });
            return false;
        }
        let duration = spec
            .lease_duration_seconds
            .map(|s| Duration::from_secs(s.max(0) as u64))
            .unwrap_or(self.config.lease_duration);
        observed.as_ref().is_some_and(|o| o.at.elapsed() >= duration)
    }

    /// Waits until this candidate leads; the holder it waits for is logged when it changes.
    pub async fn acquire(&self) {
        let mut logged: Option<Option<String>> = None;
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => return,
                Ok(false) => {
                    let holder = self.observed_holder().await;
                    if logged.as_ref() != Some(&holder) {
                        info!(identity = %self.config.identity, lease = %self.lease(), holder = ?holder,
                            "standing by: another replica leads");
                        logged = Some(holder);
                    } else {
                        debug!(identity = %self.config.identity, "another replica leads");
                    }
                }
                Err(e) => {
                    warn!(lease = %self.lease(), error = %kube_error_text(&e), "could not read or write the lease")
                }
            }
            tokio::time::sleep(self.config.retry_period).await;
        }
    }

    /// Keeps renewing; returns when leadership is lost (no renewal within the renew deadline,
    /// or another holder took the Lease).
    pub async fn hold(&self) {
        let mut last_renewal = Instant::now();
        loop {
            tokio::time::sleep(self.config.retry_period).await;
            match self.try_acquire_or_renew().await {
                Ok(true) => last_renewal = Instant::now(),
                Ok(false) => {
                    warn!(identity = %self.config.identity, "another replica holds the lease");
                    return;
                }
                Err(e) => {
                    warn!(lease = %self.lease(), error = %kube_error_text(&e), "could not renew the lease");
                    if last_renewal.elapsed() >= self.config.renew_deadline {
                        return;
                    }
                }
            }
        }
    }

    /// Gives the Lease up so a standby takes over at once (as client-go's ReleaseOnCancel).
    pub async fn release(&self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.config.name).await else {
            return;
        };
        let Some(spec) = lease.spec.as_mut() else { return };
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return;
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        match self.api.replace(&self.config.name, &post_params(), &lease).await {
            Ok(_) => info!(identity = %self.config.identity, lease = %self.lease(), "released the lease"),
            Err(e) => warn!(lease = %self.lease(), error = %kube_error_text(&e), "could not release the lease"),
        }
    }
}

/// Whether a Lease error will not go away by retrying: RBAC refuses the Lease (401, 403) or its
/// namespace does not exist (404 on create).
pub fn is_access_error(e: &kube::Error) -> bool {
    matches!(e, kube::Error::Api(s) if matches!(s.code, 401 | 403 | 404))
}

fn post_params() -> PostParams {
    PostParams {
        field_manager: Some(MANAGER.to_string()),
        ..Default::default()
    }
}

fn new_spec_transitions(lease: &Lease) -> i32 {
    lease.spec.as_ref().and_then(|s| s.lease_transitions).unwrap_or(0)
}
