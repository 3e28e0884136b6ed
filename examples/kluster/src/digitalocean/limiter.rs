//! Client-side rate limiting per API token.
//!
//! DigitalOcean allows each token 250 requests in any minute and 5,000 in any hour; every request
//! counts for a full window after it is sent. The limiter keeps the send instants of the token's
//! recent requests and makes a request wait until sending it keeps both windows within their
//! limits (with a one-second margin for network delay). It also obeys the server: a `429` with
//! `retry-after` holds the token's requests for that long, and otherwise `ratelimit-remaining: 0`
//! holds them until `ratelimit-reset` (at most a minute; the next response says more).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use tokio::time::Instant;

use super::retry::retry_after;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);
/// The longest hold caused by `ratelimit-remaining: 0`; the next response refreshes the reset time.
const MAX_RESET_HOLD: Duration = Duration::from_secs(60);
/// Added to both windows: the server counts a request when it arrives, which can be later than
/// when it was sent here (a new connection, a TLS handshake), so an exact 60 s spacing on our side
/// could be 59.9 s on the server's.
const SAFETY_MARGIN: Duration = Duration::from_secs(1);

/// Client-side request limits per token. `0` or `u32::MAX` means no limit for that window.
///
/// A request that would exceed a window waits until the oldest request in it is one second older
/// than the window (the margin covers network delay).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Requests in any sliding 60 s window (DigitalOcean's burst limit: 250).
    pub per_minute: u32,
    /// Requests in any sliding 3600 s window (DigitalOcean's hourly limit: 5,000).
    pub per_hour: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_minute: 250,
            per_hour: 5000,
        }
    }
}

impl RateLimits {
    /// No client-side windows (server holds from `ratelimit-*` and `retry-after` still apply).
    pub fn unlimited() -> Self {
        RateLimits {
            per_minute: u32::MAX,
            per_hour: u32::MAX,
        }
    }
}

fn window_limit(limit: u32) -> Option<usize> {
    (limit != 0 && limit != u32::MAX).then_some(limit as usize)
}

/// The `ratelimit-*` headers of the latest response for a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateInfo {
    /// `ratelimit-limit`: requests allowed per hour.
    pub limit: Option<u64>,
    /// `ratelimit-remaining`: requests left.
    pub remaining: Option<u64>,
    /// `ratelimit-reset`: Unix time (seconds) when the oldest counted request stops counting.
    pub reset: Option<u64>,
}

/// The limiter state of one token.
#[derive(Debug)]
pub(crate) struct Limiter {
    per_minute: Option<usize>,
    per_hour: Option<usize>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Send instants within the last hour, oldest first; at most the largest limit.
    sent: VecDeque<Instant>,
    /// No request is sent before this instant.
    hold_until: Option<Instant>,
    rate: Option<RateInfo>,
}

impl Limiter {
    pub(crate) fn new(limits: &RateLimits) -> Self {
        Limiter {
            per_minute: window_limit(limits.per_minute),
            per_hour: window_limit(limits.per_hour),
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits until a request may be sent and records it as sent.
    pub(crate) async fn acquire(&self) {
        loop {
            let wait_until = {
                let mut st = self.lock();
                let now = Instant::now();
                match self.next_slot(&mut st, now) {
                    None => {
                        if self.per_minute.is_some() || self.per_hour.is_some() {
                            st.sent.push_back(now);
                            let keep = self.per_minute.unwrap_or(0).max(self.per_hour.unwrap_or(0));
                            while st.sent.len() > keep {
                                st.sent.pop_front();
                            }
                        }
                        return;
                    }
                    Some(at) => at,
                }
            };
            tracing::debug!(
                wait_ms = wait_until.saturating_duration_since(Instant::now()).as_millis() as u64,
                "DigitalOcean rate limiter: waiting before sending"
            );
            tokio::time::sleep_until(wait_until).await;
        }
    }

    /// `None` when a request may go now, else the earliest instant at which it might.
    fn next_slot(&self, st: &mut State, now: Instant) -> Option<Instant> {
        while st
            .sent
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= HOUR)
        {
            st.sent.pop_front();
        }
        let mut at: Option<Instant> = st.hold_until.filter(|&h| h > now);
        let len = st.sent.len();
        // The oldest of the last `limit` sends must have left the window.
        let mut window = |limit: Option<usize>, span: Duration| {
            if let Some(limit) = limit.filter(|&l| len >= l) {
                let t = st.sent[len - limit] + span;
                if t > now {
                    at = Some(at.map_or(t, |a| a.max(t)));
                }
            }
        };
        window(self.per_minute, MINUTE + SAFETY_MARGIN);
        window(self.per_hour, HOUR + SAFETY_MARGIN);
        at
    }

    /// Takes in the rate-limit headers of a response.
    pub(crate) fn observe(&self, status: u16, headers: &HeaderMap) {
        let num = |name: &str| -> Option<u64> { headers.get(name)?.to_str().ok()?.trim().parse().ok() };
        let rate = RateInfo {
            limit: num("ratelimit-limit"),
            remaining: num("ratelimit-remaining"),
            reset: num("ratelimit-reset"),
        };
        let now = Instant::now();
        // A 429 with `retry-after` is the burst limit: its `ratelimit-reset` is about the hourly
        // window and does not say when the next request may go, `retry-after` does.
        let hold = match (status == 429).then(|| retry_after(headers)).flatten() {
            Some(wait) => Some(now + wait),
            None => match (rate.remaining, rate.reset) {
                (Some(0), Some(reset)) => {
                    let wait = reset_delay(reset).min(MAX_RESET_HOLD);
                    (!wait.is_zero()).then(|| now + wait)
                }
                _ => None,
            },
        };
        let mut st = self.lock();
        if let Some(h) = hold {
            tracing::debug!(
                status,
                hold_ms = h.saturating_duration_since(now).as_millis() as u64,
                "DigitalOcean rate limit reached: holding requests for this token"
            );
            st.hold_until = Some(st.hold_until.map_or(h, |old| old.max(h)));
        }
        if rate.limit.is_some() || rate.remaining.is_some() || rate.reset.is_some() {
            st.rate = Some(rate);
        }
    }

    pub(crate) fn rate(&self) -> Option<RateInfo> {
        self.lock().rate.clone()
    }
}

/// Time from now until the Unix time `reset` (zero when it has passed).
fn reset_delay(reset: u64) -> Duration {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    Duration::from_secs(reset).saturating_sub(now)
}
