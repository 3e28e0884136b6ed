//! Merge patch, JSON patch (with `test` operations) and server-side apply with `managedFields`.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, Patch, PatchParams, PostParams};
    use serde_json::{Value, json};

    fn data(c: &ConfigMap) -> Vec<(String, String)> {
        c.data.clone().unwrap_or_default().into_iter().collect()
    }

    fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[tokio::test]
    async fn merge_patch_adds_and_removes_keys() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        let p = api
            .patch(
                "a",
                &PatchParams::default(),
                &Patch::Merge(json!({"data": {"n": "1", "k": null}})),
            )
            .await
            .unwrap();
        assert_eq!(data(&p), kv(&[("n", "1")]));
        let action = server.actions().pop().unwrap();
        assert_eq!(action.verb, "patch");
        assert_eq!(action.patch_type.as_deref(), Some("merge"));

        let missing = api_error(
            api.patch("nope", &PatchParams::default(), &Patch::Merge(json!({"data": {}})))
                .await,
        );
        assert_eq!(missing.code, 404);
    }

    fn json_patch(v: Value) -> Patch<()> {
        Patch::Json(serde_json::from_value(v).unwrap())
    }

    #[tokio::test]
    async fn json_patch_honours_test_operations() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        let mut c = cm("a", &[]);
        c.metadata.finalizers = Some(vec!["one".into(), "two".into()]);
        let created = api.create(&PostParams::default(), &c).await.unwrap();

        // A failing test leaves the object alone: 422.
        let e = api_error(
            api.patch(
                "a",
                &PatchParams::default(),
                &json_patch(json!([
                    {"op": "test", "path": "/metadata/finalizers/0", "value": "two"},
                    {"op": "remove", "path": "/metadata/finalizers/0"}
                ])),
            )
            .await,
        );
        assert_eq!(e.code, 422);
        let unchanged = api.get("a").await.unwrap();
        assert_eq!(unchanged.metadata.finalizers, created.metadata.finalizers);
        assert_eq!(unchanged.metadata.resource_version, created.metadata.resource_version);

        // A passing test applies the rest.
        let p = api
            .patch(
                "a",
                &PatchParams::default(),
                &json_patch(json!([
                    {"op": "test", "path": "/metadata/finalizers/0", "value": "one"},
                    {"op": "remove", "path": "/metadata/finalizers/0"},
                    {"op": "add", "path": "/data/extra", "value": "x"}
                ])),
            )
            .await
            .unwrap();
        assert_eq!(p.metadata.finalizers, Some(vec!["two".to_string()]));
        assert_eq!(p.data.unwrap()["extra"], "x");
        assert_eq!(server.actions().last().unwrap().patch_type.as_deref(), Some("json"));

        // `test` of a missing path against null succeeds, as in the API server.
        let mut plain = cm("b", &[]);
        plain.data = None;
        api.create(&PostParams::default(), &plain).await.unwrap();
        let p = api
            .patch(
                "b",
                &PatchParams::default(),
                &json_patch(json!([
                    {"op": "test", "path": "/metadata/finalizers", "value": null},
                    {"op": "add", "path": "/metadata/finalizers", "value": ["f"]}
                ])),
            )
            .await
            .unwrap();
        assert_eq!(p.metadata.finalizers, Some(vec!["f".to_string()]));
    }

    fn managed(server: &FakeApiServer, resource: &str, name: &str) -> Vec<Value> {
        server.get_json(resource, Some("default"), name).unwrap()["metadata"]["managedFields"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn server_side_apply_creates_merges_and_tracks_managers() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        let apply = |mgr: &str| PatchParams::apply(mgr);

        // Apply creates.
        let first = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s", "labels": {"app": "x"}}, "data": {"a": "1", "b": "2"}});
        let c = api.patch("s", &apply("alice"), &Patch::Apply(&first)).await.unwrap();
        assert_eq!(data(&c), kv(&[("a", "1"), ("b", "2")]));
        let mf = managed(&server, "configmaps", "s");
        assert_eq!(mf.len(), 1);
        assert_eq!(mf[0]["manager"], "alice");
        assert_eq!(mf[0]["operation"], "Apply");
        assert_eq!(mf[0]["fieldsType"], "FieldsV1");
        assert_eq!(
            mf[0]["fieldsV1"],
            json!({"f:data": {"f:a": {}, "f:b": {}}, "f:metadata": {"f:labels": {"f:app": {}}}})
        );

        // Another manager applies a different field: both are kept.
        let bob = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}, "data": {"c": "3"}});
        let c = api.patch("s", &apply("bob"), &Patch::Apply(&bob)).await.unwrap();
        assert_eq!(data(&c), kv(&[("a", "1"), ("b", "2"), ("c", "3")]));
        assert_eq!(managed(&server, "configmaps", "s").len(), 2);

        // Bob changing Alice's field conflicts...
        let steal =
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}, "data": {"c": "3", "a": "9"}});
        let e = api_error(api.patch("s", &apply("bob"), &Patch::Apply(&steal)).await);
        assert_eq!(e.code, 409);
        assert!(e.message.contains("conflict with \"alice\""), "{}", e.message);
        assert_eq!(e.details.unwrap().causes[0].field, ".data.a");
        // ... unless forced, which moves the field to Bob.
        let c = api
            .patch("s", &apply("bob").force(), &Patch::Apply(&steal))
            .await
            .unwrap();
        assert_eq!(c.data.as_ref().unwrap()["a"], "9");
        let mf = managed(&server, "configmaps", "s");
        let alice = mf.iter().find(|m| m["manager"] == "alice").unwrap();
        assert_eq!(alice["fieldsV1"]["f:data"], json!({"f:b": {}}));

        // Alice stops applying `b`: it is removed (nobody else owns it); `a` is Bob's and stays.
        let fewer = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s", "labels": {"app": "x"}}});
        let c = api.patch("s", &apply("alice"), &Patch::Apply(&fewer)).await.unwrap();
        assert_eq!(data(&c), kv(&[("a", "9"), ("c", "3")]));

        // A new manager applying a value that is already there shares the field: a change of
        // managedFields (a new resourceVersion), not of data.
        let carol = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s"}, "data": {"c": "3"}});
        let before = c.metadata.resource_version.clone();
        let c = api.patch("s", &apply("carol"), &Patch::Apply(&carol)).await.unwrap();
        assert_ne!(c.metadata.resource_version, before);
        let mf = managed(&server, "configmaps", "s");
        let owners: Vec<&str> = mf
            .iter()
            .filter(|m| m["fieldsV1"]["f:data"].get("f:c").is_some())
            .map(|m| m["manager"].as_str().unwrap())
            .collect();
        assert_eq!(owners, vec!["bob", "carol"]);

        // Applying the same configuration again changes nothing.
        let rv_before = c.metadata.resource_version.clone();
        let c = api.patch("s", &apply("alice"), &Patch::Apply(&fewer)).await.unwrap();
        assert_eq!(c.metadata.resource_version, rv_before);

        // A fieldManager is required.
        let e = api_error(api.patch("s", &PatchParams::default(), &Patch::Apply(&fewer)).await);
        assert_eq!(e.code, 400);
    }

    #[tokio::test]
    async fn updates_are_recorded_in_managed_fields() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        let pp = PostParams {
            field_manager: Some("creator".into()),
            ..Default::default()
        };
        api.create(&pp, &cm("u", &[])).await.unwrap();
        let mf = managed(&server, "configmaps", "u");
        assert_eq!(mf.len(), 1);
        assert_eq!(mf[0]["manager"], "creator");
        assert_eq!(mf[0]["operation"], "Update");
        assert_eq!(mf[0]["fieldsV1"], json!({"f:data": {"f:k": {}}}));

        let patcher = PatchParams {
            field_manager: Some("patcher".into()),
            ..Default::default()
        };
        api.patch("u", &patcher, &Patch::Merge(json!({"data": {"k": "changed"}})))
            .await
            .unwrap();
        let mf = managed(&server, "configmaps", "u");
        assert_eq!(mf.len(), 1, "the changed field moved to the patcher: {mf:?}");
        assert_eq!(mf[0]["manager"], "patcher");
    }

    #[tokio::test]
    async fn apply_merges_list_maps_and_sets_of_custom_resources() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let a = json!({
            "apiVersion": "kgen.dev/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"color": "red", "ports": [{"port": 80, "name": "http"}], "tags": ["a"]}
        });
        api.patch("w", &PatchParams::apply("a"), &Patch::Apply(&a))
            .await
            .unwrap();
        let b = json!({
            "apiVersion": "kgen.dev/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"color": "red", "ports": [{"port": 90, "name": "metrics"}], "tags": ["b"]}
        });
        let w = api
            .patch("w", &PatchParams::apply("b"), &Patch::Apply(&b))
            .await
            .unwrap();
        let ports: Vec<i64> = w.spec.ports.iter().map(|p| p.port).collect();
        assert_eq!(ports, vec![80, 90]);
        assert_eq!(w.spec.tags, vec!["a", "b"]);
        assert_eq!(w.spec.replicas, Some(1), "defaults apply to applied objects");
        let mf = managed(&server, "widgets", "w");
        let b_fields = &mf.iter().find(|m| m["manager"] == "b").unwrap()["fieldsV1"];
        assert!(
            b_fields["f:spec"]["f:ports"].get("k:{\"port\":90}").is_some(),
            "{b_fields}"
        );

        // Status in a main-resource apply is ignored (status subresource).
        let with_status = json!({
            "apiVersion": "kgen.dev/v1", "kind": "Widget", "metadata": {"name": "w"},
            "spec": {"color": "red"}, "status": {"ready": true}
        });
        let w = api
            .patch("w", &PatchParams::apply("c"), &Patch::Apply(&with_status))
            .await
            .unwrap();
        assert_eq!(w.status, None);
        // Applying to /status sets it.
        let w = api
            .patch_status("w", &PatchParams::apply("c"), &Patch::Apply(&with_status))
            .await
            .unwrap();
        assert_eq!(w.status.unwrap().ready, Some(true));
    }

    #[tokio::test]
    async fn strategic_merge_patch_is_for_built_in_kinds_only() {
        let server = server();
        let cms: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        cms.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        let c = cms
            .patch(
                "a",
                &PatchParams::default(),
                &Patch::Strategic(json!({"data": {"s": "1"}})),
            )
            .await
            .unwrap();
        assert_eq!(c.data.unwrap()["s"], "1");
        let widgets: Api<Widget> = Api::namespaced(server.client(), "default");
        widgets
            .create(&PostParams::default(), &widget("w", "red"))
            .await
            .unwrap();
        let e = api_error(
            widgets
                .patch(
                    "w",
                    &PatchParams::default(),
                    &Patch::Strategic(json!({"spec": {"replicas": 2}})),
                )
                .await,
        );
        assert_eq!(e.code, 415);
    }
}
