//! Typed errors of the DigitalOcean client.

use std::fmt;

use serde::Deserialize;

/// How much of a non-JSON error body is kept as the message.
const MAX_RAW_MESSAGE: usize = 1024;

/// An error from a DigitalOcean API call. Its text never contains the API token.
#[derive(Debug, thiserror::Error)]
pub enum DoError {
    /// The API answered with a status outside `200..=299`.
    #[error("DigitalOcean API {status} {id}: {message} ({})", ApiSuffix(request_id.as_deref(), *attempts))]
    Api {
        /// The HTTP status code.
        status: u16,
        /// The error code from the body (`not_found`, `too_many_requests`, …), or one derived from
        /// the status when the body had none.
        id: String,
        /// The error text from the body, or the raw body when it was not a DigitalOcean error object.
        message: String,
        /// `request_id` from the body, else the `x-request-id` response header.
        request_id: Option<String>,
        /// How many requests were sent for this call, retries included.
        attempts: u32,
    },
    /// No response was received (connection refused, reset, timed out, …).
    #[error("DigitalOcean API request failed: {message} ({})", Attempts(*attempts))]
    Transport {
        /// What went wrong, with its causes.
        message: String,
        /// How many requests were sent for this call, retries included.
        attempts: u32,
    },
    /// A successful response whose body did not have the expected shape.
    #[error("DigitalOcean API response could not be decoded: {message}")]
    Decode {
        /// What did not match.
        message: String,
    },
    /// The base URL given to [`DoApi::new`](super::DoApi::new) is not an absolute http(s) URL.
    #[error("invalid DigitalOcean API base URL: {0}")]
    InvalidBaseUrl(String),
}

struct Attempts(u32);

impl fmt::Display for Attempts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1 => f.write_str("1 attempt"),
            n => write!(f, "{n} attempts"),
        }
    }
}

struct ApiSuffix<'a>(Option<&'a str>, u32);

impl fmt::Display for ApiSuffix<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(id) = self.0 {
            write!(f, "request id {id}, ")?;
        }
        Attempts(self.1).fmt(f)
    }
}

impl DoError {
    /// The HTTP status of an API error; `None` for the other kinds.
    pub fn status(&self) -> Option<u16> {
        match self {
            DoError::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// Whether the API said the object does not exist (`404`).
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    /// The request id DigitalOcean support asks for, when the API gave one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            DoError::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// A short text for Kubernetes events and status conditions: `message (request id X)` for API
    /// errors, the error's text otherwise.
    pub fn api_message(&self) -> String {
        match self {
            DoError::Api {
                message,
                request_id: Some(rid),
                ..
            } => format!("{message} (request id {rid})"),
            DoError::Api { message, .. } => message.clone(),
            DoError::Transport { message, .. } => message.clone(),
            other => other.to_string(),
        }
    }

    /// Whether trying the same call again later can succeed: transport errors, `429` and `5xx`
    /// other than `501`. The client already retried these as far as its policy allows; the
    /// operator uses this to requeue instead of reporting a permanent failure.
    pub fn is_retryable(&self) -> bool {
        match self {
            DoError::Api { status, .. } => status_is_retryable(*status),
            DoError::Transport { .. } => true,
            DoError::Decode { .. } | DoError::InvalidBaseUrl(_) => false,
        }
    }

    /// The number of requests sent for the failed call (0 when none was sent).
    pub fn attempts(&self) -> u32 {
        match self {
            DoError::Api { attempts, .. } | DoError::Transport { attempts, .. } => *attempts,
            _ => 0,
        }
    }
}

/// `429` and every `5xx` except `501 Not Implemented`.
pub(crate) fn status_is_retryable(status: u16) -> bool {
    status == 429 || (500..600).contains(&status) && status != 501
}

#[derive(Deserialize)]
struct ErrorBody {
    id: Option<String>,
    message: Option<String>,
    request_id: Option<String>,
}

/// Builds an [`DoError::Api`] from a failed response. `secret` is removed from any text taken
/// from the body, in case a proxy echoed the request back.
pub(crate) fn api_error(
    status: u16,
    body: &[u8],
    header_request_id: Option<&str>,
    attempts: u32,
    secret: &str,
) -> DoError {
    let scrub = |s: &str| {
        if secret.is_empty() {
            s.to_owned()
        } else {
            s.replace(secret, "***")
        }
    };
    let parsed = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .filter(|b| b.id.is_some() || b.message.is_some());
    let (id, message, body_request_id) = match parsed {
        Some(b) => (b.id, b.message, b.request_id.filter(|r| !r.is_empty())),
        None => {
            let text = String::from_utf8_lossy(body);
            let text = text.trim();
            let text = if text.len() > MAX_RAW_MESSAGE {
                let mut end = MAX_RAW_MESSAGE;
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                format!("{}…", &text[..end])
            } else {
                text.to_owned()
            };
            (None, (!text.is_empty()).then_some(text), None)
        }
    };
    let reason = http::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("unknown status");
    let id = id
        .filter(|i| !i.is_empty())
        .unwrap_or_else(|| reason.to_ascii_lowercase().replace([' ', '-'], "_"));
    let message = message.filter(|m| !m.is_empty()).unwrap_or_else(|| reason.to_owned());
    let request_id = body_request_id.or_else(|| header_request_id.filter(|r| !r.is_empty()).map(str::to_owned));
    DoError::Api {
        status,
        id: scrub(&id),
        message: scrub(&message),
        request_id: request_id.map(|r| scrub(&r)),
        attempts,
    }
}
