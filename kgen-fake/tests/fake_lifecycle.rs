//! Finalizers and `deletionTimestamp`, cascading deletion by owner reference, orphaning, and
//! namespace deletion.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
    use kube::Resource;
    use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
    use serde_json::json;

    #[tokio::test]
    async fn finalizers_hold_deletion_until_removed() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let mut w = widget("w", "red");
        w.metadata.finalizers = Some(vec!["kgen.dev/cleanup".into()]);
        let created = api.create(&PostParams::default(), &w).await.unwrap();

        let deleting = api
            .delete("w", &DeleteParams::default())
            .await
            .unwrap()
            .left()
            .expect("the object is kept while it has finalizers");
        assert!(deleting.metadata.deletion_timestamp.is_some());
        assert_eq!(
            deleting.metadata.generation,
            Some(2),
            "marking for deletion bumps generation"
        );
        let still = api.get("w").await.unwrap();
        assert_eq!(still.metadata.deletion_timestamp, deleting.metadata.deletion_timestamp);

        // Deleting again changes nothing.
        let again = api.delete("w", &DeleteParams::default()).await.unwrap().left().unwrap();
        assert_eq!(again.metadata.resource_version, deleting.metadata.resource_version);

        // No new finalizer while being deleted.
        let e = api_error(
            api.patch(
                "w",
                &PatchParams::default(),
                &Patch::Merge(json!({"metadata": {"finalizers": ["kgen.dev/cleanup", "other"]}})),
            )
            .await,
        );
        assert_eq!(e.code, 422);
        assert_eq!(e.details.unwrap().causes[0].field, "metadata.finalizers");

        // Other updates still work.
        api.patch_status(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"status": {"message": "bye"}})),
        )
        .await
        .unwrap();

        // Removing the last finalizer deletes the object.
        api.patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .unwrap();
        assert_eq!(api_error(api.get("w").await).code, 404);
        assert!(created.metadata.uid.is_some());
    }

    fn owned_by(name: &str, owner: &ConfigMap) -> ConfigMap {
        let mut c = cm(name, &[]);
        c.metadata.owner_references = Some(vec![owner.controller_owner_ref(&()).unwrap()]);
        c
    }

    #[tokio::test]
    async fn deleting_an_owner_deletes_its_dependents() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        let owner = api.create(&PostParams::default(), &cm("owner", &[])).await.unwrap();
        let other = api.create(&PostParams::default(), &cm("other", &[])).await.unwrap();
        let child = api
            .create(&PostParams::default(), &owned_by("child", &owner))
            .await
            .unwrap();
        api.create(&PostParams::default(), &owned_by("grandchild", &child))
            .await
            .unwrap();
        let mut shared = owned_by("shared", &owner);
        let mut other_ref: OwnerReference = other.controller_owner_ref(&()).unwrap();
        other_ref.controller = None;
        shared.metadata.owner_references.as_mut().unwrap().push(other_ref);
        api.create(&PostParams::default(), &shared).await.unwrap();

        // A widget owned by the ConfigMap, across kinds.
        let widgets: Api<Widget> = Api::namespaced(server.client(), "default");
        server.add_crd(widget_crd()).unwrap();
        let mut w = widget("owned-widget", "blue");
        w.metadata.owner_references = Some(vec![owner.controller_owner_ref(&()).unwrap()]);
        widgets.create(&PostParams::default(), &w).await.unwrap();

        api.delete("owner", &DeleteParams::background()).await.unwrap();
        for gone in ["owner", "child", "grandchild"] {
            assert_eq!(api_error(api.get(gone).await).code, 404, "{gone}");
        }
        assert_eq!(api_error(widgets.get("owned-widget").await).code, 404);
        assert!(api.get("shared").await.is_ok(), "an object with a live owner stays");
        assert!(api.get("other").await.is_ok());
    }

    #[tokio::test]
    async fn orphan_propagation_keeps_dependents() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        let owner = api.create(&PostParams::default(), &cm("owner", &[])).await.unwrap();
        api.create(&PostParams::default(), &owned_by("child", &owner))
            .await
            .unwrap();
        api.delete("owner", &DeleteParams::orphan()).await.unwrap();
        let child = api.get("child").await.unwrap();
        assert_eq!(child.metadata.owner_references, None);
    }

    #[tokio::test]
    async fn foreground_deletion_deletes_dependents_first() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        let owner = api.create(&PostParams::default(), &cm("owner", &[])).await.unwrap();
        api.create(&PostParams::default(), &owned_by("child", &owner))
            .await
            .unwrap();
        let before = server.resource_version().parse::<u64>().unwrap();
        api.delete("owner", &DeleteParams::foreground()).await.unwrap();
        assert_eq!(api_error(api.get("child").await).code, 404);
        assert_eq!(api_error(api.get("owner").await).code, 404);
        assert_eq!(server.resource_version().parse::<u64>().unwrap(), before + 2);
    }

    #[tokio::test]
    async fn delete_preconditions() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        let dp = DeleteParams {
            preconditions: Some(kube::api::Preconditions {
                uid: Some("not-the-uid".into()),
                resource_version: None,
            }),
            ..Default::default()
        };
        assert_eq!(api_error(api.delete("a", &dp).await).code, 409);
        assert!(api.get("a").await.is_ok());
    }

    #[tokio::test]
    async fn deleting_a_namespace_deletes_its_content() {
        let server = FakeApiServer::new();
        let client = server.client();
        let nss: Api<Namespace> = Api::all(client.clone());
        let mut ns = Namespace::default();
        ns.metadata.name = Some("tmp".into());
        nss.create(&PostParams::default(), &ns).await.unwrap();
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "tmp");
        cms.create(&PostParams::default(), &cm("plain", &[])).await.unwrap();
        let mut held = cm("held", &[]);
        held.metadata.finalizers = Some(vec!["x/y".into()]);
        cms.create(&PostParams::default(), &held).await.unwrap();
        let keep: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        keep.create(&PostParams::default(), &cm("elsewhere", &[]))
            .await
            .unwrap();

        let terminating = nss
            .delete("tmp", &DeleteParams::default())
            .await
            .unwrap()
            .left()
            .unwrap();
        assert_eq!(terminating.status.unwrap().phase.as_deref(), Some("Terminating"));
        assert_eq!(api_error(cms.get("plain").await).code, 404);
        assert!(cms.get("held").await.unwrap().metadata.deletion_timestamp.is_some());
        let e = api_error(cms.create(&PostParams::default(), &cm("new", &[])).await);
        assert_eq!(e.code, 403);

        cms.patch(
            "held",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .unwrap();
        assert_eq!(
            api_error(nss.get("tmp").await).code,
            404,
            "the emptied namespace goes away"
        );
        assert!(keep.get("elsewhere").await.is_ok());
    }
}
