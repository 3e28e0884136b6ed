//! The corpus's generated code, used: clients with the verbs they have, against the fake server.

use kgen_fake::FakeApiServer;
use kgen_tests::corpus::markers::v1::{Fleet, FleetSpec};
use kgen_tests::generated::{Clientset, fake_api_server};
use kube::Resource;
use kube::api::{ListParams, PostParams};

#[tokio::test]
async fn cluster_scoped_client_and_generated_serialize() {
    assert_eq!(Fleet::plural(&()), "fleets");
    let fake: FakeApiServer = fake_api_server();
    let clients = Clientset::new(fake.client());
    let fleets = clients.markers_v1().fleets();
    let fleet = Fleet::new(
        "blue",
        FleetSpec {
            replicas: 3,
            tier: "gold".into(),
            selector: None,
        },
    );
    // Fleet does not derive Serialize: the generated impl writes apiVersion and kind.
    let json = serde_json::to_value(&fleet).unwrap();
    assert_eq!(json["apiVersion"], "markers.corpus.kgen.dev/v1");
    assert_eq!(json["kind"], "Fleet");
    fleets.create(&fleet, &PostParams::default()).await.unwrap();
    assert!(fake.get_json("fleets", None, "blue").is_some(), "stored cluster-scoped");
    let listed = fleets.list(&ListParams::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].spec.tier, "gold");
}

#[test]
fn crds_lists_every_kinds_crd_once_sorted_by_name() {
    let names: Vec<String> = kgen_tests::generated::crds()
        .into_iter()
        .map(|c| c.metadata.name.unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "fleets.markers.corpus.kgen.dev",
            "gadgets.markers.corpus.kgen.dev",
            "gizmoes.versioned.corpus.kgen.dev",
            "probes.gostyle.corpus.kgen.dev",
            "runners.gostyle.corpus.kgen.dev",
            // Shape has no +genclient, but the fake still needs its CRD.
            "shapes.shapes.corpus.kgen.dev",
            "widgets.markers.corpus.kgen.dev"
        ]
    );
}

/// Go-style kinds: `TypeMeta` flattened in, or `apiVersion`/`kind` as fields. `new` fills them,
/// the generated `Serialize` writes each once, and the List type is only a Rust type.
#[tokio::test]
async fn go_style_type_meta_and_list_types() {
    use kgen_tests::corpus::gostyle::v1::{Probe, ProbeSpec, Runner, RunnerList, RunnerSpec};
    let runner = Runner::new(
        "r1",
        RunnerSpec {
            image: "busybox".into(),
            resources: None,
            tolerations: vec![],
            env: vec![],
        },
    );
    assert_eq!(runner.types.api_version, "gostyle.corpus.kgen.dev/v1");
    assert_eq!(runner.types.kind, "Runner");
    let text = serde_json::to_string(&runner).unwrap();
    assert_eq!(text.matches("\"apiVersion\"").count(), 1, "{text}");
    assert_eq!(text.matches("\"kind\"").count(), 1, "{text}");
    let probe = Probe::new(
        "p1",
        ProbeSpec {
            check: Default::default(),
        },
    );
    assert_eq!(
        (probe.api_version.as_str(), probe.kind.as_str()),
        ("gostyle.corpus.kgen.dev/v1", "Probe")
    );
    let json = serde_json::to_value(&probe).unwrap();
    assert_eq!(json["kind"], "Probe");

    let fake: FakeApiServer = fake_api_server();
    let runners = Clientset::new(fake.client()).gostyle_v1().runners("default");
    let created = runners.create(&runner, &PostParams::default()).await.unwrap();
    assert_eq!(created.types.kind, "Runner");
    assert_eq!(created.spec.image, "busybox");
    // The List type reads a list of what the server stored.
    let items = fake.list_json("runners", Some("default"));
    let list = serde_json::json!({
        "apiVersion": "gostyle.corpus.kgen.dev/v1",
        "kind": "RunnerList",
        "metadata": {"resourceVersion": "1"},
        "items": items,
    });
    let typed: RunnerList = serde_json::from_value(list).unwrap();
    assert_eq!(typed.types.kind, "RunnerList");
    assert_eq!(typed.items.len(), 1);
    assert_eq!(typed.items[0].metadata.name.as_deref(), Some("r1"));
    // Only the kinds have CRDs.
    let names: Vec<String> = kgen_tests::generated::crds()
        .into_iter()
        .filter_map(|c| c.metadata.name)
        .filter(|n| n.contains("gostyle"))
        .collect();
    assert_eq!(
        names,
        ["probes.gostyle.corpus.kgen.dev", "runners.gostyle.corpus.kgen.dev"]
    );
}

/// The typed client hands out its `kube::Api` for kube-runtime (Controller, finalizer, watcher).
#[tokio::test]
async fn typed_clients_expose_their_api() {
    let fake: FakeApiServer = fake_api_server();
    let fleets = Clientset::new(fake.client()).markers_v1().fleets();
    let api: &kube::Api<Fleet> = fleets.api();
    assert!(api.list(&ListParams::default()).await.unwrap().items.is_empty());
}

/// `+genclient:method`s with every verb, `result=` and `input=` types, against the fake.
#[tokio::test]
async fn custom_methods_with_input_and_result_types() {
    use k8s_openapi::api::autoscaling::v1::Scale;
    use kgen_tests::generated::apply::corpus::markers::v1::{FleetApply, FleetSpecApply};
    let fake: FakeApiServer = fake_api_server();
    let fleets = Clientset::new(fake.client()).markers_v1().fleets();
    let spec = |replicas| FleetSpec {
        replicas,
        tier: "gold".into(),
        selector: None,
    };
    fleets
        .create(&Fleet::new("blue", spec(3)), &PostParams::default())
        .await
        .unwrap();

    // GetScale answers an autoscaling/v1 Scale read from the scale subresource.
    let scale: Scale = fleets.get_scale("blue").await.unwrap();
    assert_eq!(scale.spec.as_ref().and_then(|s| s.replicas), Some(3));
    assert_eq!(scale.metadata.name.as_deref(), Some("blue"));

    // UpdateScale PUTs a Scale to the subresource: the Fleet's replicas follow.
    let mut wanted = scale.clone();
    wanted.spec.as_mut().unwrap().replicas = Some(5);
    let updated: Scale = fleets
        .update_scale("blue", &wanted, &PostParams::default())
        .await
        .unwrap();
    assert_eq!(updated.spec.and_then(|s| s.replicas), Some(5));
    assert_eq!(fleets.get("blue").await.unwrap().spec.replicas, 5);
    let put = fake.actions().into_iter().rfind(|a| a.verb == "update").unwrap();
    assert_eq!(put.subresource.as_deref(), Some("scale"));
    assert_eq!(put.body.as_ref().unwrap()["kind"], "Scale");

    // GetFleetStatus reads the status subresource as a Fleet (no result=).
    let status: Fleet = fleets.get_fleet_status("blue").await.unwrap();
    assert_eq!(status.metadata.name.as_deref(), Some("blue"));

    // CreateCopy POSTs to the collection, with apiVersion and kind although Fleet's Serialize is
    // generated; ListAll lists as the kind.
    let copy: Fleet = fleets
        .create_copy(&Fleet::new("green", spec(1)), &PostParams::default())
        .await
        .unwrap();
    assert_eq!(copy.spec.replicas, 1);
    let all = fleets.list_all(&ListParams::default()).await.unwrap();
    let mut names: Vec<String> = all.items.iter().filter_map(|f| f.metadata.name.clone()).collect();
    names.sort();
    assert_eq!(names, ["blue", "green"]);

    // ApplyReplicas takes the kind's apply configuration by default.
    let config = FleetApply::new("blue").spec(FleetSpecApply::default().replicas(7));
    let applied: Fleet = fleets.apply_replicas("blue", &config, "scaler", true).await.unwrap();
    assert_eq!(applied.spec.replicas, 7);
    assert_eq!(applied.spec.tier, "gold", "the other manager's field stays");
    let patch = fake.actions().pop().unwrap();
    assert_eq!(patch.patch_type.as_deref(), Some("apply"));
    assert_eq!(patch.body.as_ref().unwrap()["spec"], serde_json::json!({"replicas": 7}));
}
