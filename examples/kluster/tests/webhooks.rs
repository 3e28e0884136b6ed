//! The Kluster's two versions and its webhooks, through kgen's fake API server: v1alpha1 objects
//! stored at v1beta1 by the generated (and partly hand-written) conversion, the validating
//! webhook refusing node sizes DigitalOcean does not offer, the operator keeping the webhook's
//! catalog fresh, and the `kluster` binary serving both webhooks over TLS.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Env, NS, is_running, kluster, post, timing};
use kgen_runtime::admission::{Operation, Validator, validating};
use kgen_runtime::conversion::{CONVERSION_DATA_ANNOTATION, ConvertFrom, convert};
use kluster::api::{v1alpha1, v1beta1};
use kluster::digitalocean::{KubernetesOptions, Offered};
use kluster::generated::conversion::KlusterConverter;
use kluster::operator::OperatorConfig;
use kluster::operator::admission::{KlusterValidator, OfferCatalog, VALIDATE_PATH};
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const MANIFESTS: &str = include_str!("../config/webhook/manifests.yaml");

fn v1alpha1_kluster(name: &str, size: &str) -> v1alpha1::Kluster {
    let mut k = v1alpha1::Kluster::new(
        name,
        v1alpha1::KlusterSpec {
            name: format!("{name}-cluster"),
            region: "nyc1".into(),
            version: "latest".into(),
            node_pools: vec![v1alpha1::NodePool {
                name: "default".into(),
                size: size.into(),
                count: 2,
            }],
            token_secret_ref: v1alpha1::TokenSecretRef {
                name: "do-token".into(),
                key: "token".into(),
            },
        },
    );
    k.metadata.namespace = Some(NS.to_string());
    k
}

fn options(regions: &[&str], sizes: &[&str]) -> KubernetesOptions {
    let offered = |slugs: &[&str]| {
        slugs
            .iter()
            .map(|s| Offered {
                name: s.to_string(),
                slug: s.to_string(),
            })
            .collect()
    };
    KubernetesOptions {
        regions: offered(regions),
        versions: Vec::new(),
        sizes: offered(sizes),
    }
}

fn catalog(regions: &[&str], sizes: &[&str]) -> Arc<OfferCatalog> {
    let c = OfferCatalog::new(Duration::from_secs(3600));
    c.set(&options(regions, sizes));
    c
}

/// An env whose fake API server runs the validating webhook with `catalog`.
async fn env_with_webhook(catalog: Arc<OfferCatalog>) -> Env {
    let env = Env::new(Duration::from_millis(200)).await;
    env.api
        .add_admission_webhooks(
            MANIFESTS,
            [(VALIDATE_PATH.to_string(), validating(KlusterValidator { catalog }))],
        )
        .unwrap();
    env
}

fn old_api(env: &Env) -> Api<v1alpha1::Kluster> {
    Api::namespaced(env.client.clone(), NS)
}

fn api_error(e: kube::Error) -> (u16, String, String) {
    match e {
        kube::Error::Api(s) => (s.code, s.reason, s.message),
        other => panic!("not an API error: {other}"),
    }
}

#[test]
fn the_hand_written_spec_conversion_moves_the_token_reference() {
    let old = v1alpha1_kluster("k", "s-2vcpu-4gb");
    let hub: v1beta1::Kluster = ConvertFrom::convert_from(old.clone()).unwrap();
    assert_eq!(hub.spec.token.secret_key_ref.name, "do-token");
    assert_eq!(hub.spec.token.secret_key_ref.key, "token");
    assert_eq!(
        hub.spec.node_pools[0].size, "s-2vcpu-4gb",
        "generated NodePool conversion"
    );
    let back: v1alpha1::Kluster = ConvertFrom::convert_from(hub).unwrap();
    assert_eq!(back, old);
}

#[test]
fn a_round_trip_through_v1alpha1_loses_nothing() {
    let mut hub = serde_json::to_value(kluster("k", 2)).unwrap();
    hub["status"] = json!({"clusterID": "abc", "progress": "Running", "observedGeneration": 1});
    let spoke = convert(&KlusterConverter, hub.clone(), "kgen.dev/v1alpha1").unwrap();
    assert_eq!(spoke["apiVersion"], "kgen.dev/v1alpha1");
    assert_eq!(
        spoke["spec"]["tokenSecretRef"],
        json!({"name": "do-token", "key": "token"})
    );
    assert!(spoke["spec"].get("token").is_none(), "{spoke}");
    assert_eq!(spoke["status"]["clusterID"], "abc");
    assert!(
        spoke["metadata"]
            .get("annotations")
            .and_then(|a| a.get(CONVERSION_DATA_ANNOTATION))
            .is_none(),
        "v1alpha1 holds all of v1beta1: nothing kept aside: {spoke}"
    );
    assert_eq!(convert(&KlusterConverter, spoke, "kgen.dev/v1beta1").unwrap(), hub);
}

#[tokio::test]
async fn a_v1alpha1_object_is_stored_and_read_as_v1beta1() {
    let env = Env::new(Duration::from_millis(200)).await;
    old_api(&env)
        .create(&PostParams::default(), &v1alpha1_kluster("old", "s-2vcpu-4gb"))
        .await
        .unwrap();
    let stored = env.api.get_json("klusters", Some(NS), "old").unwrap();
    assert_eq!(stored["apiVersion"], "kgen.dev/v1beta1");
    assert_eq!(
        stored["spec"]["token"],
        json!({"secretKeyRef": {"name": "do-token", "key": "token"}})
    );

    let new = env.klusters().get("old").await.unwrap();
    assert_eq!(new.spec.token.secret_key_ref.name, "do-token");
    // A change written at v1beta1 reads back at v1alpha1.
    let patch = json!({"spec": {"token": {"secretKeyRef": {"name": "other", "key": "tok"}}}});
    env.klusters()
        .patch("old", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
    let old = old_api(&env).get("old").await.unwrap();
    assert_eq!(old.spec.token_secret_ref.name, "other");
    assert_eq!(old.spec.token_secret_ref.key, "tok");
    let listed = old_api(&env).list(&Default::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].spec.token_secret_ref.name, "other");
}

#[tokio::test]
async fn the_webhook_refuses_a_node_size_digitalocean_does_not_offer() {
    let env = env_with_webhook(catalog(&["nyc1", "fra1"], &["s-2vcpu-4gb", "c-2"])).await;
    let mut bad = kluster("bad", 2);
    bad.spec.node_pools[0].size = "s-64vcpu-512gb".into();
    let (code, reason, message) = api_error(env.klusters().create(&post(), &bad).await.unwrap_err());
    assert_eq!((code, reason.as_str()), (422, "Invalid"), "{message}");
    assert_eq!(
        message,
        "admission webhook \"vkluster-v1beta1.kgen.dev\" denied the request: spec.nodePools[0].size: \
         DigitalOcean offers no node size \"s-64vcpu-512gb\" in region nyc1 (offered: c-2, s-2vcpu-4gb)"
    );
    assert!(
        env.api.get_json("klusters", Some(NS), "bad").is_none(),
        "nothing stored"
    );

    // The webhook is registered for v1beta1; a v1alpha1 request is converted and checked too.
    let err = old_api(&env)
        .create(&PostParams::default(), &v1alpha1_kluster("old-bad", "m-1vcpu"))
        .await
        .unwrap_err();
    let (code, _, message) = api_error(err);
    assert_eq!(code, 422);
    assert!(message.contains("\"m-1vcpu\""), "{message}");

    let mut region = kluster("region", 2);
    region.spec.region = "xyz9".into();
    let (_, _, message) = api_error(env.klusters().create(&post(), &region).await.unwrap_err());
    assert!(
        message.ends_with("spec.region: DigitalOcean does not offer Kubernetes in region \"xyz9\""),
        "{message}"
    );

    env.klusters().create(&post(), &kluster("good", 2)).await.unwrap();
    // Changing a pool's size to one not offered is refused; other changes go through.
    let patch = |size: &str, count: i32| {
        Patch::Merge(json!({"spec": {"nodePools": [{"name": "default", "size": size, "count": count}]}}))
    };
    let err = env
        .klusters()
        .patch("good", &PatchParams::default(), &patch("s-99vcpu", 2))
        .await
        .unwrap_err();
    assert!(api_error(err).2.contains("spec.nodePools[0].size"));
    env.klusters()
        .patch("good", &PatchParams::default(), &patch("c-2", 3))
        .await
        .unwrap();
}

#[test]
fn updates_keep_sizes_digitalocean_has_withdrawn_and_an_empty_catalog_refuses_nothing() {
    let mut old = kluster("k", 2);
    old.spec.node_pools[0].size = "s-1vcpu-1gb".into();
    let mut new = old.clone();
    new.spec.node_pools[0].count = 5;
    let validator = KlusterValidator {
        catalog: catalog(&["nyc1"], &["s-2vcpu-4gb"]),
    };
    assert_eq!(
        validator.validate(Operation::Update, Some(&new), Some(&old)),
        Ok(()),
        "the pool's size did not change"
    );
    new.spec.node_pools.push(v1beta1::NodePool {
        name: "extra".into(),
        size: "s-1vcpu-1gb".into(),
        count: 1,
    });
    let denied = validator
        .validate(Operation::Update, Some(&new), Some(&old))
        .unwrap_err();
    assert!(
        denied.message.starts_with("spec.nodePools[1].size:"),
        "{}",
        denied.message
    );
    assert_eq!(validator.validate(Operation::Delete, None, Some(&old)), Ok(()));

    let empty = KlusterValidator {
        catalog: OfferCatalog::new(Duration::from_secs(60)),
    };
    assert!(empty.catalog.is_stale());
    assert_eq!(empty.validate(Operation::Create, Some(&new), None), Ok(()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_reads_the_offer_while_reconciling() {
    let offers = OfferCatalog::new(Duration::from_secs(3600));
    let env = env_with_webhook(offers.clone()).await;
    let operator = env.start_operator_with(OperatorConfig {
        timing: timing(),
        offers: Some(offers.clone()),
        ..OperatorConfig::default()
    });
    env.create_kluster("first", 1).await;
    env.wait_for("first", Duration::from_secs(20), is_running).await;
    assert!(!offers.is_stale());
    assert_eq!(env.standin.count("list_options"), 1, "read once, then kept for an hour");
    assert_eq!(offers.offers_size("s-2vcpu-4gb"), Some(true));
    assert_eq!(offers.offers_region("nyc1"), Some(true));

    // Now the webhook knows the stand-in's sizes.
    let mut bad = kluster("second", 1);
    bad.spec.node_pools[0].size = "s-3vcpu-3gb".into();
    let (code, _, message) = api_error(env.klusters().create(&post(), &bad).await.unwrap_err());
    assert_eq!(code, 422);
    assert!(message.contains("offered: c-2, c-4, g-2vcpu-8gb"), "{message}");
    operator.stop().await.unwrap();
}

/// The `kluster` binary serves the conversion and validation webhooks over HTTPS from the
/// certificate directory cert-manager would mount.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_both_webhooks_over_tls() {
    let env = Env::new(Duration::from_millis(200)).await;
    let (addr, _server) = env.api.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let made = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string()]).unwrap();
    std::fs::write(dir.path().join("tls.crt"), made.cert.pem()).unwrap();
    std::fs::write(dir.path().join("tls.key"), made.signing_key.serialize_pem()).unwrap();
    let kubeconfig = dir.path().join("kubeconfig.yaml");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: http://{addr}\nusers:\n- name: test\n  user: {{}}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: test\ncurrent-context: fake\n"
        ),
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let _operator = tokio::process::Command::new(env!("CARGO_BIN_EXE_kluster"))
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .args(["--health-port", "0", "--webhook-host", "127.0.0.1"])
        .args(["--webhook-port", &port.to_string()])
        .arg("--webhook-cert-dir")
        .arg(dir.path())
        .args(["--digitalocean-url", &env.standin_server.base_url()])
        .env_remove("KUBECONFIG")
        .kill_on_drop(true)
        .spawn()
        .unwrap();

    let ca = reqwest::Certificate::from_pem(made.cert.pem().as_bytes()).unwrap();
    let https = reqwest::Client::builder().add_root_certificate(ca).build().unwrap();
    let base = format!("https://127.0.0.1:{port}");
    let hub = serde_json::to_value(kluster("k", 2)).unwrap();
    let review = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "ConversionReview",
        "request": {"uid": "c0ffee", "desiredAPIVersion": "kgen.dev/v1alpha1", "objects": [hub]},
    });
    let mut answer = None;
    for _ in 0..100 {
        match https.post(format!("{base}/convert")).json(&review).send().await {
            Ok(r) => {
                answer = Some(r);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    let answer = answer.expect("the webhook server answers");
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["response"]["uid"], "c0ffee");
    assert_eq!(body["response"]["result"]["status"], "Success", "{body}");
    let converted = &body["response"]["convertedObjects"][0];
    assert_eq!(converted["apiVersion"], "kgen.dev/v1alpha1");
    assert_eq!(converted["spec"]["tokenSecretRef"]["name"], "do-token");

    // Validation: before the operator has read DigitalOcean's options nothing is refused; the
    // request itself is answered on its path.
    let admission = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "a1",
            "kind": {"group": "kgen.dev", "version": "v1beta1", "kind": "Kluster"},
            "resource": {"group": "kgen.dev", "version": "v1beta1", "resource": "klusters"},
            "name": "k", "namespace": NS, "operation": "CREATE",
            "userInfo": {"username": "test"},
            "object": serde_json::to_value(kluster("k", 2)).unwrap(),
            "dryRun": false,
        },
    });
    let answer = https
        .post(format!("{base}{VALIDATE_PATH}"))
        .json(&admission)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let body: Value = answer.json().await.unwrap();
    assert_eq!(body["response"]["uid"], "a1");
    assert_eq!(body["response"]["allowed"], true, "{body}");
}
