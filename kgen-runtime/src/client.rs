//! Small helpers the generated typed clients call.

use kube::Resource;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt::Debug;

/// `obj` as JSON with `apiVersion` and `kind` set from its `Resource` impl. The API server needs
/// both on every write (create without `kind` is a 400, server-side apply without `apiVersion` too),
/// and a `#[derive(Serialize)]` on a kind writes neither.
pub fn with_type_meta<K: Resource<DynamicType = ()> + Serialize>(obj: &K) -> Result<serde_json::Value, kube::Error> {
    let mut value = serde_json::to_value(obj).map_err(kube::Error::SerdeError)?;
    if let serde_json::Value::Object(map) = &mut value {
        map.insert("apiVersion".into(), K::api_version(&()).into_owned().into());
        map.insert("kind".into(), K::kind(&()).into_owned().into());
    }
    Ok(value)
}

fn body<K: Resource<DynamicType = ()> + Serialize>(obj: &K) -> Result<Vec<u8>, kube::Error> {
    serde_json::to_vec(&with_type_meta(obj)?).map_err(kube::Error::SerdeError)
}

/// `Api::create`, sending `apiVersion` and `kind` whatever `K`'s `Serialize` writes.
pub async fn create<K>(api: &Api<K>, params: &PostParams, obj: &K) -> Result<K, kube::Error>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
{
    let req = kube::core::Request::new(api.resource_url())
        .create(params, body(obj)?)
        .map_err(kube::Error::BuildRequest)?;
    api.clone().into_client().request::<K>(req).await
}

/// `Api::replace`, sending `apiVersion` and `kind`.
pub async fn replace<K>(api: &Api<K>, name: &str, params: &PostParams, obj: &K) -> Result<K, kube::Error>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
{
    let req = kube::core::Request::new(api.resource_url())
        .replace(name, params, body(obj)?)
        .map_err(kube::Error::BuildRequest)?;
    api.clone().into_client().request::<K>(req).await
}

/// `Api::replace_status`, sending `apiVersion` and `kind`.
pub async fn replace_status<K>(api: &Api<K>, name: &str, params: &PostParams, obj: &K) -> Result<K, kube::Error>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
{
    let req = kube::core::Request::new(api.resource_url())
        .replace_subresource("status", name, params, body(obj)?)
        .map_err(kube::Error::BuildRequest)?;
    api.clone().into_client().request::<K>(req).await
}

/// Server-side apply of `obj` (or of its status) as `field_manager`, with `apiVersion` and `kind`.
pub async fn apply<K>(api: &Api<K>, obj: &K, field_manager: &str, force: bool, status: bool) -> Result<K, kube::Error>
where
    K: Resource<DynamicType = ()> + Serialize + DeserializeOwned + Clone + Debug,
{
    let name = object_name(obj)?;
    let params = apply_params(field_manager, force);
    let patch = Patch::Apply(with_type_meta(obj)?);
    if status {
        api.patch_status(&name, &params, &patch).await
    } else {
        api.patch(&name, &params, &patch).await
    }
}

/// Server-side apply of an apply configuration (or of its status) named `name`, as `field_manager`.
/// The configuration serialises its own `apiVersion` and `kind`.
pub async fn apply_configuration<K, A>(
    api: &Api<K>,
    name: Option<&str>,
    configuration: &A,
    field_manager: &str,
    force: bool,
    status: bool,
) -> Result<K, kube::Error>
where
    K: Resource<DynamicType = ()> + DeserializeOwned + Clone + Debug,
    A: Serialize + Debug,
{
    let name = name.filter(|n| !n.is_empty()).ok_or_else(|| {
        kube::Error::BuildRequest(kube::core::request::Error::Validation(format!(
            "the apply configuration of {} has no metadata.name",
            K::kind(&())
        )))
    })?;
    let params = apply_params(field_manager, force);
    let patch = Patch::Apply(configuration);
    if status {
        api.patch_status(name, &params, &patch).await
    } else {
        api.patch(name, &params, &patch).await
    }
}

/// What a `+genclient:method` sends its request to: the object's collection, the object, or one
/// of its subresources.
fn method_request<K: Resource<DynamicType = ()>>(api: &Api<K>) -> kube::core::Request {
    kube::core::Request::new(api.resource_url())
}

/// `+genclient:method=...,verb=get`: reads the object (or its `subresource`) as `R`.
pub async fn method_get<K, R>(api: &Api<K>, name: &str, subresource: Option<&str>) -> Result<R, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    R: DeserializeOwned,
{
    let request = method_request(api);
    let req = match subresource {
        Some(sub) => request.get_subresource(sub, name),
        None => request.get(name, &kube::api::GetParams::default()),
    };
    let req = req.map_err(kube::Error::BuildRequest)?;
    api.clone().into_client().request::<R>(req).await
}

/// `+genclient:method=...,verb=list`: lists the collection as `R` (a list type).
pub async fn method_list<K, R>(api: &Api<K>, params: &kube::api::ListParams) -> Result<R, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    R: DeserializeOwned,
{
    let req = method_request(api).list(params).map_err(kube::Error::BuildRequest)?;
    api.clone().into_client().request::<R>(req).await
}

/// `+genclient:method=...,verb=create`: POSTs `body` to the collection, or to the object's
/// `subresource` (`name` is then required), answering `R`.
pub async fn method_create<K, R>(
    api: &Api<K>,
    name: Option<&str>,
    subresource: Option<&str>,
    params: &PostParams,
    body: serde_json::Value,
) -> Result<R, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    R: DeserializeOwned,
{
    let data = serde_json::to_vec(&body).map_err(kube::Error::SerdeError)?;
    let request = method_request(api);
    let req = match (subresource, name) {
        (Some(sub), Some(name)) => request.create_subresource(sub, name, params, data),
        _ => request.create(params, data),
    };
    let req = req.map_err(kube::Error::BuildRequest)?;
    api.clone().into_client().request::<R>(req).await
}

/// `+genclient:method=...,verb=update`: PUTs `body` to the object (or its `subresource`).
pub async fn method_update<K, R>(
    api: &Api<K>,
    name: &str,
    subresource: Option<&str>,
    params: &PostParams,
    body: serde_json::Value,
) -> Result<R, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    R: DeserializeOwned,
{
    let data = serde_json::to_vec(&body).map_err(kube::Error::SerdeError)?;
    let request = method_request(api);
    let req = match subresource {
        Some(sub) => request.replace_subresource(sub, name, params, data),
        None => request.replace(name, params, data),
    };
    let req = req.map_err(kube::Error::BuildRequest)?;
    api.clone().into_client().request::<R>(req).await
}

/// `+genclient:method=...,verb=patch` and `verb=apply`: PATCHes the object (or its `subresource`).
pub async fn method_patch<K, P, R>(
    api: &Api<K>,
    name: &str,
    subresource: Option<&str>,
    params: &PatchParams,
    patch: &Patch<P>,
) -> Result<R, kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + Debug,
    P: Serialize + Debug,
    R: DeserializeOwned,
{
    let request = method_request(api);
    let req = match subresource {
        Some(sub) => request.patch_subresource(sub, name, params, patch),
        None => request.patch(name, params, patch),
    };
    let req = req.map_err(kube::Error::BuildRequest)?;
    api.clone().into_client().request::<R>(req).await
}

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
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use std::borrow::Cow;
    use std::sync::{Arc, Mutex};

    /// A kind whose derived Serialize writes no apiVersion and no kind.
    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    struct Widget {
        metadata: ObjectMeta,
        size: i32,
    }

    impl Resource for Widget {
        type DynamicType = ();
        type Scope = k8s_openapi::NamespaceResourceScope;
        fn kind(_: &()) -> Cow<'_, str> {
            "Widget".into()
        }
        fn group(_: &()) -> Cow<'_, str> {
            "example.com".into()
        }
        fn version(_: &()) -> Cow<'_, str> {
            "v1".into()
        }
        fn api_version(_: &()) -> Cow<'_, str> {
            "example.com/v1".into()
        }
        fn plural(_: &()) -> Cow<'_, str> {
            "widgets".into()
        }
        fn meta(&self) -> &ObjectMeta {
            &self.metadata
        }
        fn meta_mut(&mut self) -> &mut ObjectMeta {
            &mut self.metadata
        }
    }

    /// (method, path, body) of each request.
    type Seen = Arc<Mutex<Vec<(String, String, serde_json::Value)>>>;

    /// A client whose server answers every request with its own body, recording it.
    fn echo() -> (kube::Client, Seen) {
        use http_body_util::BodyExt;
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let service = tower::service_fn(move |req: http::Request<kube::client::Body>| {
            let log = log.clone();
            async move {
                let (parts, body) = req.into_parts();
                let bytes = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                let value: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
                log.lock()
                    .unwrap()
                    .push((parts.method.to_string(), parts.uri.path().to_string(), value));
                let response = http::Response::builder()
                    .status(200)
                    .header("content-type", "application/json")
                    .body(http_body_util::Full::new(bytes))
                    .unwrap();
                Ok::<_, std::convert::Infallible>(response)
            }
        });
        (kube::Client::new(service, "default"), seen)
    }

    #[tokio::test]
    async fn every_write_sends_api_version_and_kind() {
        let (client, seen) = echo();
        let api: Api<Widget> = Api::namespaced(client, "default");
        let w = Widget {
            metadata: ObjectMeta {
                name: Some("w".into()),
                ..Default::default()
            },
            size: 3,
        };
        assert!(
            serde_json::to_value(&w).unwrap().get("kind").is_none(),
            "the derive writes no kind"
        );
        create(&api, &PostParams::default(), &w).await.unwrap();
        replace(&api, "w", &PostParams::default(), &w).await.unwrap();
        replace_status(&api, "w", &PostParams::default(), &w).await.unwrap();
        apply(&api, &w, "kgen", false, false).await.unwrap();
        apply(&api, &w, "kgen", true, true).await.unwrap();
        let seen = seen.lock().unwrap();
        let calls: Vec<(&str, &str)> = seen.iter().map(|(m, p, _)| (m.as_str(), p.as_str())).collect();
        assert_eq!(
            calls,
            [
                ("POST", "/apis/example.com/v1/namespaces/default/widgets"),
                ("PUT", "/apis/example.com/v1/namespaces/default/widgets/w"),
                ("PUT", "/apis/example.com/v1/namespaces/default/widgets/w/status"),
                ("PATCH", "/apis/example.com/v1/namespaces/default/widgets/w"),
                ("PATCH", "/apis/example.com/v1/namespaces/default/widgets/w/status"),
            ]
        );
        for (_, _, body) in seen.iter() {
            assert_eq!(body["apiVersion"], "example.com/v1");
            assert_eq!(body["kind"], "Widget");
            assert_eq!(body["size"], 3);
        }
    }

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
