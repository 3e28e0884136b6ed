//! The API token type, which never shows its value.

use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;

/// An API token. Debug prints `Token(***)`; no Display; never logged.
///
/// The value is only read when the `Authorization` header is built (reqwest marks that header
/// sensitive, so it is not printed by reqwest either).
#[derive(Clone)]
pub struct Token(Arc<str>);

impl Token {
    /// Wraps a token such as `dop_v1_…`. Surrounding whitespace (a trailing newline from a Secret
    /// file, for instance) is removed.
    pub fn new(s: impl Into<String>) -> Self {
        let s: String = s.into();
        Token(Arc::from(s.trim()))
    }

    /// Whether the token is empty (every request would be rejected with `401`).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The secret itself, for the `Authorization` header and for scrubbing error text.
    pub(crate) fn secret(&self) -> &str {
        &self.0
    }

    /// A keyed hash of the token, used to share limiter state per token without storing the token.
    pub(crate) fn fingerprint(&self, keys: &impl BuildHasher) -> u64 {
        keys.hash_one(&self.0)
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(***)")
    }
}
