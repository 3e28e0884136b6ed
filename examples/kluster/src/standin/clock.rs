//! Wall-clock time derived from `tokio::time::Instant`, so that paused-time tests move timestamps
//! (`created_at`, `ratelimit-reset`) together with the state machine, and the encodings it needs.

use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// Maps tokio instants to wall-clock time: `wall(i) = start_wall + (i - start_instant)`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    start_instant: Instant,
    start_unix: Duration,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Clock {
            start_instant: Instant::now(),
            start_unix: SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default(),
        }
    }

    /// Time since the Unix epoch at `at`.
    pub(crate) fn unix(&self, at: Instant) -> Duration {
        if at >= self.start_instant {
            self.start_unix + (at - self.start_instant)
        } else {
            self.start_unix.saturating_sub(self.start_instant - at)
        }
    }

    /// Whole Unix seconds at `at`, rounded up (a reset time must not be early).
    pub(crate) fn epoch_secs_ceil(&self, at: Instant) -> u64 {
        let d = self.unix(at);
        d.as_secs() + u64::from(d.subsec_nanos() > 0)
    }

    /// RFC 3339 UTC timestamp with second precision, e.g. `2026-11-22T10:04:05Z`.
    pub(crate) fn rfc3339(&self, at: Instant) -> String {
        rfc3339_from_unix(self.unix(at).as_secs())
    }
}

/// Formats Unix seconds as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub(crate) fn rfc3339_from_unix(secs: u64) -> String {
    let secs = i64::try_from(secs).unwrap_or(i64::MAX);
    k8s_openapi::jiff::Timestamp::from_second(secs)
        .map(|t| t.to_string())
        .unwrap_or_else(|_| "9999-12-31T23:59:59Z".into())
}

/// Standard base64 with padding.
pub(crate) fn base64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339() {
        assert_eq!(rfc3339_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339_from_unix(1_444_931_833), "2015-10-15T17:57:13Z");
        assert_eq!(rfc3339_from_unix(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn encodes_base64() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    }
}
