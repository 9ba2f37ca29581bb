//! The gateway as an account's co-signer, on anvil with the platform deployed and
//! the embedded indexer: the owner names the gateway's co-signer address, signs in,
//! enrols TOTP, and gets an approval for a withdrawal beyond its daily allowance only
//! with a fresh code; the approval works on chain. An account that names another
//! co-signer gets nothing. The same on TRON: the escrow's bytecode on anvil behind a
//! TRON node's HTTP API (`tron_node`), a TRON wallet signed in, the approval read
//! through `triggerconstantcontract` and accepted by the contract.

use alloy::{primitives::Address, signers::local::PrivateKeySigner};
use stablerail_demo::{LocalPlatform, role};
use stablerail_gateway::GatewayOptions;
use stablerail_sdk::Amount;

use crate::{
    common::{Backend, CHAIN, FAST_WEBHOOKS, TestDb, config_text, start_gateway, wait_for},
    dashboard::{Web, between, code, enrol, steady_totp_window, unescape},
    tron_node::{TronNode, tron_of},
};

/// `who` deposits 50 of 100 minted USDT and names `co_signer` with a 1 USDT daily
/// allowance; returns its key and escrow client.
async fn deposit_and_name(
    platform: &LocalPlatform,
    who: usize,
    co_signer: Address,
) -> (
    PrivateKeySigner,
    stablerail_sdk::evm::EscrowClient<alloy::providers::DynProvider>,
) {
    let owner = platform.signer(who);
    let escrow = platform.escrow(who).unwrap();
    platform
        .mint(owner.address(), Amount::parse("100").unwrap())
        .await
        .unwrap();
    escrow
        .deposit(owner.address(), Amount::parse("50").unwrap())
        .await
        .unwrap();
    escrow
        .set_co_signer(co_signer, Amount::parse("1").unwrap())
        .await
        .unwrap();
    (owner, escrow)
}

/// Asks the co-signer page to approve a 5 USDT withdrawal on `chain`.
async fn withdraw_5(web: &mut Web, csrf: &str, chain: &str, code: &str) -> crate::dashboard::Page {
    web.post(
        "/dashboard/co-signer",
        &[
            ("csrf", csrf),
            ("chain", chain),
            ("action", "withdraw"),
            ("amount", "5"),
            ("code", code),
        ],
    )
    .await
}

/// Waits until the indexer of `chain` has seen `address` name a co-signer.
async fn co_signer_indexed(gw: &stablerail_gateway::Gateway, chain: &str, address: &str) {
    wait_for(30, "the indexer to see the co-signer", || async {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT co_signer FROM escrow_accounts WHERE chain = $1 AND address = $2",
        )
        .bind(chain)
        .bind(address)
        .fetch_optional(&gw.app().db.pool)
        .await
        .unwrap()
        .flatten()
        .is_some()
    })
    .await;
}

#[tokio::test]
async fn gateway_co_signs_after_a_fresh_code() {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let gateway_key = PrivateKeySigner::random();
    let key_file = dir.path().join("co-signer.key");
    std::fs::write(&key_file, hex::encode(gateway_key.to_bytes())).unwrap();
    let text = format!(
        "{}\n[dashboard]\nco_signer_key_file = \"{}\"\n",
        config_text(&platform, &db, 1, FAST_WEBHOOKS),
        key_file.display()
    );
    let gw = start_gateway(&text, GatewayOptions::default()).await;

    // The owner deposits 50 and names the gateway as co-signer, 1 USDT a day.
    let (owner, escrow) = deposit_and_name(&platform, role::MERCHANT, gateway_key.address()).await;
    let addr = format!("{:#x}", owner.address());
    co_signer_indexed(&gw, CHAIN, &addr).await;

    let mut web = Web::new(&gw);
    web.sign_in_evm(&owner).await;
    let p = web.get("/dashboard/co-signer").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains(&format!("{:#x}", gateway_key.address())));
    assert!(p.body.contains("(this gateway)"), "{}", p.body);
    steady_totp_window().await;
    let (secret, _) = enrol(&mut web).await;
    let csrf = web.session_csrf().await;
    let form = |code: &str| {
        vec![
            ("csrf".to_owned(), csrf.clone()),
            ("chain".to_owned(), "anvil".to_owned()),
            ("action".to_owned(), "withdraw".to_owned()),
            ("amount".to_owned(), "5".to_owned()),
            ("code".to_owned(), code.to_owned()),
        ]
    };
    let post = |web: &mut Web, f: Vec<(String, String)>| {
        let mut web = web.clone();
        async move {
            let f: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            web.post("/dashboard/co-signer", &f).await
        }
    };
    // No code, a wrong code, no CSRF: no approval.
    assert_eq!(post(&mut web, form("")).await.status, 403);
    assert_eq!(post(&mut web, form("000000")).await.status, 403);
    let mut no_csrf = form(&code(&secret, 0));
    no_csrf.remove(0);
    assert_eq!(post(&mut web, no_csrf).await.status, 403);
    // A bad amount is refused before the code is used.
    let mut bad = form(&code(&secret, 0));
    bad[3].1 = "5.0000001".into();
    assert_eq!(post(&mut web, bad).await.status, 400);

    let p = post(&mut web, form(&code(&secret, 0))).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let sig = between(&p.body, r#"<code id="co-signature">"#, "</code>")
        .unwrap()
        .to_owned();
    let deadline: u64 = between(&p.body, r#"<span id="co-deadline">"#, "</span>")
        .unwrap()
        .parse()
        .unwrap();
    let cmd = unescape(between(&p.body, r#"<code id="co-command">"#, "</code>").unwrap());
    assert!(
        cmd.contains(&format!(
            "account withdraw --amount 5 --co-signature {sig} --co-deadline {deadline}"
        )),
        "{cmd}"
    );
    // The same code again: no second approval.
    assert_eq!(post(&mut web, form(&code(&secret, 0))).await.status, 403);

    // The approval works on chain: 5 USDT beyond the 1 USDT allowance.
    let before = platform.token_balance(owner.address()).await.unwrap();
    let signature: alloy::primitives::Signature = sig.parse().unwrap();
    escrow
        .withdraw_co_signed(Amount::parse("5").unwrap(), deadline, &signature)
        .await
        .unwrap();
    let after = platform.token_balance(owner.address()).await.unwrap();
    assert_eq!(after - before, alloy::primitives::U256::from(5_000_000u64));

    // An account that names another co-signer gets no approval.
    let (other, _) = deposit_and_name(
        &platform,
        role::TRADER,
        PrivateKeySigner::random().address(),
    )
    .await;
    let mut web2 = Web::new(&gw);
    web2.sign_in_evm(&other).await;
    steady_totp_window().await;
    let (secret2, _) = enrol(&mut web2).await;
    let csrf2 = web2.session_csrf().await;
    let c2 = code(&secret2, 0);
    let p = withdraw_5(&mut web2, &csrf2, "anvil", &c2).await;
    assert_eq!(p.status, 403, "{}", p.body);
    assert!(p.body.contains("did not co-sign"), "{}", p.body);
}

#[tokio::test]
async fn gateway_co_signs_on_tron() {
    let platform = LocalPlatform::start().await.unwrap();
    let node = TronNode::over(&platform, 0).await;
    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let gateway_key = PrivateKeySigner::random();
    let key_file = dir.path().join("co-signer.key");
    std::fs::write(&key_file, hex::encode(gateway_key.to_bytes())).unwrap();
    let d = &platform.deployment;
    let text = format!(
        "{}{}\n[dashboard]\nco_signer_key_file = \"{}\"\n",
        config_text(&platform, &db, 1, FAST_WEBHOOKS),
        node.chain_section(&platform, true),
        key_file.display()
    );
    let gw = start_gateway(&text, GatewayOptions::default()).await;

    // The owner deposits 50 and names the gateway as co-signer, 1 USDT a day.
    let (owner, escrow) = deposit_and_name(&platform, role::MERCHANT, gateway_key.address()).await;
    let owner_tron = tron_of(owner.address());
    let gateway_tron = tron_of(gateway_key.address());
    co_signer_indexed(&gw, "tron", &owner_tron).await;

    // An EVM session is not offered the TRON chain.
    let mut evm_web = Web::new(&gw);
    evm_web.sign_in_evm(&owner).await;
    steady_totp_window().await;
    let (evm_secret, _) = enrol(&mut evm_web).await;
    let evm_csrf = evm_web.session_csrf().await;
    let evm_code = code(&evm_secret, 0);
    let p = withdraw_5(&mut evm_web, &evm_csrf, "tron", &evm_code).await;
    assert_eq!(p.status, 400, "{}", p.body);

    // The TRON wallet of the same key sees the gateway's TRON address and commands.
    let mut web = Web::new(&gw);
    web.sign_in_tron(&owner).await;
    let p = web.get("/dashboard/co-signer").await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(
        p.body.contains(&format!(
            r#"<code id="co-signer-address">{gateway_tron}</code>"#
        )),
        "{}",
        p.body
    );
    assert!(p.body.contains("(this gateway)"), "{}", p.body);
    assert!(
        p.body.contains("stablerail tron escrow --node"),
        "{}",
        p.body
    );
    assert!(p.body.contains(r#"<option value="tron">"#), "{}", p.body);
    assert!(!p.body.contains(r#"<option value="anvil">"#), "{}", p.body);
    steady_totp_window().await;
    let (secret, _) = enrol(&mut web).await;
    let csrf = web.session_csrf().await;
    let c = code(&secret, 0);
    let p = withdraw_5(&mut web, &csrf, "tron", &c).await;
    assert_eq!(p.status, 200, "{}", p.body);
    let sig = between(&p.body, r#"<code id="co-signature">"#, "</code>")
        .unwrap()
        .to_owned();
    let deadline: u64 = between(&p.body, r#"<span id="co-deadline">"#, "</span>")
        .unwrap()
        .parse()
        .unwrap();
    // Valid for an hour of chain time (TRON's block times are milliseconds).
    let now = platform.now().await.unwrap();
    assert!(
        deadline >= now + 3_500 && deadline <= now + 3_600,
        "{deadline} vs {now}"
    );
    let cmd = unescape(between(&p.body, r#"<code id="co-command">"#, "</code>").unwrap());
    assert!(
        cmd.starts_with(&format!(
            "stablerail tron escrow --node {} --escrow {}",
            node.url,
            tron_of(d.escrow)
        )),
        "{cmd}"
    );
    assert!(
        cmd.ends_with(&format!(
            "account withdraw --amount 5 --co-signature {sig} --co-deadline {deadline}"
        )),
        "{cmd}"
    );

    // The contract accepts the approval: 5 USDT beyond the 1 USDT allowance.
    let before = platform.token_balance(owner.address()).await.unwrap();
    let signature: alloy::primitives::Signature = sig.parse().unwrap();
    escrow
        .withdraw_co_signed(Amount::parse("5").unwrap(), deadline, &signature)
        .await
        .unwrap();
    let after = platform.token_balance(owner.address()).await.unwrap();
    assert_eq!(after - before, alloy::primitives::U256::from(5_000_000u64));
}
