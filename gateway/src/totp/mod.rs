//! The second factor (RFC 6238 TOTP: SHA-1, 6 digits, 30 s, one step of skew, with
//! `totp-rs`), per wallet: enrolment (a pending secret shown as a QR code, confirmed
//! by a first code), single-use recovery codes stored as sha256, and the check of a
//! code. A time step is accepted once: the store keeps the last accepted step and a
//! conditional update refuses the same or an older one (RFC 6238 §5.2), so a code
//! cannot be replayed within its step. Secrets are sealed at rest when the gateway
//! has a secret key (`seal.rs`). Wrong codes are throttled (RFC 4226 §7.3):
//! after [`FREE_FAILURES`] in a row, codes are refused for a minute, doubling with
//! each further wrong code up to an hour. Secrets are never logged.

pub mod seal;

use sha2::{Digest, Sha256};
use sqlx::Row;
use totp_rs::{Builder, Secret, Totp};

use crate::{
    error::{Error, Result},
    session::message::WalletKind,
    store::Db,
};
pub use seal::Sealer;

fn aad(kind: WalletKind, address: &str) -> String {
    format!("{}:{address}", kind.as_str())
}

/// Issuer shown by authenticator apps.
pub const ISSUER: &str = "stablerail";
/// How many recovery codes an enrolment gives.
pub const RECOVERY_CODES: usize = 10;
/// Wrong codes in a row before codes are refused for a while.
pub const FREE_FAILURES: i64 = 5;
const BASE_BLOCK_MS: i64 = 60_000;
const MAX_BLOCK_MS: i64 = 3_600_000;

/// The outcome of a code check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Accepted (and now used up).
    Accepted,
    /// Not a valid code now.
    Invalid,
    /// A valid code of a step already used.
    Replayed,
    /// The wallet has no TOTP.
    NotEnrolled,
    /// Too many wrong codes in a row: refused without looking until the block ends.
    Throttled,
}

/// How long codes are refused after `failures` wrong codes in a row.
pub fn block_ms(failures: i64) -> i64 {
    if failures < FREE_FAILURES {
        return 0;
    }
    let doublings = u32::try_from(failures - FREE_FAILURES)
        .unwrap_or(u32::MAX)
        .min(6);
    (BASE_BLOCK_MS << doublings).min(MAX_BLOCK_MS)
}

async fn record(db: &Db, kind: WalletKind, address: &str, ok: bool, now_ms: i64) -> Result<()> {
    if ok {
        sqlx::query(
            "UPDATE gw_totp SET failures = 0, blocked_until = 0 WHERE kind = $1 AND address = $2",
        )
        .bind(kind.as_str())
        .bind(address)
        .execute(&db.pool)
        .await?;
        return Ok(());
    }
    let row = sqlx::query(
        "UPDATE gw_totp SET failures = failures + 1 WHERE kind = $1 AND address = $2 AND secret IS NOT NULL RETURNING failures",
    )
    .bind(kind.as_str())
    .bind(address)
    .fetch_optional(&db.pool)
    .await?;
    if let Some(r) = row {
        let failures: i64 = r.try_get(0)?;
        let block = block_ms(failures);
        if block > 0 {
            sqlx::query("UPDATE gw_totp SET blocked_until = $1 WHERE kind = $2 AND address = $3")
                .bind(now_ms.saturating_add(block))
                .bind(kind.as_str())
                .bind(address)
                .execute(&db.pool)
                .await?;
            tracing::warn!(kind = kind.as_str(), %address, failures, "TOTP codes throttled");
        }
    }
    Ok(())
}

fn totp(secret_b32: &str, account: &str) -> Result<Totp> {
    let secret = Secret::try_from_base32(secret_b32)
        .map_err(|_| Error::Config("a stored TOTP secret is not base32".into()))?;
    Builder::new()
        .with_secret(secret)
        .with_issuer(Some(ISSUER))
        .with_account_name(account)
        .build()
        .map_err(|e| Error::Config(format!("TOTP parameters: {e}")))
}

fn unix_secs(now_ms: i64) -> u64 {
    u64::try_from(now_ms / 1000).unwrap_or(0)
}

/// The `otpauth://` URI of a secret (what the QR code holds).
pub fn otpauth_url(secret_b32: &str, account: &str) -> Result<String> {
    totp(secret_b32, account)?
        .to_url()
        .map_err(|e| Error::Config(format!("TOTP URI: {e}")))
}

/// The QR code (SVG) of the pending secret's `otpauth://` URI.
pub fn qr_svg(secret_b32: &str, account: &str) -> Result<String> {
    let url = otpauth_url(secret_b32, account)?;
    crate::invoices::uri::qr_svg(&url).ok_or_else(|| Error::Config("QR code too large".into()))
}

/// Whether the wallet has a confirmed TOTP secret.
pub async fn enabled(db: &Db, kind: WalletKind, address: &str) -> Result<bool> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM gw_totp WHERE kind = $1 AND address = $2 AND secret IS NOT NULL",
    )
    .bind(kind.as_str())
    .bind(address)
    .fetch_one(&db.pool)
    .await?;
    Ok(row.try_get::<i64, _>(0)? > 0)
}

async fn pending_stored(db: &Db, kind: WalletKind, address: &str) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT pending_secret FROM gw_totp WHERE kind = $1 AND address = $2 AND secret IS NULL",
    )
    .bind(kind.as_str())
    .bind(address)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => r.try_get(0)?,
        None => None,
    })
}

/// The secret being enrolled (base32), if any.
pub async fn pending(
    db: &Db,
    sealer: &Sealer,
    kind: WalletKind,
    address: &str,
) -> Result<Option<String>> {
    pending_stored(db, kind, address)
        .await?
        .map(|s| sealer.open(&aad(kind, address), &s))
        .transpose()
}

/// Starts (or restarts) an enrolment: a fresh 160-bit secret, pending until
/// confirmed. `None` when the wallet already has TOTP.
pub async fn begin(
    db: &Db,
    sealer: &Sealer,
    kind: WalletKind,
    address: &str,
) -> Result<Option<String>> {
    if enabled(db, kind, address).await? {
        return Ok(None);
    }
    if !sealer.has_key() {
        tracing::warn!(
            "TOTP secrets are stored unsealed: set dashboard.secret_key_file or its environment variable"
        );
    }
    let secret = Secret::generate().to_base32();
    let stored = sealer.seal(&aad(kind, address), &secret)?;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM gw_totp WHERE kind = $1 AND address = $2 AND secret IS NULL")
        .bind(kind.as_str())
        .bind(address)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO gw_totp (kind, address, secret, pending_secret, last_step, enabled_at) VALUES ($1, $2, NULL, $3, 0, NULL)",
    )
    .bind(kind.as_str())
    .bind(address)
    .bind(&stored)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Some(secret))
}

/// A fresh recovery code: 16 hex digits (64 bits) in groups of four.
fn recovery_code() -> String {
    let hexed = hex::encode(rand::random::<[u8; 8]>());
    let (a, rest) = hexed.split_at(4);
    let (b, rest) = rest.split_at(4);
    let (c, d) = rest.split_at(4);
    format!("{a}-{b}-{c}-{d}")
}

fn hash_recovery(code: &str) -> String {
    let canonical: String = code
        .chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(
        format!("stablerail-recovery\n{canonical}").as_bytes(),
    ))
}

/// Confirms the pending enrolment with a first `code` at `now_ms`: the secret
/// becomes the wallet's, its step is used up, and the recovery codes (returned, to
/// be shown once; only their hashes are stored) replace any earlier ones. `None`
/// when nothing is pending or the code is wrong.
pub async fn confirm(
    db: &Db,
    sealer: &Sealer,
    kind: WalletKind,
    address: &str,
    code: &str,
    now_ms: i64,
) -> Result<Option<Vec<String>>> {
    let Some(stored) = pending_stored(db, kind, address).await? else {
        return Ok(None);
    };
    let secret = sealer.open(&aad(kind, address), &stored)?;
    let Some(step) = totp(&secret, address)?.check(code.trim(), unix_secs(now_ms)) else {
        return Ok(None);
    };
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
    let mut tx = db.begin().await?;
    let r = sqlx::query(
        "UPDATE gw_totp SET secret = pending_secret, pending_secret = NULL, last_step = $1, enabled_at = $2 WHERE kind = $3 AND address = $4 AND secret IS NULL AND pending_secret = $5",
    )
    .bind(i64::try_from(step).unwrap_or(i64::MAX))
    .bind(now_ms)
    .bind(kind.as_str())
    .bind(address)
    .bind(&stored)
    .execute(&mut *tx)
    .await?;
    if r.rows_affected() != 1 {
        tx.rollback().await?;
        return Ok(None);
    }
    sqlx::query("DELETE FROM gw_recovery_codes WHERE kind = $1 AND address = $2")
        .bind(kind.as_str())
        .bind(address)
        .execute(&mut *tx)
        .await?;
    for c in &codes {
        sqlx::query(
            "INSERT INTO gw_recovery_codes (kind, address, code_hash, used_at) VALUES ($1, $2, $3, NULL)",
        )
        .bind(kind.as_str())
        .bind(address)
        .bind(hash_recovery(c))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    tracing::info!(kind = kind.as_str(), %address, "TOTP enrolled");
    Ok(Some(codes))
}

/// Checks a TOTP `code` at `now_ms` and uses its step up; with `allow_recovery`, a
/// recovery code (`xxxx-xxxx-xxxx-xxxx`) is accepted instead, once.
pub async fn check(
    db: &Db,
    sealer: &Sealer,
    kind: WalletKind,
    address: &str,
    code: &str,
    now_ms: i64,
    allow_recovery: bool,
) -> Result<CodeCheck> {
    let code = code.trim();
    let row = sqlx::query(
        "SELECT secret, last_step, blocked_until FROM gw_totp WHERE kind = $1 AND address = $2 AND secret IS NOT NULL",
    )
    .bind(kind.as_str())
    .bind(address)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(CodeCheck::NotEnrolled);
    };
    if row.try_get::<i64, _>(2)? > now_ms {
        return Ok(CodeCheck::Throttled);
    }
    let outcome = check_unthrottled(
        db,
        sealer,
        kind,
        address,
        code,
        now_ms,
        allow_recovery,
        &row,
    )
    .await?;
    match outcome {
        CodeCheck::Accepted => record(db, kind, address, true, now_ms).await?,
        CodeCheck::Invalid => record(db, kind, address, false, now_ms).await?,
        _ => {}
    }
    Ok(outcome)
}

#[allow(clippy::too_many_arguments)]
async fn check_unthrottled(
    db: &Db,
    sealer: &Sealer,
    kind: WalletKind,
    address: &str,
    code: &str,
    now_ms: i64,
    allow_recovery: bool,
    row: &sqlx::any::AnyRow,
) -> Result<CodeCheck> {
    if allow_recovery && code.contains('-') {
        let r = sqlx::query(
            "UPDATE gw_recovery_codes SET used_at = $1 WHERE kind = $2 AND address = $3 AND code_hash = $4 AND used_at IS NULL",
        )
        .bind(now_ms)
        .bind(kind.as_str())
        .bind(address)
        .bind(hash_recovery(code))
        .execute(&db.pool)
        .await?;
        if r.rows_affected() == 1 {
            tracing::info!(kind = kind.as_str(), %address, "recovery code used");
            return Ok(CodeCheck::Accepted);
        }
        return Ok(CodeCheck::Invalid);
    }
    let secret = sealer.open(&aad(kind, address), &row.try_get::<String, _>(0)?)?;
    let last_step: i64 = row.try_get(1)?;
    let Some(step) = totp(&secret, address)?.check(code, unix_secs(now_ms)) else {
        return Ok(CodeCheck::Invalid);
    };
    let step = i64::try_from(step).unwrap_or(i64::MAX);
    if step <= last_step {
        return Ok(CodeCheck::Replayed);
    }
    let r = sqlx::query(
        "UPDATE gw_totp SET last_step = $1 WHERE kind = $2 AND address = $3 AND last_step < $1",
    )
    .bind(step)
    .bind(kind.as_str())
    .bind(address)
    .execute(&db.pool)
    .await?;
    Ok(if r.rows_affected() == 1 {
        CodeCheck::Accepted
    } else {
        CodeCheck::Replayed
    })
}

/// Recovery codes not used yet.
pub async fn recovery_left(db: &Db, kind: WalletKind, address: &str) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) FROM gw_recovery_codes WHERE kind = $1 AND address = $2 AND used_at IS NULL",
    )
    .bind(kind.as_str())
    .bind(address)
    .fetch_one(&db.pool)
    .await?;
    Ok(row.try_get(0)?)
}

/// The code of `secret_b32` at `unix_secs` (tests and the demo's sign-in path).
pub fn code_at(secret_b32: &str, unix_secs: u64) -> Result<String> {
    Ok(totp(secret_b32, "code")?.generate(unix_secs).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_doubles_up_to_an_hour() {
        assert_eq!(block_ms(FREE_FAILURES - 1), 0);
        assert_eq!(block_ms(FREE_FAILURES), 60_000);
        assert_eq!(block_ms(FREE_FAILURES + 1), 120_000);
        assert_eq!(block_ms(FREE_FAILURES + 50), 3_600_000);
    }

    #[test]
    fn recovery_codes_are_64_bits_and_hash_canonically() {
        let c = recovery_code();
        assert_eq!(c.len(), 19);
        assert_eq!(
            hash_recovery(&c),
            hash_recovery(&c.to_uppercase().replace('-', " "))
        );
        assert_ne!(hash_recovery(&c), hash_recovery(&recovery_code()));
    }

    #[test]
    fn otpauth_uri_names_issuer_and_secret() {
        let s = Secret::generate().to_base32();
        let url = otpauth_url(&s, "0xabc").unwrap();
        assert!(url.starts_with("otpauth://totp/"), "{url}");
        assert!(url.contains(&format!("secret={s}")), "{url}");
        assert!(url.contains("issuer=stablerail"), "{url}");
        let svg = qr_svg(&s, "0xabc").unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        // The RFC 6238 SHA-1 vector: secret "12345678901234567890", T = 59 s.
        let rfc = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(code_at(&rfc, 59).unwrap(), "287082");
    }
}
