//! DigitalOcean's per-token rate limits: two sliding windows (a burst limit per 60 s and an hourly
//! limit per 3600 s). Every counted request keeps its own timer, as the API documentation describes.

use super::RateLimitConfig;
use std::collections::{HashMap, VecDeque};
use std::time::Duration;
use tokio::time::Instant;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// Values for the `ratelimit-*` response headers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RateHeaders {
    /// `ratelimit-limit`: requests per hour.
    pub limit: u32,
    /// `ratelimit-remaining`.
    pub remaining: u32,
    /// `ratelimit-reset`: when the oldest counted request stops counting.
    pub reset: Instant,
}

/// Outcome of [`RateLimiter::check`].
#[derive(Clone, Copy, Debug)]
pub(crate) enum Decision {
    /// The request was counted and may proceed.
    Allowed(RateHeaders),
    /// Over a limit: answer 429. `retry_after` is set for the burst (per-minute) limit only.
    Limited {
        headers: RateHeaders,
        retry_after: Option<u64>,
    },
}

/// Sliding-window counters keyed by bearer token.
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    pub(crate) config: Option<RateLimitConfig>,
    windows: HashMap<String, VecDeque<Instant>>,
}

impl RateLimiter {
    pub(crate) fn new(config: Option<RateLimitConfig>) -> Self {
        RateLimiter {
            config,
            windows: HashMap::new(),
        }
    }

    /// Counts a request for `key` at `now` if both windows have room.
    pub(crate) fn check(&mut self, key: &str, now: Instant) -> Decision {
        let Some(config) = self.config.clone() else {
            return Decision::Allowed(unlimited(now));
        };
        let window = self.windows.entry(key.to_owned()).or_default();
        prune(window, now);
        let in_minute = window.len() - window.partition_point(|t| now.duration_since(*t) >= MINUTE);
        let reset = window.front().map_or(now, |t| *t + HOUR);
        if window.len() as u64 >= u64::from(config.per_hour) {
            let headers = RateHeaders {
                limit: config.per_hour,
                remaining: 0,
                reset,
            };
            return Decision::Limited {
                headers,
                retry_after: None,
            };
        }
        if in_minute as u64 >= u64::from(config.per_minute) {
            // The slot that frees first is the oldest request inside the last minute.
            // (With `per_minute: 0` nothing is ever counted; then wait a whole minute.)
            let wait = match in_minute {
                0 => MINUTE,
                n => (window[window.len() - n] + MINUTE).saturating_duration_since(now),
            };
            let secs = (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1);
            let headers = RateHeaders {
                limit: config.per_hour,
                remaining: 0,
                reset,
            };
            return Decision::Limited {
                headers,
                retry_after: Some(secs),
            };
        }
        window.push_back(now);
        Decision::Allowed(RateHeaders {
            limit: config.per_hour,
            remaining: config.per_hour.saturating_sub(window.len() as u32),
            reset: window.front().map_or(now, |t| *t + HOUR),
        })
    }

    /// The headers for `key` without counting a request (used for 401 answers).
    pub(crate) fn peek(&mut self, key: &str, now: Instant) -> RateHeaders {
        let Some(config) = self.config.clone() else {
            return unlimited(now);
        };
        match self.windows.get_mut(key) {
            Some(window) => {
                prune(window, now);
                RateHeaders {
                    limit: config.per_hour,
                    remaining: config.per_hour.saturating_sub(window.len() as u32),
                    reset: window.front().map_or(now, |t| *t + HOUR),
                }
            }
            None => RateHeaders {
                limit: config.per_hour,
                remaining: config.per_hour,
                reset: now,
            },
        }
    }
}

/// Without a limit the headers still appear (clients parse them) and report a full default quota.
fn unlimited(now: Instant) -> RateHeaders {
    let default = RateLimitConfig::default();
    RateHeaders {
        limit: default.per_hour,
        remaining: default.per_hour,
        reset: now,
    }
}

fn prune(window: &mut VecDeque<Instant>, now: Instant) {
    while window.front().is_some_and(|t| now.duration_since(*t) >= HOUR) {
        window.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(per_minute: u32, per_hour: u32) -> RateLimiter {
        RateLimiter::new(Some(RateLimitConfig { per_minute, per_hour }))
    }

    #[test]
    fn burst_limit_sets_retry_after_and_frees_after_a_minute() {
        let mut rl = limiter(2, 100);
        let t0 = Instant::now();
        assert!(matches!(rl.check("a", t0), Decision::Allowed(h) if h.remaining == 99));
        assert!(matches!(rl.check("a", t0 + Duration::from_secs(10)), Decision::Allowed(h) if h.remaining == 98));
        match rl.check("a", t0 + Duration::from_secs(15)) {
            Decision::Limited { headers, retry_after } => {
                assert_eq!(headers.remaining, 0);
                assert_eq!(retry_after, Some(45));
                assert_eq!(headers.reset, t0 + HOUR);
            }
            other => panic!("{other:?}"),
        }
        // Another token has its own windows.
        assert!(matches!(rl.check("b", t0), Decision::Allowed(_)));
        // After the first request leaves the minute window, one slot frees.
        assert!(matches!(rl.check("a", t0 + MINUTE), Decision::Allowed(h) if h.remaining == 97));
    }

    #[test]
    fn hourly_limit_has_no_retry_after() {
        let mut rl = limiter(10, 3);
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(matches!(rl.check("a", t0 + MINUTE * i), Decision::Allowed(_)));
        }
        match rl.check("a", t0 + MINUTE * 5) {
            Decision::Limited { retry_after, headers } => {
                assert_eq!(retry_after, None);
                assert_eq!(headers.reset, t0 + HOUR);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(rl.check("a", t0 + HOUR), Decision::Allowed(_)));
    }

    #[test]
    fn unlimited_always_allows() {
        let mut rl = RateLimiter::new(None);
        let t0 = Instant::now();
        for _ in 0..10_000 {
            assert!(matches!(rl.check("a", t0), Decision::Allowed(h) if h.remaining == 5000));
        }
    }
}
