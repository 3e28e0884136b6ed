//! Node pool changes: what to do at DigitalOcean so the cluster's pools match the spec.

use std::collections::BTreeMap;

use crate::api::v1beta1::NodePool as SpecPool;
use crate::digitalocean::{NodePool as DoPool, NodePoolCreate, NodePoolUpdate};

/// One change to a cluster's node pools.
#[derive(Clone, Debug, PartialEq)]
pub enum PoolChange {
    /// Add a pool that the spec has and the cluster has not.
    Add(NodePoolCreate),
    /// Resize a pool.
    Resize {
        /// DigitalOcean's id of the pool.
        pool_id: String,
        /// Name and new node count.
        update: NodePoolUpdate,
    },
    /// Delete a pool the spec no longer has, or whose size changed (DigitalOcean cannot change
    /// the Droplet size of a pool; it is deleted and added again on the next pass).
    Delete {
        /// DigitalOcean's id of the pool.
        pool_id: String,
        /// Name of the pool, for events.
        name: String,
    },
}

impl PoolChange {
    /// A short description for events and logs.
    pub fn describe(&self) -> String {
        match self {
            PoolChange::Add(p) => format!("add pool {} ({} x {})", p.name, p.count, p.size),
            PoolChange::Resize { update, .. } => format!("resize pool {} to {}", update.name, update.count),
            PoolChange::Delete { name, .. } => format!("delete pool {name}"),
        }
    }
}

/// The changes that make `actual` match `desired`, in a stable order: deletes, resizes, adds.
/// Pools are matched by name; pools without an id (not yet created) are left alone.
pub fn plan(desired: &[SpecPool], actual: &[DoPool], tags: &[String]) -> Vec<PoolChange> {
    let wanted: BTreeMap<&str, &SpecPool> = desired.iter().map(|p| (p.name.as_str(), p)).collect();
    let existing: BTreeMap<&str, &DoPool> = actual.iter().map(|p| (p.name.as_str(), p)).collect();
    let mut deletes = Vec::new();
    let mut resizes = Vec::new();
    let mut adds = Vec::new();
    for (name, have) in &existing {
        let Some(pool_id) = have.id.clone() else { continue };
        match wanted.get(name) {
            None => deletes.push(PoolChange::Delete {
                pool_id,
                name: name.to_string(),
            }),
            Some(want) if want.size != have.size => deletes.push(PoolChange::Delete {
                pool_id,
                name: name.to_string(),
            }),
            Some(want) if want.count as u32 != have.count => resizes.push(PoolChange::Resize {
                pool_id,
                update: NodePoolUpdate {
                    name: name.to_string(),
                    count: want.count as u32,
                },
            }),
            Some(_) => {}
        }
    }
    for (name, want) in &wanted {
        if !existing.contains_key(name) {
            adds.push(PoolChange::Add(create_request(want, tags)));
        }
    }
    deletes.into_iter().chain(resizes).chain(adds).collect()
}

/// The create request of a spec pool.
pub fn create_request(pool: &SpecPool, tags: &[String]) -> NodePoolCreate {
    NodePoolCreate {
        name: pool.name.clone(),
        size: pool.size.clone(),
        count: pool.count as u32,
        tags: tags.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(name: &str, size: &str, count: i32) -> SpecPool {
        SpecPool {
            name: name.into(),
            size: size.into(),
            count,
        }
    }

    fn have(id: &str, name: &str, size: &str, count: u32) -> DoPool {
        DoPool {
            id: Some(id.into()),
            name: name.into(),
            size: size.into(),
            count,
            tags: vec![],
        }
    }

    #[test]
    fn matching_pools_need_nothing() {
        assert!(plan(&[spec("a", "s-1", 3)], &[have("1", "a", "s-1", 3)], &[]).is_empty());
    }

    #[test]
    fn count_size_added_and_removed_pools() {
        let desired = [spec("a", "s-1", 5), spec("b", "s-2", 1), spec("new", "s-1", 2)];
        let actual = [
            have("1", "a", "s-1", 3),
            have("2", "b", "s-1", 1),
            have("3", "old", "s-1", 1),
        ];
        let changes = plan(&desired, &actual, &["t".into()]);
        assert_eq!(
            changes,
            vec![
                PoolChange::Delete {
                    pool_id: "2".into(),
                    name: "b".into()
                },
                PoolChange::Delete {
                    pool_id: "3".into(),
                    name: "old".into()
                },
                PoolChange::Resize {
                    pool_id: "1".into(),
                    update: NodePoolUpdate {
                        name: "a".into(),
                        count: 5
                    }
                },
                PoolChange::Add(NodePoolCreate {
                    name: "new".into(),
                    size: "s-1".into(),
                    count: 2,
                    tags: vec!["t".into()]
                }),
            ]
        );
    }
}
