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
fn crds_lists_each_genclient_crd_once_sorted_by_name() {
    let names: Vec<String> = kgen_tests::generated::crds()
        .into_iter()
        .map(|c| c.metadata.name.unwrap_or_default())
        .collect();
    assert_eq!(
        names,
        [
            "fleets.markers.corpus.kgen.dev",
            "gadgets.markers.corpus.kgen.dev",
            "widgets.markers.corpus.kgen.dev"
        ]
    );
}
