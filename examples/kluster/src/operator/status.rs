//! The Kluster's status: the Ready and Synced conditions, progress, and what changed between two
//! statuses.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

use crate::api::v1beta1::{Kluster, KlusterStatus, Progress};
use crate::digitalocean::ClusterState;

/// The cluster runs and its kubeconfig is stored.
pub const READY: &str = "Ready";
/// DigitalOcean matches the spec (node pools and version), written once the cluster runs.
pub const SYNCED: &str = "Synced";

/// Reasons of the conditions (also used as event reasons where they match).
pub mod reasons {
    /// Seen, nothing done yet.
    pub const PENDING: &str = "Pending";
    /// The token Secret or its key is missing (or the Secret is being deleted).
    pub const TOKEN_MISSING: &str = "TokenSecretMissing";
    /// Reading or protecting the token Secret failed at the Kubernetes API.
    pub const TOKEN_UNREADABLE: &str = "TokenSecretUnreadable";
    /// The cluster is being created.
    pub const CREATING: &str = "Creating";
    /// DigitalOcean is provisioning the cluster.
    pub const PROVISIONING: &str = "Provisioning";
    /// The cluster runs.
    pub const RUNNING: &str = "Running";
    /// The cluster is upgrading.
    pub const UPGRADING: &str = "Upgrading";
    /// DigitalOcean reports the cluster degraded.
    pub const DEGRADED: &str = "Degraded";
    /// DigitalOcean reports the cluster in error.
    pub const CLUSTER_ERROR: &str = "ClusterError";
    /// The cluster vanished at DigitalOcean.
    pub const CLUSTER_NOT_FOUND: &str = "ClusterNotFound";
    /// A DigitalOcean API call failed.
    pub const API_ERROR: &str = "DigitalOceanAPIError";
    /// Writing the kubeconfig Secret failed at the Kubernetes API.
    pub const KUBECONFIG_FAILED: &str = "KubeconfigSecretFailed";
    /// The cluster is being deleted.
    pub const DELETING: &str = "Deleting";
    /// Synced: DigitalOcean matches the spec.
    pub const SYNCED: &str = "Synced";
    /// Synced=False: node pools are being changed.
    pub const UPDATING_NODE_POOLS: &str = "UpdatingNodePools";
    /// Synced=False: `spec.version` is older than the cluster's; DigitalOcean cannot downgrade.
    pub const DOWNGRADE_REFUSED: &str = "DowngradeRefused";
    /// Synced=False: DigitalOcean offers no upgrade to `spec.version` (yet).
    pub const UPGRADE_UNAVAILABLE: &str = "UpgradeUnavailable";
}

/// The Kluster's current status, or an empty one.
pub fn current(kluster: &Kluster) -> KlusterStatus {
    kluster.status.clone().unwrap_or_default()
}

/// The condition of `type_`, if set.
pub fn condition<'a>(status: &'a KlusterStatus, type_: &str) -> Option<&'a Condition> {
    status.conditions.iter().find(|c| c.type_ == type_)
}

/// The Ready condition, if set.
pub fn ready_condition(status: &KlusterStatus) -> Option<&Condition> {
    condition(status, READY)
}

/// The Synced condition, if set.
pub fn synced_condition(status: &KlusterStatus) -> Option<&Condition> {
    condition(status, SYNCED)
}

/// Whether a cluster may exist at DigitalOcean for this status: one is recorded, or a create may
/// have been sent (progress `Creating` is written before the create call). Such a Kluster needs
/// its token to clean up, so its token Secret is protected.
pub fn may_have_cluster(status: &KlusterStatus) -> bool {
    status.cluster_id.is_some() || status.progress == Some(Progress::Creating)
}

/// Sets the condition `type_`; `lastTransitionTime` moves only when its status value changes.
pub fn set_condition(
    status: &mut KlusterStatus,
    type_: &str,
    value: bool,
    reason: &str,
    message: &str,
    generation: Option<i64>,
) {
    let value = if value { "True" } else { "False" };
    let transition = match condition(status, type_) {
        Some(old) if old.status == value => old.last_transition_time.clone(),
        _ => Time(Timestamp::now()),
    };
    let condition = Condition {
        type_: type_.to_string(),
        status: value.to_string(),
        reason: reason.to_string(),
        message: message.to_string(),
        observed_generation: generation,
        last_transition_time: transition,
    };
    match status.conditions.iter_mut().find(|c| c.type_ == type_) {
        Some(existing) => *existing = condition,
        None => status.conditions.push(condition),
    }
}

/// Sets the Ready condition (see [`set_condition`]).
pub fn set_ready(status: &mut KlusterStatus, ready: bool, reason: &str, message: &str, generation: Option<i64>) {
    set_condition(status, READY, ready, reason, message, generation);
}

/// Whether two statuses differ in anything but condition timestamps (so unchanged statuses are
/// not written again).
pub fn differs(a: &KlusterStatus, b: &KlusterStatus) -> bool {
    let strip = |s: &KlusterStatus| {
        let mut s = s.clone();
        for c in &mut s.conditions {
            c.last_transition_time = Time(Timestamp::UNIX_EPOCH);
        }
        s.conditions.sort_by(|x, y| x.type_.cmp(&y.type_));
        s
    };
    strip(a) != strip(b)
}

/// How a DigitalOcean cluster state shows in the Kluster: progress, Ready, reason.
pub fn from_cluster_state(state: &ClusterState) -> (Progress, bool, &'static str) {
    match state {
        ClusterState::Running => (Progress::Running, true, reasons::RUNNING),
        ClusterState::Upgrading => (Progress::Upgrading, true, reasons::UPGRADING),
        ClusterState::Provisioning => (Progress::Creating, false, reasons::PROVISIONING),
        ClusterState::Degraded => (Progress::Running, false, reasons::DEGRADED),
        ClusterState::Error => (Progress::Failed, false, reasons::CLUSTER_ERROR),
        ClusterState::Deleting | ClusterState::Deleted => (Progress::Failed, false, reasons::CLUSTER_NOT_FOUND),
        ClusterState::Unknown(_) => (Progress::Creating, false, reasons::PROVISIONING),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transition_time_moves_only_when_the_value_changes() {
        let mut status = KlusterStatus::default();
        set_ready(&mut status, false, reasons::CREATING, "creating", Some(1));
        let first = ready_condition(&status).unwrap().last_transition_time.clone();
        std::thread::sleep(std::time::Duration::from_millis(2));
        set_ready(&mut status, false, reasons::PROVISIONING, "provisioning", Some(1));
        assert_eq!(ready_condition(&status).unwrap().last_transition_time, first);
        assert_eq!(ready_condition(&status).unwrap().reason, reasons::PROVISIONING);
        set_ready(&mut status, true, reasons::RUNNING, "running", Some(1));
        assert_ne!(ready_condition(&status).unwrap().last_transition_time, first);
        assert_eq!(status.conditions.len(), 1);
        set_condition(&mut status, SYNCED, true, reasons::SYNCED, "in sync", Some(1));
        assert_eq!(status.conditions.len(), 2);
        assert_eq!(status.conditions[0].type_, READY, "conditions keep their order");
    }

    #[test]
    fn differs_ignores_timestamps_only() {
        let mut a = KlusterStatus::default();
        set_ready(&mut a, true, reasons::RUNNING, "running", Some(2));
        let mut b = a.clone();
        b.conditions[0].last_transition_time = Time(Timestamp::UNIX_EPOCH);
        assert!(!differs(&a, &b));
        b.observed_generation = Some(3);
        assert!(differs(&a, &b));
    }

    #[test]
    fn cluster_states_map_to_progress() {
        assert_eq!(
            from_cluster_state(&ClusterState::Running),
            (Progress::Running, true, reasons::RUNNING)
        );
        assert_eq!(from_cluster_state(&ClusterState::Provisioning).0, Progress::Creating);
        assert_eq!(from_cluster_state(&ClusterState::Upgrading).0, Progress::Upgrading);
        assert_eq!(from_cluster_state(&ClusterState::Error).0, Progress::Failed);
        assert!(!from_cluster_state(&ClusterState::Unknown("new".into())).1);
    }

    #[test]
    fn a_cluster_may_exist_once_a_create_may_have_been_sent() {
        let mut s = KlusterStatus::default();
        assert!(!may_have_cluster(&s));
        s.progress = Some(Progress::Pending);
        assert!(!may_have_cluster(&s));
        s.progress = Some(Progress::Creating);
        assert!(may_have_cluster(&s));
        s.progress = Some(Progress::Running);
        s.cluster_id = Some("id".into());
        assert!(may_have_cluster(&s));
    }
}
