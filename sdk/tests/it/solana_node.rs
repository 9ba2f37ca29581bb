//! A small Solana JSON-RPC node over real HTTP (axum on 127.0.0.1:0) answering
//! with the documented JSON shapes: `getLatestBlockhash`,
//! `getRecentPrioritizationFees`, `getAccountInfo` (base64), `sendTransaction`
//! (checks signatures and the blockhash like a node's preflight) and
//! `getSignatureStatuses`. Any method can be forced to a fixed status and body.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State as AxState;
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use stablerail_sdk::solana::decode_base64;
use stablerail_sdk::solana::sdk::{Hash, Pubkey, Transaction};

/// The blockhash the node hands out.
pub(crate) fn blockhash() -> Hash {
    Hash::new_from_array([9; 32])
}

pub(crate) const LAST_VALID_HEIGHT: u64 = 3_090;

#[derive(Default)]
pub(crate) struct State {
    pub(crate) accounts: HashMap<Pubkey, (Pubkey, Vec<u8>)>,
    pub(crate) fees: Vec<u64>,
    pub(crate) forced: HashMap<String, (u16, String)>,
    pub(crate) requests: Vec<(String, Value)>,
    pub(crate) sent: Vec<Transaction>,
}

#[derive(Clone)]
pub(crate) struct RpcNode {
    pub(crate) url: String,
    pub(crate) state: Arc<Mutex<State>>,
}

impl RpcNode {
    pub(crate) async fn start() -> Self {
        let state = Arc::new(Mutex::new(State::default()));
        let app = Router::new().fallback(handle).with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url: format!("http://{addr}"),
            state,
        }
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut State) -> R) -> R {
        f(&mut self.state.lock().unwrap())
    }

    pub(crate) fn put_account(&self, address: Pubkey, owner: Pubkey, data: Vec<u8>) {
        self.with(|s| s.accounts.insert(address, (owner, data)));
    }

    pub(crate) fn force(&self, method: &str, status: u16, body: &str) {
        self.with(|s| {
            s.forced
                .insert(method.to_owned(), (status, body.to_owned()))
        });
    }

    pub(crate) fn methods(&self) -> Vec<String> {
        self.with(|s| s.requests.iter().map(|(m, _)| m.clone()).collect())
    }
}

fn ok(result: Value) -> (StatusCode, String) {
    (
        StatusCode::OK,
        json!({"jsonrpc": "2.0", "id": 1, "result": result}).to_string(),
    )
}

fn rpc_error(code: i64, message: &str, data: Value) -> (StatusCode, String) {
    (
        StatusCode::OK,
        json!({"jsonrpc": "2.0", "id": 1, "error": {"code": code, "message": message, "data": data}})
            .to_string(),
    )
}

async fn handle(AxState(state): AxState<Arc<Mutex<State>>>, body: String) -> (StatusCode, String) {
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let method = request["method"].as_str().unwrap_or_default().to_owned();
    let params = request["params"].clone();
    let mut s = state.lock().unwrap();
    s.requests.push((method.clone(), params.clone()));
    if let Some((status, body)) = s.forced.get(&method) {
        return (StatusCode::from_u16(*status).unwrap(), body.clone());
    }
    let context = json!({"slot": 341_197_053u64, "apiVersion": "3.0.6"});
    match method.as_str() {
        "getLatestBlockhash" => ok(json!({
            "context": context,
            "value": {"blockhash": blockhash().to_string(), "lastValidBlockHeight": LAST_VALID_HEIGHT},
        })),
        "getRecentPrioritizationFees" => ok(Value::Array(
            s.fees
                .iter()
                .enumerate()
                .map(|(i, f)| json!({"slot": 348_125 + i as u64, "prioritizationFee": f}))
                .collect(),
        )),
        "getAccountInfo" => {
            let key: Pubkey = params[0].as_str().unwrap_or_default().parse().unwrap();
            match s.accounts.get(&key) {
                None => ok(json!({"context": context, "value": null})),
                Some((owner, data)) => ok(json!({
                    "context": context,
                    "value": {
                        "data": [BASE64.encode(data), "base64"],
                        "executable": false,
                        "lamports": 1_461_600u64,
                        "owner": owner.to_string(),
                        "rentEpoch": u64::MAX,
                        "space": data.len(),
                    },
                })),
            }
        }
        "sendTransaction" => {
            let Ok(tx) = decode_base64(params[0].as_str().unwrap_or_default()) else {
                return rpc_error(
                    -32602,
                    "invalid transaction: failed to deserialize",
                    Value::Null,
                );
            };
            if tx.verify().is_err() {
                return rpc_error(
                    -32003,
                    "Transaction signature verification failure",
                    Value::Null,
                );
            }
            if tx.message.recent_blockhash != blockhash() {
                return rpc_error(
                    -32002,
                    "Transaction simulation failed: Blockhash not found",
                    json!({"err": "BlockhashNotFound", "logs": [], "accounts": null, "unitsConsumed": 0}),
                );
            }
            let signature = tx.signatures[0].to_string();
            s.sent.push(tx);
            ok(json!(signature))
        }
        "getSignatureStatuses" => {
            let sent: Vec<String> = s.sent.iter().map(|t| t.signatures[0].to_string()).collect();
            let value: Vec<Value> = params[0]
                .as_array()
                .unwrap()
                .iter()
                .map(|sig| {
                    if sent.iter().any(|s| Some(s.as_str()) == sig.as_str()) {
                        json!({"slot": 341_197_054u64, "confirmations": 1, "err": null, "status": {"Ok": null}, "confirmationStatus": "confirmed"})
                    } else {
                        Value::Null
                    }
                })
                .collect();
            ok(json!({"context": context, "value": value}))
        }
        _ => rpc_error(-32601, "Method not found", Value::Null),
    }
}

/// An escrow deployment as the node serves it: config, escrow accounts of a
/// merchant (with an agent), a trader and the treasury, and one paid Trade deal.
pub(crate) struct Fixture {
    pub(crate) escrow: stablerail_sdk::solana::EscrowProgram,
    pub(crate) config: stablerail_sdk::solana::Config,
    pub(crate) merchant: Pubkey,
    pub(crate) agent: Pubkey,
    pub(crate) deal_id: u64,
    pub(crate) deal: stablerail_sdk::solana::Deal,
}

pub(crate) fn escrow_fixture(node: &RpcNode, trader: Pubkey) -> Fixture {
    use stablerail_sdk::solana::{self as sol, AnchorAccount, pda};
    let key = |n: u8| Pubkey::new_from_array([n; 32]);
    let escrow = sol::EscrowProgram::for_creator(&key(1));
    let (merchant, agent, treasury, mint) = (key(2), key(3), key(4), key(5));
    let mut fees = sol::FeeSchedule::default();
    fees.merchant_tiers[0] = sol::FeeTier {
        threshold: 0,
        bps: 100,
    };
    fees.merchant_tier_count = 1;
    fees.agent_tiers[0] = sol::FeeTier {
        threshold: 0,
        bps: 2_000,
    };
    fees.agent_tier_count = 1;
    let config = sol::Config {
        creator: key(1),
        bump: 255,
        vault_bump: 254,
        authorities: sol::Authorities {
            admin: key(10),
            guardian: key(11),
            arbiter: key(12),
            dispatcher: key(13),
            compliance: key(14),
            treasury,
        },
        usdt_mint: mint,
        usdt_decimals: 6,
        token_program: pda::TOKEN_PROGRAM_ID,
        vault: escrow.vault(),
        fees,
        limits: sol::Limits {
            min_payment_window_secs: 60,
            max_payment_window_secs: 86_400,
            max_deal_amount: 1_000_000_000,
            ..sol::Limits::default()
        },
        paused: false,
        next_deal_id: 7,
        next_order_id: 3,
        liabilities: 0,
    };
    node.put_account(escrow.config, pda::ESCROW_PROGRAM_ID, config.encode());
    let account = |wallet: Pubkey, agent: Option<Pubkey>| sol::EscrowAccount {
        config: escrow.config,
        wallet,
        bump: 250,
        available: 0,
        locked: 0,
        roles: stablerail_sdk::Roles::NONE,
        agent,
        merchant_volume: 0,
        agent_volume: 0,
        kyc_level: 0,
        region: 0,
        withdrawal_address: wallet,
        pending_withdrawal_address: None,
        pending_effective_at: 0,
        co_signer: None,
        daily_allowance: 0,
        outflow_day: 0,
        outflow_today: 0,
        pending_co_signer: None,
        pending_daily_allowance: 0,
        pending_co_signer_at: 0,
        online: false,
        max_per_deal: 0,
        max_locked: 0,
    };
    for (wallet, a) in [
        (merchant, Some(agent)),
        (trader, None),
        (agent, None),
        (treasury, None),
    ] {
        node.put_account(
            escrow.account(&wallet),
            pda::ESCROW_PROGRAM_ID,
            account(wallet, a).encode(),
        );
    }
    let deal_id = 6;
    let deal = sol::Deal {
        config: escrow.config,
        id: deal_id,
        bump: 253,
        kind: stablerail_sdk::DealKind::Trade,
        state: sol::DealState::Paid,
        seller: trader,
        buyer: merchant,
        merchant,
        amount: 20_000_000,
        deadline: 1_900_000_000,
        reference: [1; 32],
        rent_payer: trader,
        order_id: Some(2),
        fee_bps: 100,
        agent: Some(agent),
        agent_share_bps: 2_000,
        reward_bps: 0,
        disputed_at: 0,
    };
    node.put_account(escrow.deal(deal_id), pda::ESCROW_PROGRAM_ID, deal.encode());
    let order = sol::BuyOrder {
        config: escrow.config,
        id: 2,
        bump: 252,
        merchant,
        price_minor: 725,
        currency: *b"CNY",
        remaining: 30_000_000,
        min_fill: 1_000_000,
        max_fill: 30_000_000,
        expiry: 1_900_000_000,
        payment_window_secs: 1_800,
        open: true,
        open_fills: 1,
    };
    node.put_account(escrow.buy_order(2), pda::ESCROW_PROGRAM_ID, order.encode());
    Fixture {
        escrow,
        config,
        merchant,
        agent,
        deal_id,
        deal,
    }
}
