//! Label and field selectors, pagination, and watches: events, bookmarks, resuming, 410 Gone.

mod fake_support;

mod fake {
    use super::fake_support::*;
    use futures::{Stream, StreamExt, TryStreamExt};
    use k8s_openapi::api::core::v1::ConfigMap;
    use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
    use serde_json::json;
    use std::time::Duration;

    async fn names(api: &Api<ConfigMap>, lp: &ListParams) -> Vec<String> {
        api.list(lp)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|c| c.metadata.name.unwrap())
            .collect()
    }

    #[tokio::test]
    async fn label_selectors() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        for (name, labels) in [
            ("web", vec![("app", "web"), ("tier", "front")]),
            ("db", vec![("app", "db"), ("tier", "back")]),
            ("job", vec![("app", "job")]),
            ("bare", vec![]),
        ] {
            api.create(&PostParams::default(), &cm(name, &labels)).await.unwrap();
        }
        let sel = |s: &str| ListParams::default().labels(s);
        assert_eq!(names(&api, &sel("app=web")).await, vec!["web"]);
        assert_eq!(names(&api, &sel("app==db")).await, vec!["db"]);
        assert_eq!(names(&api, &sel("app!=web")).await, vec!["bare", "db", "job"]);
        assert_eq!(names(&api, &sel("app in (web,job)")).await, vec!["job", "web"]);
        assert_eq!(names(&api, &sel("app notin (web,job)")).await, vec!["bare", "db"]);
        assert_eq!(names(&api, &sel("tier")).await, vec!["db", "web"]);
        assert_eq!(names(&api, &sel("!tier")).await, vec!["bare", "job"]);
        assert_eq!(names(&api, &sel("app,tier=front")).await, vec!["web"]);
        let e = api_error(api.list(&sel("app in (web")).await);
        assert_eq!(e.code, 400);
    }

    #[tokio::test]
    async fn field_selectors() {
        let server = server();
        namespaces(&server, &["a", "b"]);
        let client = server.client();
        let cms: Api<ConfigMap> = Api::all(client.clone());
        for ns in ["a", "b"] {
            let api: Api<ConfigMap> = Api::namespaced(client.clone(), ns);
            api.create(&PostParams::default(), &cm("x", &[])).await.unwrap();
            api.create(&PostParams::default(), &cm("y", &[])).await.unwrap();
        }
        let lp = |s: &str| ListParams::default().fields(s);
        let got: Vec<String> = cms
            .list(&lp("metadata.name=x"))
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|c| c.metadata.namespace.unwrap())
            .collect();
        assert_eq!(got, vec!["a", "b"]);
        assert_eq!(
            cms.list(&lp("metadata.namespace=b,metadata.name!=x"))
                .await
                .unwrap()
                .items
                .len(),
            1
        );
        let e = api_error(cms.list(&lp("data.k=v")).await);
        assert_eq!(e.code, 400);
        assert!(e.message.contains("field label not supported"), "{}", e.message);

        // A CRD's selectableFields.
        let widgets: Api<Widget> = Api::namespaced(client.clone(), "default");
        widgets
            .create(&PostParams::default(), &widget("r", "red"))
            .await
            .unwrap();
        widgets
            .create(&PostParams::default(), &widget("g", "green"))
            .await
            .unwrap();
        let reds = widgets.list(&lp("spec.color=red")).await.unwrap();
        assert_eq!(reds.items.len(), 1);
        assert_eq!(reds.items[0].metadata.name.as_deref(), Some("r"));
        assert_eq!(api_error(widgets.list(&lp("spec.size=3")).await).code, 400);
    }

    #[tokio::test]
    async fn pagination_with_limit_and_continue() {
        let server = FakeApiServer::new();
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        for i in 0..5 {
            api.create(&PostParams::default(), &cm(&format!("c{i}"), &[]))
                .await
                .unwrap();
        }
        let mut seen = Vec::new();
        let mut token = None;
        let mut pages = 0;
        let mut list_rvs = Vec::new();
        loop {
            let mut lp = ListParams::default().limit(2);
            lp.continue_token = token.clone();
            let page = api.list(&lp).await.unwrap();
            pages += 1;
            list_rvs.push(page.metadata.resource_version.clone());
            seen.extend(page.items.into_iter().map(|c| c.metadata.name.unwrap()));
            match page.metadata.continue_.filter(|c| !c.is_empty()) {
                Some(c) => {
                    assert_eq!(page.metadata.remaining_item_count, Some(5 - seen.len() as i64));
                    token = Some(c);
                }
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, vec!["c0", "c1", "c2", "c3", "c4"]);
        assert!(
            list_rvs.windows(2).all(|w| w[0] == w[1]),
            "pages share the first page's resourceVersion"
        );
        let mut bad = ListParams::default().limit(2);
        bad.continue_token = Some("not-a-token".into());
        assert_eq!(api_error(api.list(&bad).await).code, 400);
    }

    async fn next_event<S, K>(stream: &mut S) -> WatchEvent<K>
    where
        S: Stream<Item = Result<WatchEvent<K>, kube::Error>> + Unpin,
    {
        within(stream.next()).await.expect("stream ended").expect("watch error")
    }

    fn name_of(ev: &WatchEvent<ConfigMap>) -> (String, String) {
        match ev {
            WatchEvent::Added(c) => ("ADDED".into(), c.metadata.name.clone().unwrap()),
            WatchEvent::Modified(c) => ("MODIFIED".into(), c.metadata.name.clone().unwrap()),
            WatchEvent::Deleted(c) => ("DELETED".into(), c.metadata.name.clone().unwrap()),
            WatchEvent::Bookmark(b) => ("BOOKMARK".into(), b.metadata.resource_version.clone()),
            WatchEvent::Error(e) => ("ERROR".into(), e.code.to_string()),
        }
    }

    fn ev(t: &str, n: &str) -> (String, String) {
        (t.to_string(), n.to_string())
    }

    #[tokio::test]
    async fn watch_streams_added_modified_deleted() {
        let server = FakeApiServer::new().with_bookmark_interval(Duration::ZERO);
        namespaces(&server, &["other"]);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("before", &[])).await.unwrap();
        let other_ns: Api<ConfigMap> = Api::namespaced(server.client(), "other");

        let mut stream = api.watch(&WatchParams::default(), "0").await.unwrap().boxed();
        assert_eq!(name_of(&next_event(&mut stream).await), ev("ADDED", "before"));

        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        other_ns
            .create(&PostParams::default(), &cm("elsewhere", &[]))
            .await
            .unwrap();
        api.patch("a", &PatchParams::default(), &Patch::Merge(json!({"data": {"z": "1"}})))
            .await
            .unwrap();
        api.delete("a", &DeleteParams::default()).await.unwrap();
        assert_eq!(name_of(&next_event(&mut stream).await), ev("ADDED", "a"));
        let modified = next_event(&mut stream).await;
        assert_eq!(name_of(&modified), ev("MODIFIED", "a"));
        let WatchEvent::Modified(m) = modified else {
            unreachable!()
        };
        assert_eq!(m.data.unwrap()["z"], "1");
        let deleted = next_event(&mut stream).await;
        assert_eq!(name_of(&deleted), ev("DELETED", "a"));
        let WatchEvent::Deleted(d) = deleted else {
            unreachable!()
        };
        assert_eq!(
            d.metadata.resource_version.as_deref(),
            Some(server.resource_version().as_str())
        );
    }

    #[tokio::test]
    async fn watch_resumes_from_a_resource_version() {
        let server = FakeApiServer::new().with_bookmark_interval(Duration::ZERO);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        let a = api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        api.create(&PostParams::default(), &cm("b", &[])).await.unwrap();
        api.delete("a", &DeleteParams::default()).await.unwrap();
        let from = a.metadata.resource_version.unwrap();
        let mut stream = api.watch(&WatchParams::default(), &from).await.unwrap().boxed();
        assert_eq!(name_of(&next_event(&mut stream).await), ev("ADDED", "b"));
        assert_eq!(name_of(&next_event(&mut stream).await), ev("DELETED", "a"));
        assert!(
            tokio::time::timeout(Duration::from_millis(200), stream.next())
                .await
                .is_err(),
            "nothing else happened"
        );
    }

    #[tokio::test]
    async fn watch_bookmarks() {
        let server = FakeApiServer::new().with_bookmark_interval(Duration::from_millis(50));
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        let rv = server.resource_version();
        let mut stream = api.watch(&WatchParams::default(), &rv).await.unwrap().boxed();
        match next_event(&mut stream).await {
            WatchEvent::Bookmark(b) => {
                assert_eq!(b.metadata.resource_version, rv);
                assert_eq!(b.types.kind, "ConfigMap");
            }
            other => panic!("expected a bookmark, got {other:?}"),
        }
        // Without allowWatchBookmarks, none.
        let mut quiet = api
            .watch(
                &WatchParams {
                    bookmarks: false,
                    ..WatchParams::default()
                },
                &rv,
            )
            .await
            .unwrap()
            .boxed();
        assert!(
            tokio::time::timeout(Duration::from_millis(300), quiet.next())
                .await
                .is_err()
        );
    }

    #[tokio::test]
    async fn too_old_resource_version_is_gone() {
        let server = FakeApiServer::new()
            .with_watch_history(2)
            .with_bookmark_interval(Duration::ZERO);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        let first = api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        for i in 0..3 {
            api.patch(
                "a",
                &PatchParams::default(),
                &Patch::Merge(json!({"data": {"i": i.to_string()}})),
            )
            .await
            .unwrap();
        }
        let from = first.metadata.resource_version.unwrap();
        let mut stream = api.watch(&WatchParams::default(), &from).await.unwrap().boxed();
        match next_event(&mut stream).await {
            WatchEvent::Error(e) => {
                assert_eq!(e.code, 410);
                assert_eq!(e.reason, "Expired");
            }
            other => panic!("expected 410, got {other:?}"),
        }
        assert!(within(stream.next()).await.is_none(), "the stream ends after the error");

        // A recent enough resourceVersion still works; compacting makes it too old as well.
        let recent = (server.resource_version().parse::<u64>().unwrap() - 1).to_string();
        let mut ok = api.watch(&WatchParams::default(), &recent).await.unwrap().boxed();
        assert_eq!(name_of(&next_event(&mut ok).await), ev("MODIFIED", "a"));
        server.compact_history();
        let mut gone = api.watch(&WatchParams::default(), &recent).await.unwrap().boxed();
        assert_eq!(name_of(&next_event(&mut gone).await), ev("ERROR", "410"));
    }

    #[tokio::test]
    async fn selector_transitions_become_added_and_deleted() {
        let server = FakeApiServer::new().with_bookmark_interval(Duration::ZERO);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        let mut stream = api
            .watch(&WatchParams::default().labels("app=x"), "0")
            .await
            .unwrap()
            .boxed();
        let set = |v: serde_json::Value| Patch::Merge(json!({"metadata": {"labels": {"app": v}}}));
        api.patch("a", &PatchParams::default(), &set(json!("x"))).await.unwrap();
        assert_eq!(name_of(&next_event(&mut stream).await), ev("ADDED", "a"));
        api.patch("a", &PatchParams::default(), &Patch::Merge(json!({"data": {"q": "1"}})))
            .await
            .unwrap();
        assert_eq!(name_of(&next_event(&mut stream).await), ev("MODIFIED", "a"));
        api.patch("a", &PatchParams::default(), &set(json!("y"))).await.unwrap();
        assert_eq!(name_of(&next_event(&mut stream).await), ev("DELETED", "a"));
    }

    #[tokio::test]
    async fn send_initial_events_ends_with_an_annotated_bookmark() {
        let server = FakeApiServer::new().with_bookmark_interval(Duration::ZERO);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        api.create(&PostParams::default(), &cm("b", &[])).await.unwrap();
        let wp = WatchParams {
            send_initial_events: true,
            ..WatchParams::default()
        };
        let events: Vec<WatchEvent<ConfigMap>> =
            within(api.watch(&wp, "0").await.unwrap().take(3).try_collect::<Vec<_>>())
                .await
                .unwrap();
        assert_eq!(name_of(&events[0]), ev("ADDED", "a"));
        assert_eq!(name_of(&events[1]), ev("ADDED", "b"));
        let WatchEvent::Bookmark(b) = &events[2] else {
            panic!("expected a bookmark, got {:?}", events[2]);
        };
        assert_eq!(
            b.metadata
                .annotations
                .get("k8s.io/initial-events-end")
                .map(String::as_str),
            Some("true")
        );
        assert_eq!(b.metadata.resource_version, server.resource_version());
    }

    #[tokio::test]
    async fn watch_timeout_ends_the_stream() {
        let server = FakeApiServer::new().with_bookmark_interval(Duration::ZERO);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        let rv = server.resource_version();
        let stream = api.watch(&WatchParams::default().timeout(1), &rv).await.unwrap();
        let all: Vec<_> = tokio::time::timeout(Duration::from_secs(5), stream.collect::<Vec<_>>())
            .await
            .expect("the server closes the watch after timeoutSeconds");
        assert!(all.is_empty());
    }
}
