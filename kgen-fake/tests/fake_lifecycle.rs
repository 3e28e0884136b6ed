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

    async fn gone<K>(api: &Api<K>, name: &str) -> bool
    where
        K: kube::Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
    {
        matches!(api.get(name).await, Err(kube::Error::Api(s)) if s.code == 404)
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
        shared
            .metadata
            .owner_references
            .as_mut()
            .unwrap()
            .push(other_ref.clone());
        api.create(&PostParams::default(), &shared).await.unwrap();

        // A widget owned by the ConfigMap, across kinds.
        let widgets: Api<Widget> = Api::namespaced(server.client(), "default");
        server.add_crd(widget_crd()).unwrap();
        let mut w = widget("owned-widget", "blue");
        w.metadata.owner_references = Some(vec![owner.controller_owner_ref(&()).unwrap()]);
        widgets.create(&PostParams::default(), &w).await.unwrap();

        // The owner goes at once; the garbage collector takes the dependents afterwards.
        api.delete("owner", &DeleteParams::background()).await.unwrap();
        assert!(server.get_json("configmaps", Some("default"), "owner").is_none());
        assert!(
            server.get_json("configmaps", Some("default"), "child").is_some(),
            "dependents are collected after the response"
        );
        eventually("the dependents are collected", || async {
            gone(&api, "child").await && gone(&api, "grandchild").await && gone(&widgets, "owned-widget").await
        })
        .await;
        let shared = api.get("shared").await.expect("an object with a live owner stays");
        assert_eq!(
            shared.metadata.owner_references,
            Some(vec![other_ref]),
            "the reference to the deleted owner is removed"
        );
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
        let orphaning = api
            .delete("owner", &DeleteParams::orphan())
            .await
            .unwrap()
            .left()
            .expect("the owner stays until its dependents are orphaned");
        assert_eq!(orphaning.metadata.finalizers, Some(vec!["orphan".to_string()]));
        assert!(orphaning.metadata.deletion_timestamp.is_some());
        eventually("the owner goes", || async { gone(&api, "owner").await }).await;
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
        let deleting = api
            .delete("owner", &DeleteParams::foreground())
            .await
            .unwrap()
            .left()
            .expect("the owner stays while its dependents are deleted");
        assert_eq!(
            deleting.metadata.finalizers,
            Some(vec!["foregroundDeletion".to_string()])
        );
        assert!(api.get("owner").await.unwrap().metadata.deletion_timestamp.is_some());
        eventually("the owner goes after its dependent", || async {
            gone(&api, "owner").await
        })
        .await;
        assert_eq!(api_error(api.get("child").await).code, 404);
        // Marking the owner, deleting the child, deleting the owner.
        assert_eq!(server.resource_version().parse::<u64>().unwrap(), before + 3);
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
        let e = api_error(cms.create(&PostParams::default(), &cm("new", &[])).await);
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "configmaps \"new\" is forbidden: unable to create new content in namespace tmp because it is being terminated"
        );
        eventually("the namespace controller deletes the content", || async {
            gone(&cms, "plain").await
        })
        .await;
        assert!(cms.get("held").await.unwrap().metadata.deletion_timestamp.is_some());
        assert!(nss.get("tmp").await.is_ok(), "the namespace waits for its content");

        cms.patch(
            "held",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .unwrap();
        eventually("the emptied namespace goes away", || async { gone(&nss, "tmp").await }).await;
        assert!(keep.get("elsewhere").await.is_ok());
    }
}
