//! Validation of custom resources against their CRD: 422 with field paths, defaults, pruning,
//! CEL rules (including a transition rule), strict field validation.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use kube::api::{
        Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams, ValidationDirective,
    };
    use serde_json::json;

    fn causes(s: &kube::core::Status) -> Vec<(String, String, String)> {
        s.details
            .as_ref()
            .map(|d| {
                d.causes
                    .iter()
                    .map(|c| (c.reason.clone(), c.field.clone(), c.message.clone()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn dynamic(server: &FakeApiServer) -> Api<DynamicObject> {
        let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("kgen.dev", "v1", "Widget"));
        Api::namespaced_with(server.client(), "default", &ar)
    }

    fn obj(v: serde_json::Value) -> DynamicObject {
        serde_json::from_value(v).unwrap()
    }

    #[tokio::test]
    async fn openapi_violations_are_422_with_field_paths() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let mut w = widget("w", "red");
        w.spec.size = Some(0);
        let e = api_error(api.create(&PostParams::default(), &w).await);
        assert_eq!(e.code, 422);
        assert_eq!(e.reason, "Invalid");
        assert!(e.is_invalid());
        let c = causes(&e);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].0, "FieldValueInvalid");
        assert_eq!(c[0].1, "spec.size");
        assert!(c[0].2.contains("greater than or equal to 1"), "{}", c[0].2);
        assert!(
            e.message.starts_with("Widget.kgen.dev \"w\" is invalid: spec.size"),
            "{}",
            e.message
        );

        let e = api_error(api.create(&PostParams::default(), &widget("w", "purple")).await);
        let c = causes(&e);
        assert_eq!(
            (c[0].0.as_str(), c[0].1.as_str()),
            ("FieldValueNotSupported", "spec.color")
        );

        let missing = dynamic(&server);
        let e = api_error(
            missing
                .create(
                    &PostParams::default(),
                    &obj(json!({"apiVersion": "kgen.dev/v1", "kind": "Widget", "metadata": {"name": "m"}, "spec": {}})),
                )
                .await,
        );
        let c = causes(&e);
        assert_eq!((c[0].0.as_str(), c[0].1.as_str()), ("FieldValueRequired", "spec.color"));
        assert!(
            server.list_json("widgets", None).is_empty(),
            "nothing invalid was stored"
        );
    }

    #[tokio::test]
    async fn defaults_are_applied() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let w = api.create(&PostParams::default(), &widget("w", "red")).await.unwrap();
        assert_eq!(w.spec.replicas, Some(1));
        assert_eq!(w.spec.size, Some(3));
        // Given values are kept.
        let mut x = widget("x", "red");
        x.spec.size = Some(8);
        assert_eq!(api.create(&PostParams::default(), &x).await.unwrap().spec.size, Some(8));
        // `null` for a non-nullable field is dropped, then defaulted (not a type error).
        let nulls = dynamic(&server)
            .create(
                &PostParams::default(),
                &obj(
                    json!({"apiVersion": "kgen.dev/v1", "kind": "Widget", "metadata": {"name": "n"},
                    "spec": {"color": "red", "size": null, "tags": null}}),
                ),
            )
            .await
            .unwrap();
        assert_eq!(nulls.data["spec"]["size"], 3);
        assert_eq!(nulls.data["spec"].get("tags"), None);
        // Defaults also fill fields removed by a patch.
        let p = api
            .patch(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"size": null}})),
            )
            .await
            .unwrap();
        assert_eq!(p.spec.size, Some(3));
    }

    #[tokio::test]
    async fn unknown_fields_are_pruned() {
        let server = server();
        let api = dynamic(&server);
        let created = api
            .create(
                &PostParams::default(),
                &obj(json!({
                    "apiVersion": "kgen.dev/v1", "kind": "Widget",
                    "metadata": {"name": "p", "labels": {"keep": "me"}},
                    "spec": {"color": "red", "bogus": 1, "ports": [{"port": 1, "extra": true}]},
                    "topLevel": "x"
                })),
            )
            .await
            .unwrap();
        assert_eq!(created.data["spec"].get("bogus"), None);
        assert_eq!(created.data["spec"]["ports"], json!([{"port": 1}]));
        assert_eq!(created.data.get("topLevel"), None);
        let stored = server.get_json("widgets", Some("default"), "p").unwrap();
        assert_eq!(
            stored["spec"],
            json!({"color": "red", "ports": [{"port": 1}], "replicas": 1, "size": 3})
        );
        assert_eq!(stored["metadata"]["labels"]["keep"], "me");
    }

    #[tokio::test]
    async fn strict_field_validation_rejects_unknown_fields() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &widget("w", "red")).await.unwrap();
        let strict = PatchParams {
            field_validation: Some(ValidationDirective::Strict),
            ..Default::default()
        };
        let e = api_error(
            api.patch("w", &strict, &Patch::Merge(json!({"spec": {"bogus": 1}})))
                .await,
        );
        assert_eq!(e.code, 400);
        assert!(e.message.contains("unknown field \"spec.bogus\""), "{}", e.message);
        // The default (Warn) prunes.
        api.patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"bogus": 1}})),
        )
        .await
        .unwrap();
        assert!(
            server.get_json("widgets", Some("default"), "w").unwrap()["spec"]
                .get("bogus")
                .is_none()
        );
    }

    #[tokio::test]
    async fn cel_rules_are_evaluated() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let mut w = widget("w", "red");
        w.spec.replicas = Some(-1);
        let e = api_error(api.create(&PostParams::default(), &w).await);
        assert_eq!(e.code, 422);
        let c = causes(&e);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].1, "spec");
        assert!(c[0].2.contains("replicas must not be negative"), "{}", c[0].2);

        // The transition rule (`oldSelf`) only applies to updates.
        api.create(&PostParams::default(), &widget("w", "red")).await.unwrap();
        let e = api_error(
            api.patch(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"color": "blue"}})),
            )
            .await,
        );
        assert_eq!(e.code, 422);
        assert!(causes(&e)[0].2.contains("color is immutable"));
        assert_eq!(api.get("w").await.unwrap().spec.color, "red");
        // An update that keeps the color passes.
        api.patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 2}})),
        )
        .await
        .unwrap();
    }

    #[tokio::test]
    async fn status_writes_are_validated_too() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &widget("w", "red")).await.unwrap();
        let e = api_error(
            api.patch_status(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"replicas": "many"}})),
            )
            .await,
        );
        assert_eq!(e.code, 422);
        assert_eq!(causes(&e)[0].1, "status.replicas");
    }

    #[tokio::test]
    async fn crds_created_through_the_api_are_served() {
        let server = FakeApiServer::new();
        let crds: Api<k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition> =
            Api::all(server.client());
        let crd = serde_json::from_value(widget_crd()).unwrap();
        crds.create(&PostParams::default(), &crd).await.unwrap();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let w = api.create(&PostParams::default(), &widget("w", "red")).await.unwrap();
        assert_eq!(w.spec.size, Some(3));
        crds.delete("widgets.kgen.dev", &Default::default()).await.unwrap();
        assert_eq!(api_error(api.get("w").await).code, 404);
    }
}
