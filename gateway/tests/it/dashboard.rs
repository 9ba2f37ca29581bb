//! Dashboards over HTTP: wallet sign-in (EIP-4361, TRON signMessageV2, Sign-In With
//! Solana) and every refusal, sessions and their cookies, CSRF on every form, TOTP
//! (enrolment, sign-in, replay, recovery codes, sensitive actions), roles, and
//! cross-tenant access. On SQLite and PostgreSQL; no chain needed (the indexer's
//! tables are created, the rows the pages read are written directly).

use std::collections::HashMap;

use alloy::signers::{SignerSync, local::PrivateKeySigner};
use ed25519_dalek::{Signer, SigningKey};
use serde_json::json;
use sha2::{Digest, Sha256};
use sqlx::Row;
use stablerail_gateway::{
    Gateway, GatewayOptions,
    session::{message::SignInMessage, verify::tron_digest},
    store::now_ms,
    totp, webhooks,
};
use stablerail_sdk::tron::Address as TronAddress;

use crate::common::{Backend, TestDb, merchant, start_gateway};

/// A gateway without chain watchers on `db`, `dashboard` settings inserted.
pub async fn plain_gateway(db: &TestDb, dashboard: &str) -> Gateway {
    let url = if db.url.starts_with("sqlite:") {
        format!("{}?mode=rwc", db.url)
    } else {
        db.url.clone()
    };
    let text = format!(
        r#"
database_url = "{url}"
listen = "127.0.0.1:0"

[dashboard]
{dashboard}

[webhooks]
allow_private_targets = true

[chains.anvil]
chain_id = 31337

[indexer.chains.anvil]
kind = "evm"
rpc_urls = ["http://127.0.0.1:9"]
usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
escrow = "0x00000000000000000000000000000000000000e5"
"#
    );
    start_gateway(
        &text,
        GatewayOptions {
            indexer: false,
            watcher: false,
            sender: false,
        },
    )
    .await
}

/// Undoes the escaping of `web::escape`.
pub fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// The text between `start` and the next `end` after it.
pub fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = html.find(start)? + start.len();
    let j = html[i..].find(end)? + i;
    Some(&html[i..j])
}

/// A browser over HTTP: keeps cookies, never follows redirects.
#[derive(Clone)]
pub struct Web {
    pub base: String,
    pub http: reqwest::Client,
    pub cookies: HashMap<String, String>,
    /// Every Set-Cookie header seen, as sent.
    pub set_cookies: Vec<String>,
}

pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub body: String,
    pub headers: reqwest::header::HeaderMap,
}

impl Page {
    pub fn csrf(&self) -> String {
        between(&self.body, r#"name="csrf" value=""#, "\"")
            .unwrap_or_else(|| panic!("no csrf in {}", self.body))
            .to_owned()
    }
}

impl Web {
    pub fn new(gw: &Gateway) -> Self {
        Self {
            base: format!("http://{}", gw.addr()),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            set_cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn finish(&mut self, r: reqwest::Response) -> Page {
        for v in r.headers().get_all("set-cookie") {
            let s = v.to_str().unwrap().to_owned();
            let (kv, _) = s.split_once(';').unwrap_or((&s, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if s.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_owned(), val.to_owned());
            }
            self.set_cookies.push(s);
        }
        let status = r.status().as_u16();
        let location = r
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        let headers = r.headers().clone();
        Page {
            status,
            location,
            body: r.text().await.unwrap(),
            headers,
        }
    }

    pub async fn get(&mut self, path: &str) -> Page {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.finish(r).await
    }

    /// Asks for a challenge for `address` of `kind`; returns (csrf, message).
    pub async fn challenge(&mut self, kind: &str, address: &str) -> (String, String) {
        let p = self.get("/dashboard/sign-in").await;
        assert_eq!(p.status, 200);
        let csrf = p.csrf();
        let p = self
            .post(
                "/dashboard/sign-in/challenge",
                &[("csrf", &csrf), ("kind", kind), ("address", address)],
            )
            .await;
        assert_eq!(p.status, 200, "{}", p.body);
        let msg = between(&p.body, r#"readonly>"#, "</textarea>").unwrap();
        (p.csrf(), unescape(msg))
    }

    pub async fn submit(&mut self, csrf: &str, message: &str, signature: &str) -> Page {
        self.post(
            "/dashboard/sign-in",
            &[
                ("csrf", csrf),
                ("message", message),
                ("signature", signature),
            ],
        )
        .await
    }

    /// Signs in with an EVM key; returns the final page after the redirect.
    pub async fn sign_in_evm(&mut self, key: &PrivateKeySigner) -> Page {
        let (csrf, msg) = self
            .challenge("evm", &key.address().to_checksum(None))
            .await;
        let p = self.submit(&csrf, &msg, &evm_sign(key, &msg)).await;
        assert_eq!(p.status, 303, "{}", p.body);
        p
    }

    /// Signs in with a TRON key (signMessageV2); returns the final page after the
    /// redirect.
    pub async fn sign_in_tron(&mut self, key: &PrivateKeySigner) -> Page {
        let address = TronAddress::from_evm_bytes(key.address().into_array()).to_base58();
        let (csrf, msg) = self.challenge("tron", &address).await;
        let p = self.submit(&csrf, &msg, &tron_sign(key, &msg)).await;
        assert_eq!(p.status, 303, "{}", p.body);
        p
    }

    /// Signs in with a Solana key (Sign-In With Solana: ed25519 over the message,
    /// base58); returns the final page after the redirect.
    pub async fn sign_in_solana(&mut self, key: &stablerail_sdk::solana::sdk::Keypair) -> Page {
        use stablerail_sdk::solana::sdk::Signer as _;
        let (csrf, msg) = self.challenge("solana", &key.pubkey().to_string()).await;
        let sig = key.sign_message(msg.as_bytes()).to_string();
        let p = self.submit(&csrf, &msg, &sig).await;
        assert_eq!(p.status, 303, "{}", p.body);
        p
    }

    /// The session's CSRF token (from the dashboard's navigation).
    pub async fn session_csrf(&mut self) -> String {
        let p = self.get("/dashboard/security").await;
        assert_eq!(p.status, 200, "{}", p.body);
        p.csrf()
    }
}

/// A TRON wallet's signMessageV2 signature of `msg` (hex).
pub fn tron_sign(key: &PrivateKeySigner, msg: &str) -> String {
    hex::encode(
        key.sign_hash_sync(&tron_digest(msg.as_bytes()).into())
            .unwrap()
            .as_bytes(),
    )
}

pub fn evm_sign(key: &PrivateKeySigner, msg: &str) -> String {
    format!(
        "0x{}",
        hex::encode(key.sign_message_sync(msg.as_bytes()).unwrap().as_bytes())
    )
}

/// Waits, if needed, so that three consecutive TOTP steps around now stay valid for
/// at least ten seconds (codes of the previous, current and next step are accepted).
pub async fn steady_totp_window() {
    let secs = now_ms() / 1000 % 30;
    if secs >= 20 {
        tokio::time::sleep(std::time::Duration::from_secs(31 - secs as u64)).await;
    }
}

/// The code of `secret` `steps` steps from now.
pub fn code(secret: &str, steps: i64) -> String {
    let t = now_ms() / 1000 + steps * 30;
    totp::code_at(secret, t as u64).unwrap()
}

/// Enrols TOTP for the signed-in `web`; returns (secret, recovery codes). Uses the
/// code of the previous step.
pub async fn enrol(web: &mut Web) -> (String, Vec<String>) {
    let csrf = web.session_csrf().await;
    let p = web
        .post("/dashboard/security/totp/begin", &[("csrf", &csrf)])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = web.get("/dashboard/security").await;
    let secret = between(&p.body, r#"<code id="totp-secret">"#, "</code>")
        .unwrap()
        .to_owned();
    let qr = web.get("/dashboard/security/totp/qr.svg").await;
    assert_eq!(qr.status, 200);
    assert_eq!(qr.headers["content-type"], "image/svg+xml");
    assert!(qr.body.contains("<svg"));
    // A wrong first code changes nothing.
    let p = web
        .post(
            "/dashboard/security/totp/confirm",
            &[("csrf", &csrf), ("code", "000000")],
        )
        .await;
    assert_eq!(p.status, 400);
    let c = code(&secret, -1);
    let p = web
        .post(
            "/dashboard/security/totp/confirm",
            &[("csrf", &csrf), ("code", &c)],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let list = between(&p.body, r#"<ul id="recovery-codes">"#, "</ul>").unwrap();
    let codes: Vec<String> = list
        .split("<code>")
        .skip(1)
        .map(|s| s.split("</code>").next().unwrap().to_owned())
        .collect();
    assert_eq!(codes.len(), totp::RECOVERY_CODES);
    (secret, codes)
}

async fn count(gw: &Gateway, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap()
        .try_get::<i64, _>(0)
        .unwrap()
}

async fn sign_in_and_refusals(backend: Backend) {
    let db = TestDb::new(backend).await;
    let gw = plain_gateway(&db, "").await;
    let key = PrivateKeySigner::random();
    let (_, _) = merchant(&gw, "Alice Shop", key.address()).await;
    let mut web = Web::new(&gw);

    // Not signed in: every page sends to the sign-in page.
    for path in [
        "/dashboard",
        "/dashboard/invoices",
        "/dashboard/invoices.csv",
        "/dashboard/api-keys",
        "/dashboard/security",
        "/dashboard/bank-accounts",
    ] {
        let p = web.get(path).await;
        assert_eq!(p.status, 303, "{path}");
        assert_eq!(p.location.as_deref(), Some("/dashboard/sign-in"), "{path}");
    }

    let (csrf, msg) = web.challenge("evm", &key.address().to_checksum(None)).await;
    let parsed = SignInMessage::parse(&msg).unwrap();
    assert_eq!(parsed.domain, gw.addr().to_string());
    assert_eq!(parsed.address, key.address().to_checksum(None));
    let nonces_before = count(
        &gw,
        "SELECT COUNT(*) FROM gw_signin_nonces WHERE used_at IS NULL",
    )
    .await;
    let sessions = || count(&gw, "SELECT COUNT(*) FROM gw_sessions");

    // CSRF: missing or wrong token.
    let p = web.submit("", &msg, &evm_sign(&key, &msg)).await;
    assert_eq!(p.status, 403);
    let p = web
        .submit(&"0".repeat(64), &msg, &evm_sign(&key, &msg))
        .await;
    assert_eq!(p.status, 403);

    // Wrong signature: another key signed.
    let other = PrivateKeySigner::random();
    let p = web.submit(&csrf, &msg, &evm_sign(&other, &msg)).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("not made by the message"), "{}", p.body);

    // A signature over another text.
    let p = web
        .submit(&csrf, &msg, &evm_sign(&key, &format!("{msg} ")))
        .await;
    assert_eq!(p.status, 401);

    // Wrong domain (correctly signed).
    let mut m = parsed.clone();
    m.domain = "evil.example".into();
    let text = m.to_string();
    let p = web.submit(&csrf, &text, &evm_sign(&key, &text)).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("another domain"), "{}", p.body);

    // Wrong URI.
    let mut m = parsed.clone();
    m.uri = "https://evil.example/".into();
    let text = m.to_string();
    let p = web.submit(&csrf, &text, &evm_sign(&key, &text)).await;
    assert_eq!(p.status, 401);

    // Expired message.
    let mut m = parsed.clone();
    m.issued_at -= time::Duration::minutes(5);
    m.expiration_time = Some(time::OffsetDateTime::now_utc() - time::Duration::seconds(1));
    let text = m.to_string();
    let p = web.submit(&csrf, &text, &evm_sign(&key, &text)).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("expired"), "{}", p.body);

    // Not valid yet.
    let mut m = parsed.clone();
    m.not_before = Some(time::OffsetDateTime::now_utc() + time::Duration::minutes(1));
    let text = m.to_string();
    let p = web.submit(&csrf, &text, &evm_sign(&key, &text)).await;
    assert_eq!(p.status, 401);

    // Issued far in the past (no expiration time).
    let mut m = parsed.clone();
    m.issued_at -= time::Duration::hours(2);
    m.expiration_time = None;
    let text = m.to_string();
    let p = web.submit(&csrf, &text, &evm_sign(&key, &text)).await;
    assert_eq!(p.status, 401);

    // A nonce the gateway never issued.
    let mut m = parsed.clone();
    m.nonce = "NeverIssued12345".into();
    let text = m.to_string();
    let p = web.submit(&csrf, &text, &evm_sign(&key, &text)).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("nonce"), "{}", p.body);

    // Malformed message.
    let p = web.submit(&csrf, "hello", &evm_sign(&key, "hello")).await;
    assert_eq!(p.status, 400);

    // The right message posted from another browser (its own pre-session cookie).
    let mut thief = Web::new(&gw);
    let (thief_csrf, _) = thief.challenge("evm", &other.address().to_string()).await;
    let p = thief.submit(&thief_csrf, &msg, &evm_sign(&key, &msg)).await;
    assert_eq!(p.status, 401);

    // Nothing changed so far: no session, the nonce still unused.
    assert_eq!(sessions().await, 0);
    assert_eq!(
        count(
            &gw,
            "SELECT COUNT(*) FROM gw_signin_nonces WHERE used_at IS NULL"
        )
        .await,
        nonces_before + 1 // the thief's own challenge
    );

    let pre = web.cookies["__Host-sr_pre"].clone();
    // Success: a session cookie, HttpOnly, Secure, SameSite=Strict, __Host- prefix.
    let sig = evm_sign(&key, &msg);
    let p = web.submit(&csrf, &msg, &sig).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(p.location.as_deref(), Some("/dashboard"));
    let set = web
        .set_cookies
        .iter()
        .find(|c| c.starts_with("__Host-sr_session="))
        .unwrap()
        .clone();
    for attr in ["HttpOnly", "Secure", "SameSite=Strict", "Path=/"] {
        assert!(set.contains(attr), "{set}");
    }
    // Stored hashed.
    let token = web.cookies["__Host-sr_session"].clone();
    let hash = hex::encode(Sha256::digest(token.as_bytes()));
    assert_eq!(sessions().await, 1);
    assert_eq!(
        count(
            &gw,
            &format!("SELECT COUNT(*) FROM gw_sessions WHERE token_hash = '{hash}'")
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &gw,
            &format!("SELECT COUNT(*) FROM gw_sessions WHERE token_hash = '{token}'")
        )
        .await,
        0
    );

    // The dashboard: merchant overview, security headers, no inline script.
    let p = web.get("/dashboard").await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("Alice Shop"));
    let csp = p.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
    assert!(!p.body.contains("<script>"));
    assert_eq!(p.headers["cache-control"], "no-store");

    // Replay of the same signed message from the same browser: refused.
    let mut again = web.clone();
    again.cookies.remove("__Host-sr_session");
    again.cookies.insert("__Host-sr_pre".into(), pre.clone());
    let p = again.submit(&csrf, &msg, &sig).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("nonce"));
    assert_eq!(sessions().await, 1);

    // Sign-out needs the session's CSRF token; afterwards the cookie is worthless.
    let p = web.post("/dashboard/sign-out", &[("csrf", "nope")]).await;
    assert_eq!(p.status, 403);
    let scsrf = web.session_csrf().await;
    let p = web.post("/dashboard/sign-out", &[("csrf", &scsrf)]).await;
    assert_eq!(p.status, 303);
    assert_eq!(sessions().await, 0);
    let mut stale = web.clone();
    stale
        .cookies
        .insert("__Host-sr_session".into(), token.clone());
    assert_eq!(stale.get("/dashboard").await.status, 303);

    // Session expiry.
    web.sign_in_evm(&key).await;
    assert_eq!(web.get("/dashboard").await.status, 200);
    sqlx::query("UPDATE gw_sessions SET expires_at = $1")
        .bind(now_ms() - 1)
        .execute(&gw.app().db.pool)
        .await
        .unwrap();
    let p = web.get("/dashboard").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location.as_deref(), Some("/dashboard/sign-in"));
}

#[tokio::test]
async fn sign_in_and_refusals_sqlite() {
    sign_in_and_refusals(Backend::Sqlite).await;
}

#[tokio::test]
async fn sign_in_and_refusals_postgres() {
    sign_in_and_refusals(Backend::Postgres).await;
}

#[tokio::test]
async fn expired_nonce_is_refused() {
    let db = TestDb::new(Backend::Sqlite).await;
    let gw = plain_gateway(&db, "nonce_secs = 1").await;
    let key = PrivateKeySigner::random();
    let mut web = Web::new(&gw);
    let (csrf, msg) = web.challenge("evm", &key.address().to_string()).await;
    // The same message without its (1 s) expiration time: the nonce still expires.
    let mut m = SignInMessage::parse(&msg).unwrap();
    m.expiration_time = None;
    let msg = m.to_string();
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let p = web.submit(&csrf, &msg, &evm_sign(&key, &msg)).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("nonce"), "{}", p.body);
}

#[tokio::test]
async fn insecure_cookies_only_on_localhost_and_flagged_so() {
    let db = TestDb::new(Backend::Sqlite).await;
    let gw = plain_gateway(&db, "secure_cookies = false").await;
    let key = PrivateKeySigner::random();
    let mut web = Web::new(&gw);
    web.sign_in_evm(&key).await;
    let set = web
        .set_cookies
        .iter()
        .find(|c| c.starts_with("sr_session="))
        .unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
    assert!(!set.contains("Secure"));
    // No role: the page says so.
    let p = web.get("/dashboard").await;
    assert!(p.body.contains(r#"id="no-role""#), "{}", p.body);
    // A public URL that is not localhost cannot turn Secure off.
    let text = r#"
public_url = "https://pay.example.com"
[dashboard]
secure_cookies = false
[chains.anvil]
chain_id = 1
[indexer.chains.anvil]
kind = "evm"
rpc_urls = ["http://127.0.0.1:9"]
usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
"#;
    assert!(stablerail_gateway::Config::parse(text).is_err());
}

/// TRON (signMessageV2) and Solana (Sign-In With Solana) sign-in, each refusal
/// leaving no session: another key's signature, an EVM-style signature for TRON, the
/// message rewritten for another valid address (signed by the key, so only the
/// address-to-signature binding refuses it), an address that is not one, and the
/// signed message replayed after it was used.
#[tokio::test]
async fn tron_and_solana_sign_in() {
    let db = TestDb::new(Backend::Sqlite).await;
    let gw = plain_gateway(&db, "").await;
    let sessions = || count(&gw, "SELECT COUNT(*) FROM gw_sessions");

    // TRON: signMessageV2 over the message, base58check address.
    let key = PrivateKeySigner::random();
    let tron = TronAddress::from_evm_bytes(key.address().into_array()).to_base58();
    let mut web = Web::new(&gw);
    let (csrf, msg) = web.challenge("tron", &tron).await;
    assert!(msg.contains("TRON account:"));
    assert!(msg.contains(&format!("\n{tron}\n")));
    // An EIP-191 signature is refused for TRON.
    let p = web.submit(&csrf, &msg, &evm_sign(&key, &msg)).await;
    assert_eq!(p.status, 401);
    // Another key's signature.
    let other = PrivateKeySigner::random();
    let p = web.submit(&csrf, &msg, &tron_sign(&other, &msg)).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("not made by the message"), "{}", p.body);
    // The message rewritten for the other key's address, signed by `key`.
    let other_tron = TronAddress::from_evm_bytes(other.address().into_array()).to_base58();
    let wrong = msg.replace(&tron, &other_tron);
    let p = web.submit(&csrf, &wrong, &tron_sign(&key, &wrong)).await;
    assert_eq!(p.status, 401, "{}", p.body);
    // Not a TRON address (one character changed: the checksum fails).
    let mut bad_addr = tron.clone();
    let last = if bad_addr.ends_with('z') { 'y' } else { 'z' };
    bad_addr.pop();
    bad_addr.push(last);
    let bad = msg.replace(&tron, &bad_addr);
    let p = web.submit(&csrf, &bad, &tron_sign(&key, &bad)).await;
    assert_eq!(p.status, 401, "{}", p.body);
    assert!(p.body.contains("not a valid address"), "{}", p.body);
    assert_eq!(sessions().await, 0);
    let pre = web.cookies["__Host-sr_pre"].clone();
    let sig = tron_sign(&key, &msg);
    let p = web.submit(&csrf, &msg, &sig).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = web.get("/dashboard").await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains(&tron),
        "the TRON address is shown: {}",
        p.body
    );
    // Replayed: the nonce is used up.
    let mut again = Web::new(&gw);
    again.cookies.insert("__Host-sr_pre".into(), pre);
    let p = again.submit(&csrf, &msg, &sig).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("nonce"), "{}", p.body);
    assert_eq!(sessions().await, 1);

    // Solana: ed25519, base58 signature.
    let sk = SigningKey::from_bytes(&rand::random());
    let addr = bs58::encode(sk.verifying_key().to_bytes()).into_string();
    let mut web = Web::new(&gw);
    let (csrf, msg) = web.challenge("solana", &addr).await;
    assert!(msg.contains("Solana account:"));
    let other = SigningKey::from_bytes(&rand::random());
    let other_addr = bs58::encode(other.verifying_key().to_bytes()).into_string();
    let sol_sign =
        |k: &SigningKey, m: &str| bs58::encode(k.sign(m.as_bytes()).to_bytes()).into_string();
    assert_eq!(
        web.submit(&csrf, &msg, &sol_sign(&other, &msg))
            .await
            .status,
        401
    );
    // The message rewritten for another address, signed by `sk`.
    let wrong = msg.replace(&addr, &other_addr);
    let p = web.submit(&csrf, &wrong, &sol_sign(&sk, &wrong)).await;
    assert_eq!(p.status, 401, "{}", p.body);
    // A signature of the wrong length.
    let p = web.submit(&csrf, &msg, "3xyz").await;
    assert_eq!(p.status, 401, "{}", p.body);
    assert_eq!(sessions().await, 1);
    let pre = web.cookies["__Host-sr_pre"].clone();
    let good = sol_sign(&sk, &msg);
    let p = web.submit(&csrf, &msg, &good).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let p = web.get("/dashboard").await;
    assert_eq!(p.status, 200);
    assert!(
        p.body.contains(&addr),
        "the Solana address is shown: {}",
        p.body
    );
    let mut again = Web::new(&gw);
    again.cookies.insert("__Host-sr_pre".into(), pre);
    let p = again.submit(&csrf, &msg, &good).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("nonce"), "{}", p.body);
    assert_eq!(sessions().await, 2);

    // A bad address at the challenge.
    for (kind, address) in [("tron", "TNotAnAddress"), ("solana", "0OIl")] {
        let mut web = Web::new(&gw);
        let csrf = web.get("/dashboard/sign-in").await.csrf();
        let p = web
            .post(
                "/dashboard/sign-in/challenge",
                &[("csrf", &csrf), ("kind", kind), ("address", address)],
            )
            .await;
        assert_eq!(p.status, 400, "{kind}");
    }
}

async fn totp_flow(backend: Backend) {
    let db = TestDb::new(backend).await;
    let gw = plain_gateway(&db, "").await;
    let key = PrivateKeySigner::random();
    let (mid, _) = merchant(&gw, "Bob Shop", key.address()).await;
    let mut web = Web::new(&gw);
    web.sign_in_evm(&key).await;

    // Sensitive actions need TOTP: refused before enrolment.
    let csrf = web.session_csrf().await;
    let p = web
        .post(
            "/dashboard/api-keys",
            &[("csrf", &csrf), ("name", "ci"), ("code", "123456")],
        )
        .await;
    assert_eq!(p.status, 403);
    assert!(p.body.contains("enrol"), "{}", p.body);

    steady_totp_window().await;
    let (secret, recovery) = enrol(&mut web).await;
    // The secret is never shown again.
    let p = web.get("/dashboard/security").await;
    assert!(!p.body.contains(&secret));
    assert!(p.body.contains("10 recovery codes left"), "{}", p.body);
    // Recovery codes are stored hashed.
    let stored = count(
        &gw,
        &format!(
            "SELECT COUNT(*) FROM gw_recovery_codes WHERE code_hash = '{}'",
            recovery[0]
        ),
    )
    .await;
    assert_eq!(stored, 0);

    // Creating an API key: a wrong code, then a fresh one; reusing it is refused.
    let keys = || count(&gw, "SELECT COUNT(*) FROM gw_api_keys");
    let before = keys().await;
    let p = web
        .post(
            "/dashboard/api-keys",
            &[("csrf", &csrf), ("name", "ci"), ("code", "000000")],
        )
        .await;
    assert_eq!(p.status, 403);
    // The enrolment's code (previous step) is used up.
    let used = code(&secret, -1);
    let p = web
        .post(
            "/dashboard/api-keys",
            &[("csrf", &csrf), ("name", "ci"), ("code", &used)],
        )
        .await;
    assert_eq!(p.status, 403);
    assert!(p.body.contains("already used"), "{}", p.body);
    assert_eq!(keys().await, before);
    let fresh = code(&secret, 0);
    let p = web
        .post(
            "/dashboard/api-keys",
            &[("csrf", &csrf), ("name", "ci"), ("code", &fresh)],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    let new_key = between(&p.body, r#"<code id="new-key">"#, "</code>").unwrap();
    assert!(new_key.starts_with("sk_"));
    assert_eq!(keys().await, before + 1);
    // The key works on the API, for this merchant.
    let r = reqwest::Client::new()
        .get(format!("http://{}/v1/merchant", gw.addr()))
        .bearer_auth(new_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<serde_json::Value>().await.unwrap()["id"], mid);
    // The same code again: replay refused.
    let p = web
        .post(
            "/dashboard/api-keys",
            &[("csrf", &csrf), ("name", "again"), ("code", &fresh)],
        )
        .await;
    assert_eq!(p.status, 403);
    assert_eq!(keys().await, before + 1);
    // The key is shown once: the list has its name and id, not the key.
    let p = web.get("/dashboard/api-keys").await;
    assert!(!p.body.contains(new_key));

    // Sign out; sign in again: the code is required before any page.
    let p = web.post("/dashboard/sign-out", &[("csrf", &csrf)]).await;
    assert_eq!(p.status, 303);
    let p = web.sign_in_evm(&key).await;
    assert_eq!(p.location.as_deref(), Some("/dashboard/sign-in/totp"));
    let p = web.get("/dashboard").await;
    assert_eq!(p.location.as_deref(), Some("/dashboard/sign-in/totp"));
    let p = web.get("/dashboard/sign-in/totp").await;
    let tcsrf = p.csrf();
    // Missing CSRF, a wrong code, the used code: refused.
    let next = code(&secret, 1);
    assert_eq!(
        web.post("/dashboard/sign-in/totp", &[("code", &next)])
            .await
            .status,
        403
    );
    assert_eq!(
        web.post(
            "/dashboard/sign-in/totp",
            &[("csrf", &tcsrf), ("code", "999999")]
        )
        .await
        .status,
        401
    );
    assert_eq!(
        web.post(
            "/dashboard/sign-in/totp",
            &[("csrf", &tcsrf), ("code", &fresh)]
        )
        .await
        .status,
        401
    );
    assert_eq!(web.get("/dashboard").await.status, 303);
    let p = web
        .post(
            "/dashboard/sign-in/totp",
            &[("csrf", &tcsrf), ("code", &next)],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location.as_deref(), Some("/dashboard"));
    assert_eq!(web.get("/dashboard").await.status, 200);

    // A recovery code works once at sign-in.
    let csrf = web.session_csrf().await;
    web.post("/dashboard/sign-out", &[("csrf", &csrf)]).await;
    web.sign_in_evm(&key).await;
    let tcsrf = web.get("/dashboard/sign-in/totp").await.csrf();
    let p = web
        .post(
            "/dashboard/sign-in/totp",
            &[("csrf", &tcsrf), ("code", &recovery[3])],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(web.get("/dashboard").await.status, 200);
    let csrf = web.session_csrf().await;
    web.post("/dashboard/sign-out", &[("csrf", &csrf)]).await;
    web.sign_in_evm(&key).await;
    let tcsrf = web.get("/dashboard/sign-in/totp").await.csrf();
    let p = web
        .post(
            "/dashboard/sign-in/totp",
            &[("csrf", &tcsrf), ("code", &recovery[3])],
        )
        .await;
    assert_eq!(p.status, 401);
    // A recovery code is no second factor for sensitive actions.
    let p = web
        .post(
            "/dashboard/sign-in/totp",
            &[("csrf", &tcsrf), ("code", &recovery[4])],
        )
        .await;
    assert_eq!(p.status, 303);
    let csrf = web.session_csrf().await;
    let p = web
        .post(
            "/dashboard/api-keys",
            &[("csrf", &csrf), ("name", "x"), ("code", &recovery[5])],
        )
        .await;
    assert_eq!(p.status, 403);
    let p = web.get("/dashboard/security").await;
    assert!(p.body.contains("8 recovery codes left"), "{}", p.body);
}

#[tokio::test]
async fn totp_sqlite() {
    totp_flow(Backend::Sqlite).await;
}

#[tokio::test]
async fn totp_postgres() {
    totp_flow(Backend::Postgres).await;
}

/// Inserts an invoice row for `merchant` (what the API would have created).
pub async fn invoice_row(
    gw: &Gateway,
    merchant: &str,
    id: &str,
    status: &str,
    amount: i64,
    desc: &str,
) {
    let now = now_ms();
    sqlx::query(
        "INSERT INTO gw_invoices (id, merchant_id, chain, address, amount, unique_amount, status, additional, paid, confirmed_paid, cancelled, active, created_block, created_at, expires_at, monitoring_until, updated_at, description, metadata, redirect_url) VALUES ($1, $2, 'anvil', $3, $4, $5, $6, 'none', $7, $7, 0, 0, 0, $8, $8, $8, $8, $9, '{}', NULL)",
    )
    .bind(id)
    .bind(merchant)
    .bind(format!("0x{:040x}", rand::random::<u64>()))
    .bind(amount)
    .bind(amount + 1)
    .bind(status)
    .bind(if status == "settled" { amount + 1 } else { 0 })
    .bind(now)
    .bind(desc)
    .execute(&gw.app().db.pool)
    .await
    .unwrap();
}

async fn tenants(backend: Backend) {
    let db = TestDb::new(backend).await;
    let gw = plain_gateway(&db, "").await;
    let (ka, kb) = (PrivateKeySigner::random(), PrivateKeySigner::random());
    let (ma, _) = merchant(&gw, "Shop A", ka.address()).await;
    let (mb, _) = merchant(&gw, "Shop B", kb.address()).await;
    invoice_row(
        &gw,
        &ma,
        "inv_a1",
        "settled",
        5_000_000,
        "=cmd|' /C calc'!A0",
    )
    .await;
    invoice_row(&gw, &ma, "inv_a2", "new", 7_000_000, "plain, with comma").await;
    invoice_row(&gw, &mb, "inv_b1", "settled", 9_000_000, "B's").await;
    let app = gw.app();
    let eb = webhooks::endpoints::create(app, &mb, &json!({ "url": "http://127.0.0.1:9/hook" }))
        .await
        .unwrap();
    let eb = eb["id"].as_str().unwrap().to_owned();
    let (kb_id, _) = stablerail_gateway::auth::create_key(&app.db, &mb, "b-key")
        .await
        .unwrap();
    let bank_b: String =
        sqlx::query("SELECT id FROM gw_bank_accounts WHERE merchant_id = $1 AND payout = 0")
            .bind(&mb)
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();

    let mut web = Web::new(&gw);
    web.sign_in_evm(&ka).await;
    steady_totp_window().await;
    let (secret, _) = enrol(&mut web).await;
    let csrf = web.session_csrf().await;

    // Lists show only A's rows; filters and CSV export.
    let p = web.get("/dashboard/invoices").await;
    assert!(p.body.contains("inv_a1") && p.body.contains("inv_a2"));
    assert!(!p.body.contains("inv_b1"));
    let p = web.get("/dashboard/invoices?status=settled").await;
    assert!(p.body.contains("inv_a1") && !p.body.contains("inv_a2"));
    assert_eq!(
        web.get("/dashboard/invoices?status=bogus").await.status,
        400
    );
    assert_eq!(
        web.get("/dashboard/invoices?from=yesterday").await.status,
        400
    );
    let csv = web.get("/dashboard/invoices.csv").await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(csv.body.starts_with("id,created_at,chain,status"));
    assert!(csv.body.contains("inv_a1,") && csv.body.contains("inv_a2,"));
    assert!(!csv.body.contains("inv_b1"));
    assert!(
        csv.body.contains(",'=cmd|"),
        "formula defused: {}",
        csv.body
    );
    assert!(csv.body.contains("\"plain, with comma\""));
    assert!(csv.body.contains(",5.000000,5.000001,5.000001,"));
    let csv = web.get("/dashboard/invoices.csv?status=new").await;
    assert_eq!(csv.body.lines().count(), 2);
    let p = web.get("/dashboard").await;
    assert!(p.body.contains("Shop A") && p.body.contains(r#"id="volume-chart""#));
    assert!(p.body.contains("5.000001"), "settled balance: {}", p.body);
    assert_eq!(web.get("/dashboard/orders").await.status, 200);
    assert!(
        web.get("/dashboard/orders.csv")
            .await
            .body
            .starts_with("id,created_at,kind")
    );

    // B's objects: 404 whatever the action, nothing changed.
    assert_eq!(
        web.get(&format!("/dashboard/webhooks/{eb}")).await.status,
        404
    );
    let c = code(&secret, 0);
    for (path, extra) in [
        (format!("/dashboard/webhooks/{eb}/secret"), c.clone()),
        (format!("/dashboard/webhooks/{eb}/rotate"), c.clone()),
        (format!("/dashboard/api-keys/{kb_id}/revoke"), c.clone()),
        (
            "/dashboard/deliveries/del_x/redeliver".to_owned(),
            c.clone(),
        ),
    ] {
        let p = web.post(&path, &[("csrf", &csrf), ("code", &extra)]).await;
        assert_eq!(p.status, 404, "{path}");
    }
    let p = web
        .post(
            "/dashboard/bank-accounts",
            &[("csrf", &csrf), ("account", &bank_b), ("code", &c)],
        )
        .await;
    assert_eq!(p.status, 404);
    assert_eq!(
        count(
            &gw,
            &format!(
                "SELECT COUNT(*) FROM gw_api_keys WHERE id = '{kb_id}' AND revoked_at IS NULL"
            )
        )
        .await,
        1
    );
    assert_eq!(
        count(
            &gw,
            &format!("SELECT COUNT(*) FROM gw_bank_accounts WHERE id = '{bank_b}' AND payout = 0")
        )
        .await,
        1
    );

    // A's own bank account: designated with a fresh code (the code above was not
    // used: every refusal came before the code check).
    let spare: String =
        sqlx::query("SELECT id FROM gw_bank_accounts WHERE merchant_id = $1 AND payout = 0")
            .bind(&ma)
            .fetch_one(&app.db.pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    let p = web
        .post(
            "/dashboard/bank-accounts",
            &[("csrf", &csrf), ("account", &spare), ("code", &c)],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(
        count(&gw, &format!("SELECT COUNT(*) FROM gw_bank_accounts WHERE merchant_id = '{ma}' AND payout = 1 AND id = '{spare}'")).await,
        1
    );
    // Without a code: refused.
    let p = web
        .post(
            "/dashboard/bank-accounts",
            &[("csrf", &csrf), ("account", &spare)],
        )
        .await;
    assert_eq!(p.status, 403);

    // A's webhook: reveal and rotate need a fresh code each; redeliver from the log.
    let ea = webhooks::endpoints::create(app, &ma, &json!({ "url": "http://127.0.0.1:9/hook" }))
        .await
        .unwrap();
    let ea_id = ea["id"].as_str().unwrap().to_owned();
    let secret_a = ea["secret"].as_str().unwrap().to_owned();
    let p = web.get(&format!("/dashboard/webhooks/{ea_id}")).await;
    assert_eq!(p.status, 200);
    assert!(!p.body.contains(&secret_a));
    let p = web
        .post(
            &format!("/dashboard/webhooks/{ea_id}/secret"),
            &[("csrf", &csrf), ("code", &c)],
        )
        .await;
    assert_eq!(p.status, 403, "the bank designation used this step");
    let c1 = code(&secret, 1);
    let p = web
        .post(
            &format!("/dashboard/webhooks/{ea_id}/secret"),
            &[("csrf", &csrf), ("code", &c1)],
        )
        .await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains(&secret_a));

    // CSRF on every form of a signed-in session.
    for path in [
        "/dashboard/role".to_owned(),
        "/dashboard/sign-out".to_owned(),
        "/dashboard/security/totp/begin".to_owned(),
        "/dashboard/security/totp/confirm".to_owned(),
        "/dashboard/api-keys".to_owned(),
        format!("/dashboard/webhooks/{ea_id}/secret"),
        format!("/dashboard/webhooks/{ea_id}/rotate"),
        "/dashboard/deliveries/x/redeliver".to_owned(),
        "/dashboard/bank-accounts".to_owned(),
        "/dashboard/api-keys/x/revoke".to_owned(),
    ] {
        let p = web
            .post(&path, &[("csrf", "0000"), ("code", "123456")])
            .await;
        assert_eq!(p.status, 403, "{path}");
        assert!(p.body.contains("security token"), "{path}");
    }
    // Another session's token is not this session's.
    let mut web_b = Web::new(&gw);
    web_b.sign_in_evm(&kb).await;
    let csrf_b = web_b.session_csrf().await;
    assert_ne!(csrf_b, csrf);
    let p = web.post("/dashboard/sign-out", &[("csrf", &csrf_b)]).await;
    assert_eq!(p.status, 403);
}

#[tokio::test]
async fn tenants_sqlite() {
    tenants(Backend::Sqlite).await;
}

#[tokio::test]
async fn tenants_postgres() {
    tenants(Backend::Postgres).await;
}

pub async fn exec(gw: &Gateway, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&gw.app().db.pool)
        .await
        .unwrap();
}

/// The indexer's and the gateway's rows of a small platform around the wallet `addr`
/// (acceptor and agent on `anvil`) and the merchant `m2` (escrow account `e2`, referred
/// by `addr`, bank accounts `banks`, payout first): deals 7 (collection, `addr`
/// sells), 8 (payout assigned to `addr`), 9 (payout of another acceptor), 10
/// (disputed two hours ago), conservation holding at 300 USDT, a day of volume and
/// fees, one commission.
pub async fn seed_platform(
    gw: &Gateway,
    addr: &str,
    e2: &str,
    m2: &str,
    banks: &[(String, String)],
) -> i64 {
    let stranger = "0x00000000000000000000000000000000000000cc";
    let now = now_ms() / 1000;
    let today = now / 86_400;
    exec(gw, &format!(
        "INSERT INTO escrow_accounts (chain, address, available, locked, roles, agent, merchant_volume, agent_volume, kyc_level, region, deposited, withdrawn) VALUES
         ('anvil', '{addr}', '250000000', '40000000', 6, NULL, '0', '1234000000', 1, 1, '290000000', '0'),
         ('anvil', '{e2}', '10000000', '0', 1, '{addr}', '5000000', '0', 1, 1, '10000000', '0')"
    )).await;
    exec(
        gw,
        r#"INSERT INTO escrow_settings (chain, liabilities, fee_schedule) VALUES ('anvil', '300000000', '{"event":"FeeScheduleSet","merchant_tiers":[{"threshold":0,"bps":100}],"agent_tiers":[{"threshold":0,"bps":2000},{"threshold":50000000000,"bps":3000}],"trader_reward_bps":1000}')"#,
    )
    .await;
    exec(gw, &format!(
        "INSERT INTO deals (chain, deal_id, kind, seller, buyer, merchant, amount, state, payment_window, deadline, order_ref, order_id, opened_block, opened_time, disputed_at) VALUES
         ('anvil', 7, 'collection', '{addr}', '{e2}', '{e2}', '40000000', 'open', 1800, {d7}, '0x07', NULL, 1, 1, NULL),
         ('anvil', 8, 'payout', '{e2}', '{addr}', '{e2}', '3000000', 'open', 1800, {d7}, '0x08', NULL, 1, 1, NULL),
         ('anvil', 9, 'payout', '{e2}', '{stranger}', '{e2}', '2000000', 'open', 1800, {d7}, '0x09', NULL, 1, 1, NULL),
         ('anvil', 10, 'collection', '{stranger}', '{e2}', '{e2}', '1000000', 'disputed', 1800, {d7}, '0x0a', NULL, 1, 1, {dis})",
        d7 = now + 3600,
        dis = now - 7300,
    )).await;
    for (id, deal, acceptor, bank) in [
        ("ord_8", 8, addr, &banks[0].0),
        ("ord_9", 9, stranger, &banks[1].0),
    ] {
        exec(gw, &format!(
            "INSERT INTO gw_orders (id, merchant_id, kind, chain, amount, payment_window, order_ref, status, deal_id, acceptor, bank_account_id, dispatch_after, error, created_at, updated_at) VALUES ('{id}', '{m2}', 'payout', 'anvil', 3000000, 1800, '{id}', 'assigned', {deal}, '{acceptor}', '{bank}', 0, NULL, 0, 0)"
        )).await;
    }
    // A settled deal of `m2`'s escrow account, with its fee parts.
    exec(
        gw,
        &format!(
            "UPDATE gw_merchant_chains SET escrow_account = '{e2}' WHERE merchant_id = '{m2}'"
        ),
    )
    .await;
    exec(gw, &format!(
        "INSERT INTO deals (chain, deal_id, kind, seller, buyer, merchant, amount, state, payment_window, deadline, order_ref, order_id, opened_block, opened_time, closed_block, closed_time, settled_amount, fee, agent_cut, reward, platform) VALUES
         ('anvil', 11, 'collection', '{stranger}', '{e2}', '{e2}', '4000000', 'released', 1800, {now}, '0x0b', NULL, 1, 1, 2, {now}, '4000000', '40000', '4000', '0', '36000')"
    )).await;
    exec(gw, &format!(
        "INSERT INTO daily_volume (chain, address, day, amount, count, fees) VALUES ('anvil', '{e2}', {midnight}, '5000000', 1, '50000')",
        midnight = today * 86_400
    )).await;
    exec(gw, &format!(
        "INSERT INTO agent_commissions (chain, block_number, log_index, block_time, deal_id, agent, merchant, gross, amount) VALUES ('anvil', 1, 0, {now}, 3, '{addr}', '{e2}', '5000000', '25000')"
    )).await;
    now
}

/// A wallet that is a merchant, an acceptor, an agent and the operator: each page
/// with the indexer's rows it reads, and only its own deals' bank details.
async fn roles(backend: Backend) {
    let db = TestDb::new(backend).await;
    let key = PrivateKeySigner::random();
    let addr = format!("{:#x}", key.address());
    let gw = plain_gateway(&db, &format!(r#"operators = ["{}"]"#, key.address())).await;
    merchant(&gw, "Carol Shop", key.address()).await;
    // Another merchant, referred by the wallet, with its payout bank account.
    let other = PrivateKeySigner::random();
    let (m2, _) = merchant(&gw, "Dave Shop", other.address()).await;
    let banks: Vec<(String, String)> = sqlx::query(
        "SELECT id, account FROM gw_bank_accounts WHERE merchant_id = $1 ORDER BY payout DESC",
    )
    .bind(&m2)
    .fetch_all(&gw.app().db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
    .collect();
    let e2 = format!("{:#x}", other.address());
    let now = seed_platform(&gw, &addr, &e2, &m2, &banks).await;
    let today = now / 86_400;
    let today_label = time::OffsetDateTime::from_unix_timestamp(today * 86_400)
        .unwrap()
        .date()
        .to_string();

    // The wallet is registered with the dispatcher (present, heartbeat now), and the
    // real selector decided the payout `ord_8` while its on-chain flag is off.
    exec(&gw, &format!(
        "INSERT INTO gw_acceptors (id, chain, address, name, currencies, min_amount, max_amount, priority, target_share_bps, target_volume, online, last_heartbeat, created_at) VALUES ('acc_carol', 'anvil', '{addr}', 'Carol Liquidity', '', 0, 0, 0, 0, 0, 1, {ms}, 0)",
        ms = now_ms()
    )).await;
    {
        use stablerail_gateway::orders::{
            acceptor::{AcceptorSelector, OrderAsk},
            decisions,
            selector::EngineSelector,
            settings::DispatchSettings,
        };
        let excluded = std::collections::BTreeSet::new();
        let ask = OrderAsk {
            id: "ord_8",
            merchant_id: &m2,
            kind: "payout",
            chain: "anvil",
            amount: 3_000_000,
            currency: "EUR",
            excluded: &excluded,
        };
        let db = &gw.app().db;
        let d = EngineSelector::new(DispatchSettings::default())
            .decide(db, &ask)
            .await
            .unwrap();
        assert_eq!(d.chosen, None, "the wallet's on-chain online flag is off");
        let mut tx = db.begin().await.unwrap();
        decisions::insert(
            &mut tx,
            "ord_8",
            &m2,
            "anvil",
            &d,
            decisions::outcome::NO_CANDIDATE,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
    }

    let mut web = Web::new(&gw);
    web.sign_in_evm(&key).await;
    let p = web.get("/dashboard").await;
    assert!(p.body.contains("Carol Shop"));
    for role in [
        "Acceptor on anvil",
        "Agent on anvil",
        "Merchant: Carol Shop",
        ">Operator<",
    ] {
        assert!(p.body.contains(role), "{role}: {}", p.body);
    }
    let csrf = p.csrf();
    let shared = web.clone();
    let switch = |role: &'static str| {
        let mut web = shared.clone();
        let csrf = csrf.clone();
        async move {
            let p = web
                .post("/dashboard/role", &[("csrf", &csrf), ("role", role)])
                .await;
            (p.status, web.get("/dashboard").await.body)
        }
    };
    // A role the wallet does not hold.
    assert_eq!(switch("merchant:mer_other").await.0, 403);

    // Acceptor: account, limits, its deals with countdown and command, and only
    // the bank details of the payout assigned to it.
    let (status, body) = switch("acceptor:anvil").await;
    assert_eq!(status, 303);
    assert!(body.contains("250.000000"), "{body}");
    assert!(body.contains(&format!(r#"data-deadline="{}""#, now + 3600)));
    assert!(body.contains("deal release --deal 7"), "{body}");
    assert!(body.contains("deal mark-paid --deal 8"), "{body}");
    assert!(
        body.contains(
            "acceptor set-limits --online true --max-per-deal 0.000000 --max-locked 0.000000"
        ),
        "{body}"
    );
    assert!(
        body.contains(&banks[0].1),
        "its payout's bank account: {body}"
    );
    assert!(
        !body.contains(&banks[1].1),
        "another acceptor's payout bank account"
    );
    assert!(!body.contains("--deal 9") && !body.contains("--deal 10"));
    // Its standing with the dispatcher: not eligible while its own flag is off;
    // no completed or failed deal in the window yet.
    let standing = between(&body, r#"<table id="standing">"#, "</table>").expect("standing");
    assert!(standing.contains("Carol Liquidity"), "{standing}");
    assert!(standing.contains(r#"class="error">offline"#), "{standing}");
    assert!(standing.contains("<td class=\"num\">–</td>"), "{standing}");
    assert_eq!(web.get("/dashboard/invoices").await.status, 403);

    // Agent: referred merchants, volume, commissions per day.
    let (_, body) = switch("agent:anvil").await;
    assert!(body.contains("1234.000000"), "{body}");
    assert!(body.contains(&e2) && body.contains("5.000000"));
    assert!(
        body.contains(&format!("<title>{today_label}: 0.025000 USDT</title>")),
        "{body}"
    );
    // Its tier: 1,234 of the 50,000 USDT that reach the 30 % tier.
    assert!(
        body.contains(
            r#"<dd id="agent-tier-current">20.00 % of the fee (from 0.000000 USDT)</dd>"#
        ),
        "{body}"
    );
    assert!(
        body.contains(r#"<dd id="agent-tier-needed">48766.000000 USDT</dd>"#),
        "{body}"
    );

    // Operator: conservation (liabilities 300 = 250 + 40 + 10 available and locked),
    // volume and fees per day, disputes with their age.
    // The referred merchant's own session: its settlements with the fee parts.
    let mut dave = Web::new(&gw);
    dave.sign_in_evm(&other).await;
    let p = dave.get("/dashboard/settlements").await;
    assert_eq!(p.status, 200);
    for part in ["4.000000", "0.040000", "0.004000", "0.036000"] {
        assert!(p.body.contains(part), "{part}: {}", p.body);
    }
    let (_, body) = switch("operator").await;
    assert!(body.contains(r#"class="ok">holds"#), "{body}");
    // Invoices, orders and deliveries by status (the counts kept as rows change):
    // the same figures as counting the tables.
    let table = between(&body, r#"<table id="counts">"#, "</table>").expect("counts");
    let mut expected = String::new();
    for (what, t) in [
        ("invoices", "gw_invoices"),
        ("orders", "gw_orders"),
        ("webhook deliveries", "gw_deliveries"),
    ] {
        for r in sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT status, CAST(COUNT(*) AS BIGINT) FROM {t} GROUP BY status ORDER BY status"
        )))
        .fetch_all(&gw.app().db.pool)
        .await
        .unwrap()
        {
            expected.push_str(&format!(
                r#"<tr><td>{what}</td><td>{}</td><td class="num">{}</td></tr>"#,
                r.get::<String, _>(0),
                r.get::<i64, _>(1)
            ));
        }
    }
    assert!(expected.contains("<td>orders</td>"), "{expected}");
    assert!(
        table.contains(&format!("<tbody>{expected}</tbody>")),
        "{table}"
    );
    assert!(
        body.contains(&format!("<title>{today_label}: 0.050000 USDT</title>")),
        "{body}"
    );
    assert!(body.contains("2 h"), "{body}");
    let treasury = between(&body, r#"<table id="treasury">"#, "</table>").expect("treasury");
    assert!(
        treasury.contains(r#"<td class="num fees">0.036000</td>"#),
        "{treasury}"
    );
    assert!(body.contains(r#"id="no-proposals""#), "{body}");
    // The dispatcher: every registered acceptor's standing, and the decision log.
    let acceptors = between(&body, r#"<table id="acceptors">"#, "</table>").expect("acceptors");
    assert!(acceptors.contains("Carol Liquidity") && acceptors.contains("offline"));
    let log = between(&body, r#"<table id="decisions">"#, "</table>").expect("decisions");
    for cell in ["ord_8", "no_candidate", "nobody", "success_rate"] {
        assert!(log.contains(cell), "{cell}: {log}");
    }
    exec(&gw, "UPDATE escrow_settings SET liabilities = '300000001'").await;
    let body = web.get("/dashboard").await.body;
    assert!(body.contains(r#"class="error">BROKEN"#), "{body}");
}

#[tokio::test]
async fn roles_sqlite() {
    roles(Backend::Sqlite).await;
}

#[tokio::test]
async fn roles_postgres() {
    roles(Backend::Postgres).await;
}

#[tokio::test]
async fn totp_throttled_after_wrong_codes() {
    let db = TestDb::new(Backend::Sqlite).await;
    let gw = plain_gateway(&db, "").await;
    let key = PrivateKeySigner::random();
    let mut web = Web::new(&gw);
    web.sign_in_evm(&key).await;
    steady_totp_window().await;
    let (secret, _) = enrol(&mut web).await;
    let csrf = web.session_csrf().await;
    web.post("/dashboard/sign-out", &[("csrf", &csrf)]).await;
    web.sign_in_evm(&key).await;
    let tcsrf = web.get("/dashboard/sign-in/totp").await.csrf();
    for _ in 0..totp::FREE_FAILURES {
        let p = web
            .post(
                "/dashboard/sign-in/totp",
                &[("csrf", &tcsrf), ("code", "000000")],
            )
            .await;
        assert_eq!(p.status, 401);
        assert!(p.body.contains("Wrong code"), "{}", p.body);
    }
    // Now even the right code is refused, without being looked at.
    let right = code(&secret, 0);
    let p = web
        .post(
            "/dashboard/sign-in/totp",
            &[("csrf", &tcsrf), ("code", &right)],
        )
        .await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("Too many"), "{}", p.body);
    assert_eq!(web.get("/dashboard").await.status, 303);
    let blocked = count(
        &gw,
        &format!(
            "SELECT COUNT(*) FROM gw_totp WHERE failures = {} AND blocked_until > {}",
            totp::FREE_FAILURES,
            now_ms() + 50_000
        ),
    )
    .await;
    assert_eq!(blocked, 1);
    // The block ends (time passes): the right code works and the count resets.
    sqlx::query("UPDATE gw_totp SET blocked_until = 0")
        .execute(&gw.app().db.pool)
        .await
        .unwrap();
    let p = web
        .post(
            "/dashboard/sign-in/totp",
            &[("csrf", &tcsrf), ("code", &right)],
        )
        .await;
    assert_eq!(p.status, 303);
    assert_eq!(
        count(&gw, "SELECT COUNT(*) FROM gw_totp WHERE failures = 0").await,
        1
    );
}

#[tokio::test]
async fn totp_secret_sealed_at_rest() {
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("totp.key");
    std::fs::write(&key_file, hex::encode(rand::random::<[u8; 32]>())).unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let gw = plain_gateway(
        &db,
        &format!(r#"secret_key_file = "{}""#, key_file.display()),
    )
    .await;
    let key = PrivateKeySigner::random();
    let mut web = Web::new(&gw);
    web.sign_in_evm(&key).await;
    steady_totp_window().await;
    let (secret, _) = enrol(&mut web).await;
    let stored: String = sqlx::query("SELECT secret FROM gw_totp")
        .fetch_one(&gw.app().db.pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(stored.starts_with("enc:v1:"), "{stored}");
    assert!(!stored.contains(&secret));
    // The sealed secret opens: sign-in with a code works.
    let csrf = web.session_csrf().await;
    web.post("/dashboard/sign-out", &[("csrf", &csrf)]).await;
    web.sign_in_evm(&key).await;
    let tcsrf = web.get("/dashboard/sign-in/totp").await.csrf();
    let p = web
        .post(
            "/dashboard/sign-in/totp",
            &[("csrf", &tcsrf), ("code", &code(&secret, 0))],
        )
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    // A key file that is not a key stops the gateway at start.
    std::fs::write(&key_file, "not a key").unwrap();
    let text = format!(
        r#"
[dashboard]
secret_key_file = "{}"
[chains.anvil]
chain_id = 1
[indexer.chains.anvil]
kind = "evm"
rpc_urls = ["http://127.0.0.1:9"]
usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
"#,
        key_file.display()
    );
    assert!(stablerail_gateway::Config::parse(&text).is_err());
}

/// With 100k invoices of one merchant every page still answers, a filter finds
/// only its rows, and the CSV export holds them all (the time per page is a figure
/// of `make bench`: gateway/examples/dashboard_bench.rs).
#[tokio::test]
async fn pages_with_100k_invoices() {
    let db = TestDb::new(Backend::Sqlite).await;
    let gw = plain_gateway(&db, "").await;
    let key = PrivateKeySigner::random();
    let (m, _) = merchant(&gw, "Big Shop", key.address()).await;
    let now = now_ms();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
         INSERT INTO gw_invoices (id, merchant_id, chain, address, amount, unique_amount, status, additional, paid, confirmed_paid, cancelled, active, created_block, created_at, expires_at, monitoring_until, updated_at, description, metadata, redirect_url)
         SELECT 'inv_bulk_' || i, $1, 'anvil', '0x00000000000000000000000000000000000000aa', 1000000 + i, 1000000 + i,
                CASE i % 4 WHEN 0 THEN 'settled' WHEN 1 THEN 'new' WHEN 2 THEN 'expired' ELSE 'processing' END,
                'none', CASE i % 4 WHEN 0 THEN 1000000 + i ELSE 0 END, 0, 0, 0, 0,
                $2 - i * 6000, $2 - i * 6000, $2 - i * 6000, $2 - i * 6000, 'bulk', '{}', NULL
         FROM n",
    )
    .bind(&m)
    .bind(now)
    .execute(&gw.app().db.pool)
    .await
    .unwrap();
    let mut web = Web::new(&gw);
    web.sign_in_evm(&key).await;
    for path in [
        "/dashboard",
        "/dashboard/invoices",
        "/dashboard/invoices?status=new&from=2000-01-01",
    ] {
        assert_eq!(web.get(path).await.status, 200, "{path}");
    }
    let p = web.get("/dashboard/invoices?status=settled").await;
    assert_eq!(p.status, 200);
    // Newest first: the last one written is settled, the one before is not.
    assert!(p.body.contains("inv_bulk_100000\""), "{}", p.body);
    assert!(!p.body.contains("inv_bulk_99999\""), "{}", p.body);
    let csv = web.get("/dashboard/invoices.csv").await;
    assert_eq!(csv.body.lines().count(), 100_001);
}

/// `stablerail-gateway sign-message`: the sign-in path of a wallet without a browser
/// extension: the page's message on stdin, the key in a variable, the signature out.
#[tokio::test]
async fn sign_in_with_the_gateway_cli_signature() {
    let db = TestDb::new(Backend::Sqlite).await;
    let gw = plain_gateway(&db, "").await;
    let key_hex = hex::encode(rand::random::<[u8; 32]>());
    for kind in ["evm", "tron", "solana"] {
        let (address, _) = stablerail_gateway::session::sign::sign(
            stablerail_gateway::session::message::WalletKind::parse(kind).unwrap(),
            &key_hex,
            "",
        )
        .unwrap();
        let mut web = Web::new(&gw);
        let (csrf, msg) = web.challenge(kind, &address).await;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_stablerail-gateway"))
            .args([
                "sign-message",
                "--kind",
                kind,
                "--key-env",
                "SR_TEST_WALLET_KEY",
            ])
            .env("SR_TEST_WALLET_KEY", &key_hex)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        // As saved from the page: with a final line end.
        writeln!(child.stdin.take().unwrap(), "{msg}").unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{kind}");
        let sig = String::from_utf8(out.stdout).unwrap();
        let p = web.submit(&csrf, &msg, sig.trim()).await;
        assert_eq!(p.status, 303, "{kind}: {}", p.body);
        assert_eq!(web.get("/dashboard").await.status, 200, "{kind}");
    }
}
