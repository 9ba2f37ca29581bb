//! The merchant dashboard in a real headless browser: Debian's chromium driven
//! through chromedriver (WebDriver, `fantoccini`). `make tools` installs both
//! (tools/install.sh). The test signs the EIP-4361 message the page shows with a
//! test wallet key and pastes the signature into the page's form, enrols TOTP from
//! the page, signs out, signs in again with a code, creates an API key, exports the
//! invoices as CSV, watches an open invoice's row turn settled without a reload, and
//! tries another merchant's page; then switches to the wallet's acceptor, agent and
//! operator roles from the page. Screenshots of the pages go to
//! `<target>/tmp/dashboard-screenshots/` (looked at by people, not compared).

use std::{path::PathBuf, process::Stdio, time::Duration};

use alloy::signers::local::PrivateKeySigner;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use sqlx::Row;
use stablerail_gateway::webhooks;
use tokio::process::{Child, Command};

use crate::{
    common::{Backend, TestDb, merchant},
    dashboard::{code, evm_sign, invoice_row, plain_gateway, seed_platform, steady_totp_window},
};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// chromedriver on a free port, killed with this value.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    async fn start() -> Self {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists() && std::path::Path::new(CHROMIUM).exists(),
            "{CHROMIUM} and {CHROMEDRIVER} are required: run `make tools` (tools/install.sh installs Debian's chromium and chromium-driver)"
        );
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let child = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("chromedriver starts");
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    async fn client(&self) -> Client {
        let caps = json!({
            "goog:chromeOptions": {
                "binary": CHROMIUM,
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"],
            }
        });
        let caps = match caps {
            serde_json::Value::Object(m) => m,
            _ => unreachable!(),
        };
        // chromedriver listens on loopback over plain HTTP: no TLS stack needed.
        ClientBuilder::new(HttpConnector::new())
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
    }
}

fn shots_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("dashboard-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn shot(c: &Client, name: &str) {
    let png = c.screenshot().await.unwrap();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    std::fs::write(shots_dir().join(format!("{name}.png")), png).unwrap();
}

async fn path_of(c: &Client) -> String {
    c.current_url().await.unwrap().path().to_owned()
}

/// The text of the element `css`, waiting for it (and retrying when a navigation
/// replaced it between finding and reading).
async fn text(c: &Client, css: &str) -> String {
    let mut last = String::new();
    for _ in 0..100 {
        match c.find(Locator::Css(css)).await {
            Ok(e) => match e.text().await {
                Ok(t) => return t,
                Err(err) => last = err.to_string(),
            },
            Err(err) => last = err.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: {last}");
}

/// Signs in from the page: the address typed, the page's message signed by `key`
/// here, the signature pasted into the page's form.
async fn sign_in(c: &Client, base: &str, key: &PrivateKeySigner) {
    sign_in_as(c, base, "evm", &key.address().to_checksum(None), |m| {
        evm_sign(key, m)
    })
    .await;
}

/// Signs in from the page as a wallet of `kind` (the radio button chosen, the
/// address typed), the shown message signed by `sign` and pasted into the form.
async fn sign_in_as(
    c: &Client,
    base: &str,
    kind: &str,
    address: &str,
    sign: impl Fn(&str) -> String,
) {
    c.goto(&format!("{base}/dashboard/sign-in")).await.unwrap();
    c.find(Locator::Css(&format!("input[name=kind][value={kind}]")))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Id("address"))
        .await
        .unwrap()
        .send_keys(address)
        .await
        .unwrap();
    c.find(Locator::Id("continue"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let message = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Id("message"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    let account = match kind {
        "evm" => "Ethereum",
        "tron" => "TRON",
        _ => "Solana",
    };
    assert!(
        message.contains(&format!(
            "wants you to sign in with your {account} account:\n{address}\n"
        )),
        "{message}"
    );
    c.find(Locator::Id("signature"))
        .await
        .unwrap()
        .send_keys(&sign(&message))
        .await
        .unwrap();
    c.find(Locator::Id("sign-in"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // The form's answer: a redirect to the dashboard (or its code page), or the
    // refusal at the sign-in path.
    wait_path(c, |p| p != "/dashboard/sign-in/challenge").await;
}

/// Waits until the page's path satisfies `ok` (a form's answer has loaded).
async fn wait_path(c: &Client, ok: impl Fn(&str) -> bool) {
    for _ in 0..100 {
        if ok(&path_of(c).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("still at {}", path_of(c).await);
}

#[tokio::test]
async fn merchant_dashboard_in_chromium() {
    let db = TestDb::new(Backend::Sqlite).await;
    let key = PrivateKeySigner::random();
    // The test wallet is also the operator (and, below, an acceptor and an agent).
    let gw = plain_gateway(&db, &format!(r#"operators = ["{}"]"#, key.address())).await;
    let base = format!("http://{}", gw.addr());
    let (ma, _) = merchant(&gw, "Alice Shop", key.address()).await;
    let bob = PrivateKeySigner::random().address();
    let (mb, _) = merchant(&gw, "Bob Shop", bob).await;
    invoice_row(&gw, &ma, "inv_browser_1", "settled", 12_000_000, "Blue mug").await;
    invoice_row(&gw, &ma, "inv_browser_2", "new", 3_500_000, "Tea, green").await;
    invoice_row(&gw, &mb, "inv_other_b", "settled", 1_000_000, "B").await;
    let eb =
        webhooks::endpoints::create(gw.app(), &mb, &json!({ "url": "http://127.0.0.1:9/hook" }))
            .await
            .unwrap();

    let driver = Driver::start().await;
    let c = driver.client().await;

    // Sign in with the wallet's signature (no TOTP yet): the merchant's overview.
    sign_in(&c, &base, &key).await;
    assert_eq!(path_of(&c).await, "/dashboard");
    assert!(text(&c, "main h1").await.contains("Alice Shop"));
    assert!(text(&c, "#balances").await.contains("12.000001"));
    shot(&c, "merchant-overview").await;

    // Enrol TOTP: the QR code loads (an image served by the gateway), the key is
    // read from the page, the first code turns it on, recovery codes are shown.
    steady_totp_window().await;
    c.goto(&format!("{base}/dashboard/security")).await.unwrap();
    c.find(Locator::Id("totp-begin"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let secret = text(&c, "#totp-secret").await;
    let qr_width = c
        .execute(
            "return document.querySelector('figure img').naturalWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(qr_width.as_u64().unwrap_or(0) > 0, "the QR code loaded");
    shot(&c, "totp-enrolment").await;
    c.find(Locator::Id("code"))
        .await
        .unwrap()
        .send_keys(&code(&secret, -1))
        .await
        .unwrap();
    c.find(Locator::Id("confirm"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let codes = text(&c, "#recovery-codes").await;
    assert_eq!(codes.lines().filter(|l| !l.trim().is_empty()).count(), 10);

    // Sign out, sign in again: now the code is asked.
    c.find(Locator::Id("sign-out"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, |p| p == "/dashboard/sign-in").await;
    c.goto(&format!("{base}/dashboard")).await.unwrap();
    assert_eq!(path_of(&c).await, "/dashboard/sign-in");
    sign_in(&c, &base, &key).await;
    assert_eq!(path_of(&c).await, "/dashboard/sign-in/totp");
    c.find(Locator::Id("code"))
        .await
        .unwrap()
        .send_keys(&code(&secret, 0))
        .await
        .unwrap();
    c.find(Locator::Id("verify"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, |p| p == "/dashboard").await;

    // Create an API key with a fresh code: shown once.
    c.goto(&format!("{base}/dashboard/api-keys")).await.unwrap();
    c.find(Locator::Id("key-name"))
        .await
        .unwrap()
        .send_keys("browser test")
        .await
        .unwrap();
    c.find(Locator::Id("key-code"))
        .await
        .unwrap()
        .send_keys(&code(&secret, 1))
        .await
        .unwrap();
    c.find(Locator::Id("create-key-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let new_key = text(&c, "#new-key").await;
    assert!(new_key.starts_with("sk_"), "{new_key}");
    shot(&c, "api-key-created").await;

    // Invoices: filter, then the CSV export of the page's link (fetched by the
    // page itself, with its session cookie).
    c.goto(&format!("{base}/dashboard/invoices?status=settled"))
        .await
        .unwrap();
    let table = text(&c, "#invoices").await;
    assert!(table.contains("inv_browser_1") && !table.contains("inv_browser_2"));
    c.goto(&format!("{base}/dashboard/invoices")).await.unwrap();
    let csv = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.getElementById('export-csv').href).then(r => r.text()).then(done);",
            vec![],
        )
        .await
        .unwrap();
    let csv = csv.as_str().unwrap();
    assert!(csv.starts_with("id,created_at,chain,status"), "{csv}");
    assert!(csv.contains("inv_browser_1") && csv.contains("inv_browser_2"));
    assert!(csv.contains("\"Tea, green\""));
    assert!(!csv.contains("inv_other_b"));

    // An open invoice's row follows its state without a reload.
    c.execute("window.notReloaded = true; return null;", vec![])
        .await
        .unwrap();
    sqlx::query("UPDATE gw_invoices SET status = 'settled', paid = unique_amount, confirmed_paid = unique_amount WHERE id = 'inv_browser_2'")
        .execute(&gw.app().db.pool)
        .await
        .unwrap();
    let mut settled = false;
    for _ in 0..50 {
        let s = text(&c, r#"tr[data-invoice="inv_browser_2"] .status"#).await;
        if s == "settled" {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(settled, "the row turned settled");
    let same_page = c
        .execute("return window.notReloaded === true;", vec![])
        .await
        .unwrap();
    assert_eq!(same_page, serde_json::Value::Bool(true), "without a reload");

    // Phone-sized screen.
    c.set_window_size(390, 844).await.unwrap();
    c.goto(&format!("{base}/dashboard/invoices")).await.unwrap();
    shot(&c, "merchant-invoices-phone").await;
    c.set_window_size(1280, 900).await.unwrap();

    // Another merchant's webhook endpoint: not found.
    c.goto(&format!(
        "{base}/dashboard/webhooks/{}",
        eb["id"].as_str().unwrap()
    ))
    .await
    .unwrap();
    assert_eq!(text(&c, "#error").await, "Not found.");

    // The other roles of the wallet, switched from the page: each main page.
    let banks: Vec<(String, String)> = sqlx::query(
        "SELECT id, account FROM gw_bank_accounts WHERE merchant_id = $1 ORDER BY payout DESC",
    )
    .bind(&mb)
    .fetch_all(&gw.app().db.pool)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1)))
    .collect();
    seed_platform(
        &gw,
        &format!("{:#x}", key.address()),
        &format!("{bob:#x}"),
        &mb,
        &banks,
    )
    .await;
    // Tall enough to hold each role's whole main page in its screenshot.
    c.set_window_size(1280, 2400).await.unwrap();
    for (role, shot_name, heading) in [
        ("acceptor:anvil", "acceptor", "Acceptor on anvil"),
        ("agent:anvil", "agent", "Agent on anvil"),
        ("operator", "operator", "Operator"),
    ] {
        c.goto(&format!("{base}/dashboard")).await.unwrap();
        c.find(Locator::Id("role"))
            .await
            .unwrap()
            .select_by_value(role)
            .await
            .unwrap();
        c.find(Locator::Css("form[action='/dashboard/role'] button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let mut h1 = String::new();
        for _ in 0..50 {
            h1 = text(&c, "main h1").await;
            if h1 == heading {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(h1, heading);
        if role == "acceptor:anvil" {
            // The deadline counts down (the page's script).
            let first = text(&c, "time.countdown").await;
            assert!(first.ends_with("s left"), "{first}");
        }
        shot(&c, shot_name).await;
    }

    c.close().await.unwrap();
}

/// TRON and Solana wallets sign in from the page: the message the page shows is
/// signed here by independent code (TRON: secp256k1 over signMessageV2's digest,
/// `keccak256("\x19TRON Signed Message:\n" || len || message)` computed in this test;
/// Solana: ed25519-dalek) and pasted into the form. Each lands on its dashboard
/// with its own address; a wrong signature pasted in the page is refused.
#[tokio::test]
async fn tron_and_solana_sign_in_in_chromium() {
    use alloy::{primitives::keccak256, signers::SignerSync};
    use ed25519_dalek::{Signer, SigningKey};
    use stablerail_sdk::tron::Address as TronAddress;

    let db = TestDb::new(Backend::Sqlite).await;
    let gw = plain_gateway(&db, "").await;
    let base = format!("http://{}", gw.addr());
    let driver = Driver::start().await;
    let c = driver.client().await;

    let tron_key = PrivateKeySigner::random();
    let tron = TronAddress::from_evm_bytes(tron_key.address().into_array()).to_base58();
    let tron_sign = |m: &str| {
        let mut data = format!("\x19TRON Signed Message:\n{}", m.len()).into_bytes();
        data.extend_from_slice(m.as_bytes());
        hex::encode(
            tron_key
                .sign_hash_sync(&keccak256(&data))
                .unwrap()
                .as_bytes(),
        )
    };
    // A wrong signature (an EIP-191 one) pasted into the page: refused, no session.
    sign_in_as(&c, &base, "tron", &tron, |m| evm_sign(&tron_key, m)).await;
    assert_eq!(path_of(&c).await, "/dashboard/sign-in");
    assert!(text(&c, "#error").await.contains("not made by"));
    sign_in_as(&c, &base, "tron", &tron, tron_sign).await;
    assert_eq!(path_of(&c).await, "/dashboard");
    assert!(text(&c, "#no-role").await.contains(&tron));
    shot(&c, "tron-signed-in").await;
    c.find(Locator::Id("sign-out"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, |p| p == "/dashboard/sign-in").await;

    let sk = SigningKey::from_bytes(&rand::random());
    let sol = bs58::encode(sk.verifying_key().to_bytes()).into_string();
    sign_in_as(&c, &base, "solana", &sol, |m| {
        bs58::encode(sk.sign(m.as_bytes()).to_bytes()).into_string()
    })
    .await;
    assert_eq!(path_of(&c).await, "/dashboard");
    assert!(text(&c, "#no-role").await.contains(&sol));
    shot(&c, "solana-signed-in").await;
    c.close().await.unwrap();
}
