//! Watches as the API server's watch cache serves them: 410 Gone for a resourceVersion from
//! before the cache started or older than its history, and bookmarks (the first right after the
//! initial events, then periodic ones, and one before the timeout).

mod fake_support;

mod fake {
    use super::fake_support::*;
    use futures::{Stream, StreamExt};
    use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
    use kube::api::{Api, PostParams, WatchEvent, WatchParams};
    use std::time::Duration;

    async fn next_event<S, K>(stream: &mut S) -> WatchEvent<K>
    where
        S: Stream<Item = Result<WatchEvent<K>, kube::Error>> + Unpin,
    {
        within(stream.next()).await.expect("stream ended").expect("watch error")
    }

    fn expired<K: std::fmt::Debug>(ev: WatchEvent<K>) -> String {
        match ev {
            WatchEvent::Error(e) => {
                assert_eq!((e.code, e.reason.as_str()), (410, "Expired"));
                assert_eq!(e.status, Some(kube::core::response::StatusSummary::Failure));
                e.message
            }
            other => panic!("expected a 410, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_resource_version_from_before_the_cache_started_is_gone() {
        let server = FakeApiServer::new().with_bookmark_interval(Duration::ZERO);
        // The four built-in namespaces were written (resourceVersions 1 to 4) before the caches
        // started.
        assert_eq!(server.resource_version(), "4");
        let nss: Api<Namespace> = Api::all(server.client());
        let cms: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        for rv in ["1", "3"] {
            let mut s = nss.watch(&WatchParams::default(), rv).await.unwrap().boxed();
            assert_eq!(
                expired(next_event(&mut s).await),
                format!("too old resource version: {rv} (4)")
            );
            assert!(within(s.next()).await.is_none(), "the stream ends after the error");
            let mut s = cms.watch(&WatchParams::default(), rv).await.unwrap().boxed();
            assert_eq!(
                expired(next_event(&mut s).await),
                format!("too old resource version: {rv} (4)")
            );
        }
        // From the start on, changes are replayed.
        cms.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        let mut s = cms.watch(&WatchParams::default(), "4").await.unwrap().boxed();
        match next_event(&mut s).await {
            WatchEvent::Added(c) => assert_eq!(c.metadata.name.as_deref(), Some("a")),
            other => panic!("expected ADDED, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn a_custom_resources_cache_starts_with_its_crd() {
        let server = FakeApiServer::new().with_bookmark_interval(Duration::ZERO);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        server.add_crd(widget_crd()).unwrap();
        let start = server.resource_version();
        let widgets: Api<Widget> = Api::namespaced(server.client(), "default");
        let mut s = widgets.watch(&WatchParams::default(), "5").await.unwrap().boxed();
        assert_eq!(
            expired(next_event(&mut s).await),
            format!("too old resource version: 5 ({start})")
        );
        widgets
            .create(&PostParams::default(), &widget("w", "red"))
            .await
            .unwrap();
        let mut s = widgets.watch(&WatchParams::default(), &start).await.unwrap().boxed();
        assert!(matches!(next_event(&mut s).await, WatchEvent::Added(_)));
    }

    #[tokio::test]
    async fn resuming_from_before_the_start_is_an_explicit_opt_out() {
        let server = FakeApiServer::new()
            .with_bookmark_interval(Duration::ZERO)
            .with_resume_before_start(true);
        let nss: Api<Namespace> = Api::all(server.client());
        let mut s = nss.watch(&WatchParams::default(), "1").await.unwrap().boxed();
        let mut names = Vec::new();
        for _ in 0..3 {
            match next_event(&mut s).await {
                WatchEvent::Added(n) => names.push(n.metadata.name.unwrap()),
                other => panic!("expected ADDED, got {other:?}"),
            }
        }
        assert_eq!(names, ["kube-system", "kube-public", "kube-node-lease"]);
    }

    #[tokio::test]
    async fn beyond_the_bounded_history_is_gone_with_the_oldest_kept_version() {
        let server = FakeApiServer::new()
            .with_watch_history(2)
            .with_bookmark_interval(Duration::ZERO);
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        for n in ["a", "b", "c"] {
            api.create(&PostParams::default(), &cm(n, &[])).await.unwrap();
        }
        // resourceVersions 5, 6 and 7; the history keeps 6 and 7, so 5 is the oldest to resume from.
        let mut s = api.watch(&WatchParams::default(), "4").await.unwrap().boxed();
        assert_eq!(expired(next_event(&mut s).await), "too old resource version: 4 (5)");
        let mut s = api.watch(&WatchParams::default(), "5").await.unwrap().boxed();
        assert!(matches!(next_event(&mut s).await, WatchEvent::Added(c) if c.metadata.name.as_deref() == Some("b")));
    }

    fn is_bookmark<K>(ev: &WatchEvent<K>) -> bool {
        matches!(ev, WatchEvent::Bookmark(_))
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_bookmark_follows_the_initial_events() {
        // An hour between periodic bookmarks: the one that comes is the first.
        let server = FakeApiServer::new().with_bookmark_interval(Duration::from_secs(3600));
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        api.create(&PostParams::default(), &cm("a", &[])).await.unwrap();
        let mut s = api.watch(&WatchParams::default(), "0").await.unwrap().boxed();
        assert!(matches!(next_event(&mut s).await, WatchEvent::Added(_)));
        let started = tokio::time::Instant::now();
        match next_event(&mut s).await {
            WatchEvent::Bookmark(b) => assert_eq!(b.metadata.resource_version, server.resource_version()),
            other => panic!("expected a bookmark, got {other:?}"),
        }
        assert!(started.elapsed() < Duration::from_secs(1), "{:?}", started.elapsed());
        // From a resourceVersion: right after the replayed changes.
        let mut s = api.watch(&WatchParams::default(), "4").await.unwrap().boxed();
        assert!(matches!(next_event(&mut s).await, WatchEvent::Added(_)));
        assert!(is_bookmark(&next_event(&mut s).await));
    }

    #[tokio::test(start_paused = true)]
    async fn periodic_bookmarks_and_one_before_the_timeout() {
        let server = FakeApiServer::new().with_bookmark_interval(Duration::from_secs(1));
        let api: Api<ConfigMap> = Api::namespaced(server.client(), "default");
        let rv = server.resource_version();
        let s = api.watch(&WatchParams::default().timeout(10), &rv).await.unwrap();
        let started = tokio::time::Instant::now();
        let long = Duration::from_secs(60);
        let events: Vec<_> = tokio::time::timeout(long, s.collect::<Vec<_>>())
            .await
            .expect("the watch ends");
        assert!(
            started.elapsed() >= Duration::from_secs(10),
            "the watch lasts timeoutSeconds"
        );
        let bookmarks = events
            .iter()
            .filter(|e| matches!(e, Ok(WatchEvent::Bookmark(_))))
            .count();
        // The first, one a second after (up to the 9th second), and one 2 s before the end.
        assert!(bookmarks >= 10, "{bookmarks} bookmarks: {events:?}");
        assert_eq!(bookmarks, events.len(), "nothing but bookmarks: {events:?}");

        // Only with allowWatchBookmarks.
        let quiet = WatchParams {
            bookmarks: false,
            ..WatchParams::default().timeout(3)
        };
        let events: Vec<_> = tokio::time::timeout(long, api.watch(&quiet, &rv).await.unwrap().collect::<Vec<_>>())
            .await
            .expect("the watch ends");
        assert!(events.is_empty(), "{events:?}");
    }
}
