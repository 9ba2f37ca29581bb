//! A Solana JSON-RPC node over real HTTP (axum on 127.0.0.1:0) whose state IS
//! the native runtime: the escrow and multisig programs run natively in
//! solana-program-test's bank next to the real SPL Token and Associated Token
//! programs (SBF), as in the workspace tests (`tests/tests/it/common/solana.rs`).
//!
//! The test fixture of the SDK's CLI tests and the gateway's (Solana co-signer)
//! tests, behind this crate's `solana-node` feature: one node, not a copy per crate.
//!
//! It serves what the SDK's client calls (`sdk/src/solana/rpc.rs`) in the documented
//! shapes: `getLatestBlockhash`, `getBlockHeight`, `getAccountInfo` (base64; any
//! commitment, `minContextSlot` honoured: `-32016` while the head is below it),
//! `getRecentPrioritizationFees`, `sendTransaction` and `getSignatureStatuses`. `sendTransaction` does what a
//! node does: signatures verified (`-32003` otherwise), a preflight simulation
//! in the bank (a failure is `-32002 Transaction simulation failed: <error>`
//! with the simulation's `err`, `logs` and `unitsConsumed` in `data`), then the
//! transaction processed for real in a block of its own (the bank advances one
//! slot after each). Statuses and prioritization fees come from what was
//! processed.
//!
//! Every processed transaction is recorded ([`crate::solana_ledger::Recorder`])
//! into the block `getBlock` returns for its slot, so the indexer's Solana source
//! follows this node: `getSlot`, `getBlocks`, `getBlock`, `getSignaturesForAddress`
//! and `getTransaction` answer from that ledger ([`crate::solana_blocks`]). Every
//! block is final at once: each commitment names the last block (the head), and
//! `getAccountInfo`'s `context.slot` is that block, whose state it answers.
//!
//! What native execution cannot show (`README.md`, Solana): the programs' own
//! compute units (only the SBF token programs are metered; a native program
//! costs one unit per invocation) and the programs' `msg!` lines (they go to
//! stdout, not to the transaction's logs). The runtime's own log lines
//! (`Program <id> failed: custom program error: 0x..`) are there.

#![allow(deprecated)]
// solana-program-test 3.1 marks its API as unstable-to-be
// A test node: a bank that fails to answer is a failed test, so it panics.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use anchor_spl::associated_token::spl_associated_token_account::instruction::create_associated_token_account;
use anchor_spl::token::spl_token;
use axum::Router;
use axum::extract::State as AxState;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use solana_program_test::{ProgramTest, ProgramTestContext, processor};
use solana_sdk::account::AccountSharedData;
use solana_sdk::account_info::AccountInfo;
use solana_sdk::clock::Clock;
use solana_sdk::program_pack::Pack;
use solana_sdk::transaction::TransactionError;
use stablerail_sdk::solana::sdk::{Instruction, Keypair, Pubkey, Signature, Signer, Transaction};
use stablerail_sdk::solana::{
    AnchorAccount, MultisigProgram, ProposalInstruction, TransactionBuilder, decode_base64, pda,
};
use tokio::sync::Mutex;

use crate::solana_blocks::{self, View};
use crate::solana_ledger::{Ledger, Recorder};

/// Lamports every wallet the tests fund starts with.
pub const WALLET_LAMPORTS: u64 = 10_000_000_000;

/// How many recent slots `getRecentPrioritizationFees` reports (as a node's cache).
const FEE_SLOTS: usize = 150;

/// The compute-budget program (its `SetComputeUnitPrice` is read for the fee table).
const COMPUTE_BUDGET_ID: Pubkey =
    solana_sdk::pubkey!("ComputeBudget111111111111111111111111111111");

fn escrow_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> solana_sdk::entrypoint::ProgramResult {
    // Anchor 1.x's `entry` ties every account to one lifetime; the runtime's
    // builtin callback does not promise it, so the inputs are leaked (tests only).
    let accounts = Box::leak(accounts.to_vec().into_boxed_slice());
    let program_id = Box::leak(Box::new(*program_id));
    let data = Box::leak(data.to_vec().into_boxed_slice());
    stablerail_escrow::entry(program_id, accounts, data)
}

fn multisig_entry(
    program_id: &Pubkey,
    accounts: &[AccountInfo],
    data: &[u8],
) -> solana_sdk::entrypoint::ProgramResult {
    let accounts = Box::leak(accounts.to_vec().into_boxed_slice());
    let program_id = Box::leak(Box::new(*program_id));
    let data = Box::leak(data.to_vec().into_boxed_slice());
    stablerail_multisig::entry(program_id, accounts, data)
}

/// A transaction the node processed.
#[derive(Debug, Clone)]
pub struct Processed {
    /// The slot of its block.
    pub slot: u64,
    /// The runtime's error, if it failed on chain.
    pub err: Option<TransactionError>,
    /// Compute units it consumed.
    pub units: u64,
    /// Its `SetComputeUnitLimit`, if any.
    pub unit_limit: Option<u32>,
    /// Its `SetComputeUnitPrice` (0 without one), micro-lamports per unit.
    pub unit_price: u64,
    /// The accounts it wrote.
    pub writable: Vec<Pubkey>,
}

/// The node's state: the bank and what it processed.
struct Inner {
    /// The bank.
    ctx: ProgramTestContext,
    /// Every processed transaction by signature.
    processed: HashMap<Signature, Processed>,
    /// Signatures in processing order.
    order: Vec<Signature>,
    /// Every JSON-RPC method called, in order.
    methods: Vec<String>,
    /// Preflight refusals: the JSON-RPC error sent back.
    refused: Vec<Value>,
    /// Every account that held a token balance of some mint at some point
    /// (read after each transaction), for the conservation checks.
    token_accounts: BTreeSet<Pubkey>,
    /// Every processed transaction in its block, as `getBlock` serves it.
    recorder: Recorder,
}

/// The running node.
#[derive(Clone)]
pub struct Runtime {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
}

impl Runtime {
    /// A bank with both programs (native) and the SPL programs (SBF), served
    /// on a fresh port.
    pub async fn start() -> Self {
        let mut pt = ProgramTest::new(
            "stablerail_escrow",
            pda::ESCROW_PROGRAM_ID,
            processor!(escrow_entry),
        );
        pt.add_program(
            "stablerail_multisig",
            pda::MULTISIG_PROGRAM_ID,
            processor!(multisig_entry),
        );
        pt.prefer_bpf(false);
        let mut ctx = pt.start_with_context().await;
        let recorder = Recorder::start(&mut ctx).await.unwrap();
        let inner = Arc::new(Mutex::new(Inner {
            ctx,
            processed: HashMap::new(),
            order: Vec::new(),
            methods: Vec::new(),
            refused: Vec::new(),
            token_accounts: BTreeSet::new(),
            recorder,
        }));
        let app = Router::new().fallback(handle).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self {
            url: format!("http://{addr}"),
            inner,
        }
    }

    /// The blocks recorded so far (one per processed transaction).
    pub async fn ledger(&self) -> Ledger {
        self.inner.lock().await.recorder.ledger().clone()
    }

    /// The slot of the last block (every commitment's slot here).
    pub async fn head(&self) -> u64 {
        self.inner.lock().await.head()
    }

    /// The JSON-RPC methods called so far.
    pub async fn methods(&self) -> Vec<String> {
        self.inner.lock().await.methods.clone()
    }

    /// The JSON-RPC errors `sendTransaction` answered so far.
    pub async fn refused(&self) -> Vec<Value> {
        self.inner.lock().await.refused.clone()
    }

    /// The bank's fee payer.
    pub async fn payer(&self) -> Keypair {
        self.inner.lock().await.ctx.payer.insecure_clone()
    }

    /// Gives `key` a system account with [`WALLET_LAMPORTS`].
    pub async fn fund(&self, key: &Pubkey) {
        let account = AccountSharedData::new(WALLET_LAMPORTS, 0, &pda::SYSTEM_PROGRAM_ID);
        self.inner.lock().await.ctx.set_account(key, &account);
    }

    /// Sets the SPL Token account `token`'s balance to `amount` without a
    /// transaction, as an exploit of a program bug would leave it (the counterpart
    /// of anvil's `anvil_setStorageAt` in the EVM tests): reads show the new balance
    /// at once, and the ledger records no transfer.
    pub async fn set_token_amount(&self, token: &Pubkey, amount: u64) {
        let mut inner = self.inner.lock().await;
        let account = inner
            .ctx
            .banks_client
            .get_account(*token)
            .await
            .unwrap()
            .expect("the token account exists");
        let mut state = spl_token::state::Account::unpack(&account.data).unwrap();
        state.amount = amount;
        let mut shared = AccountSharedData::from(account);
        let mut data = vec![0; spl_token::state::Account::LEN];
        spl_token::state::Account::pack(state, &mut data).unwrap();
        shared.set_data_from_slice(&data);
        inner.ctx.set_account(token, &shared);
    }

    /// Test setup outside the CLI: signs `ixs` with the SDK's builder (the
    /// bank's payer pays) and processes them through the same path as
    /// `sendTransaction`; panics if the transaction fails.
    pub async fn setup(&self, ixs: Vec<Instruction>, signers: &[&Keypair]) {
        let mut inner = self.inner.lock().await;
        let payer = inner.ctx.payer.insecure_clone();
        let blockhash = inner.ctx.banks_client.get_latest_blockhash().await.unwrap();
        let mut all: Vec<&dyn Signer> = vec![&payer];
        all.extend(signers.iter().map(|s| *s as &dyn Signer));
        let tx = TransactionBuilder::new(payer.pubkey())
            .with_instructions(ixs)
            .sign(blockhash, &all)
            .unwrap();
        if let Err(refusal) = inner.submit(tx).await {
            panic!("setup transaction refused: {refusal}");
        }
        let last = *inner.order.last().unwrap();
        let processed = &inner.processed[&last];
        assert!(
            processed.err.is_none(),
            "setup transaction failed: {:?}",
            processed.err
        );
    }

    /// Creates a 6-decimal mint through SPL Token (its zeroed space put in
    /// place, then `InitializeMint2`); returns it.
    pub async fn create_mint(&self, authority: &Pubkey) -> Pubkey {
        let mint = Pubkey::new_unique();
        let space = AccountSharedData::new(
            1_000_000_000,
            spl_token::state::Mint::LEN,
            &pda::TOKEN_PROGRAM_ID,
        );
        self.inner.lock().await.ctx.set_account(&mint, &space);
        let init =
            spl_token::instruction::initialize_mint2(&spl_token::ID, &mint, authority, None, 6)
                .unwrap();
        self.setup(vec![init], &[]).await;
        mint
    }

    /// Creates `owner`'s associated token account of `mint` through the
    /// Associated Token program; returns it.
    pub async fn create_ata(&self, owner: &Pubkey, mint: &Pubkey) -> Pubkey {
        let payer = self.payer().await.pubkey();
        let ix = create_associated_token_account(&payer, owner, mint, &spl_token::ID);
        self.setup(vec![ix], &[]).await;
        pda::associated_token_account(owner, mint, &pda::TOKEN_PROGRAM_ID)
    }

    /// Mints `amount` to `token` (the mint authority signs).
    pub async fn mint_to(&self, mint: &Pubkey, authority: &Keypair, token: &Pubkey, amount: u64) {
        let ix = spl_token::instruction::mint_to(
            &spl_token::ID,
            mint,
            token,
            &authority.pubkey(),
            &[],
            amount,
        )
        .unwrap();
        self.setup(vec![ix], &[authority]).await;
    }

    /// The raw account, if it exists.
    pub async fn account(&self, key: &Pubkey) -> Option<solana_sdk::account::Account> {
        let inner = self.inner.lock().await;
        inner.ctx.banks_client.get_account(*key).await.unwrap()
    }

    /// A program account decoded by the SDK; `None` if it does not exist.
    pub async fn decoded<T: AnchorAccount>(&self, key: &Pubkey) -> Option<T> {
        self.account(key).await.map(|a| T::decode(&a.data).unwrap())
    }

    /// The token amount of an SPL token account (0 if it does not exist).
    pub async fn token_balance(&self, key: &Pubkey) -> u64 {
        self.account(key).await.map_or(0, |a| {
            spl_token::state::Account::unpack(&a.data).unwrap().amount
        })
    }

    /// The supply of a mint.
    pub async fn supply(&self, mint: &Pubkey) -> u64 {
        let account = self.account(mint).await.unwrap();
        spl_token::state::Mint::unpack(&account.data)
            .unwrap()
            .supply
    }

    /// Every token account of `mint` that any processed transaction touched,
    /// with its balance.
    pub async fn token_accounts_of(&self, mint: &Pubkey) -> Vec<(Pubkey, u64)> {
        let keys: Vec<Pubkey> = self
            .inner
            .lock()
            .await
            .token_accounts
            .iter()
            .copied()
            .collect();
        let mut out = Vec::new();
        for key in keys {
            let Some(account) = self.account(&key).await else {
                continue;
            };
            if let Ok(state) = spl_token::state::Account::unpack(&account.data)
                && state.mint == *mint
            {
                out.push((key, state.amount));
            }
        }
        out
    }

    /// The processed transaction with `signature`.
    pub async fn processed(&self, signature: &str) -> Processed {
        let sig: Signature = signature.parse().unwrap();
        self.inner.lock().await.processed[&sig].clone()
    }

    /// Moves the bank's clock `secs` forward (a delay such as the co-signer
    /// change's `withdrawal_delay_secs`, without producing the blocks).
    pub async fn advance_clock(&self, secs: i64) {
        let inner = self.inner.lock().await;
        let mut clock: Clock = inner.ctx.banks_client.get_sysvar().await.unwrap();
        clock.unix_timestamp += secs;
        inner.ctx.set_sysvar(&clock);
    }

    /// The block height `getBlockHeight` reports.
    pub async fn block_height(&self) -> u64 {
        let inner = self.inner.lock().await;
        inner
            .ctx
            .banks_client
            .get_root_block_height()
            .await
            .unwrap()
    }

    /// Submits `tx` as `sendTransaction` does (signatures, preflight, processing).
    pub async fn send(&self, tx: Transaction) -> Result<Signature, Refusal> {
        self.inner.lock().await.submit(tx).await
    }

    /// The bank's unix time.
    pub async fn now(&self) -> i64 {
        let inner = self.inner.lock().await;
        let clock: Clock = inner.ctx.banks_client.get_sysvar().await.unwrap();
        clock.unix_timestamp
    }
}

/// A proposal for [`program_made_multisig`]: its instructions and the owners
/// (indexes) who approve it.
pub type ProposalSpec = (Vec<ProposalInstruction>, Vec<usize>);

/// A multisig as the program makes it: `multisig_create` with `create_key`,
/// `owners` and `threshold` in a fresh runtime, then each proposal created by owner 0 and
/// approved by its approvers. Returns its accounts (the multisig, then each
/// proposal) as `(address, data)`, for a node that serves
/// fixtures.
pub async fn program_made_multisig(
    create_key: &Keypair,
    owners: &[&Keypair],
    threshold: u16,
    proposals: &[ProposalSpec],
) -> Vec<(Pubkey, Vec<u8>)> {
    let rt = Runtime::start().await;
    let payer = rt.payer().await.pubkey();
    for owner in owners {
        rt.fund(&owner.pubkey()).await;
    }
    let multisig = MultisigProgram::for_create_key(&create_key.pubkey());
    let keys: Vec<Pubkey> = owners.iter().map(|o| o.pubkey()).collect();
    let ix = multisig
        .multisig_create(&create_key.pubkey(), &payer, &keys, threshold, 0)
        .unwrap();
    rt.setup(vec![ix], &[create_key]).await;
    let expires_at = rt.now().await + 7 * 86_400;
    for (i, (instructions, approvers)) in proposals.iter().enumerate() {
        let index = u64::try_from(i).unwrap() + 1;
        let create = multisig
            .proposal_create(&owners[0].pubkey(), index, instructions, expires_at)
            .unwrap();
        rt.setup(vec![create], &[owners[0]]).await;
        for a in approvers {
            let ix = multisig.proposal_approve(&owners[*a].pubkey(), index);
            rt.setup(vec![ix], &[owners[*a]]).await;
        }
    }
    let mut accounts = vec![multisig.multisig];
    accounts.extend((1..=proposals.len() as u64).map(|i| multisig.proposal(i)));
    let mut out = Vec::new();
    for key in accounts {
        let account = rt.account(&key).await.unwrap();
        assert_eq!(account.owner, pda::MULTISIG_PROGRAM_ID);
        out.push((key, account.data));
    }
    out
}

/// Why `sendTransaction` refused a transaction: the JSON-RPC error object.
#[derive(Debug)]
pub struct Refusal(pub Value);

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The compute-budget settings of a message: (limit, price).
fn compute_budget(tx: &Transaction) -> (Option<u32>, u64) {
    let keys = &tx.message.account_keys;
    let (mut limit, mut price) = (None, 0);
    for ix in &tx.message.instructions {
        if keys.get(usize::from(ix.program_id_index)) != Some(&COMPUTE_BUDGET_ID) {
            continue;
        }
        match ix.data.split_first() {
            Some((2, rest)) if rest.len() == 4 => {
                limit = Some(u32::from_le_bytes(rest.try_into().unwrap()));
            }
            Some((3, rest)) if rest.len() == 8 => {
                price = u64::from_le_bytes(rest.try_into().unwrap());
            }
            _ => {}
        }
    }
    (limit, price)
}

impl Inner {
    /// `sendTransaction` after decoding: signatures, preflight, processing.
    async fn submit(&mut self, tx: Transaction) -> Result<Signature, Refusal> {
        if tx.verify().is_err() {
            return Err(Refusal(json!({
                "code": -32003,
                "message": "Transaction signature verification failure",
            })));
        }
        let client = &mut self.ctx.banks_client;
        let simulated = client.simulate_transaction(tx.clone()).await.unwrap();
        let details = simulated.simulation_details;
        if let Some(Err(err)) = simulated.result {
            let (logs, units) = details
                .map(|d| (d.logs, d.units_consumed))
                .unwrap_or_default();
            let refusal = json!({
                "code": -32002,
                "message": format!("Transaction simulation failed: {err}"),
                "data": {
                    "accounts": null,
                    "err": serde_json::to_value(&err).unwrap(),
                    "innerInstructions": null,
                    "logs": logs,
                    "replacementBlockhash": null,
                    "returnData": null,
                    "unitsConsumed": units,
                },
            });
            self.refused.push(refusal.clone());
            return Err(Refusal(refusal));
        }
        let blocks = self.recorder.ledger().blocks.len();
        // Processed for real and recorded in a block of its own (the recorder
        // advances the bank one slot).
        let sent = self
            .recorder
            .process(&mut self.ctx, tx.clone())
            .await
            .unwrap();
        let Some(block) = self.recorder.ledger().blocks.get(blocks).cloned() else {
            // Refused before execution: not in any block, like a node's
            // `sendTransaction` with preflight skipped would drop it.
            let err = sent.err();
            let refusal = json!({"code": -32002, "message": format!("Transaction simulation failed: {err:?}")});
            return Err(Refusal(refusal));
        };
        let meta = &block.block.transactions[0].meta;
        let signature = tx.signatures[0];
        let (unit_limit, unit_price) = compute_budget(&tx);
        let writable: Vec<Pubkey> = tx
            .message
            .account_keys
            .iter()
            .enumerate()
            .filter(|(i, _)| tx.message.is_maybe_writable(*i, None))
            .map(|(_, k)| *k)
            .collect();
        // Remember every token account the transaction named.
        for key in &tx.message.account_keys {
            if let Some(account) = self.ctx.banks_client.get_account(*key).await.unwrap()
                && account.owner == spl_token::ID
                && account.data.len() == spl_token::state::Account::LEN
            {
                self.token_accounts.insert(*key);
            }
        }
        self.processed.insert(
            signature,
            Processed {
                slot: block.slot,
                err: meta.err.clone(),
                units: meta.compute_units_consumed,
                unit_limit,
                unit_price,
                writable,
            },
        );
        self.order.push(signature);
        Ok(signature)
    }

    /// The last block's slot (before any: the slot before the bank's).
    fn head(&self) -> u64 {
        self.recorder.head()
    }

    async fn slot(&self) -> u64 {
        let clock: Clock = self.ctx.banks_client.get_sysvar().await.unwrap();
        clock.slot
    }
}

fn ok(id: &Value, result: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "result": result}).to_string()
}

fn error(id: &Value, error: Value) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": error}).to_string()
}

fn invalid_params(id: &Value, why: &str) -> String {
    error(
        id,
        json!({"code": -32602, "message": format!("Invalid params: {why}")}),
    )
}

async fn handle(AxState(inner): AxState<Arc<Mutex<Inner>>>, body: String) -> String {
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return error(
            &Value::Null,
            json!({"code": -32700, "message": "Parse error"}),
        );
    };
    let id = request["id"].clone();
    if request["jsonrpc"] != "2.0" {
        return error(&id, json!({"code": -32600, "message": "Invalid request"}));
    }
    let method = request["method"].as_str().unwrap_or_default().to_owned();
    let params = request["params"].clone();
    let mut s = inner.lock().await;
    s.methods.push(method.clone());
    let slot = s.slot().await;
    let context = json!({"slot": slot, "apiVersion": "3.1.12"});
    match method.as_str() {
        "getLatestBlockhash" => {
            let client = &mut s.ctx.banks_client;
            let blockhash = client.get_latest_blockhash().await.unwrap();
            let height = client.get_root_block_height().await.unwrap();
            // A blockhash stays valid for 150 blocks.
            ok(
                &id,
                json!({"context": context, "value": {
                    "blockhash": blockhash.to_string(),
                    "lastValidBlockHeight": height + 150,
                }}),
            )
        }
        "getBlockHeight" => {
            let height = s.ctx.banks_client.get_root_block_height().await.unwrap();
            ok(&id, json!(height))
        }
        "getAccountInfo" => {
            let Some(Ok(key)) = params[0].as_str().map(str::parse::<Pubkey>) else {
                return invalid_params(&id, "Invalid param: WrongSize");
            };
            if params[1]["encoding"] != "base64" {
                return invalid_params(&id, "this node serves encoding base64 only");
            }
            // The state after the last block: every commitment's slot here.
            let head = s.head();
            if let Some(min) = params[1]["minContextSlot"].as_u64()
                && head < min
            {
                return error(
                    &id,
                    json!({"code": -32016, "message": "Minimum context slot has not been reached", "data": {"contextSlot": head}}),
                );
            }
            let context = json!({"slot": head, "apiVersion": "3.1.12"});
            match s.ctx.banks_client.get_account(key).await.unwrap() {
                None => ok(&id, json!({"context": context, "value": null})),
                Some(a) => ok(
                    &id,
                    json!({"context": context, "value": {
                        "data": [BASE64.encode(&a.data), "base64"],
                        "executable": a.executable,
                        "lamports": a.lamports,
                        "owner": a.owner.to_string(),
                        "rentEpoch": a.rent_epoch,
                        "space": a.data.len(),
                    }}),
                ),
            }
        }
        "getRecentPrioritizationFees" => {
            let accounts: Vec<Pubkey> = match params.get(0).and_then(Value::as_array) {
                None => Vec::new(),
                Some(keys) => match keys
                    .iter()
                    .map(|k| k.as_str().and_then(|k| k.parse().ok()))
                    .collect::<Option<Vec<Pubkey>>>()
                {
                    Some(keys) if keys.len() <= 128 => keys,
                    _ => return invalid_params(&id, "Invalid pubkey or more than 128"),
                },
            };
            // One transaction per block: a slot's fee for these accounts is the
            // price its transaction paid if it wrote any of them (any
            // transaction when none are given), else 0.
            let start = s.order.len().saturating_sub(FEE_SLOTS);
            let fees: Vec<Value> = s.order[start..]
                .iter()
                .map(|sig| {
                    let p = &s.processed[sig];
                    let writes =
                        accounts.is_empty() || p.writable.iter().any(|k| accounts.contains(k));
                    let fee = if writes && p.err.is_none() {
                        p.unit_price
                    } else {
                        0
                    };
                    json!({"slot": p.slot, "prioritizationFee": fee})
                })
                .collect();
            ok(&id, Value::Array(fees))
        }
        "sendTransaction" => {
            let encoding = params[1]["encoding"].as_str().unwrap_or("base58");
            let wire = params[0].as_str().unwrap_or_default();
            let tx = match encoding {
                "base64" => decode_base64(wire).ok(),
                "base58" => bs58::decode(wire)
                    .into_vec()
                    .ok()
                    .and_then(|b| bincode::deserialize::<Transaction>(&b).ok()),
                _ => None,
            };
            let Some(tx) = tx else {
                return invalid_params(&id, "failed to deserialize the transaction");
            };
            match s.submit(tx).await {
                Ok(signature) => ok(&id, json!(signature.to_string())),
                Err(Refusal(e)) => error(&id, e),
            }
        }
        "getSignatureStatuses" => {
            let Some(sigs) = params[0].as_array() else {
                return invalid_params(&id, "expected an array of signatures");
            };
            let value: Vec<Value> = sigs
                .iter()
                .map(|sig| {
                    let found = sig
                        .as_str()
                        .and_then(|t| t.parse::<Signature>().ok())
                        .and_then(|t| s.processed.get(&t));
                    match found {
                        None => Value::Null,
                        Some(p) => json!({
                            "slot": p.slot,
                            "confirmations": slot - p.slot,
                            "err": p.err,
                            "status": match &p.err {
                                None => json!({"Ok": null}),
                                Some(e) => json!({"Err": e}),
                            },
                            "confirmationStatus": "confirmed",
                        }),
                    }
                })
                .collect();
            ok(&id, json!({"context": context, "value": value}))
        }
        _ => {
            let head = s.head();
            let view = View {
                ledger: s.recorder.ledger(),
                head,
                finalized: head,
            };
            let empty = Vec::new();
            let list = params.as_array().unwrap_or(&empty);
            match solana_blocks::answer(&view, &method, list) {
                Some(Ok(v)) => ok(&id, v),
                Some(Err(e)) => error(&id, json!({"code": e.code, "message": e.message})),
                None => error(&id, json!({"code": -32601, "message": "Method not found"})),
            }
        }
    }
}
