//! The corpus's generated conversions, run: Gizmo v1 (spoke) to and from v2 (the hub), field by
//! field and through the hand-written `Sizing` conversion, losing nothing on a round trip.

use kgen_runtime::conversion::{CONVERSION_DATA_ANNOTATION, ConvertFrom, Converter, convert};
use kgen_tests::corpus::versioned::{v1, v2};
use kgen_tests::generated::conversion::GizmoConverter;
use kgen_tests::generated::{conversions, crds};
use serde_json::{Value, json};

const V1: &str = "versioned.corpus.kgen.dev/v1";
const V2: &str = "versioned.corpus.kgen.dev/v2";

fn v1_object() -> Value {
    json!({
        "apiVersion": V1,
        "kind": "Gizmo",
        "metadata": {"name": "g", "namespace": "default", "uid": "0b5c", "resourceVersion": "7", "labels": {"a": "b"}},
        "spec": {
            "replicas": 2,
            "mode": "Safe",
            "parts": [{"name": "bolt", "count": 4}, {"name": "nut"}],
            "spares": {"left": {"name": "washer", "count": 1}},
            "limits": {"cpu": 2},
            "sizing": {"size": "s-1vcpu-2gb"},
        },
        "status": {"ready": true, "conditions": []},
    })
}

#[test]
fn the_converter_describes_the_kind() {
    let c = GizmoConverter;
    assert_eq!(c.group(), "versioned.corpus.kgen.dev");
    assert_eq!(c.kind(), "Gizmo");
    assert_eq!(c.plural(), "gizmoes");
    assert_eq!(c.hub_version(), "v2");
    assert_eq!(c.versions(), ["v2", "v1"]);
    let all = conversions();
    assert_eq!(all.len(), 1, "one converter per converting kind");
    assert_eq!(all[0].kind(), "Gizmo");
}

#[test]
fn spoke_to_hub_field_by_field_and_by_hand() {
    let hub = convert(&GizmoConverter, v1_object(), V2).unwrap();
    assert_eq!(hub["apiVersion"], V2);
    assert_eq!(hub["kind"], "Gizmo");
    assert_eq!(
        hub["spec"]["sizing"],
        json!({"sizeSlug": "s-1vcpu-2gb"}),
        "the hand-written conversion ran"
    );
    assert_eq!(
        hub["spec"]["parts"],
        json!([{"name": "bolt", "count": 4}, {"name": "nut"}])
    );
    assert_eq!(hub["spec"]["spares"]["left"]["name"], "washer");
    assert_eq!(hub["spec"]["limits"], json!({"cpu": 2}), "a shared type moves as it is");
    assert_eq!(hub["spec"]["mode"], "Safe");
    assert!(
        hub["spec"].get("zone").is_none(),
        "v2's new optional field starts empty"
    );
    assert_eq!(hub["status"]["ready"], true);
    assert_eq!(hub["metadata"]["uid"], "0b5c");
    assert_eq!(hub["metadata"]["resourceVersion"], "7");
    assert!(
        hub["metadata"].get("annotations").is_none(),
        "v2 holds everything v1 has: nothing to keep aside"
    );
    let typed: v2::Gizmo = serde_json::from_value(hub).unwrap();
    assert_eq!(typed.spec.sizing.size_slug, "s-1vcpu-2gb");
}

#[test]
fn round_trips_lose_nothing() {
    let hub = convert(&GizmoConverter, v1_object(), V2).unwrap();
    assert_eq!(convert(&GizmoConverter, hub, V1).unwrap(), v1_object());

    // A v2 field v1 cannot hold survives a trip through v1 in the annotation.
    let mut hub = convert(&GizmoConverter, v1_object(), V2).unwrap();
    hub["spec"]["zone"] = json!("fra1");
    let spoke = convert(&GizmoConverter, hub.clone(), V1).unwrap();
    assert!(spoke["spec"].get("zone").is_none());
    let kept: Value = serde_json::from_str(
        spoke["metadata"]["annotations"][CONVERSION_DATA_ANNOTATION]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(kept, json!({"apiVersion": V2, "fields": {"spec": {"zone": "fra1"}}}));
    let back = convert(&GizmoConverter, spoke, V2).unwrap();
    assert_eq!(back, hub);
}

#[test]
fn typed_conversions_are_plain_rust() {
    let old: v1::Gizmo = serde_json::from_value(v1_object()).unwrap();
    let hub: v2::Gizmo = ConvertFrom::convert_from(old.clone()).unwrap();
    assert_eq!(hub.spec.zone, None);
    assert_eq!(hub.spec.mode, v2::Mode::Safe);
    let again: v1::Gizmo = ConvertFrom::convert_from(hub).unwrap();
    assert_eq!(again, old);
}

#[test]
fn unknown_versions_are_refused() {
    let err = GizmoConverter.from_hub(json!({"apiVersion": V2}), "v3").unwrap_err();
    assert_eq!(err.message(), "Gizmo has no version \"v3\"");
    let err = GizmoConverter
        .to_hub(json!({"apiVersion": "versioned.corpus.kgen.dev/v0", "kind": "Gizmo"}))
        .unwrap_err();
    assert_eq!(err.message(), "Gizmo has no version \"v0\"");
}

#[test]
fn the_crd_asks_the_webhook() {
    let crd = crds()
        .into_iter()
        .find(|c| c.metadata.name.as_deref() == Some("gizmoes.versioned.corpus.kgen.dev"))
        .unwrap();
    let conversion = crd.spec.conversion.unwrap();
    assert_eq!(conversion.strategy, "Webhook");
    let webhook = conversion.webhook.unwrap();
    assert_eq!(webhook.conversion_review_versions, ["v1"]);
    let service = webhook.client_config.unwrap().service.unwrap();
    assert_eq!(
        (
            service.name.as_str(),
            service.namespace.as_str(),
            service.path.as_deref()
        ),
        ("webhook-service", "system", Some("/convert"))
    );
    assert_eq!(service.port, None, "the API server's default, 443");
}
