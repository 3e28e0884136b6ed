//! `kluster demo` runs the whole life cycle in one process.
#![cfg(feature = "demo")]

use std::time::Duration;

use kluster::demo::{DemoArgs, run};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_shows_the_life_cycle_and_cleans_up() {
    kluster::digitalocean::install_crypto_provider();
    let args = DemoArgs {
        provision_delay: Duration::from_millis(500),
        delete_delay: Duration::from_millis(200),
        timeout: Duration::from_secs(30),
    };
    let mut out = Vec::new();
    run(&args, &mut out).await.expect("the demo succeeds");
    let text = String::from_utf8(out).unwrap();
    let order = [
        "(as kgen.dev/v1alpha1)",
        "read back as kgen.dev/v1alpha1: spec.tokenSecretRef      = {\"name\":\"do-token\",\"key\":\"token\"}",
        "read back as kgen.dev/v1beta1:  spec.token.secretKeyRef  = {\"name\":\"do-token\",\"key\":\"token\"}",
        "Pending",
        "Creating",
        "Running",
        "$ kubectl get klusters",
        "$ kubectl patch kluster kluster-sample",
        "Error from server (Invalid): admission webhook \"vkluster-v1beta1.kgen.dev\" denied the request: \
         spec.nodePools[0].size: DigitalOcean offers no node size \"s-64vcpu-512gb\" in region nyc1",
        "$ kubectl delete kluster",
        "Kluster deleted",
    ];
    let mut from = 0;
    for step in order {
        let at = text[from..]
            .find(step)
            .unwrap_or_else(|| panic!("{step:?} missing or out of order:\n{text}"));
        from += at;
    }
    // The table has the CRD's printer columns and the sample's values.
    let header = text.lines().find(|l| l.starts_with("NAME")).unwrap();
    for column in ["CLUSTERID", "PROGRESS", "REGION", "VERSION", "AGE"] {
        assert!(header.contains(column), "{header}");
    }
    let row = text.lines().find(|l| l.starts_with("kluster-sample")).unwrap();
    assert!(
        row.contains("Running") && row.contains("nyc1") && row.contains("latest"),
        "{row}"
    );
    assert!(text.contains("DigitalOcean clusters: none"), "{text}");
    assert!(text.contains("gone (garbage-collected with its owner)"), "{text}");
    for reason in ["Creating", "Created", "Provisioning", "Running", "Deleting", "Deleted"] {
        assert!(
            text.lines()
                .any(|l| l.trim_start().starts_with("Normal") && l.contains(reason)),
            "event {reason}:\n{text}"
        );
    }
    assert!(
        !text.contains("Adopted"),
        "a fresh Kluster is created, not adopted:\n{text}"
    );
}
