//! A rate-limited work queue with de-duplication and per-item exponential backoff: the queue
//! client-go controllers are built around, which kube-runtime does not have (its controller
//! has no per-item backoff, see kube-rs issue #297).
//!
//! [`WorkQueue<T>`] holds *keys* of work (for example kube's
//! [`ObjectRef<K>`](kube::runtime::reflector::ObjectRef) or a `(namespace, name)` pair), not
//! objects: event handlers [`add`](WorkQueue::add) keys, workers [`get`](WorkQueue::get) a key,
//! read the current state of the object from a cache and reconcile it. The queue guarantees:
//!
//! - **De-duplication**: a key waiting in the queue is not added twice; adding it again is free.
//! - **One worker per key**: a key handed out by [`get`](WorkQueue::get) is *processing* until
//!   [`done`](WorkQueue::done). Adding it meanwhile marks it *dirty*, and `done` puts it back
//!   into the queue, so changes during processing are not lost and no two workers ever process
//!   the same key at the same time.
//! - **Delays**: [`add_after`](WorkQueue::add_after) adds a key once a delay has passed; if the
//!   key is already waiting, the earliest time wins.
//! - **Backoff**: [`add_rate_limited`](WorkQueue::add_rate_limited) adds a key after the delay
//!   of the queue's [`RateLimiter`] (by default [`default_controller_rate_limiter`]: per-key
//!   exponential backoff from 5 ms to 1000 s, and an overall 10 qps token bucket), and
//!   [`forget`](WorkQueue::forget) resets the key's backoff once it succeeded.
//!
//! `WorkQueue` is cheap to clone (clones share one queue) and can be used from any number of
//! tokio tasks. Keys whose delay has passed are moved to the queue by a tokio task that the
//! queue starts when it needs one (one timer, no polling), and also by [`get`](WorkQueue::get),
//! [`len`](WorkQueue::len) and [`metrics`](WorkQueue::metrics) themselves.
//!
//! # A controller's worker loop
//!
//! ```
//! use std::sync::atomic::{AtomicU32, Ordering};
//! use k8s_openapi::api::core::v1::ConfigMap;
//! use kgen_runtime::workqueue::WorkQueue;
//! use kube::runtime::reflector::ObjectRef;
//!
//! static ATTEMPTS: AtomicU32 = AtomicU32::new(0);
//!
//! /// Fails twice, then succeeds.
//! async fn reconcile(key: &ObjectRef<ConfigMap>) -> Result<(), String> {
//!     match ATTEMPTS.fetch_add(1, Ordering::SeqCst) {
//!         0 | 1 => Err(format!("{key} is not ready yet")),
//!         _ => Ok(()),
//!     }
//! }
//!
//! #[tokio::main]
//! async fn main() {
//!     let queue: WorkQueue<ObjectRef<ConfigMap>> = WorkQueue::new();
//!     let (succeeded, mut successes) = tokio::sync::mpsc::unbounded_channel();
//!
//!     let workers: Vec<_> = (0..4)
//!         .map(|_| {
//!             let queue = queue.clone();
//!             let succeeded = succeeded.clone();
//!             tokio::spawn(async move {
//!                 // `get` returns None once the queue is shut down.
//!                 while let Some(key) = queue.get().await {
//!                     match reconcile(&key).await {
//!                         Ok(()) => {
//!                             // Success: the next failure starts the backoff from 5 ms again.
//!                             queue.forget(&key);
//!                             succeeded.send(key.clone()).unwrap();
//!                         }
//!                         Err(error) => {
//!                             let retries = queue.num_requeues(&key);
//!                             eprintln!("retrying after failure {retries}: {error}");
//!                             // Failure: retry after 5 ms, 10 ms, 20 ms, ...
//!                             queue.add_rate_limited(key.clone());
//!                         }
//!                     }
//!                     // Always: lets the key be handed out again.
//!                     queue.done(&key);
//!                 }
//!             })
//!         })
//!         .collect();
//!
//!     // Event handlers (an informer, say) add keys; duplicates are merged.
//!     let key = ObjectRef::<ConfigMap>::new("settings").within("default");
//!     queue.add(key.clone());
//!     queue.add(key.clone());
//!
//!     assert_eq!(successes.recv().await, Some(key));
//!     assert_eq!(ATTEMPTS.load(Ordering::SeqCst), 3);
//!     assert_eq!(queue.metrics().retries, 2);
//!
//!     // Stop: hand out what is queued, wait for the workers to finish it, then end them.
//!     queue.shutdown_with_drain().await;
//!     for worker in workers {
//!         worker.await.unwrap();
//!     }
//! }
//! ```

mod rate_limiter;
#[cfg(test)]
mod tests;

pub use rate_limiter::{Bucket, ItemExponential, MaxOf, RateLimiter, default_controller_rate_limiter};

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::hash::Hash;
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// How far in the future "never" is, for delays too long to add to an `Instant`.
const FAR_FUTURE: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

/// A de-duplicating, delaying, rate-limited work queue; see the [module docs](self).
///
/// Clones share one queue. Items are keys: cheap to clone and compare, like
/// [`ObjectRef<K>`](kube::runtime::reflector::ObjectRef) or `(String, String)`.
pub struct WorkQueue<T> {
    inner: Arc<Inner<T>>,
}

impl<T> Clone for WorkQueue<T> {
    fn clone(&self) -> Self {
        WorkQueue {
            inner: Arc::clone(&self.inner),
        }
    }
}

/// Counters of a [`WorkQueue`], read with [`WorkQueue::metrics`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Metrics {
    /// Items ready to be handed out (the same as [`WorkQueue::len`]).
    pub depth: usize,
    /// Items being processed: handed out by `get`, not yet `done`.
    pub processing: usize,
    /// Items waiting for their delay (`add_after`, `add_rate_limited`) to pass.
    pub waiting: usize,
    /// Adds that were not de-duplicated, since the queue was created: each one leads to one
    /// more `get` of the item (unless the queue shuts down first). Items whose delay passed
    /// count when they are added to the queue.
    pub adds: u64,
    /// Calls of [`WorkQueue::add_rate_limited`] before shutdown, since the queue was created.
    pub retries: u64,
}

struct Inner<T> {
    name: Option<String>,
    state: Mutex<State<T>>,
    limiter: Box<dyn RateLimiter<T>>,
    /// Getters wait on this: items were queued, or the queue shut down.
    ready: Notify,
    /// `shutdown_with_drain` waits on this: the queue may be drained.
    drained: Notify,
    /// The timer task waits on this: the earliest delay changed, or the queue shut down or was
    /// dropped. Shared with the task, which holds no strong reference to `Inner`.
    timer: Arc<Notify>,
}

impl<T> Drop for Inner<T> {
    fn drop(&mut self) {
        // Let a sleeping timer task notice that the queue is gone.
        self.timer.notify_one();
    }
}

struct State<T> {
    /// Ready items, in order.
    queue: VecDeque<T>,
    /// Items that need processing: everything in `queue`, and processing items added again.
    dirty: HashSet<T>,
    /// Items handed out by `get` and not yet `done`.
    processing: HashSet<T>,
    /// Delayed items by due time; the sequence number keeps equal times in insertion order.
    waiting: BTreeMap<(Instant, u64), T>,
    /// The key of each item in `waiting`.
    waiting_keys: HashMap<T, (Instant, u64)>,
    next_seq: u64,
    shutting_down: bool,
    /// Whether a timer task is running (or spawned and about to run).
    timer_running: bool,
    adds: u64,
    retries: u64,
}

impl<T: Clone + Eq + Hash> State<T> {
    fn new() -> Self {
        State {
            queue: VecDeque::new(),
            dirty: HashSet::new(),
            processing: HashSet::new(),
            waiting: BTreeMap::new(),
            waiting_keys: HashMap::new(),
            next_seq: 0,
            shutting_down: false,
            timer_running: false,
            adds: 0,
            retries: 0,
        }
    }

    /// Adds `item`; true if it was appended to `queue` (a getter should be woken).
    fn add(&mut self, item: T) -> bool {
        if self.shutting_down || self.dirty.contains(&item) {
            return false;
        }
        self.adds += 1;
        self.dirty.insert(item.clone());
        if self.processing.contains(&item) {
            // Re-queued by `done`.
            return false;
        }
        self.queue.push_back(item);
        true
    }

    /// Puts `item` into `waiting` at `due`, unless it is already waiting with an earlier or the
    /// same due time. True if the earliest due time of all waiting items changed.
    fn add_waiting(&mut self, item: T, due: Instant) -> bool {
        if let Some(&(current, seq)) = self.waiting_keys.get(&item) {
            if current <= due {
                return false;
            }
            self.waiting.remove(&(current, seq));
        }
        let key = (due, self.next_seq);
        self.next_seq += 1;
        self.waiting_keys.insert(item.clone(), key);
        self.waiting.insert(key, item);
        self.waiting.keys().next() == Some(&key)
    }

    /// Adds the waiting items that are due at `now`; returns how many were queued.
    fn promote(&mut self, now: Instant) -> usize {
        let mut queued = 0;
        while let Some(entry) = self.waiting.first_entry() {
            if entry.key().0 > now {
                break;
            }
            let item = entry.remove();
            self.waiting_keys.remove(&item);
            if self.add(item) {
                queued += 1;
            }
        }
        queued
    }

    fn next_due(&self) -> Option<Instant> {
        self.waiting.keys().next().map(|&(due, _)| due)
    }

    /// Hands out the first ready item.
    fn pop(&mut self) -> Option<T> {
        let item = self.queue.pop_front()?;
        self.dirty.remove(&item);
        self.processing.insert(item.clone());
        Some(item)
    }

    fn clear_waiting(&mut self) {
        self.waiting.clear();
        self.waiting_keys.clear();
    }

    fn is_drained(&self) -> bool {
        self.shutting_down && self.queue.is_empty() && self.processing.is_empty()
    }
}

/// Builds a [`WorkQueue`] with a name and a rate limiter; see [`WorkQueue::builder`].
pub struct WorkQueueBuilder<T> {
    name: Option<String>,
    limiter: Option<Box<dyn RateLimiter<T>>>,
}

impl<T> fmt::Debug for WorkQueueBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkQueueBuilder")
            .field("name", &self.name)
            .field("custom_rate_limiter", &self.limiter.is_some())
            .finish()
    }
}

impl<T> WorkQueueBuilder<T>
where
    T: Clone + Eq + Hash + Send + Sync + 'static,
{
    /// Names the queue (for logs and metrics; see [`WorkQueue::name`]).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The limiter [`WorkQueue::add_rate_limited`] uses; by default
    /// [`default_controller_rate_limiter`].
    pub fn rate_limiter(mut self, limiter: impl RateLimiter<T> + 'static) -> Self {
        self.limiter = Some(Box::new(limiter));
        self
    }

    /// Creates the queue.
    pub fn build(self) -> WorkQueue<T> {
        WorkQueue {
            inner: Arc::new(Inner {
                name: self.name,
                state: Mutex::new(State::new()),
                limiter: self
                    .limiter
                    .unwrap_or_else(|| Box::new(default_controller_rate_limiter())),
                ready: Notify::new(),
                drained: Notify::new(),
                timer: Arc::new(Notify::new()),
            }),
        }
    }
}

impl<T> Default for WorkQueue<T>
where
    T: Clone + Eq + Hash + Send + Sync + 'static,
{
    fn default() -> Self {
        WorkQueue::new()
    }
}

impl<T> fmt::Debug for WorkQueue<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.inner.state.lock().unwrap_or_else(PoisonError::into_inner);
        f.debug_struct("WorkQueue")
            .field("name", &self.inner.name)
            .field("depth", &state.queue.len())
            .field("processing", &state.processing.len())
            .field("waiting", &state.waiting.len())
            .field("shutting_down", &state.shutting_down)
            .finish()
    }
}

impl<T> WorkQueue<T>
where
    T: Clone + Eq + Hash + Send + Sync + 'static,
{
    /// A queue using [`default_controller_rate_limiter`].
    pub fn new() -> Self {
        Self::builder().build()
    }

    /// A queue using `limiter` for [`add_rate_limited`](Self::add_rate_limited).
    pub fn with_rate_limiter(limiter: impl RateLimiter<T> + 'static) -> Self {
        Self::builder().rate_limiter(limiter).build()
    }

    /// A builder for a named queue or one with a custom rate limiter.
    ///
    /// ```
    /// use std::time::Duration;
    /// use kgen_runtime::workqueue::{Bucket, ItemExponential, MaxOf, WorkQueue};
    ///
    /// let queue: WorkQueue<(String, String)> = WorkQueue::builder()
    ///     .name("klusters")
    ///     .rate_limiter(MaxOf(vec![
    ///         Box::new(ItemExponential::new(Duration::from_millis(100), Duration::from_secs(60))),
    ///         Box::new(Bucket::new(50.0, 300)),
    ///     ]))
    ///     .build();
    /// assert_eq!(queue.name(), Some("klusters"));
    /// ```
    pub fn builder() -> WorkQueueBuilder<T> {
        WorkQueueBuilder {
            name: None,
            limiter: None,
        }
    }

    /// The queue's name, if it was built with one.
    pub fn name(&self) -> Option<&str> {
        self.inner.name.as_deref()
    }

    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.inner.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn wake_getters(&self, count: usize) {
        for _ in 0..count {
            self.inner.ready.notify_one();
        }
    }

    /// Adds `item` to the queue, unless it is already waiting there. If it is being
    /// processed, it is marked dirty and queued again by [`done`](Self::done). Ignored once
    /// the queue is shutting down.
    pub fn add(&self, item: T) {
        let queued = self.lock().add(item);
        if queued {
            self.wake_getters(1);
        }
    }

    /// Adds `item` once `delay` has passed (at once for a zero delay). If `item` is already
    /// waiting for a delay, the earlier due time wins. When due, the item is added like
    /// [`add`](Self::add) does (merged if it is still queued); an `add` meanwhile does not
    /// cancel the delay. Delayed items do not count in [`len`](Self::len) and are dropped at
    /// shutdown.
    ///
    /// Inside a tokio runtime this starts the queue's timer task if needed; outside one,
    /// the item is added by the next [`get`](Self::get), [`len`](Self::len) or
    /// [`metrics`](Self::metrics) after it is due.
    pub fn add_after(&self, item: T, delay: Duration) {
        if delay.is_zero() {
            self.add(item);
            return;
        }
        let now = Instant::now();
        let due = now.checked_add(delay).unwrap_or(now + FAR_FUTURE);
        let mut state = self.lock();
        if state.shutting_down {
            return;
        }
        let earliest_changed = state.add_waiting(item, due);
        let timer_running = state.timer_running;
        drop(state);
        if timer_running {
            if earliest_changed {
                self.inner.timer.notify_one();
            }
        } else {
            self.start_timer();
        }
    }

    /// Adds `item` after the delay the rate limiter gives for it (its next failure). Ignored
    /// once the queue is shutting down.
    pub fn add_rate_limited(&self, item: T) {
        {
            let mut state = self.lock();
            if state.shutting_down {
                return;
            }
            state.retries += 1;
        }
        let delay = self.inner.limiter.when(&item);
        self.add_after(item, delay);
    }

    /// Resets the rate limiter's failures of `item`; call it when `item` was processed
    /// successfully. It does not remove `item` from the queue.
    pub fn forget(&self, item: &T) {
        self.inner.limiter.forget(item);
    }

    /// How many failures of `item` the rate limiter has recorded since it was last
    /// [forgotten](Self::forget).
    pub fn num_requeues(&self, item: &T) -> u32 {
        self.inner.limiter.num_requeues(item)
    }

    /// Waits for an item and hands it out; the caller must call [`done`](Self::done) with it
    /// when finished. Returns `None` once the queue is shut down: at once after
    /// [`shutdown`](Self::shutdown), and once the queue is empty after
    /// [`shutdown_with_drain`](Self::shutdown_with_drain).
    ///
    /// Cancel safe: a dropped `get` loses no item and passes its wake-up on to another getter.
    pub async fn get(&self) -> Option<T> {
        loop {
            let mut notified = pin!(self.inner.ready.notified());
            // Register before looking at the state, so no add or shutdown goes unnoticed.
            notified.as_mut().enable();
            let start_timer = {
                let mut state = self.lock();
                let promoted = state.promote(Instant::now());
                let item = state.pop();
                let shutting_down = state.shutting_down;
                let start_timer = !state.timer_running && !state.waiting.is_empty();
                drop(state);
                // Items beyond the one taken here are for other getters.
                self.wake_getters(promoted.saturating_sub(usize::from(item.is_some())));
                if item.is_some() || shutting_down {
                    return item;
                }
                start_timer
            };
            if start_timer {
                self.start_timer();
            }
            notified.await;
        }
    }

    /// Hands out an item if one is ready, without waiting; like [`get`](Self::get), the
    /// caller must call [`done`](Self::done) with it.
    pub fn try_get(&self) -> Option<T> {
        let mut state = self.lock();
        let promoted = state.promote(Instant::now());
        let item = state.pop();
        drop(state);
        self.wake_getters(promoted.saturating_sub(usize::from(item.is_some())));
        item
    }

    /// Marks `item` as processed. If it was added while being processed, it is queued again
    /// (unless the queue is shutting down). Items that are not being processed are ignored.
    pub fn done(&self, item: &T) {
        let mut state = self.lock();
        if !state.processing.remove(item) {
            return;
        }
        let mut requeued = false;
        if state.dirty.contains(item) {
            if state.shutting_down {
                state.dirty.remove(item);
            } else {
                state.queue.push_back(item.clone());
                requeued = true;
            }
        }
        let drained = state.is_drained();
        drop(state);
        if requeued {
            self.wake_getters(1);
        }
        if drained {
            self.inner.drained.notify_waiters();
        }
    }

    /// The number of items ready to be handed out; items being processed or waiting for a
    /// delay are not counted.
    pub fn len(&self) -> usize {
        let mut state = self.lock();
        let promoted = state.promote(Instant::now());
        let len = state.queue.len();
        drop(state);
        self.wake_getters(promoted);
        len
    }

    /// Whether no item is ready to be handed out (see [`len`](Self::len)).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The queue's counters.
    pub fn metrics(&self) -> Metrics {
        let mut state = self.lock();
        let promoted = state.promote(Instant::now());
        let metrics = Metrics {
            depth: state.queue.len(),
            processing: state.processing.len(),
            waiting: state.waiting.len(),
            adds: state.adds,
            retries: state.retries,
        };
        drop(state);
        self.wake_getters(promoted);
        metrics
    }

    /// Shuts the queue down at once: queued and delayed items are dropped, adds are ignored
    /// and every [`get`](Self::get), waiting or not, returns `None`. Items being processed
    /// may still be [`done`](Self::done) (they are not queued again).
    pub fn shutdown(&self) {
        let mut state = self.lock();
        state.shutting_down = true;
        state.queue.clear();
        state.dirty.clear();
        state.clear_waiting();
        let drained = state.is_drained();
        drop(state);
        self.inner.ready.notify_waiters();
        self.inner.timer.notify_one();
        if drained {
            self.inner.drained.notify_waiters();
        }
    }

    /// Shuts the queue down gracefully and waits until its work is finished: adds are
    /// ignored and delayed items dropped, but the items already queued are still handed out
    /// by [`get`](Self::get) (which returns `None` once the queue is empty), and this waits
    /// until they and the items being processed are [`done`](Self::done). Items added while
    /// being processed are not queued again.
    ///
    /// It needs workers to finish: with items queued or processing and nobody to get them,
    /// it waits forever. Bound it with [`tokio::time::timeout`] and call
    /// [`shutdown`](Self::shutdown) to give up on the rest.
    pub async fn shutdown_with_drain(&self) {
        {
            let mut state = self.lock();
            state.shutting_down = true;
            state.clear_waiting();
        }
        self.inner.ready.notify_waiters();
        self.inner.timer.notify_one();
        loop {
            let mut notified = pin!(self.inner.drained.notified());
            notified.as_mut().enable();
            if self.lock().is_drained() {
                return;
            }
            notified.await;
        }
    }

    /// Whether [`shutdown`](Self::shutdown) or [`shutdown_with_drain`](Self::shutdown_with_drain)
    /// was called.
    pub fn is_shutting_down(&self) -> bool {
        self.lock().shutting_down
    }

    /// Starts the timer task that moves delayed items into the queue when they are due, if
    /// there are delayed items, no timer task runs and this is called inside a tokio runtime.
    fn start_timer(&self) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        {
            let mut state = self.lock();
            if state.timer_running || state.shutting_down || state.waiting.is_empty() {
                return;
            }
            state.timer_running = true;
        }
        let task = TimerTask {
            queue: Arc::downgrade(&self.inner),
            wake: Arc::clone(&self.inner.timer),
            running: true,
        };
        // If the runtime is shutting down, the task is dropped and clears `timer_running`.
        drop(runtime.spawn(task.run()));
    }
}

/// Moves delayed items into the queue when they are due. Holds no strong reference to the
/// queue while it sleeps; ends when nothing is waiting, at shutdown or when the queue is
/// dropped.
struct TimerTask<T> {
    queue: Weak<Inner<T>>,
    wake: Arc<Notify>,
    /// Whether this task still owns `State::timer_running`.
    running: bool,
}

impl<T> TimerTask<T>
where
    T: Clone + Eq + Hash + Send + Sync + 'static,
{
    async fn run(mut self) {
        loop {
            let Some(due) = self.promote() else {
                return;
            };
            tokio::select! {
                biased;
                () = self.wake.notified() => {}
                () = tokio::time::sleep_until(due) => {}
            }
        }
    }

    /// Queues the due items; returns when the next one is due, or `None` (and gives up
    /// `timer_running`) if the task should end.
    fn promote(&mut self) -> Option<Instant> {
        let inner = self.queue.upgrade()?;
        let queue = WorkQueue { inner };
        let mut state = queue.lock();
        let (promoted, next) = if state.shutting_down {
            (0, None)
        } else {
            (state.promote(Instant::now()), state.next_due())
        };
        if next.is_none() {
            state.timer_running = false;
            self.running = false;
        }
        drop(state);
        queue.wake_getters(promoted);
        next
    }
}

impl<T> Drop for TimerTask<T> {
    fn drop(&mut self) {
        // Dropped by a runtime that shut down: let the next `add_after` or `get` start a new
        // timer task.
        if self.running
            && let Some(inner) = self.queue.upgrade()
        {
            inner.state.lock().unwrap_or_else(PoisonError::into_inner).timer_running = false;
        }
    }
}
