//! A Trade played in the Solana test bank with every transaction recorded
//! (`common/solana_ledger.rs`), then served by the JSON-RPC test server
//! (`common/solana_rpc.rs`) and read back as an indexer would: the served
//! JSON round-trips to the recorded blocks; every escrow event is a self-CPI
//! (docs/rules.md, "Events") found among the inner instructions with Anchor's
//! `EVENT_IX_TAG_LE` prefix and decodes with the program's own event types to
//! the event the instruction should emit; token balances before and after
//! equal the accounts read from the bank; a skipped slot, commitments, a
//! lagging node, a fork and injected failures answer as a node does.

use std::collections::BTreeMap;

use anchor_lang::event::EVENT_IX_TAG_LE;
use anchor_lang::{AnchorDeserialize, AnchorSerialize, Discriminator};
use anyhow::{Context as _, ensure};
use serde_json::{Value, json};
use solana_sdk::account::AccountSharedData;
use solana_sdk::pubkey::Pubkey;
use solana_sdk::signature::{Keypair, Signer};
use stablerail_escrow::events as ev;
use stablerail_escrow::state::{DealKind, DealState};
use stablerail_multisig::events as mev;
use stablerail_sdk::Amount;
use stablerail_sdk::solana::{self as sol, pda};

use crate::common::settlement_vectors;
use crate::common::solana::{
    Bank, Platform, User, default_limits, one_tier_fees, record_conformance, run_scenario_recorded,
};
use crate::common::solana_ledger::{Ledger, UiBlock, UiTransactionWithMeta};
use crate::common::solana_rpc::SolanaRpc;

/// A JSON-RPC client for the test server.
struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn post(&self, body: Value) -> anyhow::Result<(u16, Value)> {
        let r = self.http.post(&self.url).json(&body).send().await?;
        let status = r.status().as_u16();
        let text = r.text().await?;
        Ok((
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        ))
    }

    /// The whole response to one request.
    async fn call(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        let (status, v) = self
            .post(json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
            .await?;
        ensure!(status == 200, "{method}: HTTP {status}");
        Ok(v)
    }

    async fn result(&self, method: &str, params: Value) -> anyhow::Result<Value> {
        let v = self.call(method, params).await?;
        ensure!(v.get("error").is_none(), "{method}: {v}");
        v.get("result").cloned().context("no result")
    }

    async fn error(&self, method: &str, params: Value) -> anyhow::Result<(i64, String)> {
        let v = self.call(method, params).await?;
        let e = v
            .get("error")
            .with_context(|| format!("{method}: no error in {v}"))?;
        Ok((
            e["code"].as_i64().context("code")?,
            e["message"].as_str().context("message")?.to_owned(),
        ))
    }
}

fn block_config(commitment: &str) -> Value {
    json!({"encoding": "json", "transactionDetails": "full", "rewards": false,
           "maxSupportedTransactionVersion": 0, "commitment": commitment})
}

/// One escrow event as it travels: its name and `discriminator ++ borsh`.
#[derive(Debug, PartialEq, Eq)]
struct Event {
    name: &'static str,
    bytes: Vec<u8>,
}

fn event<E: anchor_lang::Event + Discriminator>(name: &'static str, e: &E) -> Event {
    Event {
        name,
        bytes: e.data(),
    }
}

/// Decodes `discriminator ++ borsh` with the escrow's own event types and
/// returns its name and its bytes re-encoded from the decoded value (so a
/// field that does not decode fails here).
fn decode_escrow_event(data: &[u8]) -> anyhow::Result<Event> {
    macro_rules! try_events {
        ($($t:ident),* $(,)?) => {
            $(
                if data.starts_with(ev::$t::DISCRIMINATOR) {
                    let mut body = &data[ev::$t::DISCRIMINATOR.len()..];
                    let decoded = ev::$t::deserialize(&mut body)
                        .with_context(|| format!("{} does not decode", stringify!($t)))?;
                    ensure!(body.is_empty(), "{}: {} bytes left over", stringify!($t), body.len());
                    let mut bytes = ev::$t::DISCRIMINATOR.to_vec();
                    decoded.serialize(&mut bytes)?;
                    return Ok(Event { name: stringify!($t), bytes });
                }
            )*
        };
    }
    try_events!(
        ConfigInitialized,
        AuthoritiesUpdated,
        FeesUpdated,
        LimitsUpdated,
        PauseChanged,
        AccountOpened,
        RolesSet,
        AgentSet,
        KycSet,
        WithdrawalAddressRequested,
        WithdrawalAddressCancelled,
        WithdrawalAddressApplied,
        Deposited,
        Withdrawn,
        BuyOrderPosted,
        BuyOrderCancelled,
        BuyOrderFilled,
        DealOpened,
        PayoutAssigned,
        DealStateChanged,
        DealCancelled,
        DealSettled,
        BuyOrderRefilled,
        BuyOrderClosed,
        SurplusSwept,
        AcceptorLimitsSet,
        CoSignerChangeRequested,
        CoSignerSet,
        CoSignerChangeCancelled,
        OutflowCoSigned,
        OutflowCounted,
    );
    anyhow::bail!(
        "unknown escrow event discriminator {:?}",
        &data[..data.len().min(8)]
    )
}

/// Decodes `discriminator ++ borsh` with the multisig's own event types (as
/// [`decode_escrow_event`]).
fn decode_multisig_event(data: &[u8]) -> anyhow::Result<Event> {
    macro_rules! try_events {
        ($($t:ident),* $(,)?) => {
            $(
                if data.starts_with(mev::$t::DISCRIMINATOR) {
                    let mut body = &data[mev::$t::DISCRIMINATOR.len()..];
                    let decoded = mev::$t::deserialize(&mut body)
                        .with_context(|| format!("{} does not decode", stringify!($t)))?;
                    ensure!(body.is_empty(), "{}: {} bytes left over", stringify!($t), body.len());
                    let mut bytes = mev::$t::DISCRIMINATOR.to_vec();
                    decoded.serialize(&mut bytes)?;
                    return Ok(Event { name: stringify!($t), bytes });
                }
            )*
        };
    }
    try_events!(
        MultisigCreated,
        ProposalCreated,
        ProposalVoted,
        ProposalExecuted,
        ProposalClosed,
        ConfigChanged,
        SpendingLimitAdded,
        SpendingLimitRemoved,
        SpendingLimitUsed,
    );
    anyhow::bail!(
        "unknown multisig event discriminator {:?}",
        &data[..data.len().min(8)]
    )
}

/// The escrow events of a served transaction (see [`program_events`]).
fn escrow_events(tx: &Value) -> anyhow::Result<Vec<Event>> {
    program_events(tx, &pda::ESCROW_PROGRAM_ID, decode_escrow_event)
}

/// The multisig events of a served transaction (see [`program_events`]).
fn multisig_events(tx: &Value) -> anyhow::Result<Vec<Event>> {
    program_events(tx, &pda::MULTISIG_PROGRAM_ID, decode_multisig_event)
}

/// The events of `program` in a served transaction: every inner instruction
/// of the program to itself whose data starts with `EVENT_IX_TAG_LE`, whose
/// only account is the program's event authority; decoded with `decode`.
fn program_events(
    tx: &Value,
    program_id: &Pubkey,
    decode: fn(&[u8]) -> anyhow::Result<Event>,
) -> anyhow::Result<Vec<Event>> {
    let keys: Vec<String> =
        serde_json::from_value(tx["transaction"]["message"]["accountKeys"].clone())?;
    let escrow = program_id.to_string();
    let authority = pda::event_authority(program_id).to_string();
    let mut out = Vec::new();
    for group in tx["meta"]["innerInstructions"]
        .as_array()
        .context("innerInstructions")?
    {
        for ix in group["instructions"].as_array().context("instructions")? {
            let program = ix["programIdIndex"].as_u64().context("programIdIndex")?;
            if keys.get(usize::try_from(program)?) != Some(&escrow) {
                continue;
            }
            let data = bs58::decode(ix["data"].as_str().context("data")?).into_vec()?;
            let Some(event) = data.strip_prefix(EVENT_IX_TAG_LE) else {
                continue; // e.g. an escrow instruction the multisig calls
            };
            let accounts: Vec<usize> = serde_json::from_value(ix["accounts"].clone())?;
            ensure!(
                accounts.len() == 1 && keys.get(accounts[0]) == Some(&authority),
                "an event self-CPI must name only the event authority: {ix}"
            );
            ensure!(
                ix["stackHeight"].as_u64().is_some_and(|h| h >= 2),
                "stackHeight {ix}"
            );
            out.push(decode(event)?);
        }
    }
    Ok(out)
}

/// Token amounts of `accounts` in the bank now.
async fn token_balances(p: &mut Platform, accounts: &[Pubkey]) -> anyhow::Result<Vec<u64>> {
    let mut out = Vec::new();
    for a in accounts {
        out.push(p.bank.token_balance(a).await?);
    }
    Ok(out)
}

/// The token amount of `account` in a served `pre`/`postTokenBalances` list.
fn served_amount(tx: &Value, which: &str, account: &Pubkey) -> anyhow::Result<Option<u64>> {
    let keys: Vec<String> =
        serde_json::from_value(tx["transaction"]["message"]["accountKeys"].clone())?;
    let Some(index) = keys.iter().position(|k| *k == account.to_string()) else {
        return Ok(None);
    };
    for b in tx["meta"][which].as_array().context("token balances")? {
        if b["accountIndex"].as_u64() == Some(u64::try_from(index)?) {
            return Ok(Some(
                b["uiTokenAmount"]["amount"]
                    .as_str()
                    .context("amount")?
                    .parse()?,
            ));
        }
    }
    Ok(None)
}

/// What a step should show: its transaction, the escrow events it must emit,
/// and token accounts with their amounts read from the bank before and after.
struct Step {
    name: &'static str,
    signature: String,
    events: Vec<Event>,
    tokens: Vec<(Pubkey, u64, u64)>,
}

/// The signature of the last recorded transaction.
fn last_signature(p: &Platform) -> anyhow::Result<String> {
    let ledger = p.bank.ledger().context("not recording")?;
    let (_, tx) = ledger.transactions().last().context("nothing recorded")?;
    Ok(tx.signature().to_owned())
}

struct Played {
    ledger: Ledger,
    steps: Vec<Step>,
    merchant: User,
    failed_release: String,
    cu: BTreeMap<&'static str, u64>,
}

/// The Trade: deposit, post, fill, a refused release (recorded as failed),
/// mark paid, release (the slot after it skipped), withdraw.
async fn play_trade() -> anyhow::Result<Played> {
    let mut p = Platform::start_recording(one_tier_fees(), default_limits()).await?;
    let merchant = p.user().await?;
    let trader = p.user().await?;
    let vault = p.multisig.vault();
    let ix =
        p.escrow
            .account_set_roles(&vault, &merchant.key(), stablerail_sdk::Roles::MERCHANT)?;
    p.admin(&[ix]).await?;
    let config = p.escrow.config;
    let escrow_vault = p.escrow.vault();
    let mut steps = Vec::new();
    let mut cu = BTreeMap::new();

    p.mint_to(&trader.token, 50_000_000).await?;
    let watched = [trader.token, escrow_vault];
    let before = token_balances(&mut p, &watched).await?;
    p.deposit(&trader, 30_000_000).await?;
    let after = token_balances(&mut p, &watched).await?;
    steps.push(Step {
        name: "deposit",
        signature: last_signature(&p)?,
        events: vec![event(
            "Deposited",
            &ev::Deposited {
                config,
                wallet: trader.key(),
                amount: 30_000_000,
                available: 30_000_000,
            },
        )],
        tokens: watched
            .iter()
            .zip(before.iter().zip(&after))
            .map(|(a, (b, c))| (*a, *b, *c))
            .collect(),
    });

    let order = p.post_order(&merchant, 10_000_000).await?;
    let posted: sol::BuyOrder = p
        .bank
        .decoded(&p.escrow.buy_order(order))
        .await?
        .context("order")?;
    steps.push(Step {
        name: "buy_order_post",
        signature: last_signature(&p)?,
        events: vec![event(
            "BuyOrderPosted",
            &ev::BuyOrderPosted {
                config,
                order_id: order,
                merchant: merchant.key(),
                price_minor: posted.price_minor,
                currency: posted.currency,
                amount: 10_000_000,
                min_fill: 10_000_000,
                max_fill: 10_000_000,
                expiry: posted.expiry,
                payment_window_secs: posted.payment_window_secs,
            },
        )],
        tokens: vec![],
    });

    let reference = [9u8; 32];
    let deal_id = p.fill(&trader, order, 10_000_000, reference).await?;
    let deal = p.deal(deal_id).await?.context("deal")?;
    let fill_sig = last_signature(&p)?;
    steps.push(Step {
        name: "buy_order_fill",
        signature: fill_sig.clone(),
        events: vec![
            event(
                "BuyOrderFilled",
                &ev::BuyOrderFilled {
                    config,
                    order_id: order,
                    deal_id,
                    trader: trader.key(),
                    amount: 10_000_000,
                    remaining: 0,
                },
            ),
            event(
                "DealOpened",
                &ev::DealOpened {
                    config,
                    deal_id,
                    kind: DealKind::Trade,
                    seller: trader.key(),
                    buyer: merchant.key(),
                    merchant: merchant.key(),
                    amount: 10_000_000,
                    deadline: deal.deadline,
                    reference,
                    order_id: Some(order),
                    fee_bps: 100,
                    agent: None,
                    agent_share_bps: 0,
                    reward_bps: 1_000,
                },
            ),
        ],
        tokens: vec![],
    });

    // The merchant (the buyer) may not release: a failed transaction, in its block.
    let refused = p.release(&merchant.kp, deal_id).await?;
    ensure!(refused.is_err(), "the buyer released");
    let failed_release = last_signature(&p)?;

    p.mark_paid(&merchant.kp, deal_id).await?;
    let paid: sol::Deal = p.deal(deal_id).await?.context("deal")?;
    steps.push(Step {
        name: "deal_mark_paid",
        signature: last_signature(&p)?,
        events: vec![event(
            "DealStateChanged",
            &ev::DealStateChanged {
                config,
                deal_id,
                state: DealState::Paid,
                by: merchant.key(),
                disputed_at: paid.disputed_at,
                reference,
            },
        )],
        tokens: vec![],
    });

    p.bank.skip_next_slot()?;
    p.release(&trader.kp, deal_id).await??;
    let release_sig = last_signature(&p)?;
    // 1 % fee on 10 USDT, 10 % of it back to the trader as reward.
    let (fee, reward) = (100_000, 10_000);
    steps.push(Step {
        name: "deal_release",
        signature: release_sig.clone(),
        events: vec![
            event(
                "BuyOrderClosed",
                &ev::BuyOrderClosed {
                    config,
                    order_id: order,
                    merchant: merchant.key(),
                },
            ),
            event(
                "DealSettled",
                &ev::DealSettled {
                    config,
                    deal_id,
                    kind: DealKind::Trade,
                    outcome: DealState::Released,
                    buyer_share_bps: 10_000,
                    seller: trader.key(),
                    buyer: merchant.key(),
                    merchant: merchant.key(),
                    agent: None,
                    treasury: vault,
                    amount: 10_000_000,
                    gross: 10_000_000,
                    fee_bps: 100,
                    fee,
                    agent_cut: 0,
                    reward,
                    platform: fee - reward,
                    buyer_net: 10_000_000 - fee,
                    refund: 0,
                    reference,
                },
            ),
        ],
        tokens: vec![],
    });

    let watched = [merchant.token, escrow_vault];
    let before = token_balances(&mut p, &watched).await?;
    let ix = p.escrow.withdraw(
        &merchant.key(),
        &merchant.token,
        &p.mint,
        &pda::TOKEN_PROGRAM_ID,
        Amount::from_units(9_900_000),
    )?;
    p.bank.send(vec![ix], &[&merchant.kp]).await?;
    let after = token_balances(&mut p, &watched).await?;
    steps.push(Step {
        name: "withdraw",
        signature: last_signature(&p)?,
        events: vec![event(
            "Withdrawn",
            &ev::Withdrawn {
                config,
                wallet: merchant.key(),
                destination: merchant.token,
                amount: 9_900_000,
                available: 0,
            },
        )],
        tokens: watched
            .iter()
            .zip(before.iter().zip(&after))
            .map(|(a, (b, c))| (*a, *b, *c))
            .collect(),
    });
    p.check_conservation().await?;

    let ledger = p.bank.take_ledger().context("not recording")?;
    for (name, sig) in [
        ("buy_order_fill", &fill_sig),
        ("deal_release", &release_sig),
    ] {
        let (_, tx) = ledger.transaction(sig).context("recorded")?;
        cu.insert(name, tx.meta.compute_units_consumed);
    }
    Ok(Played {
        ledger,
        steps,
        merchant,
        failed_release,
        cu,
    })
}

#[tokio::test]
async fn recorded_trade_is_served_as_solana_json_rpc() -> anyhow::Result<()> {
    let played = play_trade().await?;
    let ledger = played.ledger.clone();
    ledger.check_links()?;
    let failed: Vec<&UiTransactionWithMeta> = ledger.failed().map(|(_, t)| t).collect();
    assert_eq!(failed.len(), 1, "one refused release");
    assert_eq!(failed[0].signature(), played.failed_release);
    let skipped = ledger.skipped_slots();
    assert_eq!(skipped.len(), 1, "one skipped slot: {skipped:?}");
    eprintln!(
        "recorded {} blocks; compute units (native programs: only the SBF token CPIs and builtins are metered): {:?}",
        ledger.blocks.len(),
        played.cu
    );

    let (url, rpc) = SolanaRpc::start(ledger.clone()).await?;
    let client = Client {
        http: reqwest::Client::new(),
        url,
    };
    let head = ledger.head().context("empty ledger")?;
    assert_eq!(
        client
            .result("getSlot", json!([{"commitment": "confirmed"}]))
            .await?,
        json!(head)
    );

    // Every block round-trips: the served JSON is the recorded block.
    let slots: Vec<u64> = serde_json::from_value(
        client
            .result("getBlocks", json!([0, {"commitment": "confirmed"}]))
            .await?,
    )?;
    assert_eq!(
        slots,
        ledger.blocks.iter().map(|b| b.slot).collect::<Vec<_>>()
    );
    for b in &ledger.blocks {
        let served = client
            .result("getBlock", json!([b.slot, block_config("confirmed")]))
            .await?;
        assert_eq!(served, serde_json::to_value(&b.block)?, "slot {}", b.slot);
        let parsed: UiBlock = serde_json::from_value(served.clone())?;
        assert_eq!(parsed, b.block);
        // Every escrow event of every transaction decodes.
        for tx in served["transactions"].as_array().context("transactions")? {
            escrow_events(tx).with_context(|| format!("slot {}", b.slot))?;
            let meta = &tx["meta"];
            assert_eq!(meta["err"].is_null(), meta["status"].get("Ok").is_some());
            assert_eq!(tx["version"], json!("legacy"));
        }
    }

    // Each step's events, decoded from the served transaction, are the ones
    // the instruction should emit; its token balances are the bank's.
    for step in &played.steps {
        let tx = client
            .result(
                "getTransaction",
                json!([step.signature, {"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"}]),
            )
            .await?;
        assert!(tx["meta"]["err"].is_null(), "{}", step.name);
        assert_eq!(escrow_events(&tx)?, step.events, "{}", step.name);
        for (account, before, after) in &step.tokens {
            assert_eq!(
                served_amount(&tx, "preTokenBalances", account)?,
                Some(*before),
                "{} pre",
                step.name
            );
            assert_eq!(
                served_amount(&tx, "postTokenBalances", account)?,
                Some(*after),
                "{} post",
                step.name
            );
        }
    }
    let deposit = &played.steps[0];
    let (t, v) = (&deposit.tokens[0], &deposit.tokens[1]);
    assert_eq!(
        (t.1 - t.2, v.2 - v.1),
        (30_000_000, 30_000_000),
        "deposit deltas"
    );

    // The failed release: in its block with err set, events none, fee charged.
    let tx = client
        .result("getTransaction", json!([played.failed_release, {"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"}]))
        .await?;
    assert!(
        tx["meta"]["err"]["InstructionError"].is_array(),
        "{}",
        tx["meta"]
    );
    assert!(escrow_events(&tx)?.is_empty());
    assert!(tx["meta"]["fee"].as_u64().is_some_and(|f| f >= 5_000));

    // The skipped slot: -32007; the block after it names the one before.
    let gap = skipped[0];
    let (code, message) = client
        .error("getBlock", json!([gap, block_config("confirmed")]))
        .await?;
    assert_eq!(code, -32007);
    assert_eq!(
        message,
        format!("Slot {gap} was skipped, or missing due to ledger jump to recent snapshot")
    );
    let next = client
        .result("getBlock", json!([gap + 1, block_config("confirmed")]))
        .await?;
    assert_eq!(next["parentSlot"], json!(gap - 1));
    assert_eq!(
        ledger.block(gap - 1).map(|b| json!(b.block.blockhash)),
        Some(next["previousBlockhash"].clone())
    );
    let (code, _) = client
        .error("getBlock", json!([gap, {"encoding": "base64"}]))
        .await?;
    assert_eq!(code, -32602, "only json is served");

    // Signatures of the merchant, newest first, the failed release among them.
    let merchant = played.merchant.key().to_string();
    let all: Vec<Value> = serde_json::from_value(
        client
            .result(
                "getSignaturesForAddress",
                json!([merchant, {"commitment": "confirmed"}]),
            )
            .await?,
    )?;
    let expected: Vec<String> = ledger
        .transactions()
        .filter(|(_, t)| t.transaction.message.account_keys.contains(&merchant))
        .map(|(_, t)| t.signature().to_owned())
        .rev()
        .collect();
    let got: Vec<String> = all
        .iter()
        .map(|s| s["signature"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(got, expected);
    assert!(
        all.windows(2)
            .all(|w| w[0]["slot"].as_u64() > w[1]["slot"].as_u64())
    );
    let failed_entry = all
        .iter()
        .find(|s| s["signature"] == json!(played.failed_release))
        .context("failed release listed")?;
    assert!(failed_entry["err"].is_object());
    // The SDK's client reads the same list (the monitor asks it whether the escrow's
    // vault moved after a slot).
    let sdk = sol::SolanaRpc::new(&client.url)?;
    let key: sol::sdk::Pubkey = merchant.parse()?;
    let listed = sdk.signatures_for_address(&key, "confirmed", 1000).await?;
    assert_eq!(
        listed
            .iter()
            .map(|s| s.signature.to_string())
            .collect::<Vec<_>>(),
        got
    );
    assert_eq!(
        listed
            .iter()
            .filter(|s| s.failed)
            .map(|s| s.signature.to_string())
            .collect::<Vec<_>>(),
        vec![played.failed_release.clone()]
    );
    assert!(
        listed
            .iter()
            .zip(&all)
            .all(|(s, a)| a["slot"] == json!(s.slot))
    );
    let newest = sdk.signatures_for_address(&key, "confirmed", 1).await?;
    assert_eq!(newest, listed[..1]);
    let page: Vec<Value> = serde_json::from_value(
        client
            .result("getSignaturesForAddress", json!([merchant, {"limit": 2, "before": got[0], "until": got[4], "commitment": "confirmed"}]))
            .await?,
    )?;
    assert_eq!(
        page.iter()
            .map(|s| s["signature"].clone())
            .collect::<Vec<_>>(),
        vec![json!(got[1]), json!(got[2])]
    );

    // Finality depth and a lagging node.
    rpc.knobs().finality_depth = 4;
    let finalized = client
        .result("getSlot", json!([{"commitment": "finalized"}]))
        .await?;
    let finalized = finalized.as_u64().context("slot")?;
    assert!(finalized <= head - 4 && ledger.block(finalized).is_some());
    let (code, message) = client
        .error("getBlock", json!([head, block_config("finalized")]))
        .await?;
    assert_eq!(
        (code, message),
        (-32004, format!("Block not available for slot {head}"))
    );
    let top = client
        .result("getSignaturesForAddress", json!([merchant, {"limit": 1}]))
        .await?;
    assert_eq!(top[0]["confirmationStatus"], json!("finalized"));
    assert!(top[0]["slot"].as_u64() <= Some(finalized));
    let lag = ledger.blocks[ledger.blocks.len() - 3].slot;
    rpc.knobs().head = Some(lag);
    assert_eq!(
        client
            .result("getSlot", json!([{"commitment": "processed"}]))
            .await?,
        json!(lag)
    );
    let (code, _) = client
        .error("getBlock", json!([head, block_config("confirmed")]))
        .await?;
    assert_eq!(code, -32004);
    let last = played.steps.last().context("steps")?;
    assert_eq!(
        client.result("getTransaction", json!([last.signature, {"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"}])).await?,
        Value::Null,
        "a transaction above the visible head is not found"
    );
    rpc.knobs().head = None;

    // Injected failures: HTTP 503, then "Node is behind", then healthy again.
    rpc.knobs().fail_http = 1;
    let (status, _) = client
        .post(json!({"jsonrpc": "2.0", "id": 7, "method": "getSlot"}))
        .await?;
    assert_eq!(status, 503);
    rpc.knobs().fail_behind = 1;
    let (code, message) = client.error("getSlot", json!([])).await?;
    assert_eq!((code, message.as_str()), (-32005, "Node is behind"));
    let (status, batch) = client
        .post(json!([
            {"jsonrpc": "2.0", "id": 1, "method": "getSlot", "params": [{"commitment": "confirmed"}]},
            {"jsonrpc": "2.0", "id": 2, "method": "getBlock", "params": [gap, block_config("confirmed")]},
            {"jsonrpc": "2.0", "id": 3, "method": "noSuchMethod"},
        ]))
        .await?;
    assert_eq!(status, 200);
    assert_eq!(batch[0], json!({"jsonrpc": "2.0", "result": head, "id": 1}));
    assert_eq!(batch[1]["error"]["code"], json!(-32007));
    assert_eq!(batch[2]["error"]["code"], json!(-32601));
    Ok(())
}

/// A fork: a second bank plays other transactions from the same start; the
/// node replaces every block above a slot with the second ledger's, and
/// refuses to fork below the finalized slot.
#[tokio::test]
async fn a_fork_replaces_the_blocks_above_its_slot() -> anyhow::Result<()> {
    let file = settlement_vectors()?;
    let first = file.scenarios.first().context("no scenario")?;
    let (_, ledger_a, _) = run_scenario_recorded(first).await?;
    let second = file.scenarios.get(1).context("one scenario only")?;
    let (_, ledger_b, _) = run_scenario_recorded(second).await?;
    ledger_a.check_links()?;
    ledger_b.check_links()?;
    let (url, rpc) = SolanaRpc::start(ledger_a.clone()).await?;
    let client = Client {
        http: reqwest::Client::new(),
        url,
    };
    // A block of the first ledger with blocks of the second above it.
    let target = ledger_a.blocks[ledger_a.blocks.len() / 2]
        .slot
        .min(ledger_b.blocks[ledger_b.blocks.len() / 2].slot);
    let fork_at = ledger_a
        .blocks
        .iter()
        .map(|b| b.slot)
        .filter(|s| *s <= target)
        .max()
        .context("no block of the first ledger below the second's middle")?;
    rpc.knobs().finality_depth = u64::MAX;
    rpc.knobs().fork(fork_at, &ledger_b)?;
    let served: Vec<u64> = serde_json::from_value(
        client
            .result("getBlocks", json!([0, {"commitment": "confirmed"}]))
            .await?,
    )?;
    let mut expected: Vec<u64> = ledger_a
        .blocks
        .iter()
        .map(|b| b.slot)
        .filter(|s| *s <= fork_at)
        .collect();
    expected.extend(
        ledger_b
            .blocks
            .iter()
            .map(|b| b.slot)
            .filter(|s| *s > fork_at),
    );
    assert_eq!(served, expected);
    let kept = client
        .result("getBlock", json!([fork_at, block_config("confirmed")]))
        .await?;
    assert_eq!(
        kept,
        serde_json::to_value(&ledger_a.block(fork_at).context("kept")?.block)?
    );
    let after = client
        .result(
            "getBlock",
            json!([
                expected[expected
                    .iter()
                    .position(|s| *s == fork_at)
                    .context("fork slot")?
                    + 1],
                block_config("confirmed")
            ]),
        )
        .await?;
    assert_eq!(after["parentSlot"], json!(fork_at));
    assert_eq!(after["previousBlockhash"], kept["blockhash"]);
    let replaced = ledger_b
        .blocks
        .iter()
        .find(|b| b.slot > fork_at)
        .context("b above the fork")?;
    assert_eq!(
        after["transactions"],
        serde_json::to_value(&replaced.block.transactions)?
    );

    assert_eq!(rpc.knobs().ledger().head(), ledger_b.head());
    rpc.knobs().finality_depth = 0;
    assert!(
        rpc.knobs().fork(fork_at, &ledger_a).is_err(),
        "a finalized block changed"
    );
    Ok(())
}

/// The SDK flows of `solana_trade.rs` (pause, disputes resolved by the
/// multisig, co-signers, acceptor limits, a sweep, refused transactions)
/// recorded: the chain links, every escrow and multisig event decodes, a
/// failed transaction emits nothing, no more deals end than opened, and the
/// multisig's executed proposals show their events.
#[tokio::test]
async fn the_sdk_flows_record_with_decodable_events() -> anyhow::Result<()> {
    let flows = [
        (
            "trade",
            crate::solana_trade::trade_dispute_and_withdraw(true).await?,
        ),
        (
            "second factor",
            crate::solana_trade::second_factor_acceptor_limits_and_sweep(true).await?,
        ),
    ];
    for (name, ledger) in flows {
        let ledger = ledger.context("not recorded")?;
        ledger.check_links()?;
        let (mut opened, mut finals, mut failed, mut executed) = (0, 0, 0, 0);
        for (b, tx) in ledger.transactions() {
            let served = serde_json::to_value(tx)?;
            let events =
                escrow_events(&served).with_context(|| format!("{name} slot {}", b.slot))?;
            let multisig = multisig_events(&served)?;
            if tx.failed() {
                failed += 1;
                assert!(
                    events.is_empty() && multisig.is_empty(),
                    "{name}: a failed transaction emitted"
                );
            }
            opened += events.iter().filter(|e| e.name == "DealOpened").count();
            executed += multisig
                .iter()
                .filter(|e| e.name == "ProposalExecuted")
                .count();
            finals += events
                .iter()
                .filter(|e| matches!(e.name, "DealSettled" | "DealCancelled"))
                .count();
        }
        assert!(
            failed > 0,
            "{name}: the flow's refused transactions were recorded"
        );
        assert!(
            opened > 0 && finals <= opened,
            "{name}: {opened} opened, {finals} final"
        );
        assert!(executed > 0, "{name}: no multisig ProposalExecuted event");
    }
    Ok(())
}

/// Every conformance scenario recorded: the chain links, every escrow and
/// multisig event of every transaction decodes from the served JSON, every settled deal shows
/// a `DealSettled` or `DealCancelled`, and the vault's last recorded token
/// balance is the bank's.
#[tokio::test]
async fn every_conformance_scenario_is_recorded_with_decodable_events() -> anyhow::Result<()> {
    for mut r in record_conformance().await? {
        r.ledger.check_links()?;
        let vault = r.platform.escrow.vault();
        let mut finals = 0;
        let mut last_vault = None;
        for (b, tx) in r.ledger.transactions() {
            let served = serde_json::to_value(tx)?;
            let events =
                escrow_events(&served).with_context(|| format!("{} slot {}", r.name, b.slot))?;
            multisig_events(&served).with_context(|| format!("{} slot {}", r.name, b.slot))?;
            if tx.failed() {
                assert!(
                    events.is_empty(),
                    "{}: a failed transaction emitted",
                    r.name
                );
            }
            finals += events
                .iter()
                .filter(|e| matches!(e.name, "DealSettled" | "DealCancelled"))
                .count();
            if let Some(i) = tx.keys()?.iter().position(|k| *k == vault) {
                let index = u8::try_from(i)?;
                if let Some(t) = tx
                    .meta
                    .post_token_balances
                    .iter()
                    .find(|t| t.account_index == index)
                {
                    last_vault = Some(t.ui_token_amount.amount.parse::<u64>()?);
                }
            }
        }
        let deals = settlement_vectors()?
            .scenarios
            .iter()
            .find(|s| s.name == r.name)
            .map(|s| s.deals.len())
            .context("scenario")?;
        assert_eq!(finals, deals, "{}: one final event per deal", r.name);
        let held = r.platform.bank.token_balance(&vault).await?;
        assert_eq!(last_vault, Some(held), "{}: vault balance", r.name);
        assert!(!r.expected.balances.is_empty(), "{}: no balances", r.name);
    }
    Ok(())
}

/// A zeroed account owned by Token-2022, ready for its initialize instruction.
#[allow(deprecated)] // solana-program-test 3.1 marks its API as unstable-to-be, as in common/solana.rs
fn put_token_2022_account(bank: &mut Bank, key: &Pubkey, len: usize) {
    let account = AccountSharedData::new(1_000_000_000, len, &pda::TOKEN_2022_PROGRAM_ID);
    bank.ctx.set_account(key, &account);
}

/// SPL Token's instruction for Token-2022 (the base instructions share their
/// layout; SPL Token's builders only accept their own program id).
fn on_token_2022(
    mut ix: solana_sdk::instruction::Instruction,
) -> solana_sdk::instruction::Instruction {
    ix.program_id = pda::TOKEN_2022_PROGRAM_ID;
    ix
}

/// Token-2022 accounts are recorded like SPL Token's: a `transferChecked`
/// between two Token-2022 accounts shows both balances before and after with
/// Token-2022 as `programId`, equal to the bank's, and is served as recorded.
#[tokio::test]
async fn token_2022_balances_are_recorded_and_served() -> anyhow::Result<()> {
    use anchor_lang::solana_program::program_pack::Pack;
    use anchor_spl::token::spl_token;

    let mut bank = Bank::start().await;
    bank.start_recording().await?;
    let (authority, alice, bob) = (Keypair::new(), Keypair::new(), Keypair::new());
    for k in [&authority, &alice, &bob] {
        bank.fund(&k.pubkey());
    }
    let (mint, from, to) = (
        Pubkey::new_unique(),
        Pubkey::new_unique(),
        Pubkey::new_unique(),
    );
    put_token_2022_account(&mut bank, &mint, spl_token::state::Mint::LEN);
    put_token_2022_account(&mut bank, &from, spl_token::state::Account::LEN);
    put_token_2022_account(&mut bank, &to, spl_token::state::Account::LEN);
    let setup = vec![
        on_token_2022(spl_token::instruction::initialize_mint2(
            &spl_token::ID,
            &mint,
            &authority.pubkey(),
            None,
            6,
        )?),
        on_token_2022(spl_token::instruction::initialize_account3(
            &spl_token::ID,
            &from,
            &mint,
            &alice.pubkey(),
        )?),
        on_token_2022(spl_token::instruction::initialize_account3(
            &spl_token::ID,
            &to,
            &mint,
            &bob.pubkey(),
        )?),
        on_token_2022(spl_token::instruction::mint_to(
            &spl_token::ID,
            &mint,
            &from,
            &authority.pubkey(),
            &[],
            5_000_000,
        )?),
    ];
    bank.send(setup, &[&authority]).await?;
    let transfer = on_token_2022(spl_token::instruction::transfer_checked(
        &spl_token::ID,
        &from,
        &mint,
        &to,
        &alice.pubkey(),
        &[],
        1_250_000,
        6,
    )?);
    bank.send(vec![transfer], &[&alice]).await?;
    let (from_now, to_now) = (
        bank.token_balance(&from).await?,
        bank.token_balance(&to).await?,
    );
    assert_eq!((from_now, to_now), (3_750_000, 1_250_000));

    let ledger = bank.take_ledger().context("not recording")?;
    ledger.check_links()?;
    let (block, tx) = ledger.transactions().last().context("nothing recorded")?;
    let served_tx = serde_json::to_value(tx)?;
    let token_2022 = pda::TOKEN_2022_PROGRAM_ID.to_string();
    for (which, account, amount, owner) in [
        ("preTokenBalances", &from, 5_000_000, alice.pubkey()),
        ("preTokenBalances", &to, 0, bob.pubkey()),
        ("postTokenBalances", &from, from_now, alice.pubkey()),
        ("postTokenBalances", &to, to_now, bob.pubkey()),
    ] {
        assert_eq!(
            served_amount(&served_tx, which, account)?,
            Some(amount),
            "{which} {account}"
        );
        let index = tx
            .keys()?
            .iter()
            .position(|k| k == account)
            .context("key")?;
        let entry = served_tx["meta"][which]
            .as_array()
            .context("balances")?
            .iter()
            .find(|b| b["accountIndex"] == json!(index))
            .context("entry")?;
        assert_eq!(entry["programId"], json!(token_2022));
        assert_eq!(entry["mint"], json!(mint.to_string()));
        assert_eq!(entry["owner"], json!(owner.to_string()));
        assert_eq!(entry["uiTokenAmount"]["decimals"], json!(6));
    }
    assert_eq!(
        served_tx["meta"]["postTokenBalances"][0]["uiTokenAmount"]["uiAmountString"],
        json!("3.75")
    );

    let (url, _rpc) = SolanaRpc::start(ledger.clone()).await?;
    let client = Client {
        http: reqwest::Client::new(),
        url,
    };
    let mut expected = served_tx.clone();
    if let Value::Object(m) = &mut expected {
        m.insert("slot".into(), json!(block.slot));
        m.insert("blockTime".into(), json!(block.block.block_time));
    }
    let got = client
        .result(
            "getTransaction",
            json!([tx.signature(), {"encoding": "json", "maxSupportedTransactionVersion": 0, "commitment": "confirmed"}]),
        )
        .await?;
    assert_eq!(got, expected);
    // Without maxSupportedTransactionVersion a node leaves `version` out.
    let legacy = client
        .result(
            "getTransaction",
            json!([tx.signature(), {"commitment": "confirmed"}]),
        )
        .await?;
    assert!(legacy.get("version").is_none() && legacy["meta"] == expected["meta"]);
    Ok(())
}
