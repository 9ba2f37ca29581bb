//! Dashboard sessions after a wallet signature (DESIGN §10): the session token lives
//! only in the browser's cookie (HttpOnly, Secure, SameSite=Strict); the store keeps
//! its sha256, the wallet, the chosen role, whether the second factor was given,
//! and the expiry. Each form carries a CSRF token derived from the session token
//! (a synchronizer token that needs no storage: sha256 of a fixed label and the
//! token, so it changes with every session and cannot be computed without it).

pub mod config;
pub mod message;
pub mod nonce;
pub mod roles;
pub mod sign;
pub mod signin;
pub mod verify;

use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{
    auth::constant_time_eq,
    error::Result,
    store::{Db, Tx, now_ms},
};
use message::WalletKind;

/// Name of the session cookie: with Secure cookies the `__Host-` prefix (the browser
/// then refuses it without Secure, a Domain or a Path other than `/`).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-sr_session"
    } else {
        "sr_session"
    }
}

/// Name of the pre-session cookie (sign-in pages: double-submit CSRF token and the
/// nonce's browser binding).
pub fn pre_cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-sr_pre" } else { "sr_pre" }
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/, Secure when asked;
/// `max_age` 0 deletes the cookie.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64, secure: bool) -> String {
    format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// sha256 of a token, hex: what the store keeps.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A fresh random token (32 bytes, hex).
pub fn generate_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// The CSRF token of forms shown to the holder of `token` (a session or
/// pre-session token).
pub fn csrf_token(token: &str) -> String {
    hex::encode(Sha256::digest(
        format!("stablerail-csrf\n{token}").as_bytes(),
    ))
}

/// Whether `presented` is the CSRF token of `token` (constant time).
pub fn csrf_ok(token: &str, presented: &str) -> bool {
    constant_time_eq(&csrf_token(token), presented)
}

/// A stored session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// sha256 of the cookie's token.
    pub token_hash: String,
    /// Wallet family.
    pub kind: WalletKind,
    /// Wallet address (stored form).
    pub address: String,
    /// The role chosen (`roles::Role::key`), if any.
    pub role: Option<String>,
    /// The second factor was given at sign-in (or the wallet has none).
    pub mfa_ok: bool,
    /// Unix ms.
    pub expires_at: i64,
}

/// Creates a session inside `tx`; returns its token (for the cookie only).
pub async fn create(
    tx: &mut Tx,
    kind: WalletKind,
    address: &str,
    mfa_ok: bool,
    lifetime_secs: u64,
) -> Result<String> {
    let token = generate_token();
    let now = now_ms();
    let expires =
        now.saturating_add(i64::try_from(lifetime_secs.saturating_mul(1000)).unwrap_or(i64::MAX));
    sqlx::query(
        "INSERT INTO gw_sessions (token_hash, kind, address, role, mfa_ok, created_at, expires_at) VALUES ($1, $2, $3, NULL, $4, $5, $6)",
    )
    .bind(hash_token(&token))
    .bind(kind.as_str())
    .bind(address)
    .bind(i64::from(mfa_ok))
    .bind(now)
    .bind(expires)
    .execute(&mut **tx)
    .await?;
    Ok(token)
}

/// The unexpired session of `token`.
pub async fn load(db: &Db, token: &str) -> Result<Option<Session>> {
    let row = sqlx::query(
        "SELECT token_hash, kind, address, role, mfa_ok, expires_at FROM gw_sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(hash_token(token))
    .bind(now_ms())
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let kind: String = r.try_get(1)?;
    let Some(kind) = WalletKind::parse(&kind) else {
        return Ok(None);
    };
    Ok(Some(Session {
        token_hash: r.try_get(0)?,
        kind,
        address: r.try_get(2)?,
        role: r.try_get(3)?,
        mfa_ok: r.try_get::<i64, _>(4)? == 1,
        expires_at: r.try_get(5)?,
    }))
}

/// Marks the second factor as given.
pub async fn set_mfa_ok(db: &Db, token_hash: &str) -> Result<()> {
    sqlx::query("UPDATE gw_sessions SET mfa_ok = 1 WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Chooses the role the session acts as.
pub async fn set_role(db: &Db, token_hash: &str, role: &str) -> Result<()> {
    sqlx::query("UPDATE gw_sessions SET role = $1 WHERE token_hash = $2")
        .bind(role)
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends a session (sign-out).
pub async fn delete(db: &Db, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM gw_sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(&db.pool)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_and_csrf() {
        let c = set_cookie("__Host-sr_session", "abc", 60, true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(!set_cookie("sr_session", "abc", 60, false).contains("Secure"));
        assert_eq!(
            cookie("a=1; sr_session=xyz; b=2", "sr_session"),
            Some("xyz")
        );
        assert_eq!(cookie("a=1", "sr_session"), None);
        let t = generate_token();
        assert!(csrf_ok(&t, &csrf_token(&t)));
        assert!(!csrf_ok(&t, &csrf_token(&generate_token())));
        assert!(!csrf_ok(&t, ""));
        assert_ne!(csrf_token(&t), hash_token(&t));
    }
}
