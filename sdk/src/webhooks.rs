//! Standard Webhooks 1.0 signatures: what the stablerail gateway sends and what a
//! merchant's service checks.
//!
//! A delivery carries three headers: `webhook-id` (the same on every retry of one
//! event), `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature`,
//! a space-separated list of `v1,<base64 HMAC-SHA256>` over `"{id}.{timestamp}.{body}"`.
//! The HMAC key is the base64-decoded part of the `whsec_` secret. During a secret
//! rotation the gateway sends one signature per valid secret; any one that matches is
//! enough.
//!
//! ```
//! use stablerail_sdk::webhooks::{Secret, sign, verify};
//!
//! let secret = Secret::parse("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")?;
//! let body = br#"{"type":"invoice.settled"}"#;
//! let mut headers = http::HeaderMap::new();
//! headers.insert("webhook-id", "msg_1".parse()?);
//! headers.insert("webhook-timestamp", "1700000000".parse()?);
//! headers.insert("webhook-signature", sign(&secret, "msg_1", 1_700_000_000, body).parse()?);
//! verify(&headers, body, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", 1_700_000_010)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use base64::{Engine as _, engine::general_purpose::STANDARD};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use thiserror::Error;

/// How far a delivery's timestamp may be from `now`, in seconds (the reference
/// libraries' five minutes), either way.
pub const TOLERANCE_SECS: i64 = 300;

/// Prefix of a symmetric Standard Webhooks secret.
pub const SECRET_PREFIX: &str = "whsec_";

/// Why a delivery or a secret was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum WebhookError {
    /// The secret is not `whsec_` followed by base64 of 24 to 64 bytes.
    #[error("the webhook secret is not `whsec_` followed by base64 of 24 to 64 bytes")]
    Secret,
    /// A required header is absent or not text.
    #[error("header `{0}` is missing")]
    MissingHeader(&'static str),
    /// `webhook-timestamp` is not an integer.
    #[error("header `webhook-timestamp` is not Unix seconds")]
    Timestamp,
    /// The timestamp is more than [`TOLERANCE_SECS`] before `now`.
    #[error("the delivery is too old ({age} s)")]
    TooOld {
        /// Seconds between the timestamp and `now`.
        age: i64,
    },
    /// The timestamp is more than [`TOLERANCE_SECS`] after `now`.
    #[error("the delivery is from the future ({ahead} s ahead)")]
    TooNew {
        /// Seconds the timestamp is ahead of `now`.
        ahead: i64,
    },
    /// No `v1` signature in the header matches.
    #[error("no signature matches")]
    Signature,
}

/// A decoded `whsec_` secret: the HMAC key bytes.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// Parses `whsec_<base64>` (the prefix is optional) with strict base64 of 24 to 64
    /// bytes, so that a typo cannot silently become a short key.
    pub fn parse(text: &str) -> Result<Self, WebhookError> {
        let b64 = text.strip_prefix(SECRET_PREFIX).unwrap_or(text);
        let bytes = STANDARD.decode(b64).map_err(|_| WebhookError::Secret)?;
        if !(24..=64).contains(&bytes.len()) {
            return Err(WebhookError::Secret);
        }
        Ok(Self(bytes))
    }

    /// A fresh random secret of 32 bytes, as `whsec_<base64>` text.
    pub fn generate() -> String {
        let bytes: [u8; 32] = rand_bytes();
        format!("{SECRET_PREFIX}{}", STANDARD.encode(bytes))
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC takes a key of any length, so this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(id.as_bytes());
        mac.update(b".");
        mac.update(timestamp.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

fn rand_bytes() -> [u8; 32] {
    rand::random()
}

/// The `v1,<base64>` signature of one delivery.
pub fn sign(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = secret.mac(id, timestamp, body).finalize().into_bytes();
    format!("v1,{}", STANDARD.encode(tag))
}

/// Checks a delivery: the three headers are present, the timestamp is within
/// [`TOLERANCE_SECS`] of `now` (Unix seconds), and one `v1` entry of
/// `webhook-signature` is the HMAC of `id.timestamp.body` under `secret` (compared in
/// constant time). Verify over the raw body bytes, before parsing them.
pub fn verify(
    headers: &http::HeaderMap,
    body: &[u8],
    secret: &str,
    now: i64,
) -> Result<(), WebhookError> {
    let secret = Secret::parse(secret)?;
    let header = |name: &'static str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .ok_or(WebhookError::MissingHeader(name))
    };
    let id = header("webhook-id")?;
    let timestamp: i64 = header("webhook-timestamp")?
        .trim()
        .parse()
        .map_err(|_| WebhookError::Timestamp)?;
    let signatures = header("webhook-signature")?;
    if now.saturating_sub(timestamp) > TOLERANCE_SECS {
        return Err(WebhookError::TooOld {
            age: now.saturating_sub(timestamp),
        });
    }
    if timestamp.saturating_sub(now) > TOLERANCE_SECS {
        return Err(WebhookError::TooNew {
            ahead: timestamp.saturating_sub(now),
        });
    }
    for entry in signatures.split(' ') {
        let Some(("v1", b64)) = entry.split_once(',') else {
            continue;
        };
        let Ok(tag) = STANDARD.decode(b64) else {
            continue;
        };
        if secret.mac(id, timestamp, body).verify_slice(&tag).is_ok() {
            return Ok(());
        }
    }
    Err(WebhookError::Signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(id: &str, ts: i64, sig: &str) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        h.insert("webhook-id", id.parse().unwrap());
        h.insert("webhook-timestamp", ts.to_string().parse().unwrap());
        h.insert("webhook-signature", sig.parse().unwrap());
        h
    }

    /// The Standard Webhooks specification's test vector.
    #[test]
    fn spec_vector() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let body = br#"{"test": 2432232314}"#;
        let sig = sign(
            &Secret::parse(secret).unwrap(),
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1614265330,
            body,
        );
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
        let h = headers("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, &sig);
        assert_eq!(verify(&h, body, secret, 1614265330), Ok(()));
        assert_eq!(
            verify(&h, b"{}", secret, 1614265330),
            Err(WebhookError::Signature)
        );
    }

    #[test]
    fn rotation_timestamps_and_secrets() {
        let old = Secret::generate();
        let new = Secret::generate();
        let body = b"{}";
        let both = format!(
            "v1,bogus= {} {}",
            sign(&Secret::parse(&old).unwrap(), "m", 100, body),
            sign(&Secret::parse(&new).unwrap(), "m", 100, body)
        );
        let h = headers("m", 100, &both);
        assert_eq!(verify(&h, body, &old, 100), Ok(()));
        assert_eq!(verify(&h, body, &new, 100), Ok(()));
        assert_eq!(
            verify(&h, body, &Secret::generate(), 100),
            Err(WebhookError::Signature)
        );
        assert_eq!(
            verify(&h, body, &new, 401),
            Err(WebhookError::TooOld { age: 301 })
        );
        assert_eq!(
            verify(&h, body, &new, -201),
            Err(WebhookError::TooNew { ahead: 301 })
        );
        assert_eq!(
            verify(&h, body, "whsec_c2hvcnQ=", 100),
            Err(WebhookError::Secret)
        );
        assert_eq!(verify(&h, body, "whsec_!!", 100), Err(WebhookError::Secret));
        let mut missing = h.clone();
        missing.remove("webhook-id");
        assert_eq!(
            verify(&missing, body, &new, 100),
            Err(WebhookError::MissingHeader("webhook-id"))
        );
    }
}
