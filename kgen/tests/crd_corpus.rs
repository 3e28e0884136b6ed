//! The fixture corpus: every type row and every marker, in both spellings. Each CRD is
//! snapshotted, and the behaviour that matters is asserted on the parsed YAML.

use kgen_build::CrdOptions;
use serde_json::{Value, json};
use std::collections::BTreeMap;

fn corpus() -> BTreeMap<String, Value> {
    let out = kgen_build::generate_crds(&CrdOptions::new(["tests/fixtures/corpus"])).unwrap_or_else(|e| panic!("{e}"));
    out.files
        .iter()
        .map(|f| {
            let v: Value = serde_saphyr::from_str(&f.contents).expect("output is YAML");
            (f.name.clone(), v)
        })
        .collect()
}

fn spec_props<'a>(crd: &'a Value, version: &str) -> &'a Value {
    let v = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == version)
        .unwrap();
    &v["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]
}

#[test]
fn snapshots() {
    let out = kgen_build::generate_crds(&CrdOptions::new(["tests/fixtures/corpus"])).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = out.files.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "gostyle.corpus.kgen.dev_probes.yaml",
            "gostyle.corpus.kgen.dev_runners.yaml",
            "markers.corpus.kgen.dev_fleets.yaml",
            "markers.corpus.kgen.dev_gadgets.yaml",
            "markers.corpus.kgen.dev_widgets.yaml",
            "shapes.corpus.kgen.dev_shapes.yaml",
            "versioned.corpus.kgen.dev_gizmoes.yaml"
        ]
    );
    for f in &out.files {
        insta::assert_snapshot!(f.name.clone(), f.contents);
    }
}

#[test]
fn versions_storage_deprecation_and_skip() {
    let c = corpus();
    let crd = &c["shapes.corpus.kgen.dev_shapes.yaml"];
    let versions = crd["spec"]["versions"].as_array().unwrap();
    let names: Vec<&str> = versions.iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["v1", "v1beta1"], "v1alpha1 is skipped; GA sorts before beta");
    assert_eq!(versions[0]["storage"], json!(true));
    assert_eq!(versions[0]["served"], json!(true));
    assert_eq!(versions[1]["storage"], json!(false));
    assert_eq!(versions[1]["served"], json!(false));
    assert_eq!(versions[1]["deprecated"], json!(true));
    assert_eq!(
        versions[1]["deprecationWarning"],
        json!("shapes.corpus.kgen.dev/v1beta1 is deprecated; use v1")
    );
    assert_eq!(crd["metadata"]["name"], json!("shapes.shapes.corpus.kgen.dev"));
    assert_eq!(crd["spec"]["scope"], json!("Namespaced"));
}

#[test]
fn every_type_row_maps_as_documented() {
    let c = corpus();
    let p = spec_props(&c["shapes.corpus.kgen.dev_shapes.yaml"], "v1");
    let ty = |k: &str| (p[k]["type"].clone(), p[k]["format"].clone(), p[k]["minimum"].clone());
    assert_eq!(ty("flag"), (json!("boolean"), Value::Null, Value::Null));
    // 8- and 16-bit integers keep their range, so the API server refuses what Rust cannot read.
    assert_eq!(ty("tiny"), (json!("integer"), json!("int32"), json!(-128)));
    assert_eq!(ty("small"), (json!("integer"), json!("int32"), json!(-32768)));
    assert_eq!(ty("byte"), (json!("integer"), json!("int32"), json!(0)));
    assert_eq!(ty("short"), (json!("integer"), json!("int32"), json!(0)));
    let max = |k: &str| p[k]["maximum"].clone();
    assert_eq!(
        [max("tiny"), max("small"), max("byte"), max("short")],
        [json!(127), json!(32767), json!(255), json!(65535)]
    );
    assert_eq!(max("int64"), Value::Null);
    assert_eq!(ty("int64"), (json!("integer"), json!("int64"), Value::Null));
    assert_eq!(ty("uint32"), (json!("integer"), json!("int64"), json!(0)));
    assert_eq!(ty("uint64"), (json!("integer"), json!("int64"), json!(0)));
    assert_eq!(ty("usize"), (json!("integer"), json!("int64"), json!(0)));
    assert_eq!(ty("float"), (json!("number"), json!("float"), Value::Null));
    assert_eq!(ty("double"), (json!("number"), json!("double"), Value::Null));
    assert_eq!(p["maybe"]["nullable"], Value::Null, "Option alone is not nullable");
    assert_eq!(p["nullable"]["nullable"], json!(true));
    assert_eq!(p["list"]["items"]["type"], json!("string"));
    assert_eq!(p["orderedSet"]["x-kubernetes-list-type"], json!("set"));
    assert_eq!(p["hashSet"]["x-kubernetes-list-type"], json!("set"));
    assert_eq!(p["orderedSet"]["uniqueItems"], Value::Null);
    assert_eq!(p["orderedMap"]["additionalProperties"]["type"], json!("integer"));
    assert_eq!(p["hashMap"]["additionalProperties"]["required"], json!(["name"]));
    assert_eq!(p["boxed"]["properties"]["name"]["type"], json!("string"));
    assert_eq!(p["shared"]["type"], json!("string"));
    assert_eq!(
        (p["newtype"]["minimum"].clone(), p["newtype"]["maximum"].clone()),
        (json!(1), json!(65535))
    );
    assert_eq!(p["transparent"]["type"], json!("string"));
    assert_eq!(p["phase"]["enum"], json!(["Pending", "up"]));
    assert_eq!(
        p["mode"]["enum"],
        json!(["alpha-mode", "zeta-mode"]),
        "+k8s:enum sorts; kebab-case rename"
    );
    assert_eq!(
        p["source"]["oneOf"],
        json!([{"required": ["git"]}, {"required": ["image"]}])
    );
    assert_eq!(p["source"]["properties"]["git"]["required"], json!(["url"]));
    assert_eq!(p["backend"]["properties"]["kind"]["enum"], json!(["None", "S3", "Gcs"]));
    assert_eq!(p["backend"]["required"], json!(["kind"]));
    assert_eq!(p["backend"]["properties"]["project"]["type"], json!("string"));
    assert_eq!(
        p["flat_field"]["type"],
        json!("string"),
        "flattened struct fields merge into the parent"
    );
    assert_eq!(p["renamed-field"]["type"], json!("string"));
    assert!(p.get("skipped").is_none() && p.get("internal").is_none());
    assert_eq!(p["time"]["format"], json!("date-time"));
    assert_eq!(p["microTime"]["format"], json!("date-time"));
    assert_eq!(p["quantity"]["x-kubernetes-int-or-string"], json!(true));
    assert!(p["quantity"]["pattern"].is_string());
    assert_eq!(p["quantity"]["type"], Value::Null);
    assert_eq!(
        p["intOrString"]["anyOf"],
        json!([{"type": "integer"}, {"type": "string"}])
    );
    assert_eq!(
        p["value"],
        json!({"description": "serde_json::Value preserves anything.", "x-kubernetes-preserve-unknown-fields": true})
    );
    assert_eq!(p["selector"]["x-kubernetes-map-type"], json!("atomic"));
    assert_eq!(p["secretKey"]["required"], json!(["key"]));
    assert_eq!(p["secretRef"]["required"], json!(["name"]));
    assert_eq!(p["labels"]["additionalProperties"]["type"], json!("string"));
    assert_eq!(p["sparse"]["items"]["nullable"], json!(true));
    assert_eq!(p["pair"]["items"]["format"], json!("int32"));
    assert_eq!(p["type"]["type"], json!("string"));

    let spec = &c["shapes.corpus.kgen.dev_shapes.yaml"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
        ["spec"];
    let required: Vec<&str> = spec["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    for r in ["flag", "text", "flat_field", "renamed-field", "quantity", "value"] {
        assert!(required.contains(&r), "{r} is required");
    }
    for o in ["maybe", "nullable", "defaulted", "time", "intOrString"] {
        assert!(!required.contains(&o), "{o} is optional");
    }
    let status = &c["shapes.corpus.kgen.dev_shapes.yaml"]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
        ["status"];
    assert_eq!(
        status["x-kubernetes-preserve-unknown-fields"],
        json!(true),
        "a flattened map opens the struct"
    );
}

#[test]
fn markers_emit_their_keywords() {
    let c = corpus();
    let crd = &c["markers.corpus.kgen.dev_gadgets.yaml"];
    let p = spec_props(crd, "v1");
    assert_eq!(crd["spec"]["names"]["shortNames"], json!(["gd", "gdg"]));
    assert_eq!(crd["spec"]["names"]["categories"], json!(["all", "corpus"]));
    assert_eq!(crd["metadata"]["annotations"]["corpus.kgen.dev/owner"], json!("team-a"));
    assert_eq!(crd["metadata"]["labels"]["app"], json!("corpus"));
    let v = &crd["spec"]["versions"][0];
    assert_eq!(
        v["additionalPrinterColumns"][0],
        json!({"name": "Size", "type": "integer", "jsonPath": ".spec.size", "description": "Number of parts", "priority": 1})
    );
    assert_eq!(
        v["additionalPrinterColumns"][1]["jsonPath"],
        json!(".status.conditions[?(@.type==\"Ready\")].status")
    );
    assert_eq!(v["additionalPrinterColumns"][2]["format"], json!("date-time"));
    assert_eq!(v["selectableFields"], json!([{"jsonPath": ".spec.color"}]));
    assert_eq!(v["subresources"], json!({"status": {}}));
    assert_eq!(
        (
            p["size"]["minimum"].clone(),
            p["size"]["maximum"].clone(),
            p["size"]["multipleOf"].clone()
        ),
        (json!(1), json!(100), json!(1))
    );
    assert_eq!(p["ratio"]["exclusiveMinimum"], json!(true));
    assert_eq!(p["ratio"]["maximum"], json!(1.5));
    assert_eq!(p["minParts"]["minimum"], json!(-10));
    assert_eq!(p["host"]["pattern"], json!("^[a-z]+(-[a-z]+)*$"));
    assert_eq!(p["host"]["format"], json!("hostname"));
    assert_eq!(p["host"]["title"], json!("Host name"));
    assert_eq!(p["host"]["example"], json!("my-host"));
    assert_eq!(p["color"]["enum"], json!(["red", "green", "blue"]));
    assert_eq!(p["color"]["default"], json!("green"));
    assert_eq!(p["tags"]["items"]["maxLength"], json!(63));
    assert_eq!(p["tags"]["x-kubernetes-list-type"], json!("set"));
    assert_eq!(p["defaults"]["default"], json!(["a", "b"]));
    assert_eq!(p["annotations"]["x-kubernetes-map-type"], json!("granular"));
    assert_eq!(p["part"]["x-kubernetes-map-type"], json!("atomic"));
    assert_eq!(p["parts"]["x-kubernetes-list-map-keys"], json!(["name", "slot"]));
    assert_eq!(p["raw"]["type"], json!("object"));
    assert_eq!(p["raw"]["x-kubernetes-preserve-unknown-fields"], json!(true));
    assert_eq!(p["template"]["x-kubernetes-embedded-resource"], json!(true));
    assert_eq!(p["maxUnavailable"]["x-kubernetes-int-or-string"], json!(true));
    assert_eq!(p["maxUnavailable"]["type"], Value::Null);
    assert_eq!(p["scaling"]["default"], json!({"replicas": 1}));
    assert_eq!(p["scaling"]["example"], json!({"replicas": 3}));
    assert_eq!(
        p["winner"]["default"],
        json!(2),
        "+kubebuilder:default wins over +default"
    );
    assert_eq!(p["release"]["x-kubernetes-validations"].as_array().unwrap().len(), 3);
    assert_eq!(
        p["release"]["x-kubernetes-validations"][0]["reason"],
        json!("FieldValueInvalid")
    );
    assert_eq!(
        p["release"]["x-kubernetes-validations"][2]["optionalOldSelf"],
        json!(true)
    );
    assert_eq!(
        p["zone"]["x-kubernetes-validations"][0]["rule"],
        json!("self == oldSelf")
    );
    assert_eq!(
        p["documented"]["externalDocs"]["url"],
        json!("https://kgen.dev/docs/gadget")
    );
    assert_eq!(p["level"]["enum"], json!([1, 2, 3]));
    let spec = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"];
    let required: Vec<&str> = spec["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(required.contains(&"forced") && required.contains(&"hard"));
    assert!(!required.contains(&"relaxed") && !required.contains(&"soft") && !required.contains(&"k8sSoft"));
    let rules: Vec<&str> = spec["x-kubernetes-validations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules.len(), 5, "{rules:?}");
    assert!(rules.contains(&"[has(self.wifi), has(self.cable)].filter(x, x).size() == 1"));
    assert!(rules.contains(&"has(self.label) || has(self.note)"));
    assert!(
        rules.contains(&"!has(oldSelf.zone) || has(self.zone)"),
        "an optional immutable field cannot be removed once set"
    );
    // Messages in the API server's convention: it prints the field path before the message.
    let removal = spec["x-kubernetes-validations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "!has(oldSelf.zone) || has(self.zone)")
        .unwrap();
    assert_eq!(removal["message"], "field zone is immutable once set");
    assert_eq!(
        spec["properties"]["zone"]["x-kubernetes-validations"],
        json!([{"rule": "self == oldSelf", "message": "field is immutable"}])
    );
}

#[test]
fn both_spellings_give_the_same_schema() {
    fn strip(v: &Value) -> Value {
        match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| *k != "description")
                    .map(|(k, v)| (k.clone(), strip(v)))
                    .collect(),
            ),
            Value::Array(a) => Value::Array(a.iter().map(strip).collect()),
            other => other.clone(),
        }
    }
    let c = corpus();
    let gadget = spec_props(&c["markers.corpus.kgen.dev_gadgets.yaml"], "v1");
    let widget = spec_props(&c["markers.corpus.kgen.dev_widgets.yaml"], "v1");
    let mut compared = 0;
    for (k, w) in widget.as_object().unwrap() {
        if matches!(k.as_str(), "part" | "parts" | "documented") {
            continue; // different on purpose (rules and keys on Part, docs URL)
        }
        if let Some(g) = gadget.get(k) {
            assert_eq!(strip(g), strip(w), "property {k} differs between spellings");
            compared += 1;
        }
    }
    assert!(compared >= 20, "compared {compared} properties");
    let fleet = &c["markers.corpus.kgen.dev_fleets.yaml"];
    assert_eq!(fleet["spec"]["scope"], json!("Cluster"));
    assert_eq!(
        fleet["spec"]["versions"][0]["subresources"]["scale"],
        json!({"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas", "labelSelectorPath": ".status.selector"})
    );
    assert_eq!(
        fleet["spec"]["versions"][0]["selectableFields"],
        json!([{"jsonPath": ".spec.tier"}, {"jsonPath": ".spec.replicas"}])
    );
}

#[test]
fn conversion_webhook_marker_writes_spec_conversion() {
    let c = corpus();
    let crd = &c["versioned.corpus.kgen.dev_gizmoes.yaml"];
    assert_eq!(
        crd["spec"]["conversion"],
        json!({
            "strategy": "Webhook",
            "webhook": {
                "clientConfig": {"service": {"name": "webhook-service", "namespace": "system", "path": "/convert"}},
                "conversionReviewVersions": ["v1"],
            },
        })
    );
    // Other multi-version kinds keep the API server's default, None.
    assert!(
        c["shapes.corpus.kgen.dev_shapes.yaml"]["spec"]
            .get("conversion")
            .is_none()
    );
    // The flag asks for it for every kind with several versions, and leaves one-version kinds alone.
    let opts = CrdOptions {
        conversion_webhook: true,
        ..CrdOptions::new(["tests/fixtures/corpus"])
    };
    let out = kgen_build::generate_crds(&opts).unwrap_or_else(|e| panic!("{e}"));
    for f in &out.files {
        let v: Value = serde_saphyr::from_str(&f.contents).unwrap();
        let versions = v["spec"]["versions"].as_array().unwrap().len();
        let strategy = v["spec"]["conversion"]["strategy"].as_str();
        assert_eq!(strategy, (versions > 1).then_some("Webhook"), "{}", f.name);
    }
}
