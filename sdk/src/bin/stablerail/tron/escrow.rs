//! `stablerail tron escrow`: the shared escrow commands (`crate::escrow`) on TRON,
//! each a TriggerSmartContract built and signed locally (calldata from the same
//! bindings as on Ethereum), its fee limit from the node's energy estimate;
//! `--broadcast` sends it, otherwise the signed transaction is printed. Inputs are
//! parsed first; the SDK's pre-checks (the EVM client's own: role, deal party and
//! state, balances, allowance, acceptor limits) run against the node before signing.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use stablerail_sdk::evm::DealAction;
use stablerail_sdk::tron::{Address, BuyOrderParams, TronClient, TronEscrow};

use super::send::{self, TronSendArgs};
use crate::escrow::views::{
    account_json, co_sign_json, deal_json, emit_value, order_json, withdrawal_json,
};
use crate::escrow::{CoSign, EscrowCommand, Parsed, Read, Step};
use crate::{inputs, keys, output::Output};

/// Arguments of `stablerail tron escrow`.
#[derive(Debug, Args)]
pub(crate) struct TronEscrowArgs {
    /// The full node's HTTP URL (reference block, energy estimate, reads, broadcast).
    #[arg(long, global = true)]
    node: Option<String>,
    /// The escrow contract (base58 or 41-hex).
    #[arg(long, global = true)]
    escrow: Option<String>,
    /// File holding the private key (else STABLERAIL_TRON_KEY).
    #[arg(long, global = true)]
    key_file: Option<PathBuf>,
    #[command(flatten)]
    send: TronSendArgs,
    #[command(subcommand)]
    command: EscrowCommand,
}

fn render(a: alloy::primitives::Address) -> String {
    Address::from_evm_bytes(a.into_array()).to_base58()
}

/// Runs `stablerail tron escrow`.
pub(crate) async fn run(out: &Output, args: TronEscrowArgs) -> anyhow::Result<()> {
    // 1. Every input, before the key is read.
    let node = args.node.as_deref().context("--node is required")?;
    let escrow_text = args.escrow.as_deref().context("--escrow is required")?;
    let escrow = inputs::tron_address("--escrow", escrow_text)?;
    let parsed = args.command.parse::<Address>()?;
    let plan = args.send.plan()?;
    let client = TronClient::new(node)?;
    let step = match parsed {
        Parsed::Read(read) => return show_read(out, &args, client, escrow, read).await,
        Parsed::CoSign(c) => return co_sign(out, &args, client, escrow, c).await,
        Parsed::Tx(step) => step,
    };

    // 2. The key; the pre-checks read the chain as its address; then build and sign.
    let key = keys::load(args.key_file.as_deref())?;
    let from = key.address();
    let escrow = TronEscrow::new(client.clone(), escrow, from);
    let function = step.function();
    let progress = out.progress(format!("{function}: checking against the node"));
    let calls = match step {
        Step::Deposit(amount) => escrow.deposit(amount).await?,
        Step::Withdraw(amount, None) => vec![escrow.withdraw(amount).await?],
        Step::Withdraw(amount, Some((sig, deadline))) => {
            vec![escrow.withdraw_co_signed(amount, deadline, &sig).await?]
        }
        Step::SetCoSigner(co_signer, allowance, None) => {
            vec![escrow.set_co_signer(co_signer, allowance)]
        }
        Step::SetCoSigner(co_signer, allowance, Some((sig, deadline))) => vec![
            escrow
                .set_co_signer_co_signed(co_signer, allowance, deadline, &sig)
                .await?,
        ],
        Step::ApplyCoSigner(owner) => vec![escrow.apply_co_signer(owner.unwrap_or(from)).await?],
        Step::CancelCoSigner => vec![escrow.cancel_co_signer_change().await?],
        Step::AcceptorLimits(online, max_per_deal, max_locked) => {
            vec![escrow.set_acceptor_limits(online, max_per_deal, max_locked)]
        }
        Step::Sweep => vec![escrow.sweep_surplus().await?],
        Step::Post(post) => {
            let params = BuyOrderParams {
                price: post.price,
                currency: post.currency,
                amount: post.amount,
                min_fill: post.min_fill,
                max_fill: post.max_fill,
                expiry: escrow.chain_time().await?.saturating_add(post.expires_in),
                payment_window: post.payment_window,
            };
            vec![escrow.post_buy_order(&params).await?]
        }
        Step::Fill(order, amount, order_ref) => {
            vec![escrow.fill_buy_order(order, amount, order_ref).await?]
        }
        Step::CancelOrder(order) => vec![escrow.cancel_buy_order(order).await?],
        Step::Deal(DealAction::Release, id, Some((sig, deadline))) => {
            vec![escrow.release_co_signed(id, deadline, &sig).await?]
        }
        Step::Deal(action, id, _) => vec![escrow.deal_action(action, id).await?],
        Step::PayoutOpen(amount, window, order_ref) => {
            vec![escrow.open_payout(amount, window, order_ref).await?]
        }
        Step::AssignPayout(deal, acceptor) => vec![escrow.assign_payout(deal, acceptor).await?],
        Step::AssignCollection(c) => vec![
            escrow
                .assign_collection(
                    c.acceptor,
                    c.merchant,
                    c.amount,
                    c.payment_window,
                    c.order_ref,
                )
                .await?,
        ],
        Step::WithdrawalRequest(to) => vec![escrow.request_withdrawal_address(to)],
        Step::WithdrawalCancel => vec![escrow.cancel_withdrawal_address_change()],
    };
    progress.say(format!("{function}: estimating, signing, sending"));
    let views = send::send_all(&client, &key, calls, &plan).await?;
    drop(progress);
    drop(key);
    out.emit(&views, |v| send::render(v))
}

/// An escrow read; no key needed but for the default owner.
async fn show_read(
    out: &Output,
    args: &TronEscrowArgs,
    client: TronClient,
    escrow: Address,
    read: Read<Address>,
) -> anyhow::Result<()> {
    let owner_or_key = |owner: Option<Address>| match owner {
        Some(o) => Ok(o),
        None => keys::load(args.key_file.as_deref()).map(|k| k.address()),
    };
    let reader = TronEscrow::new(client, escrow, escrow);
    let v = match read {
        Read::Deal(id) => deal_json(&reader.deal(id).await?, render),
        Read::Order(id) => order_json(&reader.buy_order(id).await?, render),
        Read::Account(owner) => {
            let owner = owner_or_key(owner)?;
            let account = reader.account(owner).await?;
            let (balance, _) = reader.token_balance_and_allowance(owner).await?;
            account_json(owner.to_base58(), &account, balance, render)
        }
        Read::WithdrawalAddress(owner) => {
            let owner = owner_or_key(owner)?;
            let account = reader.account(owner).await?;
            let goes_to = reader.withdrawal_address(owner).await?.to_base58();
            withdrawal_json(owner.to_base58(), goes_to, &account, render)
        }
    };
    emit_value(out, &v)
}

/// The co-signer's approval. The co-signer's key is a secp256k1 key like any TRON
/// key: it signs the EIP-712 digest as an alloy signer.
async fn co_sign(
    out: &Output,
    args: &TronEscrowArgs,
    client: TronClient,
    escrow: Address,
    c: CoSign<Address>,
) -> anyhow::Result<()> {
    let signer = keys::load_signer(args.key_file.as_deref(), keys::KEY_ENV)?;
    let co_signer = Address::from_evm_bytes(signer.address().into_array());
    let escrow = TronEscrow::new(client, escrow, co_signer);
    let deadline = escrow.chain_time().await?.saturating_add(c.valid_for);
    let sig = escrow
        .co_sign(&signer, c.owner, c.action, c.subject, deadline)
        .await?;
    let v = co_sign_json(
        c.owner.to_base58(),
        co_signer.to_base58(),
        c.action,
        c.subject,
        deadline,
        &sig,
    );
    emit_value(out, &v)
}
