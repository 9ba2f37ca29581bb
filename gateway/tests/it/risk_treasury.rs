//! The treasury watch on anvil: a time-locked vault multisig with a daily spending
//! limit for the hot operator, and a real hot multisig holding too much. The
//! monitor alerts, writes the proposal file that moves the excess back; two owners
//! sign it with the SDK (what `stablerail evm multisig sign` does) and one submits
//! it (`execute`); the next measurement is back at the line, with the platform's
//! total unchanged. The same on TRON: the contracts on anvil behind a TRON node's
//! HTTP API (`tron_node`), read at the node's head, base58 addresses throughout, and
//! a TRON proposal file.

use alloy::{
    primitives::{Address, U256},
    sol_types::SolCall,
};
use serde_json::Value;
use stablerail_demo::{LocalPlatform, MultisigAdmin, role};
use stablerail_gateway::GatewayOptions;
use stablerail_sdk::evm::{Chain, MultiSig, MultiSigClient, ProposalFile};

use crate::{
    common::*,
    tron_node::{TronNode, tron_of},
};

const U: u64 = 1_000_000;

async fn deploy_multisig(platform: &LocalPlatform) -> Address {
    let owners: Vec<Address> = role::OWNERS.iter().map(|o| platform.address(*o)).collect();
    let m = MultiSig::deploy(
        platform.provider(role::DEPLOYER).unwrap(),
        owners,
        U256::from(2),
        U256::ZERO,
    )
    .await
    .unwrap();
    *m.address()
}

async fn treasury_view(admin: &Client, chain: &str) -> Value {
    let (s, v) = admin.get("/admin/risk/treasury").await;
    assert_eq!(s, 200, "{v}");
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["chain"] == chain)
        .cloned()
        .unwrap_or(Value::Null)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_treasury_share_alert_and_proposal_on_anvil() {
    treasury_case(Chain::Evm).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn risk_treasury_share_alert_and_proposal_on_tron() {
    treasury_case(Chain::Tron).await;
}

async fn treasury_case(kind: Chain) {
    let platform = LocalPlatform::start().await.unwrap();
    let token = platform.deployment.token;
    let ops = platform.address(role::DISPATCHER);
    // The vault: 2-of-3, a daily 50 USDT spending limit for the hot operator, then a
    // one-day time lock (both set through proposals while it had none).
    let vault = deploy_multisig(&platform).await;
    let quorum = vec![
        platform.signer(role::OWNERS[0]),
        platform.signer(role::OWNERS[1]),
    ];
    let vault_admin =
        MultisigAdmin::connect(vault, platform.provider(role::DEPLOYER).unwrap(), quorum)
            .await
            .unwrap();
    let limit = MultiSig::setSpendingLimitCall {
        spender: ops,
        token,
        amount: u128::from(50 * U),
        period: 1, // IMultiSig.Period.Day
        destinations: Vec::new(),
    };
    vault_admin
        .execute(vault, limit.abi_encode().into())
        .await
        .unwrap();
    let lock = MultiSig::setTimeLockCall {
        timeLock_: U256::from(86_400),
    };
    vault_admin
        .execute(vault, lock.abi_encode().into())
        .await
        .unwrap();
    // A hot multisig (2-of-3, no time lock) holding far more than the line allows.
    let hot = deploy_multisig(&platform).await;
    platform.mint(vault, "800".parse().unwrap()).await.unwrap();
    platform.mint(hot, "400".parse().unwrap()).await.unwrap();

    let db = TestDb::new(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let proposals = dir.path().join("proposals");
    // On TRON the same contracts are served by a TRON node over the same anvil.
    let show = |a: Address| match kind {
        Chain::Tron => tron_of(a),
        Chain::Evm => format!("{a:#x}"),
    };
    let (chain, tron_section) = match kind {
        Chain::Evm => (CHAIN, String::new()),
        Chain::Tron => {
            let node = TronNode::over(&platform, 0).await;
            ("tron", node.chain_section(&platform, false))
        }
    };
    let text = format!(
        "admin_token_env = \"CARGO_MANIFEST_DIR\"\n{}\n{tron_section}\n[risk]\ninterval_ms = 20\n\n[risk.treasury]\nproposal_dir = \"{}\"\n\n[risk.treasury.chains.{chain}]\nvault = \"{}\"\nspenders = [\"{}\"]\nhot_wallets = [\"{}\"]\n",
        config_text(&platform, &db, 2, FAST_WEBHOOKS),
        proposals.display(),
        show(vault),
        show(ops),
        show(hot),
    );
    let gw = start_gateway(&text, GatewayOptions::default()).await;
    let admin = Client {
        base: format!("http://{}", gw.addr()),
        key: std::env::var("CARGO_MANIFEST_DIR").unwrap(),
        http: reqwest::Client::new(),
    };

    // 800 in the vault (50 of it spendable at once), 400 hot: 450 of 1,200 outside
    // (37.5 %); the 15 % line allows 180, so 270 must go back.
    wait_for(30, "treasury alert", || async {
        let (_, v) = admin.get("/admin/risk/alerts?rule=treasury_share").await;
        !v["data"].as_array().unwrap().is_empty()
    })
    .await;
    let (_, list) = admin.get("/admin/risk/alerts?rule=treasury_share").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    let alert = &list["data"][0];
    let vault_text = show(vault);
    let hot_text = show(hot);
    assert_eq!(alert["subject"], vault_text.as_str());
    assert_eq!(alert["severity"], "high");
    let d = &alert["details"];
    assert_eq!(d["vault_balance"], "800000000", "{d}");
    assert_eq!(d["allowance"], "50000000");
    assert_eq!(d["total"], "1200000000");
    assert_eq!(d["outside"], "450000000");
    assert_eq!(d["share_bps"], 3750);
    assert_eq!(d["max_share_bps"], 1500);
    assert_eq!(d["excess"], "270000000");
    assert_eq!(d["uncovered"], "0");
    let planned = d["proposals"].as_array().unwrap();
    assert_eq!(planned.len(), 1, "{d}");
    assert_eq!(planned[0]["multisig"], hot_text.as_str());
    assert_eq!(planned[0]["amount"], "270000000");
    let id = alert["id"].as_str().unwrap();
    let (_, full) = admin.get(&format!("/admin/risk/alerts/{id}")).await;
    assert_eq!(full["evidence"][0]["kind"], "metric");
    assert_eq!(full["evidence"][0]["data"]["share_bps"], 3750);

    // The file is an ordinary proposal file on the hot multisig: two owners sign
    // it, one submits it.
    let path = std::path::PathBuf::from(planned[0]["file"].as_str().unwrap());
    assert!(path.starts_with(&proposals));
    for owner in [role::OWNERS[0], role::OWNERS[2]] {
        let mut file = ProposalFile::load(&path).unwrap();
        let signer = platform.signer(owner);
        file.sign(&signer, signer.address()).unwrap();
        file.save(&path).unwrap();
    }
    let mut file = ProposalFile::load(&path).unwrap();
    assert_eq!(file.chain, kind);
    assert_eq!(file.multisig, hot);
    assert_eq!(file.proposal.to, token);
    assert_eq!(
        format!("{:#x}", file.digest()),
        planned[0]["digest"].as_str().unwrap()
    );
    let before = (
        platform.token_balance(vault).await.unwrap(),
        platform.token_balance(hot).await.unwrap(),
    );
    // The TRON node here serves reads only; the signed proposal is the same contract
    // call on either chain (its digest names the contract's own domain), so it is
    // submitted on anvil.
    file.chain = Chain::Evm;
    let client = MultiSigClient::connect(hot, platform.provider(role::OWNERS[1]).unwrap())
        .await
        .unwrap();
    let now = platform.now().await.unwrap();
    let (receipt, scheduled) = client.submit(&file, now).await.unwrap();
    assert!(!scheduled);
    let executed_at = receipt.block_number.unwrap();
    let after = (
        platform.token_balance(vault).await.unwrap(),
        platform.token_balance(hot).await.unwrap(),
    );
    // Conservation: what left the hot wallet is what the vault gained.
    assert_eq!(after.0 - before.0, U256::from(270 * U));
    assert_eq!(before.1 - after.1, U256::from(270 * U));
    assert_eq!(after.0 + after.1, before.0 + before.1);

    // The next measurement: exactly at the line, not above it; no new alert.
    wait_for(30, "treasury measured after the move", || async {
        treasury_view(&admin, chain).await["block_number"].as_u64() >= Some(executed_at)
    })
    .await;
    let t = treasury_view(&admin, chain).await;
    assert_eq!(t["vault_balance"], "1070000000", "{t}");
    assert_eq!(t["hot_wallets"][0]["balance"], "130000000");
    assert_eq!(t["total"], "1200000000");
    assert_eq!(t["share_bps"], 1500);
    assert_eq!(t["over"], false);
    assert_eq!(t["excess"], "0");
    let (_, list) = admin.get("/admin/risk/alerts").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1, "{list}");
    // The file is spent: submitting it again is refused before sending anything.
    assert!(client.submit(&file, now).await.is_err());
    // A merchant key cannot read the treasury.
    let (_, key) = merchant(&gw, "Shop", platform.address(role::MERCHANT)).await;
    let (s, _) = Client::new(&gw, &key).get("/admin/risk/treasury").await;
    assert_eq!(s, 403);
    gw.stop().await;
}

/// A treasury on a chain the gateway does not index is refused at start, by name.
#[test]
fn treasury_chain_must_be_indexed() {
    let text = r#"
database_url = "sqlite::memory:"
listen = "127.0.0.1:0"
[chains.anvil]
chain_id = 31337
[indexer.chains.anvil]
kind = "evm"
rpc_urls = ["http://127.0.0.1:9"]
usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
[risk.treasury.chains.mainnet]
vault = "0x00000000000000000000000000000000000000aa"
"#;
    let e = stablerail_gateway::Config::parse(text).unwrap_err();
    assert!(
        e.to_string().contains("risk.treasury.chains.mainnet"),
        "{e}"
    );
    let ok = text.replace("chains.mainnet]", "chains.anvil]");
    assert!(stablerail_gateway::Config::parse(&ok).is_ok());
    // Each address is checked, by field.
    for (bad, says) in [
        (
            ok.replace("0x00000000000000000000000000000000000000aa", "0x12"),
            "risk.treasury.chains.anvil.vault",
        ),
        (
            format!("{ok}spenders = [\"nope\"]\n"),
            "risk.treasury.chains.anvil.spenders",
        ),
        (
            format!("{ok}hot_wallets = [\"TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC\"]\n"),
            "risk.treasury.chains.anvil.hot_wallets",
        ),
    ] {
        let e = stablerail_gateway::Config::parse(&bad).unwrap_err();
        assert!(e.to_string().contains(says), "{says}: {e}");
    }

    // A TRON treasury names TRON addresses; an EVM address there is refused by name.
    let tron = format!(
        "{}\n[indexer.chains.tron]\nkind = \"tron\"\nrpc_urls = [\"http://127.0.0.1:9\"]\nusdt = \"TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t\"\n",
        text.replace("[risk.treasury.chains.mainnet]\nvault = \"0x00000000000000000000000000000000000000aa\"\n", "")
    );
    let evm_vault = format!(
        "{tron}[risk.treasury.chains.tron]\nvault = \"0x00000000000000000000000000000000000000aa\"\n"
    );
    let e = stablerail_gateway::Config::parse(&evm_vault).unwrap_err();
    assert!(
        e.to_string()
            .contains("risk.treasury.chains.tron.vault: \"0x00000000000000000000000000000000000000aa\" is not an address of this chain"),
        "{e}"
    );
    let tron_vault = format!(
        "{tron}[risk.treasury.chains.tron]\nvault = \"TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC\"\n"
    );
    assert!(stablerail_gateway::Config::parse(&tron_vault).is_ok());
}
