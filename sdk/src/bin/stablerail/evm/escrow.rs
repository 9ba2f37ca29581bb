//! `stablerail evm escrow`: the shared escrow commands (`crate::escrow`) on an EVM
//! chain. Inputs are parsed first, then the key is loaded, then the SDK's pre-checks
//! and the contract's simulation run before anything is signed.

use std::path::PathBuf;

use alloy::{
    primitives::{Address, U256},
    rpc::types::TransactionReceipt,
};
use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use stablerail_sdk::evm::{DealAction, EscrowClient};

use super::rpc::{chain_time, fees, provider, show};
use crate::escrow::views::{
    account_json, co_sign_json, deal_json, emit_value, order_json, withdrawal_json,
};
use crate::escrow::{CoSign, EscrowCommand, Parsed, Read, Step};
use crate::{inputs, keys, output::Output};

/// Arguments of `stablerail evm escrow`.
#[derive(Debug, Args)]
pub(crate) struct EscrowArgs {
    /// JSON-RPC URL of the node.
    #[arg(long, global = true, env = "STABLERAIL_RPC_URL")]
    rpc_url: Option<String>,
    /// The escrow contract.
    #[arg(long, global = true)]
    escrow: Option<String>,
    /// File holding the signer's private key (else STABLERAIL_EVM_KEY).
    #[arg(long, global = true)]
    key_file: Option<PathBuf>,
    /// Priority tip: low, normal, high, or a tip in gwei.
    #[arg(long, global = true, default_value = "normal")]
    priority: String,
    #[command(subcommand)]
    command: EscrowCommand,
}

/// What a sent transaction did.
#[derive(Serialize)]
struct TxView {
    action: &'static str,
    from: String,
    tx_hash: String,
    block_number: Option<u64>,
    gas_used: u64,
    effective_gas_price: u128,
    #[serde(skip_serializing_if = "Option::is_none")]
    deal_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    order_id: Option<String>,
}

fn tx_view(action: &'static str, from: Address, r: &TransactionReceipt) -> TxView {
    TxView {
        action,
        from: show(from),
        tx_hash: r.transaction_hash.to_string(),
        block_number: r.block_number,
        gas_used: r.gas_used,
        effective_gas_price: r.effective_gas_price,
        deal_id: None,
        order_id: None,
    }
}

fn emit_tx(out: &Output, v: &TxView) -> anyhow::Result<()> {
    out.emit(v, |v| {
        let mut s = format!("{} sent by {}\ntx     {}", v.action, v.from, v.tx_hash);
        if let Some(b) = v.block_number {
            s.push_str(&format!("\nblock  {b} (gas {})", v.gas_used));
        }
        if let Some(d) = &v.deal_id {
            s.push_str(&format!("\ndeal   {d}"));
        }
        if let Some(o) = &v.order_id {
            s.push_str(&format!("\norder  {o}"));
        }
        s
    })
}

/// Runs `stablerail evm escrow`.
pub(crate) async fn run(out: &Output, args: EscrowArgs) -> anyhow::Result<()> {
    // 1. Validate every input before a key is read.
    let rpc_url = args
        .rpc_url
        .as_deref()
        .context("--rpc-url (or STABLERAIL_RPC_URL) is required")?;
    let escrow_text = args.escrow.as_deref().context("--escrow is required")?;
    let escrow = inputs::evm_address("--escrow", escrow_text)?;
    let level = inputs::priority(&args.priority)?;
    let step = match args.command.parse::<Address>()? {
        Parsed::Read(read) => return show_read(out, &args, rpc_url, escrow, read).await,
        Parsed::CoSign(c) => return co_sign(out, &args, rpc_url, escrow, c).await,
        Parsed::Tx(step) => step,
    };

    // 2. The key, then the pre-checks and simulation inside the SDK, then send.
    let signer = keys::load_signer(args.key_file.as_deref(), keys::EVM_KEY_ENV)?;
    let from = signer.address();
    let p = provider(rpc_url, Some(signer))?;
    let fees = fees(&p, level).await?;
    let client = EscrowClient::new(escrow, p.clone())
        .with_fees(fees)
        .with_caller(from);
    let function = step.function();
    let progress = out.progress(format!(
        "{function}: checking, simulating, waiting for the receipt"
    ));
    let mut deal_id = None;
    let mut order_id = None;
    let receipt = match step {
        Step::Deposit(amount) => client.deposit(from, amount).await?,
        Step::Withdraw(amount, None) => client.withdraw(amount).await?,
        Step::Withdraw(amount, Some((sig, deadline))) => {
            client.withdraw_co_signed(amount, deadline, &sig).await?
        }
        Step::SetCoSigner(co_signer, allowance, None) => {
            client.set_co_signer(co_signer, allowance).await?
        }
        Step::SetCoSigner(co_signer, allowance, Some((sig, deadline))) => {
            client
                .set_co_signer_co_signed(co_signer, allowance, deadline, &sig)
                .await?
        }
        Step::ApplyCoSigner(owner) => {
            let now = chain_time(&p).await?;
            client.apply_co_signer(owner.unwrap_or(from), now).await?
        }
        Step::CancelCoSigner => client.cancel_co_signer_change().await?,
        Step::AcceptorLimits(online, max_per_deal, max_locked) => {
            client
                .set_acceptor_limits(online, max_per_deal, max_locked)
                .await?
        }
        Step::Sweep => client.sweep_surplus().await?,
        Step::Post(post) => {
            let expiry = chain_time(&p).await?.saturating_add(post.expires_in);
            let (id, receipt) = client
                .post_buy_order_sent(
                    post.price,
                    &post.currency,
                    post.amount,
                    post.min_fill,
                    post.max_fill,
                    expiry,
                    post.payment_window,
                )
                .await?;
            order_id = Some(id);
            receipt
        }
        Step::Fill(order, amount, order_ref) => {
            let (id, receipt) = client.fill_buy_order_sent(order, amount, order_ref).await?;
            (order_id, deal_id) = (Some(order), Some(id));
            receipt
        }
        Step::CancelOrder(order) => {
            order_id = Some(order);
            client.cancel_buy_order(order).await?
        }
        Step::Deal(action, deal, co) => {
            deal_id = Some(deal);
            match (action, co) {
                (DealAction::Release, Some((sig, deadline))) => {
                    client.release_co_signed(deal, deadline, &sig).await?
                }
                (DealAction::Release, None) => client.release(deal).await?,
                (DealAction::MarkPaid, _) => client.mark_paid(deal).await?,
                (DealAction::Cancel, _) => client.cancel(deal).await?,
                (DealAction::Dispute, _) => client.dispute(deal).await?,
            }
        }
        Step::PayoutOpen(amount, payment_window, order_ref) => {
            let (id, receipt) = client
                .open_payout_sent(amount, payment_window, order_ref)
                .await?;
            deal_id = Some(id);
            receipt
        }
        Step::AssignPayout(deal, acceptor) => {
            deal_id = Some(deal);
            client.assign_payout(deal, acceptor).await?
        }
        Step::AssignCollection(c) => {
            let (id, receipt) = client
                .assign_collection_sent(
                    c.acceptor,
                    c.merchant,
                    c.amount,
                    c.payment_window,
                    c.order_ref,
                )
                .await?;
            deal_id = Some(id);
            receipt
        }
        Step::WithdrawalRequest(to) => client.request_withdrawal_address(to).await?,
        Step::WithdrawalCancel => client.cancel_withdrawal_address_change().await?,
    };
    drop(progress);
    let mut view = tx_view(function, from, &receipt);
    view.deal_id = deal_id.map(|d: U256| d.to_string());
    view.order_id = order_id.map(|o: U256| o.to_string());
    emit_tx(out, &view)
}

/// An escrow read; no key needed but for the default owner.
async fn show_read(
    out: &Output,
    args: &EscrowArgs,
    rpc_url: &str,
    escrow: Address,
    read: Read<Address>,
) -> anyhow::Result<()> {
    let owner_or_key = |owner: Option<Address>| match owner {
        Some(o) => Ok(o),
        None => keys::load_signer(args.key_file.as_deref(), keys::EVM_KEY_ENV).map(|k| k.address()),
    };
    let client = EscrowClient::new(escrow, provider(rpc_url, None)?);
    let v = match read {
        Read::Deal(id) => deal_json(&client.deal(id).await?, show),
        Read::Order(id) => order_json(&client.buy_order(id).await?, show),
        Read::Account(owner) => {
            let owner = owner_or_key(owner)?;
            let account = client.account(owner).await?;
            let balance = client.token_balance(owner).await?;
            account_json(show(owner), &account, balance, show)
        }
        Read::WithdrawalAddress(owner) => {
            let owner = owner_or_key(owner)?;
            let account = client.account(owner).await?;
            let goes_to = show(client.withdrawal_address(owner).await?);
            withdrawal_json(show(owner), goes_to, &account, show)
        }
    };
    emit_value(out, &v)
}

/// The co-signer's approval, signed with the key (the co-signer's).
async fn co_sign(
    out: &Output,
    args: &EscrowArgs,
    rpc_url: &str,
    escrow: Address,
    c: CoSign<Address>,
) -> anyhow::Result<()> {
    let signer = keys::load_signer(args.key_file.as_deref(), keys::EVM_KEY_ENV)?;
    let p = provider(rpc_url, None)?;
    let client = EscrowClient::new(escrow, p.clone());
    let deadline = chain_time(&p).await?.saturating_add(c.valid_for);
    let sig = client
        .co_sign(&signer, c.owner, c.action, c.subject, deadline)
        .await?;
    let v = co_sign_json(
        show(c.owner),
        show(signer.address()),
        c.action,
        c.subject,
        deadline,
        &sig,
    );
    emit_value(out, &v)
}
