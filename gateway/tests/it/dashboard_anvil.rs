//! The agent's and the operator's pages over data the embedded indexer derived from
//! anvil (SQLite and PostgreSQL): the demo's platform day played through the SDK,
//! then the multisig given a time lock and three proposals scheduled on it through
//! the SDK — one executed after the lock, one cancelled by the owners, one left
//! waiting. The agent sees its commission tier and the volume still needed for the
//! next one (checked against the escrow's own account view and schedule); the
//! operator sees the platform's fees to the treasury (checked against the day's
//! settlements read from the chain) and only the proposal still pending.

use alloy::{
    primitives::{Address, U256},
    sol_types::SolCall,
};
use sqlx::Row;
use stablerail_demo::{LocalPlatform, play_day, role};
use stablerail_gateway::GatewayOptions;
use stablerail_sdk::Roles;
use stablerail_sdk::evm::{Escrow, MultiSig, MultiSigClient, OwnerSignatures};

use crate::{
    common::*,
    dashboard::{Web, between},
};

fn usdt(units: u64) -> String {
    format!("{}.{:06}", units / 1_000_000, units % 1_000_000)
}

async fn indexed_block(gw: &stablerail_gateway::Gateway) -> i64 {
    sqlx::query("SELECT block_number FROM cursors WHERE chain = $1")
        .bind(CHAIN)
        .fetch_optional(&gw.app().db.pool)
        .await
        .unwrap()
        .map_or(0, |r| r.get(0))
}

/// The owners' quorum signatures over `digest`.
async fn quorum(platform: &LocalPlatform, digest: alloy::primitives::B256) -> OwnerSignatures {
    let mut sigs = OwnerSignatures::new(digest);
    for i in &role::OWNERS[..2] {
        let s = platform.signer(*i);
        let sig = MultiSigClient::<alloy::providers::DynProvider>::sign(digest, &s)
            .await
            .unwrap();
        sigs.add(s.address(), sig).unwrap();
    }
    sigs
}

async fn agent_and_operator_pages(backend: Backend) {
    let platform = LocalPlatform::start().await.unwrap();
    let db = TestDb::new(backend).await;
    let d = platform.deployment;
    let operator = platform.signer(role::OWNERS[0]);
    let text = format!(
        "{}multisig = \"{:#x}\"\n\n[dashboard]\noperators = [\"{:#x}\"]\n",
        config_text(&platform, &db, 1, FAST_WEBHOOKS),
        d.multisig,
        operator.address(),
    );
    let gw = start_gateway(&text, GatewayOptions::default()).await;

    let report = play_day(&platform, |_| {}).await.unwrap();
    assert!(report.mismatches().is_empty(), "{:?}", report.mismatches());

    // The multisig takes a 10-minute time lock (executed at once: no lock yet), then
    // three proposals are scheduled behind it.
    let admin = platform.admin().await.unwrap();
    admin
        .execute(
            d.multisig,
            MultiSig::setTimeLockCall {
                timeLock_: U256::from(600),
            }
            .abi_encode()
            .into(),
        )
        .await
        .unwrap();
    let ms = admin.client();
    let deadline = platform.now().await.unwrap() + 86_400;
    let newcomer = Address::repeat_byte(0x77);
    let mut scheduled = Vec::new();
    for data in [
        Escrow::setRegionBlockedCall {
            region: 7,
            blocked: true,
        }
        .abi_encode(),
        Escrow::setRegionBlockedCall {
            region: 8,
            blocked: true,
        }
        .abi_encode(),
        Escrow::setRolesCall {
            owner: newcomer,
            roles: Roles::AGENT.0,
        }
        .abi_encode(),
    ] {
        let p = ms
            .propose(d.escrow, U256::ZERO, data.into(), deadline)
            .await
            .unwrap();
        let sigs = quorum(&platform, ms.digest(&p)).await;
        ms.schedule(&p, &sigs).await.unwrap();
        scheduled.push(p);
    }
    // The first runs after the lock; the owners cancel the second.
    platform.warp(601).await.unwrap();
    ms.execute_scheduled(&scheduled[0]).await.unwrap();
    let second = ms.digest(&scheduled[1]);
    let sigs = quorum(&platform, ms.cancellation_digest(second)).await;
    ms.cancel(second, &sigs).await.unwrap();
    let pending_hash = format!("{:#x}", ms.digest(&scheduled[2]));
    let pending_nonce = scheduled[2].nonce.to_string();

    let head = platform.block_number().await.unwrap() as i64;
    wait_for(60, "the indexer caught up", || async {
        indexed_block(&gw).await >= head
    })
    .await;

    // The agent: its tier and the volume still needed, from the escrow's view.
    let agent = platform.signer(role::AGENT);
    let view = platform
        .escrow(role::AGENT)
        .unwrap()
        .account(agent.address())
        .await
        .unwrap();
    let volume = view.agent_volume.units();
    let tiers = &platform.config.agent_tiers;
    let current = tiers.iter().rev().find(|t| t.0 <= volume).unwrap();
    let next = tiers.iter().find(|t| t.0 > volume).unwrap();
    assert!(volume > 0, "the agent's merchant settled during the day");
    let mut web = Web::new(&gw);
    web.sign_in_evm(&agent).await;
    let body = web.get("/dashboard").await.body;
    assert!(body.contains("Agent on anvil"), "{body}");
    let tier = between(&body, r#"<dl class="facts" id="agent-tier">"#, "</dl>").expect("tier");
    assert!(
        tier.contains(&format!(
            r#"<dd id="agent-tier-current">{}.{:02} % of the fee (from {} USDT)</dd>"#,
            current.1 / 100,
            current.1 % 100,
            usdt(current.0)
        )),
        "{tier}"
    );
    assert!(
        tier.contains(&format!(
            r#"<dd id="agent-tier-volume">{} USDT</dd>"#,
            usdt(volume)
        )),
        "{tier}"
    );
    assert!(
        tier.contains(&format!(
            r#"<dd id="agent-tier-needed">{} USDT</dd>"#,
            usdt(next.0 - volume)
        )),
        "{tier}"
    );
    let filled = u128::from(volume - current.0) * 300 / u128::from(next.0 - current.0);
    assert!(
        body.contains(&format!(r#"width="{filled}" height="16" class="bar""#)),
        "{body}"
    );

    // The operator: fees to the treasury as the day's settlements credited them, and
    // only the proposal still waiting, with its nonce and target.
    let mut op = Web::new(&gw);
    op.sign_in_evm(&operator).await;
    let body = op.get("/dashboard").await.body;
    assert!(body.contains("<h1>Operator</h1>"), "{body}");
    let treasury = between(&body, r#"<table id="treasury">"#, "</table>").expect("treasury");
    assert!(
        treasury.contains(&format!(
            r#"<td class="num fees">{}</td>"#,
            usdt(report.fees_to_treasury.units())
        )),
        "{treasury}"
    );
    assert!(
        treasury.contains(&format!("{:#x}", d.multisig)),
        "the multisig is the treasury: {treasury}"
    );
    let proposals = between(&body, r#"<table id="proposals">"#, "</table>").expect("proposals");
    assert_eq!(
        proposals.matches("<tr data-proposal=").count(),
        1,
        "{proposals}"
    );
    assert!(
        proposals.contains(&format!(r#"data-proposal="{pending_hash}""#)),
        "{proposals}"
    );
    assert!(
        proposals.contains(&format!(r#"<td class="num">{pending_nonce}</td>"#)),
        "{proposals}"
    );
    assert!(proposals.contains("escrow <code>"), "{proposals}");
    assert!(
        proposals.contains(&format!(
            "<code>0x{}</code>",
            hex::encode(Escrow::setRolesCall::SELECTOR)
        )),
        "{proposals}"
    );
    assert!(!body.contains(r#"id="no-proposals""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn agent_and_operator_pages_sqlite() {
    agent_and_operator_pages(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn agent_and_operator_pages_postgres() {
    agent_and_operator_pages(Backend::Postgres).await;
}
