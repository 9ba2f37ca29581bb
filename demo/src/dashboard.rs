//! The dashboards of the demo: the local chain's wallets that hold a role (a
//! merchant, the agent, an acceptor, the operator) get their key in a file under
//! the demo's folder (owner only; the key is never printed), and the sign-in path a
//! person follows is checked here on every run exactly as printed: the page's
//! challenge, the message signed with the key file by the same code as
//! `stablerail-gateway sign-message`, the signature posted, the role's main page.

use std::path::{Path, PathBuf};

use alloy::primitives::Address;
use reqwest::{StatusCode, header};
use stablerail_gateway::session::{message::WalletKind, sign};

use crate::{
    LocalPlatform,
    error::{Error, Result},
    indexing::io,
    role::{ACCEPTOR, AGENT, MERCHANT},
    shop::write_private,
};

/// The wallet of the local chain that the demo makes the dashboards' operator.
pub use crate::role::OPERATOR;

/// A wallet of the demo that holds a dashboard role.
#[derive(Debug, Clone)]
pub struct DashboardWallet {
    /// The role it signs in as (`merchant`, `agent`, `acceptor`, `operator`).
    pub role: &'static str,
    /// Its address.
    pub address: Address,
    /// The file holding its key (hex, owner only).
    pub key_file: PathBuf,
}

/// Writes the key files of the wallets with a dashboard role to `dir`
/// (`wallet-<role>.key`) and returns them.
pub fn wallets(platform: &LocalPlatform, dir: &Path) -> Result<Vec<DashboardWallet>> {
    [
        ("merchant", MERCHANT),
        ("agent", AGENT),
        ("acceptor", ACCEPTOR),
        ("operator", OPERATOR),
    ]
    .into_iter()
    .map(|(role, who)| {
        let key_file = dir.join(format!("wallet-{role}.key"));
        write_private(
            &key_file,
            &alloy::hex::encode(platform.signer(who).to_bytes()),
        )?;
        Ok(DashboardWallet {
            role,
            address: platform.address(who),
            key_file,
        })
    })
    .collect()
}

/// The shell line that signs the message saved from the sign-in page.
pub fn sign_command(wallet: &DashboardWallet) -> String {
    format!(
        "SR_WALLET_KEY=$(cat {}) cargo run -q -p stablerail-gateway -- sign-message --kind evm --key-env SR_WALLET_KEY < message.txt",
        wallet.key_file.display()
    )
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = html.find(start)? + start.len();
    let j = html[i..].find(end)? + i;
    Some(&html[i..j])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The `name=value` of the first `Set-Cookie` answer naming `name`.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

fn step(call: &str, status: StatusCode, body: &str) -> Error {
    Error::Api {
        call: call.to_owned(),
        status: status.as_u16(),
        body: body.chars().take(300).collect(),
    }
}

/// Signs `wallet` in at the gateway `base` as a person does from the printed path
/// and returns the heading of the main page it lands on.
pub async fn sign_in(base: &str, wallet: &DashboardWallet) -> Result<String> {
    let key = std::fs::read_to_string(&wallet.key_file).map_err(io("reading a wallet key"))?;
    let session = session(base, &key).await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let res = http
        .get(format!("{base}/dashboard"))
        .header(header::COOKIE, &session)
        .send()
        .await?;
    let status = res.status();
    let page = res.text().await?;
    if status != StatusCode::OK {
        return Err(step("GET /dashboard", status, &page));
    }
    between(&page, "<h1>", "</h1>")
        .map(unescape)
        .ok_or_else(|| step("GET /dashboard", status, &page))
}

/// Signs in at the gateway `base` with the EVM wallet of `key_hex` through the
/// sign-in pages (challenge, signature, post) and returns the session cookie as a
/// `Cookie` header value (`name=token`).
pub async fn session(base: &str, key_hex: &str) -> Result<String> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let res = http.get(format!("{base}/dashboard/sign-in")).send().await?;
    let pre = set_cookie(&res, "__Host-sr_pre")
        .ok_or_else(|| Error::Shop("the sign-in page set no pre-session cookie".into()))?;
    let page = res.text().await?;
    let csrf = between(&page, r#"name="csrf" value=""#, "\"")
        .ok_or_else(|| Error::Shop("no CSRF token on the sign-in page".into()))?
        .to_owned();
    // The address as the wallet would enter it (an empty message signs nothing).
    let (address, _) = sign::sign(WalletKind::Evm, key_hex, "")
        .map_err(|e| Error::Shop(format!("wallet key: {e}")))?;
    let res = http
        .post(format!("{base}/dashboard/sign-in/challenge"))
        .header(header::COOKIE, &pre)
        .form(&[
            ("csrf", csrf.as_str()),
            ("kind", "evm"),
            ("address", &address),
        ])
        .send()
        .await?;
    let status = res.status();
    let page = res.text().await?;
    let message = between(&page, "readonly>", "</textarea>")
        .map(unescape)
        .ok_or_else(|| step("POST /dashboard/sign-in/challenge", status, &page))?;
    let (_, signature) = sign::sign(WalletKind::Evm, key_hex, &message)
        .map_err(|e| Error::Shop(format!("wallet key: {e}")))?;
    let res = http
        .post(format!("{base}/dashboard/sign-in"))
        .header(header::COOKIE, &pre)
        .form(&[
            ("csrf", csrf.as_str()),
            ("message", &message),
            ("signature", &signature),
        ])
        .send()
        .await?;
    let session = set_cookie(&res, "__Host-sr_session");
    let (status, location) = (
        res.status(),
        res.headers()
            .get(header::LOCATION)
            .and_then(|l| l.to_str().ok())
            .map(str::to_owned),
    );
    match (session, location.as_deref()) {
        (Some(session), Some("/dashboard")) => Ok(session),
        _ => Err(step(
            "POST /dashboard/sign-in",
            status,
            &res.text().await.unwrap_or_default(),
        )),
    }
}
