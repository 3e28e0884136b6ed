use std::collections::HashSet;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use tokio::task::{JoinHandle, yield_now};
use tokio::time::{Instant, advance, sleep, timeout};

use super::*;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// Lets spawned tasks run until they block (the runtime is current-thread).
async fn settle() {
    for _ in 0..20 {
        yield_now().await;
    }
}

/// A queue whose rate limiter is plain exponential backoff from 5 ms to 1000 s.
fn exponential_queue() -> WorkQueue<&'static str> {
    WorkQueue::with_rate_limiter(ItemExponential::default())
}

fn spawn_get<T>(queue: &WorkQueue<T>) -> JoinHandle<Option<T>>
where
    T: Clone + Eq + Hash + Send + Sync + 'static,
{
    let queue = queue.clone();
    tokio::spawn(async move { queue.get().await })
}

fn assert_send<F: Future + Send>(future: F) -> F {
    future
}

#[tokio::test(start_paused = true)]
async fn add_deduplicates_waiting_items() {
    let queue = WorkQueue::new();
    queue.add("a");
    queue.add("b");
    queue.add("a");
    queue.add("b");
    assert_eq!(queue.len(), 2);
    assert_eq!(queue.metrics().adds, 2);
    assert_eq!(queue.get().await, Some("a"));
    assert_eq!(queue.get().await, Some("b"));
    assert_eq!(queue.len(), 0);
    assert!(queue.is_empty());
    assert_eq!(queue.try_get(), None);
}

#[tokio::test(start_paused = true)]
async fn items_come_out_in_insertion_order() {
    let queue = WorkQueue::new();
    for item in [3, 1, 2] {
        queue.add(item);
    }
    let mut order = Vec::new();
    while let Some(item) = queue.try_get() {
        order.push(item);
    }
    assert_eq!(order, [3, 1, 2]);
}

#[tokio::test(start_paused = true)]
async fn len_counts_ready_items_only() {
    let queue = WorkQueue::new();
    assert_eq!(queue.len(), 0);
    queue.add("a");
    queue.add("b");
    queue.add("c");
    assert_eq!(queue.len(), 3);
    assert_eq!(queue.get().await, Some("a"));
    assert_eq!(queue.len(), 2, "processing items are not counted");
    queue.add_after("d", ms(10));
    assert_eq!(queue.len(), 2, "delayed items are not counted");
    queue.add("a");
    assert_eq!(queue.len(), 2, "a dirty processing item is not counted");
    queue.done(&"a");
    assert_eq!(queue.len(), 3);
    advance(ms(10)).await;
    assert_eq!(queue.len(), 4);
    assert_eq!(
        queue.metrics(),
        Metrics {
            depth: 4,
            processing: 0,
            waiting: 0,
            adds: 5,
            retries: 0,
        }
    );
}

#[tokio::test(start_paused = true)]
async fn item_added_while_processing_is_requeued_by_done() {
    let queue = WorkQueue::new();
    queue.add("a");
    assert_eq!(queue.get().await, Some("a"));
    queue.add("a");
    queue.add("a");
    assert_eq!(queue.len(), 0, "not handed out while processing");
    assert_eq!(queue.try_get(), None);
    assert_eq!(queue.metrics().adds, 2, "the second add while processing is merged");
    queue.done(&"a");
    assert_eq!(queue.len(), 1);
    assert_eq!(queue.get().await, Some("a"));
    queue.done(&"a");
    assert_eq!(queue.len(), 0, "done without a new add does not requeue");
    queue.done(&"a");
    assert_eq!(queue.len(), 0, "done of an item not processing is ignored");
}

#[tokio::test(start_paused = true)]
async fn dirty_item_waits_for_done_instead_of_going_to_a_second_worker() {
    let queue = WorkQueue::new();
    queue.add("a");
    let first = queue.get().await;
    assert_eq!(first, Some("a"));
    queue.add("a");
    let second = spawn_get(&queue);
    sleep(Duration::from_secs(60)).await;
    assert!(!second.is_finished(), "a second worker got an item in processing");
    queue.done(&"a");
    let got = timeout(ms(1), second).await.expect("requeued item").unwrap();
    assert_eq!(got, Some("a"));
}

#[tokio::test(start_paused = true)]
async fn workers_never_share_an_item() {
    const KEYS: u32 = 3;
    let queue = WorkQueue::<u32>::new();
    let active = Arc::new(Mutex::new(HashSet::new()));
    let processed = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..4u64)
        .map(|worker| {
            let queue = queue.clone();
            let active = Arc::clone(&active);
            let processed = Arc::clone(&processed);
            tokio::spawn(async move {
                while let Some(key) = queue.get().await {
                    assert!(active.lock().unwrap().insert(key), "{key} processed twice at once");
                    sleep(ms(7 + worker)).await;
                    assert!(active.lock().unwrap().remove(&key));
                    processed.fetch_add(1, Ordering::SeqCst);
                    queue.done(&key);
                }
            })
        })
        .collect();
    for round in 0..100u32 {
        queue.add(round % KEYS);
        sleep(ms(2)).await;
    }
    // Every accepted add is processed exactly once, also those merged into processing items.
    sleep(Duration::from_secs(1)).await;
    let metrics = queue.metrics();
    assert_eq!((metrics.depth, metrics.processing), (0, 0));
    assert!(metrics.adds > u64::from(KEYS) && metrics.adds < 100, "{metrics:?}");
    assert_eq!(processed.load(Ordering::SeqCst), metrics.adds);
    queue.shutdown();
    for worker in workers {
        worker.await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_never_share_an_item_on_many_threads() {
    const KEYS: usize = 8;
    let queue = WorkQueue::<usize>::new();
    let active: Arc<Vec<AtomicBool>> = Arc::new((0..KEYS).map(|_| AtomicBool::new(false)).collect());
    let processed = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let queue = queue.clone();
            let active = Arc::clone(&active);
            let processed = Arc::clone(&processed);
            tokio::spawn(async move {
                while let Some(key) = queue.get().await {
                    assert!(
                        !active[key].swap(true, Ordering::SeqCst),
                        "{key} processed twice at once"
                    );
                    for _ in 0..5 {
                        yield_now().await;
                    }
                    active[key].store(false, Ordering::SeqCst);
                    processed.fetch_add(1, Ordering::SeqCst);
                    queue.done(&key);
                }
            })
        })
        .collect();
    let producers: Vec<_> = (0..2)
        .map(|_| {
            let queue = queue.clone();
            tokio::spawn(async move {
                for round in 0..2000 {
                    queue.add(round % KEYS);
                    if round % 4 == 0 {
                        yield_now().await;
                    }
                }
            })
        })
        .collect();
    for producer in producers {
        producer.await.unwrap();
    }
    loop {
        let metrics = queue.metrics();
        if metrics.depth == 0 && metrics.processing == 0 {
            break;
        }
        yield_now().await;
    }
    assert_eq!(processed.load(Ordering::SeqCst), queue.metrics().adds);
    queue.shutdown_with_drain().await;
    for worker in workers {
        worker.await.unwrap();
    }
}

#[tokio::test(start_paused = true)]
async fn add_after_hands_items_out_in_due_order() {
    let queue = WorkQueue::new();
    let start = Instant::now();
    queue.add_after("c", ms(30));
    queue.add_after("a", ms(10));
    queue.add_after("b", ms(20));
    queue.add_after("d", ms(20));
    let mut got = Vec::new();
    for _ in 0..4 {
        let item = queue.get().await.unwrap();
        got.push((item, start.elapsed()));
        queue.done(&item);
    }
    assert_eq!(got, [("a", ms(10)), ("b", ms(20)), ("d", ms(20)), ("c", ms(30))]);
}

#[tokio::test(start_paused = true)]
async fn add_after_earliest_due_time_wins() {
    let queue = WorkQueue::new();
    queue.add_after("a", ms(50));
    queue.add_after("a", ms(10));
    queue.add_after("a", ms(30));
    assert_eq!(queue.metrics().waiting, 1);
    advance(ms(9)).await;
    assert_eq!(queue.len(), 0);
    advance(ms(1)).await;
    assert_eq!(queue.len(), 1);
    assert_eq!(queue.try_get(), Some("a"));
    queue.done(&"a");
    // The later due times were replaced, not kept.
    advance(ms(100)).await;
    assert_eq!(queue.len(), 0);
    assert_eq!(queue.metrics().adds, 1);
}

#[tokio::test(start_paused = true)]
async fn add_after_zero_adds_at_once_and_duplicates_merge_when_due() {
    let queue = WorkQueue::new();
    queue.add_after("a", Duration::ZERO);
    assert_eq!(queue.len(), 1);
    queue.add_after("a", ms(5));
    advance(ms(5)).await;
    assert_eq!(queue.len(), 1, "due item merged with the queued one");
    assert_eq!(queue.metrics().adds, 1);
}

#[tokio::test(start_paused = true)]
async fn timer_wakes_a_blocked_getter() {
    let queue = WorkQueue::new();
    let start = Instant::now();
    let getter = spawn_get(&queue);
    settle().await;
    queue.add_after("late", ms(100));
    queue.add_after("early", ms(40));
    assert_eq!(getter.await.unwrap(), Some("early"));
    assert_eq!(start.elapsed(), ms(40));
    assert_eq!(queue.get().await, Some("late"));
    assert_eq!(start.elapsed(), ms(100));
}

#[test]
fn delayed_items_added_outside_a_runtime_are_handed_out() {
    let queue = WorkQueue::new();
    queue.add_after("a", ms(20));
    assert!(!queue.lock().timer_running, "no runtime to start a timer task on");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        // The due time was taken from the real clock before this runtime's clock started, so
        // it is at most 20 ms away. Without a timer task started by `get`, this times out.
        let start = Instant::now();
        let got = timeout(ms(25), queue.get()).await.expect("timer started by get");
        assert_eq!(got, Some("a"));
        assert!(start.elapsed() <= ms(20), "{:?}", start.elapsed());
        assert!(!queue.lock().timer_running);
    });
}

#[test]
fn exponential_backoff_doubles_from_5ms_up_to_the_cap() {
    let limiter = ItemExponential::default();
    let delays: Vec<_> = (0..6).map(|_| limiter.when(&"a")).collect();
    assert_eq!(delays, [ms(5), ms(10), ms(20), ms(40), ms(80), ms(160)]);
    assert_eq!(limiter.when(&"b"), ms(5), "failures are counted per item");

    let capped = ItemExponential::new(ms(5), ms(30));
    let delays: Vec<_> = (0..6).map(|_| capped.when(&"a")).collect();
    assert_eq!(delays, [ms(5), ms(10), ms(20), ms(30), ms(30), ms(30)]);

    // client-go's default reaches 1000 s at the 19th failure and never overflows.
    let default = ItemExponential::default();
    let delays: Vec<_> = (0..200).map(|_| default.when(&"a")).collect();
    assert_eq!(delays[17], ms(5 << 17));
    assert_eq!(delays[18], Duration::from_secs(1000));
    assert_eq!(delays[199], Duration::from_secs(1000));
    assert_eq!(default.backoff(u32::MAX), Duration::from_secs(1000));
}

#[test]
fn forget_resets_the_backoff() {
    let limiter = ItemExponential::default();
    for _ in 0..3 {
        limiter.when(&"a");
    }
    limiter.when(&"b");
    assert_eq!(limiter.num_requeues(&"a"), 3);
    limiter.forget(&"a");
    assert_eq!(limiter.num_requeues(&"a"), 0);
    assert_eq!(limiter.when(&"a"), ms(5));
    assert_eq!(limiter.num_requeues(&"b"), 1, "other items are kept");
}

#[tokio::test(start_paused = true)]
async fn add_rate_limited_backs_off_per_item_and_forget_resets() {
    let queue = exponential_queue();
    let start = Instant::now();
    let mut handed_out = Vec::new();
    for _ in 0..4 {
        queue.add_rate_limited("a");
        let item = queue.get().await.unwrap();
        handed_out.push(start.elapsed());
        queue.done(&item);
    }
    assert_eq!(handed_out, [ms(5), ms(15), ms(35), ms(75)]);
    assert_eq!(queue.num_requeues(&"a"), 4);
    assert_eq!(queue.num_requeues(&"b"), 0);
    assert_eq!(queue.metrics().retries, 4);

    queue.forget(&"a");
    assert_eq!(queue.num_requeues(&"a"), 0);
    queue.add_rate_limited("a");
    advance(ms(4)).await;
    assert_eq!(queue.len(), 0);
    advance(ms(1)).await;
    assert_eq!(queue.len(), 1);
    assert_eq!(queue.num_requeues(&"a"), 1);
}

#[tokio::test(start_paused = true)]
async fn token_bucket_delays_after_the_burst() {
    let bucket = Bucket::new(10.0, 3);
    let when = |bucket: &Bucket| RateLimiter::<u32>::when(bucket, &0);
    let delays: Vec<_> = (0..5).map(|_| when(&bucket)).collect();
    assert_eq!(delays, [ms(0), ms(0), ms(0), ms(100), ms(200)]);
    // At 150 ms 1.5 tokens have been added to the -2 left: the next one is 150 ms away.
    advance(ms(150)).await;
    assert_eq!(when(&bucket), ms(150));
    // A second later the bucket is full again.
    advance(ms(1000)).await;
    let delays: Vec<_> = (0..4).map(|_| when(&bucket)).collect();
    assert_eq!(delays, [ms(0), ms(0), ms(0), ms(100)]);
    assert_eq!(RateLimiter::<u32>::num_requeues(&bucket, &0), 0);

    let default = Bucket::default();
    assert_eq!((default.qps(), default.burst()), (10.0, 100));
    let delays: Vec<_> = (0..102).map(|_| when(&default)).collect();
    assert_eq!(delays[99], Duration::ZERO);
    assert_eq!(&delays[100..], [ms(100), ms(200)]);
}

#[tokio::test(start_paused = true)]
async fn queue_with_token_bucket_adds_after_the_burst() {
    let queue = WorkQueue::with_rate_limiter(Bucket::new(10.0, 2));
    for item in ["a", "b", "c", "d"] {
        queue.add_rate_limited(item);
    }
    assert_eq!(queue.len(), 2);
    advance(ms(99)).await;
    assert_eq!(queue.len(), 2);
    advance(ms(1)).await;
    assert_eq!(queue.len(), 3);
    advance(ms(100)).await;
    assert_eq!(queue.len(), 4);
    let order: Vec<_> = std::iter::from_fn(|| queue.try_get()).collect();
    assert_eq!(order, ["a", "b", "c", "d"]);
}

#[tokio::test(start_paused = true)]
async fn default_controller_rate_limiter_is_the_max_of_both() {
    let limiter = default_controller_rate_limiter::<u32>();
    let delays: Vec<_> = (0..101).map(|item| limiter.when(&item)).collect();
    assert!(delays[..100].iter().all(|&delay| delay == ms(5)), "{delays:?}");
    assert_eq!(delays[100], ms(100), "the bucket's burst of 100 is used up");
    advance(Duration::from_secs(60)).await;
    let delays: Vec<_> = (0..4).map(|_| limiter.when(&7)).collect();
    assert_eq!(delays, [ms(10), ms(20), ms(40), ms(80)]);
    assert_eq!(limiter.num_requeues(&7), 5);
    limiter.forget(&7);
    assert_eq!(limiter.num_requeues(&7), 0);
    assert_eq!(limiter.num_requeues(&8), 1);
}

#[test]
fn max_of_nothing_never_delays() {
    let limiter = MaxOf::<u32>::new(Vec::new());
    assert_eq!(limiter.when(&1), Duration::ZERO);
    assert_eq!(limiter.num_requeues(&1), 0);
}

#[tokio::test(start_paused = true)]
async fn shutdown_wakes_blocked_getters_with_none() {
    let queue = WorkQueue::<&str>::new();
    let getters: Vec<_> = (0..3).map(|_| spawn_get(&queue)).collect();
    settle().await;
    assert!(getters.iter().all(|getter| !getter.is_finished()));
    assert!(!queue.is_shutting_down());
    queue.shutdown();
    assert!(queue.is_shutting_down());
    for getter in getters {
        let got = timeout(ms(1), getter).await.expect("woken by shutdown");
        assert_eq!(got.unwrap(), None);
    }
    assert_eq!(queue.get().await, None);
}

#[tokio::test(start_paused = true)]
async fn shutdown_drops_queued_and_delayed_items_and_ignores_adds() {
    let queue = WorkQueue::new();
    queue.add("a");
    queue.add("b");
    queue.add_after("c", ms(10));
    assert_eq!(queue.get().await, Some("a"));
    queue.add("a");
    queue.shutdown();
    assert_eq!(queue.len(), 0);
    queue.add("d");
    queue.add_after("e", ms(1));
    queue.add_rate_limited("f");
    assert_eq!(queue.num_requeues(&"f"), 0, "the limiter is not asked after shutdown");
    queue.done(&"a");
    advance(ms(20)).await;
    let metrics = queue.metrics();
    assert_eq!((metrics.depth, metrics.processing, metrics.waiting), (0, 0, 0));
    assert_eq!((metrics.adds, metrics.retries), (3, 0));
    assert_eq!(queue.get().await, None);
}

#[tokio::test(start_paused = true)]
async fn shutdown_with_drain_waits_for_queued_and_processing_items() {
    let queue = WorkQueue::new();
    for item in ["a", "b", "c"] {
        queue.add(item);
    }
    assert_eq!(queue.get().await, Some("a"));
    queue.add("a");
    queue.add_after("late", ms(5));

    let drain = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.shutdown_with_drain().await })
    };
    settle().await;
    assert!(queue.is_shutting_down());
    assert!(!drain.is_finished());
    queue.add("d");
    assert_eq!(queue.len(), 2, "adds are ignored, queued items kept");

    assert_eq!(queue.get().await, Some("b"));
    queue.done(&"a");
    settle().await;
    assert!(!drain.is_finished(), "b is processing, c is queued");
    assert_eq!(queue.get().await, Some("c"));
    assert_eq!(queue.get().await, None, "drained: a was not requeued, late was dropped");
    queue.done(&"b");
    settle().await;
    assert!(!drain.is_finished(), "c is processing");
    advance(ms(10)).await;
    queue.done(&"c");
    timeout(ms(1), drain).await.expect("drained").unwrap();
    assert_eq!(queue.metrics().waiting, 0);
}

#[tokio::test(start_paused = true)]
async fn shutdown_with_drain_of_an_idle_queue_returns_at_once() {
    let queue = WorkQueue::<u8>::new();
    let getter = spawn_get(&queue);
    settle().await;
    queue.shutdown_with_drain().now_or_never().expect("nothing to wait for");
    assert_eq!(getter.await.unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn shutdown_ends_a_drain_that_nobody_works_on() {
    let queue = WorkQueue::new();
    queue.add(1);
    queue.add(2);
    assert_eq!(queue.get().await, Some(1));
    let drain = {
        let queue = queue.clone();
        tokio::spawn(async move { queue.shutdown_with_drain().await })
    };
    settle().await;
    queue.shutdown();
    settle().await;
    assert!(!drain.is_finished(), "1 is still processing");
    assert_eq!(queue.len(), 0);
    queue.done(&1);
    timeout(ms(1), drain).await.expect("drained").unwrap();
}

#[tokio::test(start_paused = true)]
async fn dropped_getter_passes_its_wakeup_on() {
    let queue = WorkQueue::new();
    let mut first = Box::pin(queue.get());
    assert!((&mut first).now_or_never().is_none());
    let second = spawn_get(&queue);
    settle().await;
    // The wake-up goes to `first`, the oldest waiter, which is dropped without running.
    queue.add("a");
    drop(first);
    settle().await;
    assert!(second.is_finished());
    assert_eq!(second.await.unwrap(), Some("a"));
}

#[tokio::test(start_paused = true)]
async fn timer_task_ends_when_idle_and_when_the_queue_is_dropped() {
    let queue = WorkQueue::new();
    queue.add_after("a", ms(10));
    assert!(queue.lock().timer_running);
    advance(ms(10)).await;
    settle().await;
    assert!(!queue.lock().timer_running, "nothing waits any more");
    assert_eq!(queue.len(), 1);

    queue.add_after("b", Duration::from_secs(3600));
    assert!(queue.lock().timer_running);
    let weak = Arc::downgrade(&queue.inner);
    drop(queue);
    settle().await;
    assert!(weak.upgrade().is_none(), "the timer task keeps no queue alive");
}

#[tokio::test(start_paused = true)]
async fn futures_are_send_and_debug_shows_the_counts() {
    let queue = WorkQueue::<(String, String)>::builder().name("pods").build();
    let handle = tokio::spawn(assert_send({
        let queue = queue.clone();
        async move { queue.get().await }
    }));
    queue.add(("default".into(), "web".into()));
    assert_eq!(handle.await.unwrap(), Some(("default".to_owned(), "web".to_owned())));
    assert_eq!(queue.name(), Some("pods"));
    assert_eq!(
        format!("{queue:?}"),
        r#"WorkQueue { name: Some("pods"), depth: 0, processing: 1, waiting: 0, shutting_down: false }"#
    );
}
