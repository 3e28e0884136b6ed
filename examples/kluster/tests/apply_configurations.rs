//! Typed server-side apply with the generated apply configurations, against kgen's fake API
//! server: a manager owns exactly the fields it sets, so managers setting different fields never
//! conflict, one setting another's field conflicts unless it forces, and node pools (a list-map
//! keyed by name) merge item by item.

use kgen_fake::FakeApiServer;
use kluster::generated::apply::api::v1alpha1::{
    KlusterApply, KlusterSpecApply, KlusterStatusApply, NodePoolApply, TokenSecretRefApply,
};
use kluster::generated::{Clientset, fake_api_server};
use kube::ResourceExt;
use kube::api::{Api, DynamicObject};

fn pool(name: &str, size: &str, count: i32) -> NodePoolApply {
    NodePoolApply::default().name(name).size(size).count(count)
}

/// What the owner of a Kluster applies: the whole spec with one node pool.
fn owner_config() -> KlusterApply {
    KlusterApply::new("demo", "default").spec(
        KlusterSpecApply::default()
            .name("demo")
            .region("fra1")
            .version("1.33.1-do.0")
            .node_pools(vec![pool("default", "s-2vcpu-4gb", 3)])
            .token_secret_ref(TokenSecretRefApply::default().name("do-token").key("token")),
    )
}

/// The managers named in `managedFields` with the field paths each owns under `spec`.
fn owners(obj: &kluster::api::v1alpha1::Kluster) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for entry in obj.managed_fields() {
        let fields = serde_json::to_value(&entry.fields_v1).unwrap();
        out.push((entry.manager.clone().unwrap_or_default(), fields.to_string()));
    }
    out
}

#[test]
fn an_apply_configuration_serialises_only_what_is_set() {
    let config = KlusterApply::new("demo", "default")
        .with_label("team", "a")
        .spec(KlusterSpecApply::default().node_pools(vec![pool("workers", "s-4vcpu-8gb", 2)]));
    let json = serde_json::to_value(&config).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "apiVersion": "kgen.dev/v1alpha1",
            "kind": "Kluster",
            "metadata": {"name": "demo", "namespace": "default", "labels": {"team": "a"}},
            "spec": {"nodePools": [{"name": "workers", "size": "s-4vcpu-8gb", "count": 2}]},
        })
    );
    assert_eq!(config.name(), Some("demo"));
    let status = KlusterApply::new("demo", "default")
        .status(KlusterStatusApply::default().cluster_id("abc").observed_generation(4));
    assert_eq!(
        serde_json::to_value(&status).unwrap()["status"],
        serde_json::json!({"clusterID": "abc", "observedGeneration": 4})
    );
}

#[tokio::test]
async fn managers_applying_different_fields_never_conflict_and_list_map_items_merge_by_key() {
    let fake: FakeApiServer = fake_api_server();
    let klusters = Clientset::new(fake.client()).kgen_v1alpha1().klusters("default");

    let created = klusters.apply(&owner_config(), "owner", false).await.unwrap();
    assert_eq!(created.spec.node_pools.len(), 1);

    // Another manager adds a pool and a label: fields the owner never set.
    let autoscaler = KlusterApply::new("demo", "default")
        .with_label("scaled-by", "autoscaler")
        .spec(KlusterSpecApply::default().node_pools(vec![pool("workers", "s-4vcpu-8gb", 2)]));
    let merged = klusters.apply(&autoscaler, "autoscaler", false).await.unwrap();
    let names: Vec<&str> = merged.spec.node_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["default", "workers"], "the list-map merges by name");
    assert_eq!(merged.labels().get("scaled-by").map(String::as_str), Some("autoscaler"));
    assert_eq!(merged.spec.region, "fra1", "the owner's fields stay");

    // The owner applies its configuration again (without `workers`): the other manager's pool
    // stays, since the owner never owned it.
    let again = klusters.apply(&owner_config(), "owner", false).await.unwrap();
    let names: Vec<&str> = again.spec.node_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["default", "workers"]);

    let managers: Vec<String> = owners(&again).into_iter().map(|(m, _)| m).collect();
    assert!(managers.contains(&"owner".to_string()), "{managers:?}");
    assert!(managers.contains(&"autoscaler".to_string()), "{managers:?}");
    let autoscaler_fields = owners(&again).into_iter().find(|(m, _)| m == "autoscaler").unwrap().1;
    assert!(
        autoscaler_fields.contains(r#"k:{\"name\":\"workers\"}"#),
        "{autoscaler_fields}"
    );
    assert!(!autoscaler_fields.contains("f:region"), "{autoscaler_fields}");

    // The autoscaler stops applying its pool: it goes, the owner's stays.
    let dropped = klusters
        .apply(
            &KlusterApply::new("demo", "default").with_label("scaled-by", "autoscaler"),
            "autoscaler",
            false,
        )
        .await
        .unwrap();
    let names: Vec<&str> = dropped.spec.node_pools.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["default"]);
}

#[tokio::test]
async fn applying_a_field_another_manager_owns_conflicts_unless_forced() {
    let fake: FakeApiServer = fake_api_server();
    let klusters = Clientset::new(fake.client()).kgen_v1alpha1().klusters("default");
    klusters.apply(&owner_config(), "owner", false).await.unwrap();

    let upgrade = KlusterApply::new("demo", "default").spec(KlusterSpecApply::default().version("1.34.0-do.0"));
    let err = klusters.apply(&upgrade, "upgrader", false).await.unwrap_err();
    let kube::Error::Api(status) = err else {
        panic!("expected an API error, got {err:?}")
    };
    assert_eq!(status.code, 409);
    assert_eq!(status.reason, "Conflict");
    assert!(status.message.contains("owner"), "{}", status.message);
    assert!(status.message.contains(".spec.version"), "{}", status.message);
    assert_eq!(
        klusters.get("demo").await.unwrap().spec.version,
        "1.33.1-do.0",
        "a conflict changes nothing"
    );

    // The same value is no conflict: both managers own it.
    let same = KlusterApply::new("demo", "default").spec(KlusterSpecApply::default().region("fra1"));
    klusters.apply(&same, "upgrader", false).await.unwrap();

    let forced = klusters.apply(&upgrade, "upgrader", true).await.unwrap();
    assert_eq!(forced.spec.version, "1.34.0-do.0");
    let owner_fields = owners(&forced).into_iter().find(|(m, _)| m == "owner").unwrap().1;
    assert!(
        !owner_fields.contains("f:version"),
        "forcing takes the field over: {owner_fields}"
    );
    assert!(owner_fields.contains("f:region"), "{owner_fields}");
}

#[tokio::test]
async fn status_is_applied_through_the_status_subresource() {
    let fake: FakeApiServer = fake_api_server();
    let klusters = Clientset::new(fake.client()).kgen_v1alpha1().klusters("default");
    klusters.apply(&owner_config(), "owner", false).await.unwrap();

    let status = KlusterApply::new("demo", "default").status(KlusterStatusApply::default().cluster_id("c-1"));
    let written = klusters.apply_status(&status, "operator", false).await.unwrap();
    assert_eq!(written.status.unwrap().cluster_id.as_deref(), Some("c-1"));
    assert_eq!(written.spec.region, "fra1", "a status apply leaves the spec alone");

    let last = fake.actions().pop().unwrap();
    assert_eq!(last.verb, "patch");
    assert_eq!(last.subresource.as_deref(), Some("status"));

    // The stored object names the manager on the status subresource.
    let raw: Api<DynamicObject> = Api::namespaced_with(
        fake.client(),
        "default",
        &kube::discovery::ApiResource::erase::<kluster::api::v1alpha1::Kluster>(&()),
    );
    let obj = raw.get("demo").await.unwrap();
    let entry = obj
        .managed_fields()
        .iter()
        .find(|e| e.manager.as_deref() == Some("operator"))
        .expect("operator's entry");
    assert_eq!(entry.subresource.as_deref(), Some("status"));
    assert_eq!(entry.operation.as_deref(), Some("Apply"));
}

#[tokio::test]
async fn an_apply_configuration_without_a_name_is_refused_before_sending() {
    let fake: FakeApiServer = fake_api_server();
    let klusters = Clientset::new(fake.client()).kgen_v1alpha1().klusters("default");
    let mut config = owner_config();
    config.metadata.name = None;
    let err = klusters.apply(&config, "owner", false).await.unwrap_err();
    assert!(err.to_string().contains("no metadata.name"), "{err}");
    assert!(fake.actions().is_empty(), "nothing was sent");
}
