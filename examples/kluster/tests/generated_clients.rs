//! The code kgen generated for the Kluster API, used for real against kgen's fake API server:
//! typed clientset verbs, schema validation of the generated CRD, informer events and listers.

use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kgen_fake::FakeApiServer;
use kgen_runtime::informer::IndexerError;
use kluster::api::v1alpha1::{Kluster, KlusterSpec, KlusterStatus, NodePool, Progress, TokenSecretRef};
use kluster::generated::{Clientset, SharedInformerFactory, fake_api_server};
use kube::api::{DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::core::Selector;
use kube::{Resource, ResourceExt};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn spec(count: i32) -> KlusterSpec {
    KlusterSpec {
        name: "demo".into(),
        region: "fra1".into(),
        version: "1.33.1-do.0".into(),
        node_pools: vec![NodePool {
            name: "pool-a".into(),
            size: "s-2vcpu-4gb".into(),
            count,
        }],
        token_secret_ref: TokenSecretRef {
            name: "do-token".into(),
            key: "token".into(),
        },
    }
}

fn kluster(name: &str, count: i32) -> Kluster {
    let mut k = Kluster::new(name, spec(count));
    k.metadata.namespace = Some("default".into());
    k
}

#[test]
fn resource_impl_and_serialization_match_the_crd() {
    assert_eq!(Kluster::group(&()), "kgen.dev");
    assert_eq!(Kluster::version(&()), "v1alpha1");
    assert_eq!(Kluster::plural(&()), "klusters");
    assert_eq!(Kluster::kind(&()), "Kluster");
    let v = serde_json::to_value(kluster("a", 1)).unwrap();
    assert_eq!(
        v["apiVersion"], "kgen.dev/v1alpha1",
        "generated Serialize writes apiVersion"
    );
    assert_eq!(v["kind"], "Kluster");
    assert!(v.get("status").is_none(), "skip_serializing_if is honoured");
    // crd() is exactly the file kgen crd wrote (build.rs keeps it in step).
    let on_disk: CustomResourceDefinition =
        serde_saphyr::from_str(&std::fs::read_to_string("config/crd/bases/kgen.dev_klusters.yaml").unwrap()).unwrap();
    assert_eq!(Kluster::crd(), on_disk);
    assert_eq!(Kluster::CRD_NAME, "klusters.kgen.dev");
}

#[tokio::test]
async fn clientset_verbs_against_the_fake_server() {
    let fake: FakeApiServer = fake_api_server();
    let clients = Clientset::new(fake.client());
    let klusters = clients.kgen_v1alpha1().klusters("default");

    let created = klusters
        .create(&kluster("demo", 2), &PostParams::default())
        .await
        .unwrap();
    assert_eq!(created.metadata.generation, Some(1));
    assert!(created.metadata.uid.is_some());
    let stored = fake.get_json("klusters", Some("default"), "demo").unwrap();
    // Stored at v1beta1, the storage version, through the generated conversion.
    assert_eq!(stored["apiVersion"], "kgen.dev/v1beta1");
    assert_eq!(stored["spec"]["token"]["secretKeyRef"]["key"], "token");
    assert!(stored["spec"].get("tokenSecretRef").is_none(), "{stored}");

    let mut got = klusters.get("demo").await.unwrap();
    got.spec.node_pools[0].count = 3;
    let updated = klusters.update(&got, &PostParams::default()).await.unwrap();
    assert_eq!(updated.metadata.generation, Some(2), "a spec change bumps generation");

    let mut with_status = updated.clone();
    with_status.status = Some(KlusterStatus {
        progress: Some(Progress::Creating),
        cluster_id: Some("c-1".into()),
        ..Default::default()
    });
    let s = klusters
        .update_status(&with_status, &PostParams::default())
        .await
        .unwrap();
    assert_eq!(s.status.as_ref().unwrap().cluster_id.as_deref(), Some("c-1"));
    assert_eq!(
        s.metadata.generation,
        Some(2),
        "a status write does not bump generation"
    );

    let patched = klusters
        .patch_status(
            "demo",
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"status": {"progress": "Running"}})),
        )
        .await
        .unwrap();
    assert_eq!(patched.status.unwrap().progress, Some(Progress::Running));

    let mut applied = kluster("applied", 1);
    applied.metadata.labels = Some([("team".to_string(), "a".to_string())].into());
    klusters.apply_object(&applied, "kgen-test", true).await.unwrap();
    let list = klusters.list(&ListParams::default().labels("team=a")).await.unwrap();
    assert_eq!(
        list.items.iter().map(|k| k.name_any()).collect::<Vec<_>>(),
        vec!["applied"]
    );

    klusters.delete("applied", &DeleteParams::default()).await.unwrap();
    assert!(klusters.get_opt("applied").await.unwrap().is_none());
    let all = clients
        .kgen_v1alpha1()
        .klusters_all()
        .list(&ListParams::default())
        .await
        .unwrap();
    assert_eq!(all.items.len(), 1);
}

#[tokio::test]
async fn the_generated_crd_rejects_invalid_klusters() {
    let fake: FakeApiServer = fake_api_server();
    let klusters = Clientset::new(fake.client()).kgen_v1alpha1().klusters("default");
    let err = klusters
        .create(&kluster("bad", 0), &PostParams::default())
        .await
        .unwrap_err();
    match err {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 422);
            assert!(status.message.contains("spec.nodePools[0].count"), "{}", status.message);
        }
        other => panic!("expected a 422, got {other}"),
    }
    let mut empty = kluster("empty", 1);
    empty.spec.node_pools.clear();
    assert!(
        klusters.create(&empty, &PostParams::default()).await.is_err(),
        "at least one node pool"
    );

    // name and region are immutable (CEL transition rules in the CRD).
    klusters
        .create(&kluster("fixed", 1), &PostParams::default())
        .await
        .unwrap();
    let mut moved = klusters.get("fixed").await.unwrap();
    moved.spec.region = "nyc1".into();
    let err = klusters.update(&moved, &PostParams::default()).await.unwrap_err();
    assert!(err.to_string().contains("immutable"), "{err}");
}

#[tokio::test]
async fn informer_and_lister_follow_the_server() {
    let fake: FakeApiServer = fake_api_server();
    fake.insert(
        serde_json::to_value(Namespace {
            metadata: kube::api::ObjectMeta {
                name: Some("default".into()),
                ..Default::default()
            },
            ..Default::default()
        })
        .unwrap(),
    )
    .ok();
    let client = fake.client();
    let klusters = Clientset::new(client.clone()).kgen_v1alpha1().klusters("default");
    klusters
        .create(&kluster("first", 1), &PostParams::default())
        .await
        .unwrap();

    let factory = SharedInformerFactory::new(client, None);
    let informer = factory.kgen_v1alpha1().klusters();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let (a, u, d) = (seen.clone(), seen.clone(), seen.clone());
    // The closures' argument types are inferred from the informer.
    informer.add_handlers(move |h| {
        h.on_add(move |k| a.lock().unwrap().push(format!("add {}", k.name_any())))
            .on_update(move |old, new| {
                u.lock().unwrap().push(format!(
                    "update {} {}->{}",
                    new.name_any(),
                    old.spec.node_pools[0].count,
                    new.spec.node_pools[0].count
                ))
            })
            .on_delete(move |k| d.lock().unwrap().push(format!("delete {}", k.name_any())))
    });
    factory.start();
    assert!(
        tokio::time::timeout(Duration::from_secs(10), factory.wait_for_cache_sync())
            .await
            .unwrap()
    );

    let lister = informer.lister();
    assert_eq!(lister.klusters("default").get("first").unwrap().spec.region, "fra1");
    assert!(lister.klusters("other").get("first").is_none());

    klusters
        .create(&kluster("second", 1), &PostParams::default())
        .await
        .unwrap();
    let mut first = klusters.get("first").await.unwrap();
    first.spec.node_pools[0].count = 5;
    klusters.update(&first, &PostParams::default()).await.unwrap();
    klusters.delete("second", &DeleteParams::default()).await.unwrap();

    let want = ["add first", "add second", "update first 1->5", "delete second"];
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.lock().unwrap().len() < want.len() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(*seen.lock().unwrap(), want);
    assert_eq!(
        lister.klusters("default").get("first").unwrap().spec.node_pools[0].count,
        5
    );
    assert_eq!(lister.list(&Selector::default()).len(), 1);
    factory.shutdown().await;
}

#[tokio::test]
async fn informer_factory_options_and_custom_indexes() {
    let fake: FakeApiServer = fake_api_server();
    fake.insert(serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team-b"}}))
        .ok();
    let client = fake.client();
    let clients = Clientset::new(client.clone());
    for (ns, name, region, team) in [
        ("default", "a", "fra1", "x"),
        ("default", "b", "nyc1", "x"),
        ("default", "c", "fra1", "y"),
        ("team-b", "d", "fra1", "x"),
    ] {
        let mut k = kluster(name, 1);
        k.metadata.namespace = Some(ns.into());
        k.metadata.labels = Some([("team".to_string(), team.to_string())].into());
        k.spec.region = region.into();
        clients
            .kgen_v1alpha1()
            .klusters(ns)
            .create(&k, &PostParams::default())
            .await
            .unwrap();
    }

    // Options on the generated factory itself: one namespace, a label selector.
    let factory = SharedInformerFactory::new(client, None)
        .namespace("default")
        .labels("team=x");
    let informer = factory.kgen_v1alpha1().klusters();
    informer.add_indexer("region", |k| vec![k.spec.region.clone()]).unwrap();
    factory.start();
    assert!(
        tokio::time::timeout(Duration::from_secs(10), factory.wait_for_cache_sync())
            .await
            .unwrap()
    );
    let lister = informer.lister();
    let names = |objs: Vec<Arc<Kluster>>| objs.iter().map(|k| k.name_any()).collect::<Vec<_>>();
    assert_eq!(
        names(lister.list(&Selector::default())),
        ["a", "b"],
        "namespace and labels applied"
    );
    assert_eq!(names(lister.by_index("region", "fra1").unwrap()), ["a"]);
    assert_eq!(
        names(lister.klusters("default").by_index("region", "nyc1").unwrap()),
        ["b"]
    );
    assert!(lister.klusters("default").get("c").is_none(), "team=y is not watched");
    assert_eq!(names(lister.klusters("default").list(&Selector::default())), ["a", "b"]);
    let err = lister.by_index("zone", "z").unwrap_err();
    assert!(matches!(err, IndexerError::NoSuchIndex(ref n) if n == "zone"), "{err}");
    assert_eq!(err.to_string(), r#"index with name "zone" does not exist"#);
    assert!(matches!(
        informer.add_indexer("region", |_| vec![]),
        Err(IndexerError::Conflict(_))
    ));
    factory.shutdown().await;
}
