//! The PodSet CRD, with a full pod template inlined from Kubernetes' own schema, on kgen's fake API
//! server: a realistic template is stored with its labels (not pruned), Kubernetes' defaults apply
//! inside it, and what Kubernetes requires is enforced.

use kgen_example_podset::api::v1::{PodSet, PodSetSpec};
use kgen_example_podset::generated::{Clientset, crds, fake_api_server};
use kgen_fake::FakeApiServer;
use kube::api::{ApiResource, DynamicObject, PostParams};
use serde_json::{Value, json};

/// A pod template as people write them: ports, env from a Secret, probes on a named port,
/// resources, volumes of three kinds, tolerations, affinity, a security context.
fn template() -> Value {
    json!({
        "metadata": {"labels": {"app": "web", "tier": "frontend"}, "annotations": {"prometheus.io/scrape": "true"}},
        "spec": {
            "containers": [{
                "name": "web",
                "image": "nginx:1.27",
                "ports": [{"name": "http", "containerPort": 8080}],
                "env": [
                    {"name": "MODE", "value": "production"},
                    {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "web-token", "key": "token"}}}
                ],
                "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5},
                "livenessProbe": {"tcpSocket": {"port": 8080}, "initialDelaySeconds": 10},
                "resources": {"limits": {"cpu": "500m", "memory": "128Mi"}, "requests": {"cpu": "250m"}},
                "volumeMounts": [{"name": "config", "mountPath": "/etc/web"}, {"name": "cache", "mountPath": "/cache"}],
                "securityContext": {"runAsNonRoot": true, "readOnlyRootFilesystem": true,
                                    "capabilities": {"drop": ["ALL"]}}
            }],
            "volumes": [
                {"name": "config", "configMap": {"name": "web-config", "items": [{"key": "nginx.conf", "path": "nginx.conf"}]}},
                {"name": "cache", "emptyDir": {"sizeLimit": "1Gi"}},
                {"name": "data", "persistentVolumeClaim": {"claimName": "web-data"}}
            ],
            "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "web", "effect": "NoSchedule"}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]}]}
            ]}}},
            "nodeSelector": {"disktype": "ssd"},
            "terminationGracePeriodSeconds": 30
        }
    })
}

fn podset(name: &str, template: Value) -> PodSet {
    PodSet::new(
        name,
        PodSetSpec {
            replicas: Some(3),
            template: serde_json::from_value(template).expect("a valid PodTemplateSpec"),
            sidecar_resources: Some(
                serde_json::from_value(json!({"limits": {"memory": "64Mi"}})).expect("valid ResourceRequirements"),
            ),
        },
    )
}

#[tokio::test]
async fn a_full_pod_template_is_stored_as_kubernetes_would() {
    assert_eq!(crds().len(), 1);
    let fake: FakeApiServer = fake_api_server();
    let podsets = Clientset::new(fake.client()).podset_v1().podsets("default");
    podsets
        .create(&podset("web", template()), &PostParams::default())
        .await
        .expect("created");
    let stored = fake.get_json("podsets", Some("default"), "web").expect("stored");
    let t = &stored["spec"]["template"];
    // Embedded metadata is kept (a bare `type: object` would prune it).
    assert_eq!(t["metadata"]["labels"], json!({"app": "web", "tier": "frontend"}));
    assert_eq!(t["metadata"]["annotations"]["prometheus.io/scrape"], "true");
    let c = &t["spec"]["containers"][0];
    // Kubernetes' default for the list-map key protocol applies.
    assert_eq!(
        c["ports"][0],
        json!({"name": "http", "containerPort": 8080, "protocol": "TCP"})
    );
    assert_eq!(c["readinessProbe"]["httpGet"]["port"], "http");
    assert_eq!(c["livenessProbe"]["tcpSocket"]["port"], 8080);
    assert_eq!(c["resources"]["limits"]["cpu"], "500m");
    assert_eq!(c["env"][1]["valueFrom"]["secretKeyRef"]["key"], "token");
    assert_eq!(
        t["spec"]["volumes"][2]["persistentVolumeClaim"]["claimName"],
        "web-data"
    );
    assert_eq!(
        t["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
            ["matchExpressions"][0]["values"],
        json!(["amd64", "arm64"])
    );
    assert_eq!(stored["spec"]["sidecarResources"]["limits"]["memory"], "64Mi");
}

#[tokio::test]
async fn unknown_fields_inside_the_template_are_pruned() {
    let fake: FakeApiServer = fake_api_server();
    let mut t = template();
    t["spec"]["containers"][0]["imagePullPolicyTypo"] = json!("Always");
    t["spec"]["notAPodField"] = json!(1);
    let raw = json!({
        "apiVersion": "podset.kgen.dev/v1",
        "kind": "PodSet",
        "metadata": {"name": "typo", "namespace": "default"},
        "spec": {"template": t}
    });
    fake.insert(raw).expect("stored");
    let stored = fake.get_json("podsets", Some("default"), "typo").unwrap();
    let spec = &stored["spec"]["template"]["spec"];
    assert!(spec.get("notAPodField").is_none(), "{spec}");
    assert!(spec["containers"][0].get("imagePullPolicyTypo").is_none());
    assert_eq!(spec["containers"][0]["image"], "nginx:1.27");
    // The PodSet's own default.
    assert_eq!(stored["spec"]["replicas"], 1);
}

#[tokio::test]
async fn what_kubernetes_requires_is_enforced() {
    let fake: FakeApiServer = fake_api_server();
    // Through the API, untyped (a typed PodTemplateSpec could not even hold these mistakes).
    let podsets: kube::Api<DynamicObject> =
        kube::Api::namespaced_with(fake.client(), "default", &ApiResource::erase::<PodSet>(&()));
    let mut t = template();
    t["spec"]["containers"][0].as_object_mut().unwrap().remove("name");
    let err = podsets
        .create(&PostParams::default(), &podset_raw(t))
        .await
        .expect_err("a container needs a name");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, 422);
    assert!(
        status.message.contains("spec.template.spec.containers[0].name"),
        "{}",
        status.message
    );

    let mut t = template();
    t["spec"]["containers"][0]["resources"]["limits"]["cpu"] = json!("lots");
    let err = podsets
        .create(&PostParams::default(), &podset_raw(t))
        .await
        .expect_err("not a quantity");
    let kube::Error::Api(status) = err else {
        panic!("{err:?}")
    };
    assert_eq!(status.code, 422);
    assert!(
        status
            .message
            .contains("spec.template.spec.containers[0].resources.limits"),
        "{}",
        status.message
    );
}

/// A PodSet whose template may be invalid.
fn podset_raw(template: Value) -> DynamicObject {
    serde_json::from_value(json!({
        "apiVersion": "podset.kgen.dev/v1",
        "kind": "PodSet",
        "metadata": {"name": "bad"},
        "spec": {"template": template}
    }))
    .unwrap()
}

#[test]
fn the_crd_file_is_what_the_build_wrote_and_embeds_the_pod_schema() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/config/crd/bases/podset.kgen.dev_podsets.yaml"
    ))
    .unwrap();
    let crd: Value = serde_saphyr::from_str(text.split("\n---\n").last().unwrap()).unwrap();
    let embedded = strip_descriptions(serde_json::to_value(&crds()[0]).unwrap());
    if crd != embedded {
        let dir = std::env::temp_dir();
        std::fs::write(
            dir.join("podset-file.json"),
            serde_json::to_string_pretty(&crd).unwrap(),
        )
        .unwrap();
        std::fs::write(
            dir.join("podset-embedded.json"),
            serde_json::to_string_pretty(&embedded).unwrap(),
        )
        .unwrap();
        panic!(
            "the CRD file differs from crds()[0] beyond descriptions (both written to {})",
            dir.display()
        );
    }
    let containers = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["template"]
        ["properties"]["spec"]["properties"]["containers"];
    assert_eq!(containers["x-kubernetes-list-type"], "map");
    assert_eq!(containers["items"]["required"], json!(["name"]));
}

/// The file is written with `max_desc_len(0)`; `crds()` keeps descriptions (and k8s-openapi's
/// typed CRD holds `minimum` as a float).
fn strip_descriptions(mut v: Value) -> Value {
    fn walk(v: &mut Value, in_schema: bool) {
        match v {
            Value::Object(m) => {
                if in_schema {
                    m.remove("description");
                }
                for (k, child) in m.iter_mut() {
                    // `properties` maps names to schemas: a property called `description` stays.
                    let schema_below = in_schema || k == "openAPIV3Schema";
                    if k == "properties" {
                        if let Value::Object(props) = child {
                            props.values_mut().for_each(|p| walk(p, true));
                        }
                    } else {
                        walk(child, schema_below);
                    }
                }
            }
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, in_schema)),
            Value::Number(n) => {
                if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && !n.is_i64() && !n.is_u64()) {
                    *v = json!(f as i64);
                }
            }
            _ => {}
        }
    }
    walk(&mut v, false);
    v
}
