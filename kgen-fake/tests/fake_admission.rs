//! Admission webhooks called in process: webhook configuration manifests, handlers registered
//! by service path, and what a client sees through `kube::Api`.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use kgen_runtime::admission::{
        AdmissionHandler, AdmissionRequest, AdmissionResponse, Defaulter, Denied, DynamicObject, Operation, Validator,
        mutating, validating,
    };
    use kube::api::{Api, ApiResource, DeleteParams, GroupVersionKind, Patch, PatchParams, PostParams};
    use serde_json::{Value, json};
    use std::sync::{Arc, Mutex};

    /// Refuses red widgets (403) and the deletion of widgets labelled `keep`.
    struct NoRed;

    impl Validator<Widget> for NoRed {
        fn validate(&self, _: Operation, new: Option<&Widget>, old: Option<&Widget>) -> Result<(), Denied> {
            if new.is_some_and(|w| w.spec.color == "red") {
                return Err(Denied::new("red widgets are not allowed"));
            }
            if new.is_some_and(|w| w.spec.replicas == Some(13)) {
                return Err(Denied::new("13 replicas bring bad luck"));
            }
            if new.is_none() && old.is_some_and(|w| w.metadata.labels.as_ref().is_some_and(|l| l.contains_key("keep")))
            {
                return Err(Denied::new("this widget is kept").with_code(409));
            }
            Ok(())
        }
    }

    /// Tags widgets and gives them 2 replicas when they have none.
    struct Tagger;

    impl Defaulter<Widget> for Tagger {
        fn default(&self, _: Operation, mut w: Widget) -> Result<Widget, Denied> {
            if !w.spec.tags.contains(&"defaulted".to_string()) {
                w.spec.tags.push("defaulted".into());
            }
            Ok(w)
        }
    }

    /// Records every request (as JSON) and answers with `answer`.
    struct Recorder {
        seen: Mutex<Vec<Value>>,
        answer: fn(&AdmissionRequest<DynamicObject>) -> AdmissionResponse,
    }

    impl Recorder {
        fn allowing() -> Arc<Recorder> {
            Arc::new(Recorder {
                seen: Mutex::new(Vec::new()),
                answer: |r| AdmissionResponse::from(r),
            })
        }

        fn seen(&self) -> Vec<Value> {
            self.seen.lock().unwrap().clone()
        }
    }

    impl AdmissionHandler for Recorder {
        fn review(&self, request: &AdmissionRequest<DynamicObject>) -> AdmissionResponse {
            self.seen.lock().unwrap().push(serde_json::to_value(request).unwrap());
            (self.answer)(request)
        }
    }

    /// A configuration of `kind` named `name` with one webhook per `(name, path, extra)`, where
    /// `extra` is more YAML of the webhook (rules, policies, selectors).
    fn config(kind: &str, name: &str, hooks: &[(&str, &str, &str)]) -> String {
        let mut out = format!(
            "---\napiVersion: admissionregistration.k8s.io/v1\nkind: {kind}\nmetadata:\n  name: {name}\nwebhooks:\n"
        );
        for (hook, path, extra) in hooks {
            out.push_str(&format!(
                "- name: {hook}\n  admissionReviewVersions: [v1]\n  clientConfig:\n    service:\n      name: webhook-service\n      namespace: system\n      path: {path}\n"
            ));
            for line in extra.lines().filter(|l| !l.trim().is_empty()) {
                out.push_str("  ");
                out.push_str(line);
                out.push('\n');
            }
        }
        out
    }

    const WIDGET_RULES: &str = "sideEffects: None
rules:
- apiGroups: [kgen.dev]
  apiVersions: [v1]
  operations: [CREATE, UPDATE, DELETE]
  resources: [widgets]";

    fn handler(h: Arc<Recorder>) -> Arc<dyn AdmissionHandler> {
        h
    }

    #[tokio::test]
    async fn a_validating_webhook_refuses_with_its_code_and_message() {
        let manifests = config(
            "ValidatingWebhookConfiguration",
            "validating-webhook-configuration",
            &[("vwidget.kgen.dev", "/validate-widget", WIDGET_RULES)],
        );
        let server =
            server().with_admission_webhooks(&manifests, [("/validate-widget".to_string(), validating(NoRed))]);
        let api: Api<Widget> = Api::namespaced(server.client(), "default");

        let err = api_error(api.create(&PostParams::default(), &widget("w", "red")).await);
        assert_eq!(err.code, 403);
        assert_eq!(err.reason, "Forbidden");
        assert_eq!(
            err.message,
            "admission webhook \"vwidget.kgen.dev\" denied the request: red widgets are not allowed"
        );
        assert!(server.get_json("widgets", Some("default"), "w").is_none());

        let created = api.create(&PostParams::default(), &widget("w", "blue")).await.unwrap();
        assert_eq!(created.spec.color, "blue");
        let mut changed = created.clone();
        changed.spec.replicas = Some(13);
        let err = api_error(api.replace("w", &PostParams::default(), &changed).await);
        assert_eq!(err.code, 403, "updates are validated too");
        assert!(err.message.ends_with("13 replicas bring bad luck"));
    }

    #[tokio::test]
    async fn a_refusal_without_a_code_is_a_400() {
        let manifests = config(
            "ValidatingWebhookConfiguration",
            "v",
            &[("bare.kgen.dev", "/bare", WIDGET_RULES)],
        );
        let refusing = Arc::new(Recorder {
            seen: Mutex::new(Vec::new()),
            answer: |r| AdmissionResponse::from(r).deny("no"),
        });
        let server = server().with_admission_webhooks(&manifests, [("/bare".to_string(), handler(refusing))]);
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let err = api_error(api.create(&PostParams::default(), &widget("w", "blue")).await);
        assert_eq!(err.code, 400);
        assert_eq!(
            err.message,
            "admission webhook \"bare.kgen.dev\" denied the request: no"
        );
    }

    #[tokio::test]
    async fn a_mutating_webhook_patch_is_applied_and_stored_before_validation() {
        let manifests = [
            config(
                "MutatingWebhookConfiguration",
                "mutating-webhook-configuration",
                &[("mwidget.kgen.dev", "/mutate-widget", WIDGET_RULES)],
            ),
            config(
                "ValidatingWebhookConfiguration",
                "validating-webhook-configuration",
                &[("vwidget.kgen.dev", "/validate-widget", WIDGET_RULES)],
            ),
        ]
        .concat();
        let seen = Recorder::allowing();
        let server = server().with_admission_webhooks(
            &manifests,
            [
                ("/mutate-widget".to_string(), mutating(Tagger)),
                ("/validate-widget".to_string(), handler(seen.clone())),
            ],
        );
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let created = api.create(&PostParams::default(), &widget("w", "blue")).await.unwrap();
        assert_eq!(created.spec.tags, ["defaulted"]);
        assert_eq!(
            server.get_json("widgets", Some("default"), "w").unwrap()["spec"]["tags"],
            json!(["defaulted"])
        );
        let validated = &seen.seen()[0];
        assert_eq!(
            validated["object"]["spec"]["tags"],
            json!(["defaulted"]),
            "validating webhooks see the mutated object"
        );
        assert_eq!(
            validated["object"]["spec"]["replicas"],
            json!(1),
            "and the schema's defaults"
        );
    }

    #[tokio::test]
    async fn the_request_carries_what_the_api_server_sends() {
        let manifests = config(
            "ValidatingWebhookConfiguration",
            "v",
            &[("rec.kgen.dev", "/rec", WIDGET_RULES)],
        );
        let rec = Recorder::allowing();
        let server = server().with_admission_webhooks(&manifests, [("/rec".to_string(), handler(rec.clone()))]);
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let created = api.create(&PostParams::default(), &widget("w", "blue")).await.unwrap();
        let mut changed = created.clone();
        changed.spec.replicas = Some(4);
        api.replace("w", &PostParams::default(), &changed).await.unwrap();
        let seen = rec.seen();
        assert_eq!(seen.len(), 2);
        let create = &seen[0];
        assert_eq!(create["operation"], "CREATE");
        assert_eq!(
            create["kind"],
            json!({"group": "kgen.dev", "version": "v1", "kind": "Widget"})
        );
        assert_eq!(create["resource"]["resource"], "widgets");
        assert_eq!(create["requestKind"]["version"], "v1");
        assert_eq!(create["name"], "w");
        assert_eq!(create["namespace"], "default");
        assert_eq!(create["uid"].as_str().map(str::len), Some(36));
        assert_eq!(create["oldObject"], Value::Null);
        assert_eq!(create["options"]["kind"], "CreateOptions");
        assert_eq!(create["dryRun"], false);
        assert!(create["userInfo"]["username"].is_string());
        let update = &seen[1];
        assert_eq!(update["operation"], "UPDATE");
        assert_eq!(update["options"]["kind"], "UpdateOptions");
        assert_eq!(update["object"]["spec"]["replicas"], 4);
        assert_eq!(update["oldObject"]["spec"]["replicas"], 1);
        assert_ne!(update["uid"], create["uid"]);
    }

    #[tokio::test]
    async fn a_missing_handler_is_an_unreachable_webhook() {
        let fail = config(
            "ValidatingWebhookConfiguration",
            "v",
            &[("gone.kgen.dev", "/gone", WIDGET_RULES)],
        );
        let server = server().with_admission_webhooks(&fail, []);
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let err = api_error(api.create(&PostParams::default(), &widget("w", "blue")).await);
        assert_eq!(err.code, 500);
        assert_eq!(err.reason, "InternalError");
        assert_eq!(
            err.message,
            "Internal error occurred: failed calling webhook \"gone.kgen.dev\": failed to call webhook: \
             Post \"https://webhook-service.system.svc:443/gone?timeout=10s\": no admission handler is registered \
             for \"/gone\" (FakeApiServer::with_admission_webhooks)"
        );

        let ignore = config(
            "ValidatingWebhookConfiguration",
            "v",
            &[(
                "gone.kgen.dev",
                "/gone",
                &format!("failurePolicy: Ignore\n{WIDGET_RULES}"),
            )],
        );
        let server = super::fake_support::server().with_admission_webhooks(&ignore, []);
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &widget("w", "blue"))
            .await
            .expect("failurePolicy Ignore lets the request through");
    }

    #[tokio::test]
    async fn rules_select_operations_resources_and_subresources() {
        let create_only = "sideEffects: None
rules:
- apiGroups: [kgen.dev]
  apiVersions: ['*']
  operations: [CREATE]
  resources: [widgets]";
        let configmaps = "sideEffects: None
rules:
- apiGroups: ['']
  apiVersions: [v1]
  operations: ['*']
  resources: [configmaps]";
        let status = "sideEffects: None
rules:
- apiGroups: [kgen.dev]
  apiVersions: [v1]
  operations: [UPDATE]
  resources: [widgets/status]";
        let manifests = config(
            "ValidatingWebhookConfiguration",
            "v",
            &[
                ("create.kgen.dev", "/create", create_only),
                ("cm.kgen.dev", "/cm", configmaps),
                ("status.kgen.dev", "/status", status),
            ],
        );
        let (create, cms, statuses) = (Recorder::allowing(), Recorder::allowing(), Recorder::allowing());
        let server = server().with_admission_webhooks(
            &manifests,
            [
                ("/create".to_string(), handler(create.clone())),
                ("/cm".to_string(), handler(cms.clone())),
                ("/status".to_string(), handler(statuses.clone())),
            ],
        );
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let created = api.create(&PostParams::default(), &widget("w", "blue")).await.unwrap();
        let mut changed = created.clone();
        changed.spec.replicas = Some(4);
        let updated = api.replace("w", &PostParams::default(), &changed).await.unwrap();
        assert_eq!(create.seen().len(), 1, "the update is not a CREATE");
        assert!(statuses.seen().is_empty(), "a main-resource write is not /status");
        assert!(cms.seen().is_empty(), "another resource");

        let mut with_status = updated.clone();
        with_status.status = Some(WidgetStatus {
            ready: Some(true),
            ..Default::default()
        });
        api.replace_status("w", &PostParams::default(), &with_status)
            .await
            .unwrap();
        let seen = statuses.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0]["subResource"], "status");
        assert_eq!(seen[0]["requestSubResource"], "status");
        assert_eq!(seen[0]["object"]["status"]["ready"], true);
        assert_eq!(create.seen().len(), 1, "`widgets` does not match `widgets/status`");

        let cm_api: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::namespaced(server.client(), "default");
        cm_api.create(&PostParams::default(), &cm("c", &[])).await.unwrap();
        assert_eq!(cms.seen().len(), 1);
        assert_eq!(cms.seen()[0]["kind"]["kind"], "ConfigMap");
    }

    #[tokio::test]
    async fn namespace_and_object_selectors() {
        let selected = "sideEffects: None
namespaceSelector:
  matchLabels: {admission: enabled}
objectSelector:
  matchExpressions:
  - {key: skip, operator: DoesNotExist}
rules:
- apiGroups: [kgen.dev]
  apiVersions: [v1]
  operations: ['*']
  resources: [widgets]";
        let manifests = config(
            "ValidatingWebhookConfiguration",
            "v",
            &[("sel.kgen.dev", "/sel", selected)],
        );
        let rec = Recorder::allowing();
        let server = server().with_admission_webhooks(&manifests, [("/sel".to_string(), handler(rec.clone()))]);
        server
            .insert(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "on", "labels": {"admission": "enabled"}}}))
            .unwrap();
        namespaces(&server, &["off"]);
        for ns in ["on", "off"] {
            let api: Api<Widget> = Api::namespaced(server.client(), ns);
            api.create(&PostParams::default(), &widget("w", "blue")).await.unwrap();
        }
        let seen = rec.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0]["namespace"], "on");

        let api: Api<Widget> = Api::namespaced(server.client(), "on");
        let mut skipped = widget("s", "blue");
        skipped.metadata.labels = Some([("skip".to_string(), "yes".to_string())].into());
        api.create(&PostParams::default(), &skipped).await.unwrap();
        assert_eq!(rec.seen().len(), 1, "the object selector excludes it");
    }

    #[tokio::test]
    async fn a_delete_sends_the_old_object_to_validating_webhooks() {
        let manifests = [
            config(
                "MutatingWebhookConfiguration",
                "m",
                &[("mrec.kgen.dev", "/mrec", WIDGET_RULES)],
            ),
            config(
                "ValidatingWebhookConfiguration",
                "v",
                &[("vwidget.kgen.dev", "/validate", WIDGET_RULES)],
            ),
            config(
                "ValidatingWebhookConfiguration",
                "w",
                &[("vrec.kgen.dev", "/vrec", WIDGET_RULES)],
            ),
        ]
        .concat();
        let (mrec, vrec) = (Recorder::allowing(), Recorder::allowing());
        let server = server().with_admission_webhooks(
            &manifests,
            [
                ("/mrec".to_string(), handler(mrec.clone())),
                ("/validate".to_string(), validating(NoRed)),
                ("/vrec".to_string(), handler(vrec.clone())),
            ],
        );
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let mut kept = widget("kept", "blue");
        kept.metadata.labels = Some([("keep".to_string(), "yes".to_string())].into());
        api.create(&PostParams::default(), &kept).await.unwrap();
        api.create(&PostParams::default(), &widget("gone", "blue"))
            .await
            .unwrap();

        let err = api_error(api.delete("kept", &DeleteParams::default()).await);
        assert_eq!(err.code, 409);
        assert_eq!(
            err.message,
            "admission webhook \"vwidget.kgen.dev\" denied the request: this widget is kept"
        );
        assert!(server.get_json("widgets", Some("default"), "kept").is_some());

        api.delete("gone", &DeleteParams::default()).await.unwrap();
        assert!(server.get_json("widgets", Some("default"), "gone").is_none());
        let delete = vrec.seen().into_iter().find(|r| r["operation"] == "DELETE").unwrap();
        assert_eq!(delete["name"], "gone");
        assert_eq!(delete["object"], Value::Null);
        assert_eq!(delete["oldObject"]["metadata"]["name"], "gone");
        assert_eq!(delete["options"]["kind"], "DeleteOptions");
        let mdelete: Vec<Value> = mrec.seen().into_iter().filter(|r| r["operation"] == "DELETE").collect();
        assert_eq!(mdelete.len(), 2, "mutating webhooks are called for deletes too");
        assert_eq!(mdelete[0]["oldObject"], Value::Null, "without the object");
    }

    #[tokio::test]
    async fn dry_runs_reach_only_webhooks_without_side_effects() {
        let unknown = WIDGET_RULES.replace("sideEffects: None", "sideEffects: Unknown");
        let server = server().with_admission_webhooks(
            &config(
                "ValidatingWebhookConfiguration",
                "v",
                &[("side.kgen.dev", "/side", &unknown)],
            ),
            [("/side".to_string(), handler(Recorder::allowing()))],
        );
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let err = api_error(
            api.create(
                &PostParams {
                    dry_run: true,
                    ..Default::default()
                },
                &widget("w", "blue"),
            )
            .await,
        );
        assert_eq!(err.code, 400);
        assert_eq!(
            err.message,
            "admission webhook \"side.kgen.dev\" does not support dry run"
        );
        api.create(&PostParams::default(), &widget("w", "blue"))
            .await
            .expect("not a dry run");

        let rec = Recorder::allowing();
        let server = super::fake_support::server().with_admission_webhooks(
            &config(
                "ValidatingWebhookConfiguration",
                "v",
                &[("none.kgen.dev", "/none", WIDGET_RULES)],
            ),
            [("/none".to_string(), handler(rec.clone()))],
        );
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        api.create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &widget("w", "blue"),
        )
        .await
        .unwrap();
        assert_eq!(rec.seen()[0]["dryRun"], true);
        assert!(server.get_json("widgets", Some("default"), "w").is_none());
    }

    #[tokio::test]
    async fn patches_and_apply_are_admitted_as_updates_and_creates() {
        let rec = Recorder::allowing();
        let server = server().with_admission_webhooks(
            &config(
                "ValidatingWebhookConfiguration",
                "v",
                &[("rec.kgen.dev", "/rec", WIDGET_RULES)],
            ),
            [("/rec".to_string(), handler(rec.clone()))],
        );
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        api.patch(
            "w",
            &PatchParams::apply("tester"),
            &Patch::Apply(json!({"apiVersion": "kgen.dev/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {"color": "blue"}})),
        )
        .await
        .unwrap();
        api.patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 4}})),
        )
        .await
        .unwrap();
        let seen = rec.seen();
        assert_eq!(seen[0]["operation"], "CREATE");
        assert_eq!(seen[0]["options"]["kind"], "CreateOptions");
        assert_eq!(seen[0]["options"]["fieldManager"], "tester");
        assert_eq!(seen[1]["operation"], "UPDATE");
        assert_eq!(seen[1]["options"]["kind"], "PatchOptions");
        assert_eq!(seen[1]["object"]["spec"]["replicas"], 4);
    }

    #[tokio::test]
    async fn if_needed_webhooks_run_again_after_a_later_change() {
        let again = format!("reinvocationPolicy: IfNeeded\n{WIDGET_RULES}");
        let manifests = config(
            "MutatingWebhookConfiguration",
            "m",
            &[
                ("first.kgen.dev", "/first", &again),
                ("never.kgen.dev", "/never", WIDGET_RULES),
                ("tagger.kgen.dev", "/tagger", WIDGET_RULES),
            ],
        );
        let (first, never) = (Recorder::allowing(), Recorder::allowing());
        let server = server().with_admission_webhooks(
            &manifests,
            [
                ("/first".to_string(), handler(first.clone())),
                ("/never".to_string(), handler(never.clone())),
                ("/tagger".to_string(), mutating(Tagger)),
            ],
        );
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &widget("w", "blue")).await.unwrap();
        let seen = first.seen();
        assert_eq!(
            seen.len(),
            2,
            "reinvoked once, as the tagger changed the object after it"
        );
        assert_eq!(seen[1]["object"]["spec"]["tags"], json!(["defaulted"]));
        assert_eq!(never.seen().len(), 1, "reinvocationPolicy Never");
    }

    fn two_versions() -> Value {
        let version = |name: &str, storage: bool| {
            json!({"name": name, "served": true, "storage": storage, "schema": {"openAPIV3Schema": {
                "type": "object", "x-kubernetes-preserve-unknown-fields": true}}})
        };
        json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "things.kgen.dev"},
            "spec": {"group": "kgen.dev", "scope": "Namespaced",
                "names": {"kind": "Thing", "plural": "things"},
                "versions": [version("v1", false), version("v2", true)]},
        })
    }

    #[tokio::test]
    async fn equivalent_match_policy_sends_the_object_at_the_webhook_version() {
        let at_v2 = "sideEffects: None
rules:
- apiGroups: [kgen.dev]
  apiVersions: [v2]
  operations: [CREATE]
  resources: [things]";
        let exact = format!("matchPolicy: Exact\n{at_v2}");
        let (equivalent, exact_rec) = (Recorder::allowing(), Recorder::allowing());
        let server = FakeApiServer::new().with_crd(two_versions()).with_admission_webhooks(
            &config(
                "ValidatingWebhookConfiguration",
                "v",
                &[("eq.kgen.dev", "/eq", at_v2), ("exact.kgen.dev", "/exact", &exact)],
            ),
            [
                ("/eq".to_string(), handler(equivalent.clone())),
                ("/exact".to_string(), handler(exact_rec.clone())),
            ],
        );
        let ar = ApiResource::from_gvk(&GroupVersionKind::gvk("kgen.dev", "v1", "Thing"));
        let api: Api<kube::api::DynamicObject> = Api::namespaced_with(server.client(), "default", &ar);
        let thing: kube::api::DynamicObject = serde_json::from_value(json!({
            "apiVersion": "kgen.dev/v1", "kind": "Thing", "metadata": {"name": "t"}, "spec": {"a": 1},
        }))
        .unwrap();
        api.create(&PostParams::default(), &thing).await.unwrap();
        let seen = equivalent.seen();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0]["kind"]["version"], "v2");
        assert_eq!(seen[0]["resource"]["version"], "v2");
        assert_eq!(seen[0]["requestKind"]["version"], "v1");
        assert_eq!(seen[0]["object"]["apiVersion"], "kgen.dev/v2");
        assert!(exact_rec.seen().is_empty(), "matchPolicy Exact: v1 is not v2");
    }
}
