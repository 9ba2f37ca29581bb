//! Retries with exponential backoff and full jitter, and classification of RPC errors.

use std::{future::Future, time::Duration};

use rand::Rng;

use crate::error::{Error, Result};

/// Backoff policy: delay before attempt `n` (1-based retry) is uniform in
/// `[0, min(max, base * 2^n)]` ("full jitter").
#[derive(Debug, Clone, Copy)]
pub struct Backoff {
    /// First delay ceiling.
    pub base: Duration,
    /// Largest delay ceiling.
    pub max: Duration,
    /// Attempts in total (1 = no retry).
    pub attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_millis(100),
            max: Duration::from_secs(10),
            attempts: 8,
        }
    }
}

impl Backoff {
    /// The (random) delay before retry number `retry` (1-based).
    pub fn delay(&self, retry: u32) -> Duration {
        let ceiling = self
            .base
            .saturating_mul(1u32 << retry.min(20))
            .min(self.max);
        let ms = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(rand::rng().random_range(0..=ms))
    }
}

/// What to do about a failed request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The requested block range was too large; retry smaller, with this size if the
    /// provider said which.
    RangeTooLarge(Option<u64>),
    /// Network trouble, rate limit, server error, timeout, garbage: retry later.
    Transient,
}

/// Classifies an RPC error message (lowercased matching on what providers return).
pub fn classify(message: &str) -> ErrorClass {
    let m = message.to_ascii_lowercase();
    const RANGE: [&str; 12] = [
        "query returned more than",
        "too many results",
        "log response size exceeded",
        "block range",
        "range is too",
        "range too",
        "exceed maximum block range",
        "limited to a",
        "query timeout exceeded",
        "response is too big",
        "response size should not",
        "too many logs",
    ];
    if RANGE.iter().any(|p| m.contains(p)) {
        return ErrorClass::RangeTooLarge(crate::source::range::parse_range_hint(message));
    }
    ErrorClass::Transient
}

/// Whether an error means "ask for fewer blocks" (a range error or a timeout).
pub fn wants_smaller_range(e: &Error) -> Option<Option<u64>> {
    match e {
        Error::Rpc { message, .. } => match classify(message) {
            ErrorClass::RangeTooLarge(hint) => Some(hint),
            ErrorClass::Transient if message.contains(TIMEOUT_MARK) => Some(None),
            ErrorClass::Transient => None,
        },
        _ => None,
    }
}

/// Text put in [`Error::Rpc`] messages for requests that hit the client-side timeout.
pub const TIMEOUT_MARK: &str = "request timed out";

/// Runs `op` until it succeeds, or (when `shrinkable`) fails with an error that asks for a
/// smaller range (returned at once so the caller can shrink), or `policy.attempts` are
/// used up. `op` gets the attempt number (0-based), used to rotate between endpoints.
pub async fn retry<T, F, Fut>(policy: Backoff, what: &str, shrinkable: bool, mut op: F) -> Result<T>
where
    F: FnMut(u32) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut attempt = 0u32;
    loop {
        match op(attempt).await {
            Ok(v) => return Ok(v),
            Err(e) => {
                let range = shrinkable && wants_smaller_range(&e).is_some();
                attempt += 1;
                if range || attempt >= policy.attempts {
                    return Err(e);
                }
                let delay = policy.delay(attempt);
                tracing::warn!(what, attempt, ?delay, error = %e, "request failed, retrying");
                tokio::time::sleep(delay).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_messages() {
        assert_eq!(
            classify(
                "server returned an error response: error code -32005: query returned more than 10000 results. Try with this block range [0x10, 0x1f]."
            ),
            ErrorClass::RangeTooLarge(Some(16))
        );
        assert_eq!(
            classify("HTTP error 429 with body: rate limited"),
            ErrorClass::Transient
        );
        assert_eq!(
            classify("error sending request: connection reset"),
            ErrorClass::Transient
        );
        assert_eq!(
            classify("eth_getLogs is limited to a 10,000 range"),
            ErrorClass::RangeTooLarge(Some(10_000))
        );
    }

    #[test]
    fn backoff_is_bounded() {
        let b = Backoff {
            base: Duration::from_millis(10),
            max: Duration::from_millis(50),
            attempts: 3,
        };
        for r in 1..40 {
            assert!(b.delay(r) <= Duration::from_millis(50));
        }
    }

    #[tokio::test]
    async fn retry_gives_up_and_stops_on_range() {
        let b = Backoff {
            base: Duration::from_millis(1),
            max: Duration::from_millis(2),
            attempts: 3,
        };
        let mut calls = 0;
        let r: Result<()> = retry(b, "t", true, |_| {
            calls += 1;
            async {
                Err(Error::Rpc {
                    method: "x".into(),
                    message: "HTTP error 503".into(),
                })
            }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 3);
        let mut calls = 0;
        let r: Result<()> = retry(b, "t", true, |_| {
            calls += 1;
            async {
                Err(Error::Rpc {
                    method: "x".into(),
                    message: "block range is too wide".into(),
                })
            }
        })
        .await;
        assert!(r.is_err());
        assert_eq!(calls, 1);
        let mut calls = 0;
        let r = retry(b, "t", true, |a| {
            calls += 1;
            async move {
                if a < 2 {
                    Err(Error::Rpc {
                        method: "x".into(),
                        message: "reset".into(),
                    })
                } else {
                    Ok(a)
                }
            }
        })
        .await;
        assert_eq!(r.unwrap(), 2);
        assert_eq!(calls, 3);
    }
}
