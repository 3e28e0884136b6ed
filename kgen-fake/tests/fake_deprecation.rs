//! Requests to a deprecated CRD version carry the API server's `Warning` header: the version's
//! `deprecationWarning`, or the default text naming the newest served version to use instead.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use http_body_util::BodyExt;
    use serde_json::json;
    use tower::ServiceExt;

    fn gadget_crd() -> serde_json::Value {
        let schema = json!({"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}});
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "gadgets.dep.kgen.dev"},
            "spec": {
                "group": "dep.kgen.dev",
                "scope": "Namespaced",
                "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
                "versions": [
                    {"name": "v1", "served": true, "storage": true, "schema": schema},
                    {"name": "v1beta1", "served": true, "storage": false, "deprecated": true, "schema": schema},
                    {"name": "v1alpha1", "served": true, "storage": false, "deprecated": true,
                     "deprecationWarning": "v1alpha1 goes away in 2027", "schema": schema},
                    {"name": "v2alpha1", "served": true, "storage": false, "schema": schema},
                ],
            },
        })
    }

    /// The `Warning` headers of a GET.
    async fn warnings(server: &FakeApiServer, path: &str) -> (u16, Vec<String>) {
        let req = http::Request::builder()
            .uri(path)
            .body(http_body_util::Full::new(bytes::Bytes::new()))
            .unwrap();
        let resp = server.service().oneshot(req).await.unwrap();
        let code = resp.status().as_u16();
        let warnings = resp
            .headers()
            .get_all("warning")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .collect();
        let _ = resp.into_body().collect().await;
        (code, warnings)
    }

    #[tokio::test]
    async fn deprecated_versions_warn_on_every_request() {
        let server = FakeApiServer::new().with_crd(gadget_crd());
        let (code, _) = raw(
            &server,
            "POST",
            "/apis/dep.kgen.dev/v1/namespaces/default/gadgets",
            &[("content-type", "application/json")],
            r#"{"apiVersion":"dep.kgen.dev/v1","kind":"Gadget","metadata":{"name":"g"}}"#,
        )
        .await;
        assert_eq!(code, 201);

        let path = |v: &str| format!("/apis/dep.kgen.dev/{v}/namespaces/default/gadgets/g");
        assert_eq!(warnings(&server, &path("v1")).await, (200, vec![]));
        // The default text recommends the newest served version that is not deprecated and
        // ranks above: v1 (GA), not v2alpha1.
        assert_eq!(
            warnings(&server, &path("v1beta1")).await,
            (
                200,
                vec!["299 - \"dep.kgen.dev/v1beta1 Gadget is deprecated; use dep.kgen.dev/v1 Gadget\"".to_string()]
            )
        );
        assert_eq!(
            warnings(&server, &path("v1alpha1")).await,
            (200, vec!["299 - \"v1alpha1 goes away in 2027\"".to_string()])
        );
        let list = "/apis/dep.kgen.dev/v1beta1/namespaces/default/gadgets";
        assert_eq!(warnings(&server, list).await.1.len(), 1, "lists warn too");
    }
}
