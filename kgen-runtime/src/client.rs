//! Small helpers the generated typed clients call.

use kube::Resource;
use kube::api::PatchParams;

/// The object's `metadata.name`, or a request error when it has none (update and apply need one).
pub fn object_name<K: Resource>(obj: &K) -> Result<String, kube::Error> {
    obj.meta().name.clone().filter(|n| !n.is_empty()).ok_or_else(|| {
        kube::Error::BuildRequest(kube::core::request::Error::Validation(format!(
            "{} has no metadata.name",
            std::any::type_name::<K>().rsplit("::").next().unwrap_or("object")
        )))
    })
}

/// Server-side apply parameters for `field_manager`, forcing ownership of conflicting fields if asked.
pub fn apply_params(field_manager: &str, force: bool) -> PatchParams {
    let params = PatchParams::apply(field_manager);
    if force { params.force() } else { params }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::ConfigMap;

    #[test]
    fn names_are_required() {
        let mut cm = ConfigMap::default();
        assert!(
            object_name(&cm)
                .unwrap_err()
                .to_string()
                .contains("ConfigMap has no metadata.name")
        );
        cm.metadata.name = Some("a".into());
        assert_eq!(object_name(&cm).unwrap(), "a");
        let p = apply_params("kgen", true);
        assert_eq!(p.field_manager.as_deref(), Some("kgen"));
        assert!(p.force);
    }
}
