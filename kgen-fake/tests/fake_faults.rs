//! Recorded actions, injected failures and latency.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
    use serde_json::json;
    use std::time::{Duration, Instant};

    #[tokio::test]
    async fn actions_are_recorded() {
        let server = server();
        namespaces(&server, &["ns"]);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "ns");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        api.get("a").await.unwrap();
        api.list(&ListParams::default()).await.unwrap();
        let widgets: Api<Widget> = Api::namespaced(server.client(), "ns");
        widgets
            .create(&PostParams::default(), &widget("w", "red"))
            .await
            .unwrap();
        widgets
            .patch_status(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"ready": true}})),
            )
            .await
            .unwrap();
        type Row = (String, String, Option<String>, Option<String>, Option<String>);
        let got: Vec<Row> = server
            .actions()
            .into_iter()
            .map(|a| (a.verb, a.resource, a.namespace, a.name, a.subresource))
            .collect();
        let s = |x: &str| Some(x.to_string());
        assert_eq!(
            got,
            vec![
                ("create".into(), "configmaps".into(), s("ns"), None, None),
                ("get".into(), "configmaps".into(), s("ns"), s("a"), None),
                ("list".into(), "configmaps".into(), s("ns"), None, None),
                ("create".into(), "widgets".into(), s("ns"), None, None),
                ("patch".into(), "widgets".into(), s("ns"), s("w"), s("status")),
            ]
        );
        let create = &server.actions()[0];
        assert_eq!(create.body.as_ref().unwrap()["metadata"]["name"], "a");
        assert_eq!(server.actions()[3].group, "kgen.dev");
        server.clear_actions();
        assert!(server.actions().is_empty());
    }

    #[tokio::test]
    async fn fail_next_injects_errors() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        server.fail_next("get", "configmaps", 2, 503);
        for _ in 0..2 {
            let e = api_error(api.get("a").await);
            assert_eq!(e.code, 503);
            assert_eq!(e.reason, "ServiceUnavailable");
        }
        assert!(api.get("a").await.is_ok());
        // Other verbs are not affected.
        server.fail_next("update", "configmaps", 1, 500);
        assert!(api.list(&ListParams::default()).await.is_ok());
        // Failed calls are recorded and do not change anything.
        let before = server.resource_version();
        let c = api.get("a").await.unwrap();
        assert_eq!(api_error(api.replace("a", &PostParams::default(), &c).await).code, 500);
        assert_eq!(server.resource_version(), before);
        let verbs: Vec<String> = server.actions().into_iter().map(|a| a.verb).collect();
        assert_eq!(verbs.iter().filter(|v| *v == "get").count(), 4);
        assert_eq!(verbs.last().unwrap(), "update");
    }

    #[tokio::test]
    async fn faults_can_target_a_subresource() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &widget("w", "red")).await.unwrap();
        server.fail_next("patch", "widgets/status", 1, 409);
        api.patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})),
        )
        .await
        .unwrap();
        let e = api_error(
            api.patch_status(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"ready": true}})),
            )
            .await,
        );
        assert_eq!(e.code, 409);
        assert!(e.is_conflict());
        api.patch_status(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"ready": true}})),
        )
        .await
        .unwrap();
        // `*` matches everything.
        server.fail_next("*", "*", 1, 429);
        assert_eq!(api_error(api.get("w").await).code, 429);
    }

    #[tokio::test]
    async fn latency_delays_requests() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        server.latency(Duration::from_millis(150));
        let t = Instant::now();
        let _ = api.get_opt("a").await.unwrap();
        assert!(t.elapsed() >= Duration::from_millis(150), "{:?}", t.elapsed());
        server.latency(Duration::ZERO);
        let t = Instant::now();
        let _ = api.get_opt("a").await.unwrap();
        assert!(t.elapsed() < Duration::from_millis(150), "{:?}", t.elapsed());
    }
}
