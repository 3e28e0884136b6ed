//! The Kluster's status: the Ready condition, progress, and what changed between two statuses.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

use crate::api::v1alpha1::{Kluster, KlusterStatus, Progress};
use crate::digitalocean::ClusterState;

/// The one condition type the operator maintains.
pub const READY: &str = "Ready";

/// Reasons of the Ready condition (also used as event reasons where they match).
pub mod reasons {
    /// The token Secret or its key is missing.
    pub const TOKEN_MISSING: &str = "TokenSecretMissing";
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
    /// The cluster is being deleted.
    pub const DELETING: &str = "Deleting";
}

/// The Kluster's current status, or an empty one.
pub fn current(kluster: &Kluster) -> KlusterStatus {
    kluster.status.clone().unwrap_or_default()
}

/// The Ready condition, if set.
pub fn ready_condition(status: &KlusterStatus) -> Option<&Condition> {
    status.conditions.iter().find(|c| c.type_ == READY)
}

/// Sets the Ready condition; `lastTransitionTime` moves only when the status value changes.
pub fn set_ready(status: &mut KlusterStatus, ready: bool, reason: &str, message: &str, generation: Option<i64>) {
    let value = if ready { "True" } else { "False" };
    let now = Time(Timestamp::now());
    let transition = match ready_condition(status) {
        Some(old) if old.status == value => old.last_transition_time.clone(),
        _ => now,
    };
    let condition = Condition {
        type_: READY.to_string(),
        status: value.to_string(),
        reason: reason.to_string(),
        message: message.to_string(),
        observed_generation: generation,
        last_transition_time: transition,
    };
    status.conditions.retain(|c| c.type_ != READY);
    status.conditions.push(condition);
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
        ClusterState::Upgrading => (Progress::Running, true, reasons::UPGRADING),
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
        assert_eq!(from_cluster_state(&ClusterState::Error).0, Progress::Failed);
        assert!(!from_cluster_state(&ClusterState::Unknown("new".into())).1);
    }
}
