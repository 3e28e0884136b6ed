//! kube-runtime against the fake API server: watcher and reflector, the `Controller` with status
//! patches, owned objects and the finalizer helper, the event recorder, discovery, and an
//! out-of-process client over HTTP.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use futures::StreamExt;
    use k8s_openapi::api::core::v1::ConfigMap;
    use k8s_openapi::api::events::v1::Event as K8sEvent;
    use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
    use kube::runtime::controller::{Action, Controller};
    use kube::runtime::events::{Event, EventType, Recorder, Reporter};
    use kube::runtime::finalizer::{Event as Finalizer, finalizer};
    use kube::runtime::reflector::{self, ObjectRef};
    use kube::runtime::{WatchStreamExt, watcher};
    use kube::{Resource, ResourceExt};
    use serde_json::json;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn reflector_syncs_with_the_server() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &widget("before", "red"))
            .await
            .unwrap();

        let (reader, writer) = reflector::store::<Widget>();
        let stream = reflector::reflector(writer, watcher(api.clone(), watcher::Config::default())).applied_objects();
        let task = tokio::spawn(stream.for_each(|_| async {}));
        within(reader.wait_until_ready()).await.unwrap();
        assert_eq!(reader.state().len(), 1);

        api.create(&PostParams::default(), &widget("after", "blue"))
            .await
            .unwrap();
        eventually("the new widget is cached", || {
            let reader = reader.clone();
            async move { reader.get(&ObjectRef::new("after").within("default")).is_some() }
        })
        .await;
        api.patch(
            "after",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 4}})),
        )
        .await
        .unwrap();
        eventually("the update is cached", || {
            let reader = reader.clone();
            async move {
                reader
                    .get(&ObjectRef::new("after").within("default"))
                    .is_some_and(|w| w.spec.replicas == Some(4))
            }
        })
        .await;
        api.delete("before", &DeleteParams::default()).await.unwrap();
        eventually("the deletion is cached", || {
            let reader = reader.clone();
            async move { reader.get(&ObjectRef::new("before").within("default")).is_none() }
        })
        .await;
        task.abort();
    }

    #[tokio::test]
    async fn watcher_relists_after_410() {
        let server = FakeApiServer::new().with_bookmark_interval(Duration::ZERO);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        // Changes made right after the initial list, then compacted away: the watch that follows
        // the list starts from a resourceVersion the server no longer has history for.
        let mut events = watcher(api.clone(), watcher::Config::default().timeout(1)).boxed();
        let mut inits = 0;
        let mut gone = 0;
        let mut compacted = false;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        while inits < 2 {
            assert!(tokio::time::Instant::now() < deadline, "no relist after 410");
            let ev = within(events.next()).await.expect("stream ended");
            match ev {
                Ok(watcher::Event::Init) => inits += 1,
                Ok(watcher::Event::InitDone) if !compacted => {
                    // Changes the watcher has not seen, then no history to resume from.
                    api.create(&PostParams::default(), &cm("b", &[])).await.unwrap();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    server.compact_history();
                    compacted = true;
                }
                Err(watcher::Error::WatchError(s)) if s.code == 410 => gone += 1,
                _ => {}
            }
        }
        assert_eq!(gone, 1);
    }

    #[tokio::test]
    async fn metadata_watcher_gets_partial_objects() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[("app", "x")]))
            .await
            .unwrap();
        let meta: Api<kube::core::PartialObjectMeta<ConfigMap>> = Api::namespaced(server.client(), "default");
        let mut s = watcher(meta, watcher::Config::default()).applied_objects().boxed();
        let first = within(s.next()).await.unwrap().unwrap();
        assert_eq!(first.metadata.name.as_deref(), Some("a"));
        assert_eq!(first.types.as_ref().unwrap().kind, "PartialObjectMetadata");
        let meta = api.get_metadata("a").await.unwrap();
        assert_eq!(meta.labels().get("app").map(String::as_str), Some("x"));
    }

    #[derive(Debug, thiserror::Error)]
    #[error(transparent)]
    struct ReconcileError(#[from] kube::Error);

    struct Ctx {
        api: Api<Widget>,
        runs: AtomicUsize,
    }

    async fn reconcile(w: Arc<Widget>, ctx: Arc<Ctx>) -> Result<Action, ReconcileError> {
        ctx.runs.fetch_add(1, Ordering::SeqCst);
        let status = json!({"status": {
            "ready": true,
            "observedGeneration": w.metadata.generation,
            "replicas": w.spec.replicas,
        }});
        ctx.api
            .patch_status(&w.name_any(), &PatchParams::default(), &Patch::Merge(status))
            .await?;
        Ok(Action::await_change())
    }

    fn error_policy(_: Arc<Widget>, _: &ReconcileError, _: Arc<Ctx>) -> Action {
        Action::requeue(Duration::from_millis(100))
    }

    #[tokio::test]
    async fn controller_reconciles_and_patches_status() {
        let server = server();
        let api: Api<Widget> = Api::namespaced(server.client(), "default");
        let mut w = widget("w", "green");
        w.spec.replicas = Some(2);
        api.create(&PostParams::default(), &w).await.unwrap();
        let ctx = Arc::new(Ctx {
            api: api.clone(),
            runs: AtomicUsize::new(0),
        });
        let controller = Controller::new(api.clone(), watcher::Config::default())
            .run(reconcile, error_policy, ctx.clone())
            .for_each(|_| async {});
        let task = tokio::spawn(controller);

        eventually("status is patched", || {
            let server = server.clone();
            async move {
                server
                    .get_json("widgets", Some("default"), "w")
                    .is_some_and(|w| w["status"] == json!({"ready": true, "observedGeneration": 1, "replicas": 2}))
            }
        })
        .await;

        api.patch(
            "w",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 5}})),
        )
        .await
        .unwrap();
        eventually("the spec change is reconciled", || {
            let api = api.clone();
            async move {
                let s = api.get("w").await.unwrap().status.unwrap_or_default();
                s.observed_generation == Some(2) && s.replicas == Some(5)
            }
        })
        .await;
        // Status patches that change nothing do not trigger more reconciles.
        tokio::time::sleep(Duration::from_millis(300)).await;
        let runs = ctx.runs.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(ctx.runs.load(Ordering::SeqCst), runs, "the controller has settled");
        task.abort();
    }

    const FINALIZER: &str = "kgen.dev/cleanup";

    async fn reconcile_with_finalizer(
        w: Arc<Widget>,
        ctx: Arc<Ctx>,
    ) -> Result<Action, kube::runtime::finalizer::Error<ReconcileError>> {
        let cms: Api<ConfigMap> = Api::namespaced(ctx.api.clone().into_client(), "default");
        finalizer(&ctx.api, FINALIZER, w, |event| async {
            match event {
                Finalizer::Apply(w) => {
                    let owner = w.controller_owner_ref(&()).unwrap();
                    let cm = json!({
                        "apiVersion": "v1", "kind": "ConfigMap",
                        "metadata": {"name": format!("{}-config", w.name_any()), "ownerReferences": [owner]},
                        "data": {"color": w.spec.color},
                    });
                    cms.patch(
                        &format!("{}-config", w.name_any()),
                        &PatchParams::apply("widget-controller"),
                        &Patch::Apply(&cm),
                    )
                    .await?;
                    Ok(Action::await_change())
                }
                Finalizer::Cleanup(w) => {
                    let mut c = cm(&format!("{}-cleaned", w.name_any()), &[]);
                    c.data = None;
                    cms.create(&PostParams::default(), &c).await?;
                    Ok(Action::await_change())
                }
            }
        })
        .await
    }

    fn finalizer_error_policy(
        _: Arc<Widget>,
        _: &kube::runtime::finalizer::Error<ReconcileError>,
        _: Arc<Ctx>,
    ) -> Action {
        Action::requeue(Duration::from_millis(100))
    }

    #[tokio::test]
    async fn controller_with_finalizer_and_owned_objects() {
        let server = server();
        let client = server.client();
        let api: Api<Widget> = Api::namespaced(client.clone(), "default");
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let ctx = Arc::new(Ctx {
            api: api.clone(),
            runs: AtomicUsize::new(0),
        });
        let task = tokio::spawn(
            Controller::new(api.clone(), watcher::Config::default())
                .owns(cms.clone(), watcher::Config::default())
                .run(reconcile_with_finalizer, finalizer_error_policy, ctx)
                .for_each(|_| async {}),
        );
        api.create(&PostParams::default(), &widget("w", "blue")).await.unwrap();
        eventually("the finalizer is added and the ConfigMap applied", || {
            let (api, cms) = (api.clone(), cms.clone());
            async move {
                let w = api.get("w").await.unwrap();
                w.finalizers() == [FINALIZER.to_string()] && cms.get_opt("w-config").await.unwrap().is_some()
            }
        })
        .await;
        let owned = cms.get("w-config").await.unwrap();
        assert_eq!(owned.data.unwrap()["color"], "blue");

        api.delete("w", &DeleteParams::default()).await.unwrap();
        eventually(
            "cleanup ran, the finalizer was removed, the widget and its ConfigMap are gone",
            || {
                let (api, cms) = (api.clone(), cms.clone());
                async move {
                    api.get_opt("w").await.unwrap().is_none()
                        && cms.get_opt("w-config").await.unwrap().is_none()
                        && cms.get_opt("w-cleaned").await.unwrap().is_some()
                }
            },
        )
        .await;
        task.abort();
    }

    #[tokio::test]
    async fn event_recorder_publishes_events() {
        let server = server();
        let client = server.client();
        let api: Api<Widget> = Api::namespaced(client.clone(), "default");
        let w = api.create(&PostParams::default(), &widget("w", "red")).await.unwrap();
        let recorder = Recorder::new(
            client.clone(),
            Reporter {
                controller: "widget-controller".into(),
                instance: None,
            },
        );
        let ev = Event {
            type_: EventType::Normal,
            reason: "Reconciled".into(),
            note: Some("all good".into()),
            action: "Reconcile".into(),
            secondary: None,
        };
        recorder.publish(&ev, &w.object_ref(&())).await.unwrap();
        recorder.publish(&ev, &w.object_ref(&())).await.unwrap();
        let events: Api<K8sEvent> = Api::namespaced(client.clone(), "default");
        let list = events.list(&ListParams::default()).await.unwrap();
        assert_eq!(list.items.len(), 1, "the second publish updates the series");
        let e = &list.items[0];
        assert_eq!(e.reason.as_deref(), Some("Reconciled"));
        assert_eq!(e.regarding.as_ref().unwrap().name.as_deref(), Some("w"));
        assert_eq!(e.series.as_ref().map(|s| s.count), Some(2));
    }

    #[tokio::test]
    async fn discovery_finds_built_in_and_custom_resources() {
        let server = server();
        let client = server.client();
        let discovery = kube::Discovery::new(client.clone()).run().await.unwrap();
        let (ar, caps) = discovery
            .resolve_gvk(&kube::api::GroupVersionKind::gvk("kgen.dev", "v1", "Widget"))
            .expect("Widget is discovered");
        assert_eq!(ar.plural, "widgets");
        assert_eq!(caps.scope, kube::discovery::Scope::Namespaced);
        assert!(
            caps.subresources
                .iter()
                .any(|(s, _)| s.plural == "widgets/status" || s.plural == "status")
        );
        assert!(
            discovery
                .resolve_gvk(&kube::api::GroupVersionKind::gvk("", "v1", "ConfigMap"))
                .is_some()
        );
        assert!(
            discovery
                .resolve_gvk(&kube::api::GroupVersionKind::gvk("coordination.k8s.io", "v1", "Lease"))
                .is_some()
        );

        let aggregated = kube::Discovery::new(client.clone()).run_aggregated().await.unwrap();
        assert!(
            aggregated
                .resolve_gvk(&kube::api::GroupVersionKind::gvk("kgen.dev", "v1", "Widget"))
                .is_some()
        );
        assert!(
            aggregated
                .resolve_gvk(&kube::api::GroupVersionKind::gvk("", "v1", "Secret"))
                .is_some()
        );

        let version = client.apiserver_version().await.unwrap();
        assert_eq!(version.major, "1");
        assert!(server.actions().is_empty(), "discovery is not recorded");
    }

    #[tokio::test]
    async fn out_of_process_client_over_http() {
        let server = server();
        let (addr, handle) = server.serve("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let config = kube::Config::new(format!("http://{addr}").parse().unwrap());
        let client = kube::Client::try_from(config).unwrap();
        let api: Api<Widget> = Api::namespaced(client.clone(), "default");
        // Without bookmarks: the first one would come right after the (empty) initial events.
        let wp = kube::api::WatchParams {
            bookmarks: false,
            ..Default::default()
        };
        let mut stream = api.watch(&wp, "0").await.unwrap().boxed();
        api.create(&PostParams::default(), &widget("remote", "red"))
            .await
            .unwrap();
        match within(stream.next()).await.unwrap().unwrap() {
            kube::api::WatchEvent::Added(w) => assert_eq!(w.name_any(), "remote"),
            other => panic!("expected ADDED, got {other:?}"),
        }
        assert!(server.get_json("widgets", Some("default"), "remote").is_some());
        let e = api_error(api.get("missing").await);
        assert_eq!(e.code, 404);
        handle.shutdown().await;
        assert!(api.get("remote").await.is_err(), "the server is gone");
    }

    #[tokio::test]
    async fn leases_update_with_resource_versions() {
        use k8s_openapi::api::coordination::v1::Lease;
        let server = FakeApiServer::new();
        let api: Api<Lease> = Api::namespaced(server.client(), "kube-system");
        let mut lease = Lease::default();
        lease.metadata.name = Some("leader".into());
        let created = api.create(&PostParams::default(), &lease).await.unwrap();
        let mut mine = created.clone();
        mine.spec = Some(Default::default());
        mine.spec.as_mut().unwrap().holder_identity = Some("me".into());
        api.replace("leader", &PostParams::default(), &mine).await.unwrap();
        let mut theirs = created;
        theirs.spec = Some(Default::default());
        theirs.spec.as_mut().unwrap().holder_identity = Some("them".into());
        assert_eq!(
            api_error(api.replace("leader", &PostParams::default(), &theirs).await).code,
            409
        );
        assert_eq!(
            api.get("leader")
                .await
                .unwrap()
                .spec
                .unwrap()
                .holder_identity
                .as_deref(),
            Some("me")
        );
    }
}
