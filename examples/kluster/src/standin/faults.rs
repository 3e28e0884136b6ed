//! Injected faults: a queue consumed in injection order by the requests they match.

use std::collections::VecDeque;
use std::time::Duration;

/// A fault to inject into the next `times` requests for `operation` (or for any operation).
///
/// Faults are consumed in the order they were injected: a request takes one use of the first
/// queued fault that matches its operation; a fault is dropped once its uses are spent.
/// Faults only apply to requests that were authenticated, passed the rate limiter and matched an
/// operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The operation name (e.g. `"create_cluster"`), or `None` for any operation.
    pub operation: Option<String>,
    /// How many requests the fault applies to (0 means it never applies).
    pub times: u32,
    /// What happens to those requests.
    pub kind: FaultKind,
}

impl Fault {
    /// A fault for the next request of any operation.
    pub fn any(kind: FaultKind) -> Self {
        Fault {
            operation: None,
            times: 1,
            kind,
        }
    }

    /// A fault for the next request of `operation` (e.g. `"get_cluster"`).
    pub fn on(operation: impl Into<String>, kind: FaultKind) -> Self {
        Fault {
            operation: Some(operation.into()),
            times: 1,
            kind,
        }
    }

    /// Applies the fault to `times` requests instead of one.
    pub fn times(mut self, times: u32) -> Self {
        self.times = times;
        self
    }
}

/// What an injected fault does to a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer `429 too_many_requests` with `retry-after: retry_after_secs` and `ratelimit-remaining: 0`;
    /// the request is not processed.
    TooManyRequests {
        /// The `retry-after` header value in seconds.
        retry_after_secs: u64,
    },
    /// Answer `status` (e.g. 500 or 503) with a DigitalOcean error body; the request is not processed.
    ServerError {
        /// The HTTP status to answer.
        status: u16,
    },
    /// Wait this long, then process the request normally.
    Latency(Duration),
    /// Answer `status` with the error body `{id, message}`; the request is not processed.
    Error {
        /// The HTTP status to answer.
        status: u16,
        /// The error body's `id`.
        id: String,
        /// The error body's `message`.
        message: String,
    },
    /// Process the request (e.g. really create the cluster) but answer `status` with a
    /// `server_error` body: a response lost on the way back.
    ProcessThenFail {
        /// The HTTP status to answer.
        status: u16,
    },
}

/// The queue of pending faults.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    faults: VecDeque<Fault>,
}

impl FaultQueue {
    pub(crate) fn push(&mut self, fault: Fault) {
        if fault.times > 0 {
            self.faults.push_back(fault);
        }
    }

    pub(crate) fn clear(&mut self) {
        self.faults.clear();
    }

    pub(crate) fn len(&self) -> usize {
        self.faults.len()
    }

    /// Takes one use of the first fault matching `operation`.
    pub(crate) fn take(&mut self, operation: &str) -> Option<FaultKind> {
        let index = self
            .faults
            .iter()
            .position(|f| f.operation.as_deref().is_none_or(|op| op == operation))?;
        let fault = &mut self.faults[index];
        fault.times -= 1;
        let kind = fault.kind.clone();
        if fault.times == 0 {
            self.faults.remove(index);
        }
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consumed_in_order_per_operation() {
        let mut q = FaultQueue::default();
        q.push(Fault::on("get_cluster", FaultKind::ServerError { status: 500 }).times(2));
        q.push(Fault::any(FaultKind::ServerError { status: 503 }));
        q.push(Fault::on("create_cluster", FaultKind::ServerError { status: 502 }).times(0));
        assert_eq!(q.len(), 2);
        assert_eq!(q.take("list_clusters"), Some(FaultKind::ServerError { status: 503 }));
        assert_eq!(q.take("list_clusters"), None);
        assert_eq!(q.take("get_cluster"), Some(FaultKind::ServerError { status: 500 }));
        assert_eq!(q.take("get_cluster"), Some(FaultKind::ServerError { status: 500 }));
        assert_eq!(q.take("get_cluster"), None);
        assert_eq!(q.len(), 0);
    }
}
