//! What the server refuses by default, as a real API server does, and the opt-outs: namespaces
//! that must exist, request bodies that must carry `apiVersion` and `kind`, and the field
//! manager a write without `fieldManager` is recorded under.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, Patch, PatchParams, PostParams};
    use serde_json::{Value, json};

    fn status_of(body: &Value) -> (String, String) {
        (
            body["reason"].as_str().unwrap_or("").to_string(),
            body["message"].as_str().unwrap_or("").to_string(),
        )
    }

    // -----------------------------------------------------------------------------------------
    // Namespaces

    #[tokio::test]
    async fn a_missing_namespace_is_404_by_default() {
        for server in [
            FakeApiServer::new(),
            // What the generated `fake_api_server()` calls.
            <FakeApiServer as kgen_runtime::FromCrds>::from_crds(Vec::new()),
        ] {
            let api: Api<ConfigMap> = Api::namespaced(server.client(), "x");
            let e = api_error(api.create(&PostParams::default(), &cm("a", &[])).await);
            assert_eq!(e.code, 404);
            assert_eq!(e.reason, "NotFound");
            assert_eq!(e.message, "namespaces \"x\" not found");
            let d = e.details.expect("details");
            assert_eq!(
                (d.name.as_str(), d.kind.as_str(), d.group.as_str()),
                ("x", "namespaces", "")
            );
        }
    }

    #[tokio::test]
    async fn the_namespace_is_checked_before_validation_and_by_insert() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "nowhere");
        // An invalid widget (no such color) in a missing namespace: the namespace comes first.
        let e = api_error(api.create(&PostParams::default(), &widget("w", "purple")).await);
        assert_eq!((e.code, e.message.as_str()), (404, "namespaces \"nowhere\" not found"));
        let e = server
            .insert(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "nowhere"}}))
            .unwrap_err();
        assert!(e.to_string().contains("namespaces \"nowhere\" not found"), "{e}");
        // Once the namespace exists, both work.
        namespaces(&server, &["nowhere"]);
        api.create(&PostParams::default(), &widget("w", "red")).await.unwrap();
        server
            .insert(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "nowhere"}}))
            .unwrap();
    }

    #[tokio::test]
    async fn lenient_namespaces_are_an_explicit_opt_out() {
        let server = FakeApiServer::new().with_strict_namespaces(false);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "x");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        assert!(server.get_json("configmaps", Some("x"), "a").is_some());
    }

    // -----------------------------------------------------------------------------------------
    // apiVersion and kind

    const WIDGETS: &str = "/apis/kgen.dev/v1/namespaces/default/widgets";
    const JSON: (&str, &str) = ("content-type", "application/json");

    #[tokio::test]
    async fn a_custom_resource_without_kind_is_a_400() {
        let server = server();
        let body = r#"{"apiVersion":"kgen.dev/v1","metadata":{"name":"w"},"spec":{"color":"red"}}"#;
        let (code, s) = raw(&server, "POST", WIDGETS, &[JSON], body).await;
        assert_eq!(code, 400);
        assert_eq!(
            status_of(&s),
            (
                "BadRequest".into(),
                format!(
                    "the object provided is unrecognized (must be of type Widget): Object 'Kind' is missing in '{body}' ({} ...)",
                    &body[..30]
                )
            )
        );
        // The same for a replace.
        server.insert(json!({"apiVersion": "kgen.dev/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"color": "red"}})).unwrap();
        let (code, s) = raw(&server, "PUT", &format!("{WIDGETS}/w"), &[JSON], body).await;
        assert_eq!(code, 400);
        assert!(status_of(&s).1.contains("Object 'Kind' is missing in"), "{s}");
    }

    #[tokio::test]
    async fn a_custom_resource_without_or_with_another_api_version_is_a_400() {
        let server = server();
        for (body, shown) in [
            (
                r#"{"kind":"Widget","metadata":{"name":"w"},"spec":{"color":"red"}}"#,
                "",
            ),
            (
                r#"{"apiVersion":"kgen.dev/v2","kind":"Widget","metadata":{"name":"w"},"spec":{"color":"red"}}"#,
                "kgen.dev/v2",
            ),
        ] {
            let (code, s) = raw(&server, "POST", WIDGETS, &[JSON], body).await;
            assert_eq!(code, 400);
            assert_eq!(
                status_of(&s),
                (
                    "BadRequest".into(),
                    format!(
                        "the API version in the data ({shown}) does not match the expected API version (kgen.dev/v1)"
                    )
                )
            );
        }
    }

    #[tokio::test]
    async fn a_custom_resource_of_another_kind_is_a_422() {
        let server = server();
        let body = r#"{"apiVersion":"kgen.dev/v1","kind":"Gadget","metadata":{"name":"w"},"spec":{"color":"red"}}"#;
        let (code, s) = raw(&server, "POST", WIDGETS, &[JSON], body).await;
        assert_eq!(code, 422);
        assert_eq!(
            status_of(&s),
            (
                "Invalid".into(),
                "Gadget.kgen.dev \"w\" is invalid: kind: Invalid value: \"Gadget\": must be Widget".into()
            )
        );
        assert_eq!(s["details"]["causes"][0]["field"], "kind");
        assert_eq!(s["details"]["causes"][0]["reason"], "FieldValueInvalid");
    }

    #[tokio::test]
    async fn a_patch_that_changes_the_kind_is_a_422() {
        let server = server();
        server.insert(json!({"apiVersion": "kgen.dev/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"color": "red"}})).unwrap();
        let merge = ("content-type", "application/merge-patch+json");
        let (code, s) = raw(
            &server,
            "PATCH",
            &format!("{WIDGETS}/w"),
            &[merge],
            r#"{"kind":"Gadget"}"#,
        )
        .await;
        assert_eq!(code, 422);
        assert_eq!(
            status_of(&s),
            (
                "Invalid".into(),
                "Gadget.kgen.dev \"w\" is invalid: kind: Invalid value: \"Gadget\": must be Widget".into()
            )
        );
    }

    #[tokio::test]
    async fn built_in_kinds_default_kind_and_api_version_from_the_url() {
        let server = FakeApiServer::new();
        let path = "/api/v1/namespaces/default/configmaps";
        let (code, created) = raw(
            &server,
            "POST",
            path,
            &[JSON],
            r#"{"metadata":{"name":"c"},"data":{"a":"1"}}"#,
        )
        .await;
        assert_eq!(code, 201, "{created}");
        assert_eq!(
            (created["apiVersion"].as_str(), created["kind"].as_str()),
            (Some("v1"), Some("ConfigMap"))
        );
        // Another kind of the group cannot be converted.
        let (code, s) = raw(
            &server,
            "POST",
            path,
            &[JSON],
            r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}"#,
        )
        .await;
        assert_eq!(code, 400);
        assert_eq!(
            status_of(&s).1,
            "Secret in version \"v1\" cannot be handled as a ConfigMap: converting (v1.Secret) to (core.ConfigMap): unknown conversion"
        );
    }

    #[tokio::test]
    async fn server_side_apply_must_name_the_urls_type() {
        let server = server();
        let apply = ("content-type", "application/apply-patch+yaml");
        let path = format!("{WIDGETS}/w?fieldManager=test");
        for (body, message) in [
            (
                r#"{"kind":"Widget","metadata":{"name":"w"},"spec":{"color":"red"}}"#,
                "invalid object type: /, Kind=Widget",
            ),
            (
                r#"{"apiVersion":"kgen.dev/v1","metadata":{"name":"w"},"spec":{"color":"red"}}"#,
                "invalid object type: kgen.dev/v1, Kind=",
            ),
            (
                r#"{"apiVersion":"kgen.dev/v2","kind":"Widget","metadata":{"name":"w"}}"#,
                "invalid object type: kgen.dev/v2, Kind=Widget",
            ),
        ] {
            let (code, s) = raw(&server, "PATCH", &path, &[apply], body).await;
            assert_eq!(code, 400, "{s}");
            assert_eq!(status_of(&s), ("BadRequest".into(), message.into()));
        }
        let ok = r#"{"apiVersion":"kgen.dev/v1","kind":"Widget","metadata":{"name":"w"},"spec":{"color":"red"}}"#;
        assert_eq!(raw(&server, "PATCH", &path, &[apply], ok).await.0, 201);
    }

    #[tokio::test]
    async fn lenient_type_meta_is_an_explicit_opt_out() {
        let server = server().with_strict_type_meta(false);
        let body = r#"{"metadata":{"name":"w"},"spec":{"color":"red"}}"#;
        let (code, created) = raw(&server, "POST", WIDGETS, &[JSON], body).await;
        assert_eq!(code, 201, "{created}");
        assert_eq!(created["kind"], "Widget");
    }

    // -----------------------------------------------------------------------------------------
    // Field managers

    fn managers(obj: &Value) -> Vec<String> {
        obj["metadata"]["managedFields"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|e| e["manager"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    #[tokio::test]
    async fn kubes_client_sends_no_user_agent_so_the_manager_is_unknown() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        let stored = server.get_json("configmaps", Some("default"), "a").unwrap();
        assert_eq!(managers(&stored), ["unknown"]);
        // A fieldManager wins.
        let pp = PostParams {
            field_manager: Some("my-controller".into()),
            ..Default::default()
        };
        api.create(&pp, &cm("b", &[])).await.unwrap();
        let stored = server.get_json("configmaps", Some("default"), "b").unwrap();
        assert_eq!(managers(&stored), ["my-controller"]);
    }

    #[tokio::test]
    async fn the_manager_is_the_user_agent_before_the_first_slash() {
        let server = FakeApiServer::new();
        let (addr, handle) = server.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let mut config = kube::Config::new(format!("http://{addr}").parse().unwrap());
        config.headers.push((
            http::header::USER_AGENT,
            http::HeaderValue::from_static("my-operator/v1.2.3 (linux/amd64) kgen/abc"),
        ));
        let client = kube::Client::try_from(config).unwrap();
        let api: Api<ConfigMap> = Api::namespaced(client, "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        api.patch(
            "a",
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"more": "x"}})),
        )
        .await
        .unwrap();
        let stored = server.get_json("configmaps", Some("default"), "a").unwrap();
        assert_eq!(managers(&stored), ["my-operator"]);
        handle.shutdown().await;

        // Non-printable characters are dropped, and at most 128 bytes kept.
        let long = format!("a\tb{}/1.0", "c".repeat(200));
        let body = r#"{"metadata":{"name":"long"},"data":{"a":"1"}}"#;
        let (code, created) = raw(
            &server,
            "POST",
            "/api/v1/namespaces/default/configmaps",
            &[JSON, ("user-agent", &long)],
            body,
        )
        .await;
        assert_eq!(code, 201);
        assert_eq!(managers(&created), [format!("ab{}", "c".repeat(126))]);
    }

    #[tokio::test]
    async fn insert_records_no_managed_fields() {
        let server = FakeApiServer::new();
        let stored = server
            .insert(json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}}))
            .unwrap();
        assert!(stored["metadata"].get("managedFields").is_none(), "{stored}");
    }
}
