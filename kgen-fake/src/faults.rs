//! Recorded requests ([`Action`]s, like client-go's fake `Actions()`) and injected failures.

use kube::core::Status;
use serde_json::Value;

/// One request the fake API server received on a resource path.
#[derive(Clone, Debug, PartialEq)]
pub struct Action {
    /// `get`, `list`, `watch`, `create`, `update`, `patch`, `delete` or `deletecollection`.
    pub verb: String,
    /// API group ("" for core).
    pub group: String,
    /// API version.
    pub version: String,
    /// Plural resource name, e.g. `configmaps`.
    pub resource: String,
    /// Namespace of the request path, if any.
    pub namespace: Option<String>,
    /// Object name, if any.
    pub name: Option<String>,
    /// Subresource (`status`, `scale`), if any.
    pub subresource: Option<String>,
    /// For patches: `merge`, `json`, `strategic` or `apply`.
    pub patch_type: Option<String>,
    /// The request body, when it is JSON (or YAML for apply).
    pub body: Option<Value>,
}

impl Action {
    /// True if the action is `verb` (or `verb` is `*`) on `resource`: a plural (`configmaps`,
    /// matching its subresources too), `plural/subresource` (`configmaps/status`) or `*`.
    pub fn matches(&self, verb: &str, resource: &str) -> bool {
        let verb_ok = verb == "*" || verb == self.verb;
        let res_ok = resource == "*"
            || match resource.split_once('/') {
                Some((plural, sub)) => plural == self.resource && self.subresource.as_deref() == Some(sub),
                None => resource == self.resource || format!("{}.{}", self.resource, self.group) == resource,
            };
        verb_ok && res_ok
    }
}

/// A pending injected failure.
#[derive(Clone, Debug)]
pub(crate) struct Fault {
    pub verb: String,
    pub resource: String,
    pub remaining: usize,
    pub status: Status,
}

/// Takes the first fault matching `action`, counting it down.
pub(crate) fn take_fault(faults: &mut Vec<Fault>, action: &Action) -> Option<Status> {
    let i = faults
        .iter()
        .position(|f| f.remaining > 0 && action.matches(&f.verb, &f.resource))?;
    let f = &mut faults[i];
    f.remaining -= 1;
    let status = f.status.clone();
    if f.remaining == 0 {
        faults.remove(i);
    }
    Some(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn action(verb: &str, resource: &str, sub: Option<&str>) -> Action {
        Action {
            verb: verb.into(),
            group: "apps".into(),
            version: "v1".into(),
            resource: resource.into(),
            namespace: None,
            name: None,
            subresource: sub.map(str::to_string),
            patch_type: None,
            body: None,
        }
    }

    #[test]
    fn matching() {
        let a = action("update", "deployments", Some("status"));
        assert!(a.matches("update", "deployments"));
        assert!(a.matches("*", "deployments/status"));
        assert!(a.matches("update", "deployments.apps"));
        assert!(a.matches("update", "*"));
        assert!(!a.matches("update", "deployments/scale"));
        assert!(!a.matches("get", "deployments"));
    }

    #[test]
    fn faults_count_down() {
        let mut faults = vec![Fault {
            verb: "get".into(),
            resource: "deployments".into(),
            remaining: 2,
            status: Status::failure("x", "InternalError").with_code(500),
        }];
        let a = action("get", "deployments", None);
        assert!(take_fault(&mut faults, &a).is_some());
        assert!(take_fault(&mut faults, &a).is_some());
        assert!(take_fault(&mut faults, &a).is_none());
    }
}
