//! Webhook conversion run in process: a CRD with `spec.conversion.strategy: Webhook` and a
//! hand-written `Converter` (v1 has `spec.size` and the v1-only `spec.legacy`, the storage
//! version v2 has `spec.sizeSlug` and the v2-only `spec.zone`), through real requests.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use futures::StreamExt;
    use kgen_runtime::conversion::{CONVERSION_DATA_ANNOTATION, ConversionError, Converter};
    use kube::api::{
        Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams, PostParams, WatchEvent,
        WatchParams,
    };
    use serde_json::{Value, json};

    struct Gadgets;

    impl Converter for Gadgets {
        fn group(&self) -> &str {
            "conv.kgen.dev"
        }
        fn kind(&self) -> &str {
            "Gadget"
        }
        fn plural(&self) -> &str {
            "gadgets"
        }
        fn versions(&self) -> &[&str] {
            &["v1", "v2"]
        }
        fn hub_version(&self) -> &str {
            "v2"
        }
        fn to_hub(&self, mut object: Value) -> Result<Value, ConversionError> {
            let spec = object["spec"].take();
            if spec["size"] == "invalid" {
                return Err(ConversionError::new("size \"invalid\" has no slug"));
            }
            let mut hub = json!({});
            if let Some(size) = spec.get("size") {
                hub["sizeSlug"] = size.clone();
            }
            object["spec"] = hub;
            object["apiVersion"] = json!("conv.kgen.dev/v2");
            Ok(object)
        }
        fn from_hub(&self, mut hub: Value, version: &str) -> Result<Value, ConversionError> {
            assert_eq!(version, "v1");
            let spec = hub["spec"].take();
            let mut spoke = json!({});
            if let Some(slug) = spec.get("sizeSlug") {
                spoke["size"] = slug.clone();
            }
            hub["spec"] = spoke;
            hub["apiVersion"] = json!("conv.kgen.dev/v1");
            Ok(hub)
        }
    }

    fn crd(strategy: &str) -> Value {
        let version = |name: &str, storage: bool, spec: Value, selectable: &str| {
            json!({
                "name": name, "served": true, "storage": storage,
                "subresources": {"status": {}},
                "selectableFields": [{"jsonPath": selectable}],
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "apiVersion": {"type": "string"},
                        "kind": {"type": "string"},
                        "metadata": {"type": "object"},
                        "spec": {"type": "object", "properties": spec},
                        "status": {"type": "object", "properties": {"ready": {"type": "boolean"}}},
                    },
                }},
            })
        };
        let mut conversion = json!({"strategy": strategy});
        if strategy == "Webhook" {
            conversion["webhook"] = json!({
                "conversionReviewVersions": ["v1"],
                "clientConfig": {"service": {"namespace": "system", "name": "gadget-webhook", "path": "/convert"}},
            });
        }
        json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "gadgets.conv.kgen.dev"},
            "spec": {
                "group": "conv.kgen.dev",
                "names": {"kind": "Gadget", "listKind": "GadgetList", "plural": "gadgets", "singular": "gadget"},
                "scope": "Namespaced",
                "conversion": conversion,
                "versions": [
                    version("v1", false, json!({
                        "size": {"type": "string", "maxLength": 10},
                        "legacy": {"type": "string", "default": "none"},
                    }), ".spec.size"),
                    version("v2", true, json!({
                        "sizeSlug": {"type": "string"},
                        "zone": {"type": "string"},
                    }), ".spec.sizeSlug"),
                ],
            },
        })
    }

    fn converting() -> FakeApiServer {
        FakeApiServer::new().with_crd(crd("Webhook")).with_converter(Gadgets)
    }

    fn api(server: &FakeApiServer, version: &str) -> Api<DynamicObject> {
        let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("conv.kgen.dev", version, "Gadget"));
        Api::namespaced_with(server.client(), "default", &ar)
    }

    fn gadget(version: &str, name: &str, spec: Value) -> DynamicObject {
        serde_json::from_value(json!({
            "apiVersion": format!("conv.kgen.dev/{version}"),
            "kind": "Gadget",
            "metadata": {"name": name},
            "spec": spec,
        }))
        .unwrap()
    }

    fn spec(o: &DynamicObject) -> Value {
        o.data["spec"].clone()
    }

    fn stored(server: &FakeApiServer, name: &str) -> Value {
        server
            .get_json("gadgets.conv.kgen.dev", Some("default"), name)
            .expect("stored")
    }

    fn kept(obj: &Value) -> Option<Value> {
        obj.pointer("/metadata/annotations")
            .and_then(|a| a.get(CONVERSION_DATA_ANNOTATION))
            .and_then(Value::as_str)
            .map(|s| serde_json::from_str(s).unwrap())
    }

    #[tokio::test]
    async fn a_create_at_v1_is_stored_at_v2_and_read_back_at_either() {
        let server = converting();
        let v1 = api(&server, "v1");
        let v2 = api(&server, "v2");
        let created = v1
            .create(
                &PostParams::default(),
                &gadget("v1", "g", json!({"size": "s-1", "legacy": "old"})),
            )
            .await
            .unwrap();
        assert_eq!(created.types.as_ref().unwrap().api_version, "conv.kgen.dev/v1");
        assert_eq!(
            spec(&created),
            json!({"size": "s-1", "legacy": "old"}),
            "the response is converted back from storage; the v1-only field survives"
        );
        assert!(kept(&serde_json::to_value(&created).unwrap()).is_none());

        let raw = stored(&server, "g");
        assert_eq!(raw["apiVersion"], "conv.kgen.dev/v2");
        assert_eq!(raw["spec"], json!({"sizeSlug": "s-1"}));
        assert_eq!(
            kept(&raw),
            Some(json!({"apiVersion": "conv.kgen.dev/v1", "fields": {"spec": {"legacy": "old"}}}))
        );

        let at_v2 = v2.get("g").await.unwrap();
        assert_eq!(at_v2.types.as_ref().unwrap().api_version, "conv.kgen.dev/v2");
        assert_eq!(spec(&at_v2), json!({"sizeSlug": "s-1"}));
        let at_v1 = v1.get("g").await.unwrap();
        assert_eq!(spec(&at_v1), json!({"size": "s-1", "legacy": "old"}));
        assert_eq!(at_v1.metadata.uid, created.metadata.uid);
        assert_eq!(at_v1.metadata.resource_version, created.metadata.resource_version);
    }

    #[tokio::test]
    async fn reads_at_v1_are_pruned_and_defaulted_with_the_v1_schema() {
        let server = converting();
        api(&server, "v2")
            .create(
                &PostParams::default(),
                &gadget("v2", "g", json!({"sizeSlug": "m", "zone": "z1"})),
            )
            .await
            .unwrap();
        let at_v1 = api(&server, "v1").get("g").await.unwrap();
        assert_eq!(
            spec(&at_v1),
            json!({"size": "m", "legacy": "none"}),
            "v1's default applies after conversion, as the storage decoder defaults"
        );
        assert_eq!(
            kept(&serde_json::to_value(&at_v1).unwrap()),
            Some(json!({"apiVersion": "conv.kgen.dev/v2", "fields": {"spec": {"zone": "z1"}}})),
            "what v1 cannot hold is kept in the annotation"
        );
    }

    #[tokio::test]
    async fn writes_at_v1_are_validated_with_the_v1_schema() {
        let server = converting();
        let v1 = api(&server, "v1");
        let err = api_error(
            v1.create(
                &PostParams::default(),
                &gadget("v1", "g", json!({"size": "much-too-long"})),
            )
            .await,
        );
        assert_eq!(err.code, 422);
        assert!(err.message.contains("spec.size: Too long"), "{}", err.message);
        // v2's field is unknown at v1: pruned.
        let created = v1
            .create(
                &PostParams::default(),
                &gadget("v1", "g", json!({"size": "s", "sizeSlug": "xl"})),
            )
            .await
            .unwrap();
        assert_eq!(spec(&created), json!({"size": "s", "legacy": "none"}));
        assert_eq!(stored(&server, "g")["spec"], json!({"sizeSlug": "s"}));
    }

    #[tokio::test]
    async fn updates_and_patches_at_v1_apply_at_v1_and_store_at_v2() {
        let server = converting();
        let v1 = api(&server, "v1");
        let v2 = api(&server, "v2");
        v2.create(
            &PostParams::default(),
            &gadget("v2", "g", json!({"sizeSlug": "s", "zone": "z1"})),
        )
        .await
        .unwrap();

        let mut got = v1.get("g").await.unwrap();
        let first_rv = rv(&got.metadata);
        got.data["spec"]["size"] = json!("m");
        let replaced = v1.replace("g", &PostParams::default(), &got).await.unwrap();
        assert_eq!(spec(&replaced)["size"], "m");
        assert_eq!(replaced.metadata.generation, Some(2));
        assert_eq!(
            stored(&server, "g")["spec"],
            json!({"sizeSlug": "m", "zone": "z1"}),
            "the v2-only field came back from the annotation"
        );
        assert!(kept(&stored(&server, "g")).is_some_and(|k| k["fields"] == json!({"spec": {"legacy": "none"}})));

        // Writing what was read is not a change.
        let same = v1.replace("g", &PostParams::default(), &replaced).await.unwrap();
        assert_eq!(same.metadata.resource_version, replaced.metadata.resource_version);
        assert!(rv(&same.metadata) > first_rv);

        let merged = v1
            .patch(
                "g",
                &PatchParams::default(),
                &Patch::Merge(json!({"spec": {"size": "l"}})),
            )
            .await
            .unwrap();
        assert_eq!(spec(&merged)["size"], "l");
        assert_eq!(stored(&server, "g")["spec"], json!({"sizeSlug": "l", "zone": "z1"}));

        // A JSON patch sees the object at v1: `/spec/size` exists there, not in storage.
        let patched = v1
            .patch(
                "g",
                &PatchParams::default(),
                &Patch::<()>::Json(
                    serde_json::from_value(json!([
                        {"op": "test", "path": "/spec/size", "value": "l"},
                        {"op": "replace", "path": "/spec/size", "value": "xl"},
                    ]))
                    .unwrap(),
                ),
            )
            .await
            .unwrap();
        assert_eq!(spec(&patched)["size"], "xl");
        assert_eq!(patched.metadata.generation, Some(4));
        assert_eq!(v2.get("g").await.unwrap().data["spec"]["sizeSlug"], "xl");
    }

    #[tokio::test]
    async fn status_updates_and_apply_at_v1() {
        let server = converting();
        let v1 = api(&server, "v1");
        let created = v1
            .create(&PostParams::default(), &gadget("v1", "g", json!({"size": "s"})))
            .await
            .unwrap();
        let mut with_status = created.clone();
        with_status.data["status"] = json!({"ready": true});
        with_status.data["spec"]["size"] = json!("ignored");
        let updated = v1
            .replace_status("g", &PostParams::default(), &with_status)
            .await
            .unwrap();
        assert_eq!(updated.data["status"], json!({"ready": true}));
        assert_eq!(spec(&updated)["size"], "s", "a status write changes only status");
        let raw = stored(&server, "g");
        assert_eq!(raw["status"], json!({"ready": true}));
        assert_eq!(raw["spec"]["sizeSlug"], "s");

        let applied = v1
            .patch(
                "g",
                &PatchParams::apply("tester").force(),
                &Patch::Apply(json!({
                    "apiVersion": "conv.kgen.dev/v1", "kind": "Gadget",
                    "metadata": {"name": "g"},
                    "spec": {"size": "m"},
                })),
            )
            .await
            .unwrap();
        assert_eq!(spec(&applied)["size"], "m");
        assert_eq!(stored(&server, "g")["spec"]["sizeSlug"], "m");
        assert_eq!(stored(&server, "g")["status"], json!({"ready": true}));

        // Apply creates at v1 too.
        v1.patch(
            "h",
            &PatchParams::apply("tester"),
            &Patch::Apply(json!({
                "apiVersion": "conv.kgen.dev/v1", "kind": "Gadget",
                "metadata": {"name": "h"},
                "spec": {"size": "xs"},
            })),
        )
        .await
        .unwrap();
        assert_eq!(stored(&server, "h")["spec"]["sizeSlug"], "xs");
        assert_eq!(stored(&server, "h")["apiVersion"], "conv.kgen.dev/v2");
    }

    #[tokio::test]
    async fn lists_select_on_the_converted_object() {
        let server = converting();
        let v1 = api(&server, "v1");
        for (name, size) in [("a", "s"), ("b", "m")] {
            v1.create(&PostParams::default(), &gadget("v1", name, json!({"size": size})))
                .await
                .unwrap();
        }
        let all = v1.list(&ListParams::default()).await.unwrap();
        assert_eq!(
            all.items.iter().map(|o| spec(o)["size"].clone()).collect::<Vec<_>>(),
            [json!("s"), json!("m")]
        );
        let m = v1.list(&ListParams::default().fields("spec.size=m")).await.unwrap();
        assert_eq!(m.items.len(), 1);
        assert_eq!(m.items[0].metadata.name.as_deref(), Some("b"));
        let v2 = api(&server, "v2");
        let m2 = v2.list(&ListParams::default().fields("spec.sizeSlug=m")).await.unwrap();
        assert_eq!(m2.items.len(), 1);
        assert_eq!(spec(&m2.items[0]), json!({"sizeSlug": "m"}));
        let err = api_error(v1.list(&ListParams::default().fields("spec.sizeSlug=m")).await);
        assert_eq!(err.code, 400, "v2's selectable field is not v1's: {err:?}");
    }

    #[tokio::test]
    async fn watches_at_v1_see_v1_objects() {
        let server = converting();
        let v1 = api(&server, "v1");
        let v2 = api(&server, "v2");
        v2.create(&PostParams::default(), &gadget("v2", "a", json!({"sizeSlug": "s"})))
            .await
            .unwrap();
        let mut events = v1.watch(&WatchParams::default(), "0").await.unwrap().boxed();
        let (ty, o) = next(&mut events).await;
        assert_eq!(ty, "ADDED", "the initial event");
        assert_eq!(o.types.as_ref().unwrap().api_version, "conv.kgen.dev/v1");
        assert_eq!(spec(&o), json!({"size": "s", "legacy": "none"}));

        v2.patch(
            "a",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"sizeSlug": "m"}})),
        )
        .await
        .unwrap();
        let (ty, o) = next(&mut events).await;
        assert_eq!(ty, "MODIFIED");
        assert_eq!(spec(&o)["size"], "m");

        // A field selector on v1's field sees the converted object.
        let mut selected = v1
            .watch(&WatchParams::default().fields("spec.size=l"), "0")
            .await
            .unwrap()
            .boxed();
        v1.patch(
            "a",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"size": "l"}})),
        )
        .await
        .unwrap();
        let (ty, o) = next(&mut selected).await;
        assert_eq!(ty, "ADDED", "modified into the selector");
        assert_eq!(spec(&o)["size"], "l");
    }

    /// The next event other than a bookmark.
    async fn next(
        events: &mut (impl futures::Stream<Item = Result<WatchEvent<DynamicObject>, kube::Error>> + Unpin),
    ) -> (&'static str, DynamicObject) {
        loop {
            match within(events.next()).await.unwrap().unwrap() {
                WatchEvent::Added(o) => return ("ADDED", o),
                WatchEvent::Modified(o) => return ("MODIFIED", o),
                WatchEvent::Deleted(o) => return ("DELETED", o),
                WatchEvent::Bookmark(_) => {}
                WatchEvent::Error(e) => panic!("unexpected error event {e:?}"),
            }
        }
    }

    #[tokio::test]
    async fn without_a_converter_the_webhook_is_unreachable() {
        let server = FakeApiServer::new().with_crd(crd("Webhook"));
        let v1 = api(&server, "v1");
        let v2 = api(&server, "v2");
        let err = api_error(
            v1.create(&PostParams::default(), &gadget("v1", "g", json!({"size": "s"})))
                .await,
        );
        assert_eq!(err.code, 500);
        assert_eq!(err.reason, "InternalError");
        assert_eq!(
            err.message,
            "Internal error occurred: conversion webhook for conv.kgen.dev/v1, Kind=Gadget failed: \
             Post \"https://gadget-webhook.system.svc:443/convert?timeout=30s\": no converter is registered for \
             gadgets.conv.kgen.dev (FakeApiServer::with_converter)"
        );
        assert!(stored_opt(&server, "g").is_none());

        // The storage version needs no conversion.
        v2.create(&PostParams::default(), &gadget("v2", "g", json!({"sizeSlug": "s"})))
            .await
            .unwrap();
        assert_eq!(spec(&v2.get("g").await.unwrap()), json!({"sizeSlug": "s"}));
        let err = api_error(v1.get("g").await);
        assert_eq!(err.code, 500);
        assert_eq!(err.reason, "", "a read's decoding error has no reason");
        assert!(
            err.message
                .starts_with("conversion webhook for conv.kgen.dev/v2, Kind=Gadget failed: Post "),
            "{}",
            err.message
        );
        let err = api_error(v1.list(&ListParams::default()).await);
        assert_eq!(err.code, 500);
        assert_eq!(v2.list(&ListParams::default()).await.unwrap().items.len(), 1);
    }

    #[tokio::test]
    async fn a_watch_whose_objects_cannot_be_converted_ends_with_an_error() {
        let server = FakeApiServer::new().with_crd(crd("Webhook"));
        api(&server, "v2")
            .create(&PostParams::default(), &gadget("v2", "g", json!({"sizeSlug": "s"})))
            .await
            .unwrap();
        let mut events = api(&server, "v1")
            .watch(&WatchParams::default(), "0")
            .await
            .unwrap()
            .boxed();
        match within(events.next()).await.unwrap().unwrap() {
            WatchEvent::Error(e) => {
                assert_eq!(e.code, 500);
                assert!(
                    e.message
                        .starts_with("conversion webhook for conv.kgen.dev/v2, Kind=Gadget failed")
                );
            }
            other => panic!("expected an ERROR event, got {other:?}"),
        }
        assert!(within(events.next()).await.is_none(), "the watch ends");
    }

    /// Sets `spec.zone`, on the v2 objects it is sent.
    struct Zoner;

    impl kgen_runtime::admission::Defaulter<DynamicObject> for Zoner {
        fn default(
            &self,
            _: kgen_runtime::admission::Operation,
            mut o: DynamicObject,
        ) -> Result<DynamicObject, kgen_runtime::admission::Denied> {
            assert_eq!(o.types.as_ref().unwrap().api_version, "conv.kgen.dev/v2");
            o.data["spec"]["zone"] = json!("z9");
            Ok(o)
        }
    }

    #[tokio::test]
    async fn an_admission_webhook_for_v2_gets_a_v1_write_converted() {
        let manifests = r#"
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: m}
webhooks:
- name: zone.conv.kgen.dev
  admissionReviewVersions: [v1]
  sideEffects: None
  clientConfig: {service: {name: s, namespace: system, path: /zone}}
  rules:
  - {apiGroups: [conv.kgen.dev], apiVersions: [v2], operations: [CREATE], resources: [gadgets]}
"#;
        let server = converting().with_admission_webhooks(
            manifests,
            [("/zone".to_string(), kgen_runtime::admission::mutating(Zoner))],
        );
        let created = api(&server, "v1")
            .create(&PostParams::default(), &gadget("v1", "g", json!({"size": "s"})))
            .await
            .unwrap();
        assert_eq!(spec(&created)["size"], "s");
        assert_eq!(
            stored(&server, "g")["spec"],
            json!({"sizeSlug": "s", "zone": "z9"}),
            "the patch made at v2 survives the way back to v1 (in the annotation) and into storage"
        );
    }

    fn stored_opt(server: &FakeApiServer, name: &str) -> Option<Value> {
        server.get_json("gadgets.conv.kgen.dev", Some("default"), name)
    }

    #[tokio::test]
    async fn a_converter_error_fails_the_request() {
        let server = converting();
        let v1 = api(&server, "v1");
        let err = api_error(
            v1.create(&PostParams::default(), &gadget("v1", "g", json!({"size": "invalid"})))
                .await,
        );
        assert_eq!(err.code, 500);
        assert_eq!(err.reason, "InternalError");
        assert_eq!(
            err.message,
            "Internal error occurred: conversion webhook for conv.kgen.dev/v1, Kind=Gadget failed: size \"invalid\" has no slug"
        );
        assert!(stored_opt(&server, "g").is_none());
    }

    #[tokio::test]
    async fn strategy_none_rewrites_the_api_version_only() {
        let server = FakeApiServer::new().with_crd(crd("None")).with_converter(Gadgets);
        let v1 = api(&server, "v1");
        v1.create(&PostParams::default(), &gadget("v1", "g", json!({"size": "s"})))
            .await
            .unwrap();
        let raw = stored(&server, "g");
        assert_eq!(raw["apiVersion"], "conv.kgen.dev/v2");
        assert_eq!(
            raw["spec"],
            json!({"size": "s", "legacy": "none"}),
            "no conversion: the converter is not called"
        );
        let at_v2 = api(&server, "v2").get("g").await.unwrap();
        assert_eq!(spec(&at_v2), json!({"size": "s", "legacy": "none"}));
        assert!(kept(&raw).is_none());
    }
}
