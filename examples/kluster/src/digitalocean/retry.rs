//! When and how long to wait before sending a failed request again.

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use reqwest::header::HeaderMap;

use super::error::status_is_retryable;

/// The longest `retry-after` honoured; a larger value is treated as this.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(300);

/// How failed calls are retried, as godo's `NewFromToken` does (go-retryablehttp).
///
/// The wait before retry `n` (0-based) is `retry-after` when a `429` or `503` carries it, otherwise
/// `min_wait * 2^n` capped at `max_wait`, plus up to 10% jitter (at most one second).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (4: up to five requests per call). 0 disables retries.
    pub max_retries: u32,
    /// The first backoff wait (1 s).
    pub min_wait: Duration,
    /// The longest backoff wait (30 s).
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            min_wait: Duration::from_secs(1),
            max_wait: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// The exponential backoff before retry number `retry` (0 for the first retry), with jitter.
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX);
        let base = self.min_wait.saturating_mul(factor).min(self.max_wait);
        let max_jitter = (base / 10).min(Duration::from_secs(1));
        base + max_jitter.mul_f64(random_unit())
    }
}

/// Which failures a call may retry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RetryMode {
    /// GET, PUT, DELETE: connection errors, `429` and `5xx` except `501`.
    Idempotent,
    /// POST create: only `429`, which the API sends before acting on the request. A `5xx` or a
    /// lost connection may have created the object, so the caller looks it up instead.
    RejectedOnly,
}

impl RetryMode {
    pub(crate) fn retries_status(self, status: u16) -> bool {
        match self {
            RetryMode::Idempotent => status_is_retryable(status),
            RetryMode::RejectedOnly => status == 429,
        }
    }

    pub(crate) fn retries_transport(self) -> bool {
        self == RetryMode::Idempotent
    }
}

/// `retry-after` in seconds (the HTTP-date form is not used by DigitalOcean and is ignored).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    let secs: f64 = v.parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs).min(MAX_RETRY_AFTER))
}

/// A number in `[0, 1)` from the standard library's randomly keyed hasher; good enough for jitter.
fn random_unit() -> f64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(0x9e37_79b9_7f4a_7c15);
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}
