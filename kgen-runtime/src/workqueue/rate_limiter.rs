//! Rate limiters: how long a failed item waits before it is handed out again.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

/// Decides how long an item waits before it is retried, like client-go's `RateLimiter`.
///
/// [`WorkQueue::add_rate_limited`](super::WorkQueue::add_rate_limited) calls [`when`](Self::when)
/// once per failure, [`WorkQueue::forget`](super::WorkQueue::forget) calls
/// [`forget`](Self::forget) once the item succeeded. Implementations use interior mutability,
/// since a queue shares its limiter between all workers.
pub trait RateLimiter<T>: Send + Sync {
    /// Records a failure of `item` and returns how long it should wait before it is retried.
    fn when(&self, item: &T) -> Duration;

    /// Stops tracking `item`: its next failure is treated as the first one.
    fn forget(&self, item: &T);

    /// How many failures of `item` are recorded (0 for limiters that do not track items).
    fn num_requeues(&self, item: &T) -> u32;
}

impl<T, R: RateLimiter<T> + ?Sized> RateLimiter<T> for Box<R> {
    fn when(&self, item: &T) -> Duration {
        (**self).when(item)
    }

    fn forget(&self, item: &T) {
        (**self).forget(item);
    }

    fn num_requeues(&self, item: &T) -> u32 {
        (**self).num_requeues(item)
    }
}

impl<T, R: RateLimiter<T> + ?Sized> RateLimiter<T> for Arc<R> {
    fn when(&self, item: &T) -> Duration {
        (**self).when(item)
    }

    fn forget(&self, item: &T) {
        (**self).forget(item);
    }

    fn num_requeues(&self, item: &T) -> u32 {
        (**self).num_requeues(item)
    }
}

fn lock<S>(mutex: &Mutex<S>) -> MutexGuard<'_, S> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Per-item exponential backoff: the n-th failure (counting from 0) of an item waits
/// `base * 2^n`, capped at `max`; like client-go's `ItemExponentialFailureRateLimiter`.
///
/// The [`Default`] is client-go's: 5 ms, 10 ms, 20 ms, ... up to 1000 s.
///
/// ```
/// use std::time::Duration;
/// use kgen_runtime::workqueue::{ItemExponential, RateLimiter};
///
/// let limiter = ItemExponential::new(Duration::from_millis(5), Duration::from_millis(30));
/// let delays: Vec<_> = (0..5).map(|_| limiter.when(&"key").as_millis()).collect();
/// assert_eq!(delays, [5, 10, 20, 30, 30]);
/// assert_eq!(limiter.num_requeues(&"key"), 5);
/// limiter.forget(&"key");
/// assert_eq!(limiter.when(&"key"), Duration::from_millis(5));
/// ```
pub struct ItemExponential<T> {
    base: Duration,
    max: Duration,
    failures: Mutex<HashMap<T, u32>>,
}

impl<T> ItemExponential<T> {
    /// A limiter that starts at `base` and doubles per failure up to `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        ItemExponential {
            base,
            max,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// The delay of an item's first failure.
    pub fn base(&self) -> Duration {
        self.base
    }

    /// The longest delay.
    pub fn max(&self) -> Duration {
        self.max
    }

    /// The delay of the failure numbered `failures` (0 for the first): `base * 2^failures`,
    /// at most `max` (also when the multiplication overflows).
    pub fn backoff(&self, failures: u32) -> Duration {
        2u32.checked_pow(failures)
            .and_then(|factor| self.base.checked_mul(factor))
            .map_or(self.max, |delay| delay.min(self.max))
    }
}

impl<T> Default for ItemExponential<T> {
    /// client-go's default: 5 ms doubling up to 1000 s.
    fn default() -> Self {
        ItemExponential::new(Duration::from_millis(5), Duration::from_secs(1000))
    }
}

impl<T> fmt::Debug for ItemExponential<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ItemExponential")
            .field("base", &self.base)
            .field("max", &self.max)
            .field("tracked_items", &lock(&self.failures).len())
            .finish()
    }
}

impl<T: Clone + Eq + Hash + Send + Sync> RateLimiter<T> for ItemExponential<T> {
    fn when(&self, item: &T) -> Duration {
        let mut failures = lock(&self.failures);
        let previous = match failures.get_mut(item) {
            Some(count) => {
                let previous = *count;
                *count = count.saturating_add(1);
                previous
            }
            None => {
                failures.insert(item.clone(), 1);
                0
            }
        };
        drop(failures);
        self.backoff(previous)
    }

    fn forget(&self, item: &T) {
        lock(&self.failures).remove(item);
    }

    fn num_requeues(&self, item: &T) -> u32 {
        lock(&self.failures).get(item).copied().unwrap_or(0)
    }
}

/// Longest interval between two tokens; keeps `Instant` arithmetic far from overflowing.
const MAX_INTERVAL: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// An overall token bucket shared by all items, like client-go's `BucketRateLimiter`: up to
/// `burst` items pass without delay, after that one item per `1 / qps` seconds. Every call
/// to [`when`](RateLimiter::when) reserves a token, so the delays of a burst grow linearly.
///
/// It does not track items: [`forget`](RateLimiter::forget) does nothing and
/// [`num_requeues`](RateLimiter::num_requeues) is always 0. The [`Default`] is client-go's:
/// 10 qps with a burst of 100. Time is [`tokio::time::Instant`], so paused tokio time applies.
///
/// ```
/// use std::time::Duration;
/// use kgen_runtime::workqueue::{Bucket, RateLimiter};
///
/// let bucket = Bucket::new(10.0, 2);
/// let delays: Vec<_> = (0..4).map(|_| RateLimiter::<&str>::when(&bucket, &"any")).collect();
/// assert_eq!(delays[..2], [Duration::ZERO; 2]);
/// // 100 ms and 200 ms, less the time the calls took.
/// assert!(delays[2] > Duration::from_millis(90) && delays[2] <= Duration::from_millis(100));
/// assert!(delays[3] > Duration::from_millis(190) && delays[3] <= Duration::from_millis(200));
/// ```
pub struct Bucket {
    qps: f64,
    burst: u32,
    /// Time between two tokens.
    interval: Duration,
    /// How far ahead of `now` reservations may go without a delay: `(burst - 1) * interval`.
    tolerance: Duration,
    /// Theoretical arrival time of the next token (GCRA); `None` before the first call.
    next: Mutex<Option<Instant>>,
}

impl Bucket {
    /// A bucket refilled with `qps` tokens per second holding at most `burst` tokens (a burst
    /// of 0 is treated as 1). `f64::INFINITY` never delays.
    ///
    /// # Panics
    ///
    /// If `qps` is NaN, zero or negative.
    pub fn new(qps: f64, burst: u32) -> Self {
        assert!(qps > 0.0, "Bucket qps must be positive, got {qps}");
        let interval = Duration::try_from_secs_f64(1.0 / qps)
            .unwrap_or(MAX_INTERVAL)
            .min(MAX_INTERVAL);
        let tolerance = interval.checked_mul(burst.max(1) - 1).unwrap_or(Duration::MAX);
        Bucket {
            qps,
            burst,
            interval,
            tolerance,
            next: Mutex::new(None),
        }
    }

    /// Tokens added per second.
    pub fn qps(&self) -> f64 {
        self.qps
    }

    /// The bucket's size.
    pub fn burst(&self) -> u32 {
        self.burst
    }

    /// Reserves a token and returns how long to wait until it is available.
    fn reserve(&self) -> Duration {
        let now = Instant::now();
        let mut next = lock(&self.next);
        let arrival = next.map_or(now, |next| next.max(now));
        *next = Some(arrival + self.interval);
        (arrival - now).saturating_sub(self.tolerance)
    }
}

impl Default for Bucket {
    /// client-go's default: 10 qps, burst 100.
    fn default() -> Self {
        Bucket::new(10.0, 100)
    }
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bucket")
            .field("qps", &self.qps)
            .field("burst", &self.burst)
            .finish()
    }
}

impl<T> RateLimiter<T> for Bucket {
    fn when(&self, _item: &T) -> Duration {
        self.reserve()
    }

    fn forget(&self, _item: &T) {}

    fn num_requeues(&self, _item: &T) -> u32 {
        0
    }
}

/// The longest delay of several limiters, like client-go's `MaxOfRateLimiter`.
///
/// [`when`](RateLimiter::when) asks every limiter (each records the failure),
/// [`forget`](RateLimiter::forget) forgets in every limiter and
/// [`num_requeues`](RateLimiter::num_requeues) is the largest count. Without limiters the
/// delay is zero.
pub struct MaxOf<T>(pub Vec<Box<dyn RateLimiter<T>>>);

impl<T> MaxOf<T> {
    /// Combines `limiters`.
    pub fn new(limiters: Vec<Box<dyn RateLimiter<T>>>) -> Self {
        MaxOf(limiters)
    }
}

impl<T> fmt::Debug for MaxOf<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MaxOf").field("limiters", &self.0.len()).finish()
    }
}

impl<T> RateLimiter<T> for MaxOf<T> {
    fn when(&self, item: &T) -> Duration {
        self.0
            .iter()
            .map(|limiter| limiter.when(item))
            .fold(Duration::ZERO, Duration::max)
    }

    fn forget(&self, item: &T) {
        for limiter in &self.0 {
            limiter.forget(item);
        }
    }

    fn num_requeues(&self, item: &T) -> u32 {
        self.0
            .iter()
            .map(|limiter| limiter.num_requeues(item))
            .max()
            .unwrap_or(0)
    }
}

/// client-go's `DefaultControllerRateLimiter`: the maximum of per-item exponential backoff
/// (5 ms doubling up to 1000 s, see [`ItemExponential`]) and an overall token bucket of
/// 10 qps with a burst of 100 (see [`Bucket`]).
pub fn default_controller_rate_limiter<T>() -> MaxOf<T>
where
    T: Clone + Eq + Hash + Send + Sync + 'static,
{
    MaxOf(vec![
        Box::new(ItemExponential::<T>::default()),
        Box::new(Bucket::default()),
    ])
}
