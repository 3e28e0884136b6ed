//! Create, get, update, delete through typed `kube::Api`s: built-in ConfigMaps and Namespaces, and
//! a custom resource registered from a hand-written CRD.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
    use kube::api::{Api, DeleteParams, ListParams, PostParams};

    #[tokio::test]
    async fn configmap_create_get_update_delete() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");

        let created = api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        let meta = &created.metadata;
        assert_eq!(meta.uid.as_deref().map(str::len), Some(36));
        assert!(meta.creation_timestamp.is_some());
        assert_eq!(meta.namespace.as_deref(), Some("default"));
        assert_eq!(meta.generation, None, "ConfigMaps have no generation");
        let first_rv = rv(meta);

        let got = api.get("a").await.unwrap();
        assert_eq!(got, created);

        let mut changed = got.clone();
        changed.data = Some([("k".to_string(), "w".to_string())].into_iter().collect());
        let updated = api.replace("a", &PostParams::default(), &changed).await.unwrap();
        assert!(rv(&updated.metadata) > first_rv);
        assert_eq!(updated.data.as_ref().unwrap()["k"], "w");
        assert_eq!(updated.metadata.uid, created.metadata.uid);

        // Writing the same object again is not a change: same resourceVersion.
        let same = api.replace("a", &PostParams::default(), &updated).await.unwrap();
        assert_eq!(same.metadata.resource_version, updated.metadata.resource_version);

        let deleted = api.delete("a", &DeleteParams::default()).await.unwrap();
        let status = deleted.right().expect("a Status for an object deleted at once");
        assert!(status.is_success());
        assert_eq!(status.details.unwrap().name, "a");

        let err = api_error(api.get("a").await);
        assert_eq!(err.code, 404);
        assert_eq!(err.reason, "NotFound");
        assert_eq!(err.message, "configmaps \"a\" not found");
        assert!(server.get_json("configmaps", Some("default"), "a").is_none());
    }

    #[tokio::test]
    async fn stale_resource_version_and_duplicate_create_conflict() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        let first = api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();

        let dup = api_error(api.create(&PostParams::default(), &cm("a", &[])).await);
        assert_eq!(dup.code, 409);
        assert!(dup.is_already_exists(), "{dup:?}");

        let mut second = first.clone();
        second.data = Some([("x".to_string(), "1".to_string())].into_iter().collect());
        api.replace("a", &PostParams::default(), &second).await.unwrap();

        // `first` carries the old resourceVersion now.
        let stale = api_error(api.replace("a", &PostParams::default(), &first).await);
        assert_eq!(stale.code, 409);
        assert_eq!(stale.reason, "Conflict");
        assert!(
            stale.message.contains("the object has been modified"),
            "{}",
            stale.message
        );

        // ConfigMaps accept unconditional updates (no resourceVersion).
        let mut unconditional = first.clone();
        unconditional.metadata.resource_version = None;
        api.replace("a", &PostParams::default(), &unconditional).await.unwrap();
    }

    #[tokio::test]
    async fn generate_name_and_namespaces() {
        let server = FakeApiServer::new();
        namespaces(&server, &["team-a", "team-b"]);
        let client = server.client();
        let mut c = cm("", &[]);
        c.metadata.name = None;
        c.metadata.generate_name = Some("gen-".into());
        let api: Api<ConfigMap> = Api::namespaced(client.clone(), "team-a");
        let a = api.create(&PostParams::default(), &c).await.unwrap();
        let b = api.create(&PostParams::default(), &c).await.unwrap();
        let (na, nb) = (a.metadata.name.unwrap(), b.metadata.name.unwrap());
        assert!(na.starts_with("gen-") && na.len() == 9, "{na}");
        assert_ne!(na, nb);

        let other: Api<ConfigMap> = Api::namespaced(client.clone(), "team-b");
        other.create(&PostParams::default(), &cm("x", &[])).await.unwrap();
        let all: Api<ConfigMap> = Api::all(client.clone());
        let names: Vec<String> = all
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|c| format!("{}/{}", c.metadata.namespace.unwrap(), c.metadata.name.unwrap()))
            .collect();
        assert_eq!(names.len(), 3);
        assert!(names.contains(&"team-b/x".to_string()));
        assert_eq!(api.list(&ListParams::default()).await.unwrap().items.len(), 2);

        // Neither a name nor generateName: 422 on metadata.name.
        let mut nameless = cm("", &[]);
        nameless.metadata.name = None;
        let e = api_error(api.create(&PostParams::default(), &nameless).await);
        assert_eq!(e.code, 422);
        assert_eq!(e.details.unwrap().causes[0].field, "metadata.name");

        // An invalid name is refused.
        let e = api_error(api.create(&PostParams::default(), &cm("Not_Valid", &[])).await);
        assert_eq!(e.code, 422);
    }

    #[tokio::test]
    async fn cluster_scoped_namespaces_and_dry_run() {
        let server = FakeApiServer::new();
        let api: Api<Namespace> = Api::all(server.client());
        let names: Vec<String> = api
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|n| n.metadata.name.unwrap())
            .collect();
        assert!(names.contains(&"default".to_string()) && names.contains(&"kube-system".to_string()));

        let mut ns = Namespace::default();
        ns.metadata.name = Some("apps".into());
        let dry = api
            .create(
                &PostParams {
                    dry_run: true,
                    ..Default::default()
                },
                &ns,
            )
            .await
            .unwrap();
        assert_eq!(dry.metadata.name.as_deref(), Some("apps"));
        assert!(
            server.get_json("namespaces", None, "apps").is_none(),
            "dry run must not store"
        );

        let created = api.create(&PostParams::default(), &ns).await.unwrap();
        assert_eq!(created.metadata.namespace, None);
        assert!(api.get("apps").await.is_ok());
        assert!(server.get_json("namespaces", None, "apps").is_some());
    }

    #[tokio::test]
    async fn strict_namespaces_require_the_namespace() {
        let server = FakeApiServer::new().with_strict_namespaces(true);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "missing");
        let e = api_error(api.create(&PostParams::default(), &cm("a", &[])).await);
        assert_eq!(e.code, 404);
        assert!(e.message.contains("namespaces \"missing\" not found"), "{}", e.message);
        let ok: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        ok.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
    }

    #[tokio::test]
    async fn custom_resource_create_get_update_delete() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let created = api.create(&PostParams::default(), &widget("w", "red")).await.unwrap();
        assert_eq!(created.metadata.generation, Some(1));
        assert_eq!(created.spec.replicas, Some(1), "default applied");
        assert_eq!(created.spec.size, Some(3), "default applied");
        let stored = server.get_json("widgets", Some("default"), "w").unwrap();
        assert_eq!(stored["apiVersion"], "kgen.dev/v1");
        assert_eq!(stored["kind"], "Widget");

        let got = api.get("w").await.unwrap();
        assert_eq!(got.spec, created.spec);
        assert_eq!(got.metadata, created.metadata);

        let mut changed = got.clone();
        changed.spec.replicas = Some(4);
        let updated = api.replace("w", &PostParams::default(), &changed).await.unwrap();
        assert_eq!(updated.spec.replicas, Some(4));
        assert_eq!(updated.metadata.generation, Some(2));

        // Custom resources require a resourceVersion on update.
        let mut unconditional = updated.clone();
        unconditional.metadata.resource_version = None;
        let e = api_error(api.replace("w", &PostParams::default(), &unconditional).await);
        assert_eq!(e.code, 422);
        assert_eq!(e.details.unwrap().causes[0].field, "metadata.resourceVersion");

        assert!(api.delete("w", &DeleteParams::default()).await.unwrap().is_right());
        assert_eq!(api_error(api.get("w").await).code, 404);
        let stored = server.get_json("widgets.kgen.dev", Some("default"), "w");
        assert!(stored.is_none());
    }

    #[tokio::test]
    async fn insert_preloads_objects_with_status() {
        let server = server();
        namespaces(&server, &["ns1"]);
        let stored = server
            .insert(serde_json::json!({
                "apiVersion": "kgen.dev/v1",
                "kind": "Widget",
                "metadata": {"name": "pre", "namespace": "ns1"},
                "spec": {"color": "blue"},
                "status": {"ready": true}
            }))
            .unwrap();
        assert_eq!(stored["spec"]["replicas"], 1);
        let api: Api<Widget> = Api::namespaced(server.client(), "ns1");
        let w = api.get("pre").await.unwrap();
        assert_eq!(w.status.unwrap().ready, Some(true));
        assert!(
            server
                .actions()
                .iter()
                .all(|a| a.name.as_deref() != Some("pre") || a.verb == "get")
        );
        let unknown = server.insert(serde_json::json!({"apiVersion": "x/v1", "kind": "Nope"}));
        assert!(unknown.is_err());
    }

    const GADGET_CRD: &str = r#"
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.kgen.dev
spec:
  group: kgen.dev
  names:
    kind: Gadget
    plural: gadgets
  scope: Cluster
  versions:
    - name: v1alpha1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size:
                  type: integer
                  maximum: 10
"#;

    #[tokio::test]
    async fn crds_from_typed_values_and_yaml() {
        use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
        use kube::api::{ApiResource, DynamicObject, GroupVersionKind};

        let typed: CustomResourceDefinition = serde_json::from_value(widget_crd()).unwrap();
        let server = FakeApiServer::new().with_crd(&typed).with_crd_yaml(GADGET_CRD);
        // Registering the same CRD again is fine.
        server.add_crd(&typed).unwrap();
        let widgets: Api<Widget> = Api::namespaced(server.client(), "default");
        widgets
            .create(&PostParams::default(), &widget("w", "red"))
            .await
            .unwrap();

        let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("kgen.dev", "v1alpha1", "Gadget"));
        let gadgets: Api<DynamicObject> = Api::all_with(server.client(), &ar);
        let g: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "kgen.dev/v1alpha1", "kind": "Gadget",
            "metadata": {"name": "g"}, "spec": {"size": 4}
        }))
        .unwrap();
        let created = gadgets.create(&PostParams::default(), &g).await.unwrap();
        assert_eq!(created.metadata.namespace, None);
        assert!(server.get_json("gadgets", None, "g").is_some());
        let mut big = g.clone();
        big.metadata.name = Some("big".into());
        big.data["spec"]["size"] = 11.into();
        assert_eq!(api_error(gadgets.create(&PostParams::default(), &big).await).code, 422);

        let crds = server.list_json("customresourcedefinitions", None);
        let names: Vec<&str> = crds.iter().map(|c| c["metadata"]["name"].as_str().unwrap()).collect();
        assert_eq!(names, vec!["gadgets.kgen.dev", "widgets.kgen.dev"]);
        assert!(server.add_crd(serde_json::json!({"spec": {}})).is_err());
    }
}
