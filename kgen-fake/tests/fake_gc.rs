//! Garbage collection as kube-controller-manager does it: after the delete has been answered,
//! by owner references; `Foreground` and `Orphan` propagation with their finalizers; dangling
//! owner references; the per-kind default propagation; and the synchronous opt-out.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use k8s_openapi::api::batch::v1::Job;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
    use kube::Resource;
    use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
    use serde_json::json;
    use std::time::Duration;

    fn owned_by(name: &str, owner: &OwnerReference) -> ConfigMap {
        let mut c = cm(name, &[]);
        c.metadata.owner_references = Some(vec![owner.clone()]);
        c
    }

    fn reference(owner: &ConfigMap, block: bool) -> OwnerReference {
        let mut r = owner.controller_owner_ref(&()).unwrap();
        r.block_owner_deletion = Some(block);
        r
    }

    fn exists(server: &FakeApiServer, name: &str) -> bool {
        server.get_json("configmaps", Some("default"), name).is_some()
    }

    fn cms(server: &FakeApiServer) -> Api<ConfigMap> {
        Api::namespaced(server.client(), "default")
    }

    #[tokio::test]
    async fn background_deletion_answers_before_the_dependents_go() {
        for server in [FakeApiServer::new(), FakeApiServer::new().with_gc_delay(Duration::ZERO)] {
            let api = cms(&server);
            let owner = api.create(&PostParams::default(), &cm("owner", &[])).await.unwrap();
            api.create(&PostParams::default(), &owned_by("child", &reference(&owner, true)))
                .await
                .unwrap();
            // ConfigMaps, like most kinds and custom resources, delete in the background by default.
            let gone = api.delete("owner", &DeleteParams::default()).await.unwrap();
            assert!(gone.is_right(), "the owner is deleted at once");
            assert!(exists(&server, "child"), "the collector runs after the response");
            eventually("the dependent is collected", || async { !exists(&server, "child") }).await;
        }
    }

    #[tokio::test]
    async fn dangling_owner_references_are_collected_even_when_created_later() {
        let server = FakeApiServer::new();
        let api = cms(&server);
        let owner = api.create(&PostParams::default(), &cm("owner", &[])).await.unwrap();
        let mut ghost = reference(&owner, false);
        ghost.name = "ghost".into();
        ghost.uid = "no-such-uid".into();
        api.create(&PostParams::default(), &owned_by("orphan", &ghost))
            .await
            .unwrap();
        // An owner of that name but another uid is not the owner.
        let mut replaced = reference(&owner, false);
        replaced.uid = "another-uid".into();
        api.create(&PostParams::default(), &owned_by("stale", &replaced))
            .await
            .unwrap();
        api.create(&PostParams::default(), &owned_by("kept", &reference(&owner, false)))
            .await
            .unwrap();
        eventually("objects with dangling owners are collected", || async {
            !exists(&server, "orphan") && !exists(&server, "stale")
        })
        .await;
        assert!(exists(&server, "kept"), "an object whose owner exists stays");
        assert!(exists(&server, "owner"));
    }

    #[tokio::test]
    async fn unresolvable_owners_are_left_alone() {
        // Synchronous collection, so that "still there" is checked after a collection ran.
        let server = FakeApiServer::new().with_synchronous_gc(true);
        let api = cms(&server);
        let unknown = OwnerReference {
            api_version: "example.com/v1".into(),
            kind: "Gizmo".into(),
            name: "g".into(),
            uid: "u".into(),
            ..Default::default()
        };
        api.create(&PostParams::default(), &owned_by("by-gizmo", &unknown))
            .await
            .unwrap();
        assert!(exists(&server, "by-gizmo"));
        // Nor can a cluster-scoped object have a namespaced owner: the reference is unresolvable.
        let owner = api.create(&PostParams::default(), &cm("owner", &[])).await.unwrap();
        server
            .insert(json!({"apiVersion": "v1", "kind": "Namespace",
                           "metadata": {"name": "owned-ns", "ownerReferences": [reference(&owner, false)]}}))
            .unwrap();
        assert!(server.get_json("namespaces", None, "owned-ns").is_some());
    }

    #[tokio::test]
    async fn foreground_deletion_waits_for_blocking_dependents() {
        let server = FakeApiServer::new();
        let api = cms(&server);
        let owner = api.create(&PostParams::default(), &cm("owner", &[])).await.unwrap();
        for (name, block) in [("blocking", true), ("loose", false)] {
            let mut c = owned_by(name, &reference(&owner, block));
            c.metadata.finalizers = Some(vec!["kgen.dev/hold".into()]);
            api.create(&PostParams::default(), &c).await.unwrap();
        }
        api.create(&PostParams::default(), &owned_by("plain", &reference(&owner, true)))
            .await
            .unwrap();

        let deleting = api
            .delete("owner", &DeleteParams::foreground())
            .await
            .unwrap()
            .left()
            .expect("the owner stays while its dependents are deleted");
        assert!(deleting.metadata.deletion_timestamp.is_some());
        assert_eq!(
            deleting.metadata.finalizers,
            Some(vec!["foregroundDeletion".to_string()])
        );

        eventually("the dependents are deleted", || async {
            let held = |n: &str| {
                server
                    .get_json("configmaps", Some("default"), n)
                    .is_some_and(|c| c["metadata"]["deletionTimestamp"].is_string())
            };
            !exists(&server, "plain") && held("blocking") && held("loose")
        })
        .await;
        // The blocking dependent is still there (its finalizer holds it): so is the owner.
        let still = api
            .get("owner")
            .await
            .expect("the owner waits for its blocking dependent");
        assert_eq!(still.metadata.finalizers, Some(vec!["foregroundDeletion".to_string()]));

        api.patch(
            "blocking",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"finalizers": null}})),
        )
        .await
        .unwrap();
        eventually("the owner goes once its blocking dependent is gone", || async {
            !exists(&server, "owner")
        })
        .await;
        assert!(
            exists(&server, "loose"),
            "a non-blocking dependent does not hold the owner"
        );
    }

    #[tokio::test]
    async fn orphan_deletion_removes_the_references_first() {
        let server = FakeApiServer::new();
        let api = cms(&server);
        let owner = api.create(&PostParams::default(), &cm("owner", &[])).await.unwrap();
        let mut other = cm("other", &[]);
        other.metadata.finalizers = Some(vec!["kgen.dev/hold".into()]);
        let other = api.create(&PostParams::default(), &other).await.unwrap();
        let mut child = owned_by("child", &reference(&owner, true));
        child
            .metadata
            .owner_references
            .as_mut()
            .unwrap()
            .push(reference(&other, false));
        api.create(&PostParams::default(), &child).await.unwrap();

        let orphaning = api
            .delete("owner", &DeleteParams::orphan())
            .await
            .unwrap()
            .left()
            .unwrap();
        assert_eq!(orphaning.metadata.finalizers, Some(vec!["orphan".to_string()]));
        eventually("the owner goes", || async { !exists(&server, "owner") }).await;
        let child = api.get("child").await.unwrap();
        assert_eq!(child.metadata.owner_references, Some(vec![reference(&other, false)]));

        // An owner's own finalizers keep it after orphaning.
        api.delete("other", &DeleteParams::orphan()).await.unwrap();
        eventually("the references to it are removed", || async {
            api.get("child").await.unwrap().metadata.owner_references.is_none()
        })
        .await;
        let other = api.get("other").await.unwrap();
        assert_eq!(other.metadata.finalizers, Some(vec!["kgen.dev/hold".to_string()]));
        assert!(exists(&server, "child"));
    }

    #[tokio::test]
    async fn jobs_orphan_their_pods_by_default() {
        let server = FakeApiServer::new();
        let jobs: Api<Job> = Api::namespaced(server.client(), "default");
        let mut job = Job::default();
        job.metadata.name = Some("j".into());
        let job = jobs.create(&PostParams::default(), &job).await.unwrap();
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "j-1", "namespace": "default", "ownerReferences": [job.controller_owner_ref(&()).unwrap()]}
        });
        server.insert(pod).unwrap();
        let kept = jobs
            .delete("j", &DeleteParams::default())
            .await
            .unwrap()
            .left()
            .unwrap();
        assert_eq!(kept.metadata.finalizers, Some(vec!["orphan".to_string()]));
        eventually("the job goes", || async {
            server.get_json("jobs", Some("default"), "j").is_none()
        })
        .await;
        let pod = server
            .get_json("pods", Some("default"), "j-1")
            .expect("the pod is orphaned, not deleted");
        assert!(pod["metadata"].get("ownerReferences").is_none(), "{pod}");
    }

    #[tokio::test]
    async fn synchronous_collection_is_an_explicit_opt_out() {
        let server = FakeApiServer::new().with_synchronous_gc(true);
        let api = cms(&server);
        let owner = api.create(&PostParams::default(), &cm("owner", &[])).await.unwrap();
        api.create(&PostParams::default(), &owned_by("child", &reference(&owner, true)))
            .await
            .unwrap();
        api.delete("owner", &DeleteParams::foreground()).await.unwrap();
        assert!(!exists(&server, "child"));
        assert!(!exists(&server, "owner"));
    }

    #[tokio::test]
    async fn delete_options_are_validated() {
        let server = FakeApiServer::new();
        cms(&server)
            .create(&PostParams::default(), &cm("a", &[]))
            .await
            .unwrap();
        let path = "/api/v1/namespaces/default/configmaps/a";
        let json = ("content-type", "application/json");
        let (code, s) = raw(&server, "DELETE", path, &[json], r#"{"propagationPolicy":"Sideways"}"#).await;
        assert_eq!(code, 422);
        assert_eq!(
            s["message"],
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"Sideways\": \
             supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
        );
        let (code, s) = raw(
            &server,
            "DELETE",
            path,
            &[json],
            r#"{"propagationPolicy":"Orphan","orphanDependents":true}"#,
        )
        .await;
        assert_eq!(code, 422);
        assert_eq!(
            s["message"],
            "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Invalid value: \"Orphan\": \
             orphanDependents and deletionPropagation cannot be both set"
        );
        // The deprecated orphanDependents alone works.
        let (code, kept) = raw(&server, "DELETE", path, &[json], r#"{"orphanDependents":true}"#).await;
        assert_eq!(code, 200);
        assert_eq!(kept["metadata"]["finalizers"], json!(["orphan"]));
    }
}
