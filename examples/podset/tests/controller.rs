//! The PodSet controller (kube-runtime's `Controller` over kgen's typed clients) against kgen's
//! fake API server: it creates the pods a PodSet asks for, owned and labelled, reports ready
//! pods in the status it applies, scales down, and the pods go with the PodSet.

use k8s_openapi::api::core::v1::Pod;
use kgen_example_podset::api::v1::{PodSet, PodSetSpec};
use kgen_example_podset::controller::{self, MANAGER, OWNER_LABEL};
use kgen_example_podset::generated::{Clientset, fake_api_server};
use kgen_fake::FakeApiServer;
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::{Resource, ResourceExt};
use serde_json::json;
use std::time::Duration;

/// Polls `check` every 20 ms for up to 10 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn live_pods(pods: &Api<Pod>, podset: &str) -> Vec<Pod> {
    pods.list(&ListParams::default().labels(&format!("{OWNER_LABEL}={podset}")))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|p| p.metadata.deletion_timestamp.is_none())
        .collect()
}

#[tokio::test]
async fn pods_follow_the_podset() {
    let fake: FakeApiServer = fake_api_server();
    let client = fake.client();
    let task = tokio::spawn(controller::run(client.clone()));
    let podsets = Clientset::new(client.clone()).podset_v1().podsets("default");
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");

    let template = json!({
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}
    });
    let created = podsets
        .create(
            &PodSet::new(
                "web",
                PodSetSpec {
                    replicas: Some(2),
                    template: serde_json::from_value(template).unwrap(),
                    sidecar_resources: None,
                },
            ),
            &PostParams::default(),
        )
        .await
        .unwrap();

    eventually("two pods", || async { live_pods(&pods, "web").await.len() == 2 }).await;
    for pod in live_pods(&pods, "web").await {
        assert!(pod.name_any().starts_with("web-"), "{}", pod.name_any());
        assert_eq!(
            pod.labels().get("app").map(String::as_str),
            Some("web"),
            "template labels kept"
        );
        let owner = &pod.owner_references()[0];
        assert_eq!(owner.uid, created.meta().uid.clone().unwrap());
        assert_eq!(owner.controller, Some(true));
    }

    // A pod turns Ready (there is no kubelet here): the status the controller applies counts it.
    let first = live_pods(&pods, "web").await[0].name_any();
    pods.patch_status(
        &first,
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}})),
    )
    .await
    .unwrap();
    eventually("readyReplicas 1", || async {
        podsets
            .get("web")
            .await
            .unwrap()
            .status
            .is_some_and(|s| s.ready_replicas == 1)
    })
    .await;
    let stored = podsets.get("web").await.unwrap();
    let status_manager = stored
        .managed_fields()
        .iter()
        .find(|e| e.subresource.as_deref() == Some("status"))
        .and_then(|e| e.manager.clone());
    assert_eq!(status_manager.as_deref(), Some(MANAGER));

    // Scale down to one.
    podsets
        .patch(
            "web",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 1}})),
        )
        .await
        .unwrap();
    eventually("one pod", || async { live_pods(&pods, "web").await.len() == 1 }).await;

    // Deleting the PodSet takes its pods with it (garbage collection of owned objects).
    podsets.delete("web", &DeleteParams::default()).await.unwrap();
    eventually("no pods", || async {
        pods.list(&ListParams::default()).await.unwrap().items.is_empty()
    })
    .await;
    task.abort();
}
