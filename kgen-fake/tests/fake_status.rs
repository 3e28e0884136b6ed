//! `metadata.generation`, and the status and scale subresources.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use k8s_openapi::api::apps::v1::Deployment;
    use kube::api::{Api, Patch, PatchParams, PostParams};
    use serde_json::json;

    #[tokio::test]
    async fn generation_is_bumped_only_by_spec_changes() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let w = api.create(&PostParams::default(), &widget("w", "red")).await.unwrap();
        assert_eq!(w.metadata.generation, Some(1));

        let labelled = api
            .patch(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"labels": {"a": "b"}}})),
            )
            .await
            .unwrap();
        assert_eq!(
            labelled.metadata.generation,
            Some(1),
            "metadata changes keep the generation"
        );
        assert!(rv(&labelled.metadata) > rv(&w.metadata));

        let with_status = api
            .patch_status(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"ready": true}})),
            )
            .await
            .unwrap();
        assert_eq!(
            with_status.metadata.generation,
            Some(1),
            "status changes keep the generation"
        );

        let scaled = api
            .patch(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": 5}})),
            )
            .await
            .unwrap();
        assert_eq!(scaled.metadata.generation, Some(2));

        let again = api
            .patch(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": 5}})),
            )
            .await
            .unwrap();
        assert_eq!(again.metadata.generation, Some(2), "a no-op patch is not a change");
        assert_eq!(again.metadata.resource_version, scaled.metadata.resource_version);
    }

    #[tokio::test]
    async fn built_in_generation_follows_spec() {
        let server = FakeApiServer::new();
        let api: Api<Deployment> = Api::namespaced(server.client(), "default");
        let mut d = Deployment::default();
        d.metadata.name = Some("d".into());
        let d = api.create(&PostParams::default(), &d).await.unwrap();
        assert_eq!(d.metadata.generation, Some(1));
        let d2 = api
            .patch(
                "d",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"annotations": {"x": "y"}}})),
            )
            .await
            .unwrap();
        assert_eq!(d2.metadata.generation, Some(1));
        let d3 = api
            .patch(
                "d",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": 2}})),
            )
            .await
            .unwrap();
        assert_eq!(d3.metadata.generation, Some(2));
    }

    #[tokio::test]
    async fn status_subresource_isolation() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");

        // A create cannot set status.
        let mut w = widget("w", "red");
        w.status = Some(WidgetStatus {
            ready: Some(true),
            ..Default::default()
        });
        let created = api.create(&PostParams::default(), &w).await.unwrap();
        assert_eq!(created.status, None);

        // A main-resource write cannot change status.
        let mut main = created.clone();
        main.spec.replicas = Some(2);
        main.status = Some(WidgetStatus {
            message: Some("from main".into()),
            ..Default::default()
        });
        let after_main = api.replace("w", &PostParams::default(), &main).await.unwrap();
        assert_eq!(after_main.spec.replicas, Some(2));
        assert_eq!(after_main.status, None);

        // A status write changes only status.
        let mut st = after_main.clone();
        st.spec.replicas = Some(9);
        st.metadata.labels = Some([("ignored".to_string(), "yes".to_string())].into_iter().collect());
        st.status = Some(WidgetStatus {
            message: Some("from status".into()),
            ..Default::default()
        });
        let after_status = api.replace_status("w", &PostParams::default(), &st).await.unwrap();
        assert_eq!(after_status.spec.replicas, Some(2));
        assert_eq!(after_status.metadata.labels, None);
        assert_eq!(
            after_status.status.as_ref().unwrap().message.as_deref(),
            Some("from status")
        );
        assert_eq!(after_status.metadata.generation, after_main.metadata.generation);

        // A merge patch of the main resource keeps status too.
        let patched = api
            .patch(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"status": {"message": "nope"}})),
            )
            .await
            .unwrap();
        assert_eq!(patched.status.unwrap().message.as_deref(), Some("from status"));

        // Status writes need a current resourceVersion like any update.
        let stale = api_error(api.replace_status("w", &PostParams::default(), &st).await);
        assert_eq!(stale.code, 409);

        let stored = server.get_json("widgets", Some("default"), "w").unwrap();
        assert_eq!(stored["status"]["message"], "from status");
    }

    #[tokio::test]
    async fn scale_subresource_reads_and_writes_replica_paths() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let mut w = widget("w", "green");
        w.spec.replicas = Some(2);
        api.create(&PostParams::default(), &w).await.unwrap();
        api.patch_status(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"replicas": 1}})),
        )
        .await
        .unwrap();

        let scale = api.get_scale("w").await.unwrap();
        assert_eq!(scale.spec.as_ref().unwrap().replicas, Some(2));
        assert_eq!(scale.status.as_ref().unwrap().replicas, 1);
        assert_eq!(scale.metadata.name.as_deref(), Some("w"));

        let scaled = api
            .patch_scale(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"replicas": 7}})),
            )
            .await
            .unwrap();
        assert_eq!(scaled.spec.unwrap().replicas, Some(7));
        let got = api.get("w").await.unwrap();
        assert_eq!(got.spec.replicas, Some(7));
        assert_eq!(got.metadata.generation, Some(2));
        assert_eq!(got.status.unwrap().replicas, Some(1), "scale does not touch status");

        let mut s = api.get_scale("w").await.unwrap();
        s.spec.as_mut().unwrap().replicas = Some(3);
        let replaced = api.replace_scale("w", &PostParams::default(), &s).await.unwrap();
        assert_eq!(replaced.spec.unwrap().replicas, Some(3));
        // The old Scale's resourceVersion is stale now.
        let stale = api_error(api.replace_scale("w", &PostParams::default(), &s).await);
        assert_eq!(stale.code, 409);
        assert_eq!(
            server.get_json("widgets", Some("default"), "w").unwrap()["spec"]["replicas"],
            3
        );
    }

    #[tokio::test]
    async fn unknown_subresources_are_not_found() {
        let server = FakeApiServer::new();
        let api: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        let e = api_error(api.get_status("a").await);
        assert_eq!(e.code, 404);
    }
}
