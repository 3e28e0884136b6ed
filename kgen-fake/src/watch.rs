//! Watches (`?watch=true`): newline-delimited JSON `ADDED`/`MODIFIED`/`DELETED` events streamed
//! from a resourceVersion, `BOOKMARK`s, and `410 Gone` for a resourceVersion older than the
//! retained history.
//!
//! * No `resourceVersion` (or `"0"`): an `ADDED` event per current object, then changes.
//! * `resourceVersion=N`: every retained change after `N`, then changes; if changes after `N` were
//!   already dropped from the bounded history, one `ERROR` event with a `Status` of code 410
//!   (reason `Expired`), then the stream ends.
//! * `sendInitialEvents=true`: the current objects as `ADDED` events, then (with
//!   `allowWatchBookmarks=true`) a `BOOKMARK` annotated `k8s.io/initial-events-end: "true"`.
//! * `allowWatchBookmarks=true`: a `BOOKMARK` at the current resourceVersion right after the
//!   initial events (or the replayed history), then every bookmark interval (see
//!   [`FakeApiServer::with_bookmark_interval`](super::FakeApiServer::with_bookmark_interval)),
//!   and two seconds before `timeoutSeconds` ends.
//! * A resourceVersion from before the resource's watch cache started (the built-in
//!   namespaces, or the CRD's creation, are before it) gets the same 410 as one whose changes
//!   were dropped: `too old resource version: 1 (4)`.
//! * Selector transitions: an object modified into the selector arrives as `ADDED`, out of it as
//!   `DELETED`.
//! * The stream ends after `timeoutSeconds`, or when the client goes away.

use super::objects::{Req, partial_metadata, served};
use super::server::ResBody;
use super::status::{ApiResult, error, to_json};
use super::store::{State, WatchFilter, WatchItem};
use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use kube::core::Status;
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

fn line(v: &Value) -> Bytes {
    let mut s = v.to_string();
    s.push('\n');
    Bytes::from(s)
}

fn streaming(rx: mpsc::Receiver<Bytes>) -> http::Response<ResBody> {
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(Frame::data(b)), rx))
    });
    http::Response::builder()
        .status(200)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(StreamBody::new(stream).boxed_unsync())
        .expect("valid response")
}

/// Starts a watch for `req` and returns its streaming response.
pub(crate) fn start(state: &Arc<Mutex<State>>, req: &Req) -> ApiResult<http::Response<ResBody>> {
    let (labels, fields) = State::selectors(req)?;
    let view = state
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .view(&req.def, &req.version);
    let filter = WatchFilter {
        namespace: req.namespace.clone(),
        labels,
        fields,
        view,
    };
    let q = |k: &str| req.query.get(k).map(String::as_str);
    let bookmarks = q("allowWatchBookmarks") == Some("true");
    let send_initial = q("sendInitialEvents") == Some("true");
    let from = match q("resourceVersion").filter(|rv| !rv.is_empty() && *rv != "0") {
        Some(rv) => Some(
            rv.parse::<u64>()
                .map_err(|_| error(400, format!("invalid resource version {rv:?}")))?,
        ),
        None => None,
    };
    let timeout = q("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .filter(|t| *t > 0)
        .map(Duration::from_secs);
    let (from, initial) = if send_initial {
        (None, true)
    } else {
        (from, from.is_none())
    };

    let (out_tx, out_rx) = mpsc::channel::<Bytes>(256);
    let started = {
        let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
        let interval = st.bookmark_interval;
        let started = st.start_watch(&req.def, filter, from, initial, send_initial && bookmarks);
        if let Ok((id, _)) = &started
            && bookmarks
            && !send_initial
            && !interval.is_zero()
        {
            // The first bookmark, right after the initial events (or the replayed history).
            st.bookmark(*id);
        }
        started
            .map(|(id, rx)| (id, rx, interval))
            .map_err(|compacted| (compacted, st.rv))
    };
    let (id, mut rx, interval) = match started {
        Ok(x) => x,
        Err((compacted, _)) => {
            let rv = from.unwrap_or(0);
            let status =
                Status::failure(&format!("too old resource version: {rv} ({compacted})"), "Expired").with_code(410);
            let ev = json!({"type": "ERROR", "object": to_json(&status)});
            let _ = out_tx.try_send(line(&ev));
            return Ok(streaming(out_rx));
        }
    };

    let def = req.def.clone();
    let version = req.version.clone();
    let meta_only = req.meta_only;
    let state = state.clone();
    tokio::spawn(async move {
        let deadline = tokio::time::sleep(timeout.unwrap_or(Duration::from_secs(60 * 60 * 24 * 365)));
        tokio::pin!(deadline);
        // As the API server: one more bookmark two seconds before the watch times out.
        let pre_timeout = timeout
            .and_then(|t| t.checked_sub(Duration::from_secs(2)))
            .filter(|_| bookmarks && !interval.is_zero());
        let last_bookmark = tokio::time::sleep(pre_timeout.unwrap_or(Duration::from_secs(60 * 60 * 24 * 365)));
        tokio::pin!(last_bookmark);
        let mut last_bookmark_sent = pre_timeout.is_none();
        let period = if interval.is_zero() {
            Duration::from_secs(1)
        } else {
            interval
        };
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                item = rx.recv() => {
                    let Some(item) = item else { break };
                    let ev = match item {
                        WatchItem::Error(status) => {
                            // As a watch whose object cannot be decoded: an ERROR event, then the end.
                            let ev = json!({"type": "ERROR", "object": to_json(&status)});
                            let _ = out_tx.send(line(&ev)).await;
                            break;
                        }
                        WatchItem::Event(ty, obj) => {
                            let obj = served(&def, &version, &obj);
                            let obj = if meta_only { partial_metadata(&obj) } else { obj };
                            json!({"type": ty.as_str(), "object": obj})
                        }
                        WatchItem::Bookmark { rv, initial_events_end } => {
                            let mut meta = json!({"resourceVersion": rv.to_string()});
                            if initial_events_end {
                                meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
                            }
                            let (api_version, kind) = if meta_only {
                                ("meta.k8s.io/v1".to_string(), "PartialObjectMetadata".to_string())
                            } else {
                                (def.api_version(&version), def.kind.clone())
                            };
                            json!({"type": "BOOKMARK", "object": {
                                "apiVersion": api_version,
                                "kind": kind,
                                "metadata": meta,
                            }})
                        }
                    };
                    if out_tx.send(line(&ev)).await.is_err() {
                        break;
                    }
                }
                _ = tick.tick(), if bookmarks && !interval.is_zero() => {
                    let alive = state.lock().map(|mut s| s.bookmark(id)).unwrap_or(false);
                    if !alive {
                        break;
                    }
                }
                _ = &mut last_bookmark, if !last_bookmark_sent => {
                    last_bookmark_sent = true;
                    let alive = state.lock().map(|mut s| s.bookmark(id)).unwrap_or(false);
                    if !alive {
                        break;
                    }
                }
                _ = &mut deadline => break,
                _ = out_tx.closed() => break,
            }
        }
        if let Ok(mut s) = state.lock() {
            s.stop_watch(id);
        }
    });
    Ok(streaming(out_rx))
}
