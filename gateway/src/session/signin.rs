//! Signing in: the relying party's checks of EIP-4361 (and of the same message for
//! TRON and Solana), in an order where a refusal changes nothing: parse, domain and
//! URI against the gateway's public URL, times against its clock, the signature,
//! the nonce (still usable by this browser), and only then, in one transaction, the
//! nonce is used up and the session created.

use time::OffsetDateTime;

use super::{
    message::{MessageError, SignInMessage, WalletKind},
    nonce, verify,
};
use crate::{error::Result, state::AppState, totp};

/// Why a sign-in is refused (each one leaves the store as it was).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The message does not follow the grammar.
    #[error("the message is malformed: {0}")]
    Malformed(#[from] MessageError),
    /// The address is not one of its wallet family.
    #[error("the address is not a valid address of this wallet")]
    Address,
    /// The message is for another site.
    #[error("the message is for another domain ({0}); sign a message for this site")]
    Domain(String),
    /// The message's URI is not this gateway's.
    #[error("the message's URI is not this site's")]
    Uri,
    /// Past its expiration time.
    #[error("the message has expired; sign a new one")]
    Expired,
    /// Before its not-before time.
    #[error("the message is not valid yet")]
    NotYetValid,
    /// `Issued At` too far from now.
    #[error("the message's Issued At is too far from the current time")]
    IssuedAt,
    /// The signature does not match.
    #[error("{0}")]
    Signature(#[from] verify::SignatureError),
    /// Unknown, used, expired, or issued to another browser.
    #[error(
        "the nonce is unknown, already used, expired or was issued to another browser; start again"
    )]
    Nonce,
}

/// A successful sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    /// The session token (for the cookie only; never logged).
    pub token: String,
    /// Wallet family.
    pub kind: WalletKind,
    /// Address (stored form).
    pub address: String,
    /// The wallet has TOTP: the session waits for a code.
    pub needs_totp: bool,
}

/// `host[:port]` of a URL.
pub fn domain_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?', '#']).next().unwrap_or(rest)
}

/// The message the sign-in page offers for signing.
pub fn offer(
    app: &AppState,
    kind: WalletKind,
    address: &str,
    nonce: &str,
    now: OffsetDateTime,
    lifetime_secs: u64,
) -> SignInMessage {
    let chain_id = match kind {
        WalletKind::Evm => Some(
            app.config
                .chains
                .values()
                .find_map(|c| c.chain_id)
                .unwrap_or(1)
                .to_string(),
        ),
        WalletKind::Tron | WalletKind::Solana => None,
    };
    SignInMessage {
        kind,
        domain: domain_of(&app.public_url).to_owned(),
        address: verify::display_form(kind, address),
        statement: Some("Sign in to the stablerail dashboard.".into()),
        uri: app.public_url.clone(),
        version: "1".into(),
        chain_id,
        nonce: nonce.to_owned(),
        issued_at: now.replace_nanosecond(0).unwrap_or(now),
        expiration_time: Some(
            now.replace_nanosecond(0).unwrap_or(now)
                + time::Duration::seconds(i64::try_from(lifetime_secs).unwrap_or(300)),
        ),
        not_before: None,
        request_id: None,
        resources: Vec::new(),
    }
}

/// Checks `message` signed with `signature`, posted by the browser holding the
/// pre-session token `pre_token`, at `now`; on success uses the nonce up and creates
/// the session.
pub async fn sign_in(
    app: &AppState,
    pre_token: &str,
    message: &str,
    signature: &str,
    now: OffsetDateTime,
) -> Result<std::result::Result<SignedIn, Refusal>> {
    // Browsers post textarea content with CRLF line ends; wallets sign LF.
    let message = message.replace("\r\n", "\n");
    let checked = match check(app, &message, signature, now) {
        Ok(c) => c,
        Err(r) => return Ok(Err(r)),
    };
    let pre_hash = super::hash_token(pre_token);
    if !nonce::usable(&app.db, &checked.nonce, &pre_hash).await? {
        return Ok(Err(Refusal::Nonce));
    }
    let needs_totp = totp::enabled(&app.db, checked.kind, &checked.address).await?;
    let mut tx = app.db.begin().await?;
    if !nonce::consume(&mut tx, &checked.nonce, &pre_hash).await? {
        tx.rollback().await?;
        return Ok(Err(Refusal::Nonce));
    }
    // Expired sessions are of no use; drop them while here.
    sqlx::query("DELETE FROM gw_sessions WHERE expires_at < $1")
        .bind(crate::store::now_ms())
        .execute(&mut *tx)
        .await?;
    let token = super::create(
        &mut tx,
        checked.kind,
        &checked.address,
        !needs_totp,
        app.config.dashboard.session_secs,
    )
    .await?;
    tx.commit().await?;
    tracing::info!(kind = checked.kind.as_str(), address = %checked.address, "dashboard sign-in");
    Ok(Ok(SignedIn {
        token,
        kind: checked.kind,
        address: checked.address,
        needs_totp,
    }))
}

struct Checked {
    kind: WalletKind,
    address: String,
    nonce: String,
}

/// Every check that needs no store.
fn check(
    app: &AppState,
    message: &str,
    signature: &str,
    now: OffsetDateTime,
) -> std::result::Result<Checked, Refusal> {
    let m = SignInMessage::parse(message)?;
    let address = verify::normalize(m.kind, &m.address).ok_or(Refusal::Address)?;
    let domain = domain_of(&app.public_url);
    if m.domain != domain {
        return Err(Refusal::Domain(m.domain));
    }
    let base = app.public_url.as_str();
    if m.uri != base && !m.uri.starts_with(&format!("{base}/")) {
        return Err(Refusal::Uri);
    }
    if m.expiration_time.is_some_and(|t| t <= now) {
        return Err(Refusal::Expired);
    }
    if m.not_before.is_some_and(|t| t > now) {
        return Err(Refusal::NotYetValid);
    }
    let skew =
        time::Duration::seconds(i64::try_from(app.config.dashboard.clock_skew_secs).unwrap_or(600));
    if m.issued_at > now + skew || m.issued_at < now - skew {
        return Err(Refusal::IssuedAt);
    }
    verify::verify(m.kind, &address, message, signature)?;
    Ok(Checked {
        kind: m.kind,
        address,
        nonce: m.nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_of_urls() {
        assert_eq!(domain_of("http://127.0.0.1:8000"), "127.0.0.1:8000");
        assert_eq!(domain_of("https://pay.example.com/x"), "pay.example.com");
    }
}
