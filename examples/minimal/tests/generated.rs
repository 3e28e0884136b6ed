//! The checked-in generated code is what `kgen client` writes today, and it works: the typed
//! clientset against kgen's fake API server (a dev-dependency only).

use kgen_example_minimal::api::v1::{Widget, WidgetSpec};
use kgen_example_minimal::generated::{Clientset, crds, fake_api_server};
use kgen_fake::FakeApiServer;
use kube::api::{ListParams, PostParams};
use std::path::Path;

#[test]
fn checked_in_code_is_what_kgen_client_writes() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let opts = kgen_build::CrdOptions::new([dir.join("src/api")]);
    let (_, source) = kgen_build::generate_rust(&opts, &kgen_build::codegen::CodegenOptions::default())
        .unwrap_or_else(|failed| panic!("kgen failed: {failed:?}"));
    let checked_in = std::fs::read_to_string(dir.join("src/generated/mod.rs")).unwrap();
    assert!(
        source == checked_in,
        "src/generated/mod.rs is stale: run `kgen client --paths examples/minimal/src/api --out examples/minimal/src/generated`"
    );
}

#[tokio::test]
async fn generated_clientset_against_the_fake() {
    assert_eq!(crds().len(), 1);
    assert_eq!(crds()[0].metadata.name.as_deref(), Some("widgets.minimal.kgen.dev"));
    let fake: FakeApiServer = fake_api_server();
    let widgets = Clientset::new(fake.client()).minimal_v1().widgets("default");
    let created = widgets
        .create(&Widget::new("w1", WidgetSpec { replicas: 2 }), &PostParams::default())
        .await
        .expect("created");
    assert_eq!(created.spec.replicas, 2);
    let stored = fake.get_json("widgets", Some("default"), "w1").expect("stored");
    assert_eq!(stored["apiVersion"], "minimal.kgen.dev/v1");
    assert_eq!(stored["kind"], "Widget");
    // The CRD's validation is in force: replicas at most 10.
    let err = widgets
        .create(&Widget::new("w2", WidgetSpec { replicas: 11 }), &PostParams::default())
        .await
        .expect_err("rejected");
    match err {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 422);
            assert!(status.message.contains("spec.replicas"), "{}", status.message);
        }
        other => panic!("unexpected error {other:?}"),
    }
    let listed = widgets.list(&ListParams::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
}
