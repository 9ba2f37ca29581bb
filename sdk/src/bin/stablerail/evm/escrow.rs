//! `stablerail evm escrow`: every escrow action a merchant, acceptor, trader or
//! agent takes, and the reads behind them. Inputs are parsed first, then the key is
//! loaded, then the SDK's pre-checks and the contract's simulation run before
//! anything is signed.

use std::path::PathBuf;

use alloy::{
    primitives::{Address, U256},
    rpc::types::TransactionReceipt,
};
use anyhow::Context as _;
use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::json;
use stablerail_sdk::evm::EscrowClient;

use super::{chain_time, fees, provider, show};
use crate::escrow_args::{self, FillArgs, PayoutArgs, PostArgs};
use crate::escrow_views::{account_json, deal_json, emit_value};
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
    action: EscrowAction,
}

#[derive(Debug, Subcommand)]
enum EscrowAction {
    /// Approve the escrow (if the allowance is short) and deposit USDT from the wallet.
    Deposit {
        /// USDT, decimal (at most 6 decimals).
        #[arg(long)]
        amount: String,
    },
    /// Withdraw available balance to the account's withdrawal address.
    Withdraw {
        /// USDT, decimal.
        #[arg(long)]
        amount: String,
    },
    /// Merchant buy orders: post, fill (trader), cancel, show.
    #[command(subcommand)]
    BuyOrder(BuyOrderAction),
    /// Buyer: the fiat was sent.
    MarkPaid(DealArg),
    /// Seller: the fiat arrived; settle the deal.
    Release(DealArg),
    /// Buyer before release, or seller of an unpaid deal after its deadline.
    Cancel(DealArg),
    /// Buyer or seller of a paid deal: ask the arbiter.
    Dispute(DealArg),
    /// Merchant: lock USDT for a payout to its bank (an acceptor is assigned later).
    PayoutOpen(PayoutArgs),
    /// Change where withdrawals go (effective after the escrow's delay), or cancel a change.
    #[command(subcommand)]
    WithdrawalAddress(WithdrawalAddressAction),
    /// An escrow account's balances, roles and volumes, and the wallet's token balance.
    Account {
        /// The account (default: the key's address).
        #[arg(long)]
        owner: Option<String>,
    },
    /// A live deal.
    Deal(DealArg),
    /// Dispatcher: assign an acceptor (the buyer) to an unassigned payout.
    AssignPayout {
        /// The payout deal id.
        #[arg(long)]
        deal: String,
        /// The acceptor.
        #[arg(long)]
        acceptor: String,
    },
    /// Dispatcher: open a collection locking an acceptor's collateral for a merchant.
    AssignCollection {
        /// The acceptor (seller).
        #[arg(long)]
        acceptor: String,
        /// The merchant (buyer).
        #[arg(long)]
        merchant: String,
        /// USDT, decimal.
        #[arg(long)]
        amount: String,
        /// Seconds the customer has to pay.
        #[arg(long, default_value_t = 3600)]
        payment_window: u32,
        /// Off-chain reference: 0x + 64 hex digits, or text (hashed with keccak256).
        #[arg(long = "ref")]
        order_ref: Option<String>,
    },
}

#[derive(Debug, Args)]
struct DealArg {
    /// The deal id.
    #[arg(long)]
    deal: String,
}

#[derive(Debug, Subcommand)]
enum BuyOrderAction {
    /// Merchant: post a buy order.
    Post(PostArgs),
    /// Trader: sell USDT from the escrow balance into an order; opens a Trade deal.
    Fill(FillArgs),
    /// Merchant: cancel an order.
    Cancel {
        /// The order id.
        #[arg(long)]
        order: String,
    },
    /// Show an open order.
    Show {
        /// The order id.
        #[arg(long)]
        order: String,
    },
}

#[derive(Debug, Subcommand)]
enum WithdrawalAddressAction {
    /// Ask for withdrawals to go to `--to` after the escrow's delay (applied on the next withdraw).
    Request {
        /// The new withdrawal address.
        #[arg(long)]
        to: String,
    },
    /// Cancel the pending change.
    Cancel,
    /// Where withdrawals go now, and any pending change.
    Show {
        /// The account (default: the key's address).
        #[arg(long)]
        owner: Option<String>,
    },
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
    use EscrowAction as A;
    // 1. Validate every input before a key is read.
    let rpc_url = args
        .rpc_url
        .as_deref()
        .context("--rpc-url (or STABLERAIL_RPC_URL) is required")?;
    let escrow_text = args.escrow.as_deref().context("--escrow is required")?;
    let escrow = inputs::evm_address("--escrow", escrow_text)?;
    let level = inputs::priority(&args.priority)?;

    // Reads need no key.
    match &args.action {
        A::Deal(d) => {
            let id = inputs::id("--deal", &d.deal)?;
            let client = EscrowClient::new(escrow, provider(rpc_url, None)?);
            let deal = client.deal(id).await?;
            return emit_value(out, &deal_json(&deal, show));
        }
        A::BuyOrder(BuyOrderAction::Show { order }) => {
            let id = inputs::id("--order", order)?;
            let client = EscrowClient::new(escrow, provider(rpc_url, None)?);
            let o = client.buy_order(id).await?;
            return emit_value(
                out,
                &json!({
                    "order_id": o.id.to_string(),
                    "merchant": show(o.merchant),
                    "price": o.price,
                    "currency": o.currency,
                    "remaining": o.remaining.to_string(),
                    "min_fill": o.min_fill.to_string(),
                    "max_fill": o.max_fill.to_string(),
                    "expiry": o.expiry,
                    "payment_window": o.payment_window,
                }),
            );
        }
        A::Account { owner } | A::WithdrawalAddress(WithdrawalAddressAction::Show { owner }) => {
            let owner = match owner {
                Some(o) => inputs::evm_address("--owner", o)?,
                None => keys::load_signer(args.key_file.as_deref(), keys::EVM_KEY_ENV)?.address(),
            };
            let client = EscrowClient::new(escrow, provider(rpc_url, None)?);
            let account = client.account(owner).await?;
            if let A::Account { .. } = &args.action {
                let balance = client.token_balance(owner).await?;
                return emit_value(out, &account_json(show(owner), &account, balance, show));
            }
            let effective = client.withdrawal_address(owner).await?;
            return emit_value(
                out,
                &json!({
                    "owner": show(owner),
                    "withdrawals_go_to": show(effective),
                    "pending": account.pending_withdrawal.map(|(to, at)| json!({"to": show(to), "effective_at": at})),
                }),
            );
        }
        _ => {}
    }
    let action = Parsed::parse(&args.action)?;

    // 2. The key, then the pre-checks and simulation inside the SDK, then send.
    let signer = keys::load_signer(args.key_file.as_deref(), keys::EVM_KEY_ENV)?;
    let from = signer.address();
    let p = provider(rpc_url, Some(signer))?;
    let fees = fees(&p, level).await?;
    let client = EscrowClient::new(escrow, p.clone())
        .with_fees(fees)
        .with_caller(from);
    let view = match action {
        Parsed::Deposit(amount) => tx_view("deposit", from, &client.deposit(from, amount).await?),
        Parsed::Withdraw(amount) => tx_view("withdraw", from, &client.withdraw(amount).await?),
        Parsed::Post(post) => {
            let expiry = chain_time(&p).await?.saturating_add(post.expires_in);
            let (order_id, receipt) = client
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
            let mut v = tx_view("postBuyOrder", from, &receipt);
            v.order_id = Some(order_id.to_string());
            v
        }
        Parsed::Fill(order, amount, order_ref) => {
            let (deal_id, receipt) = client.fill_buy_order_sent(order, amount, order_ref).await?;
            let mut v = tx_view("fillBuyOrder", from, &receipt);
            v.order_id = Some(order.to_string());
            v.deal_id = Some(deal_id.to_string());
            v
        }
        Parsed::CancelOrder(order) => {
            let mut v = tx_view(
                "cancelBuyOrder",
                from,
                &client.cancel_buy_order(order).await?,
            );
            v.order_id = Some(order.to_string());
            v
        }
        Parsed::Deal(kind, deal) => {
            let receipt = match kind {
                "markPaid" => client.mark_paid(deal).await?,
                "release" => client.release(deal).await?,
                "cancel" => client.cancel(deal).await?,
                _ => client.dispute(deal).await?,
            };
            let mut v = tx_view(kind, from, &receipt);
            v.deal_id = Some(deal.to_string());
            v
        }
        Parsed::PayoutOpen(amount, payment_window, order_ref) => {
            let (deal_id, receipt) = client
                .open_payout_sent(amount, payment_window, order_ref)
                .await?;
            let mut v = tx_view("openPayout", from, &receipt);
            v.deal_id = Some(deal_id.to_string());
            v
        }
        Parsed::WithdrawalRequest(to) => tx_view(
            "requestWithdrawalAddress",
            from,
            &client.request_withdrawal_address(to).await?,
        ),
        Parsed::WithdrawalCancel => tx_view(
            "cancelWithdrawalAddressChange",
            from,
            &client.cancel_withdrawal_address_change().await?,
        ),
        Parsed::AssignPayout(deal, acceptor) => {
            let mut v = tx_view(
                "assignPayout",
                from,
                &client.assign_payout(deal, acceptor).await?,
            );
            v.deal_id = Some(deal.to_string());
            v
        }
        Parsed::AssignCollection {
            acceptor,
            merchant,
            amount,
            payment_window,
            order_ref,
        } => {
            let (deal_id, receipt) = client
                .assign_collection_sent(acceptor, merchant, amount, payment_window, order_ref)
                .await?;
            let mut v = tx_view("assignCollection", from, &receipt);
            v.deal_id = Some(deal_id.to_string());
            v
        }
    };
    emit_tx(out, &view)
}

/// An action with every input parsed.
enum Parsed {
    Deposit(stablerail_sdk::Amount),
    Withdraw(stablerail_sdk::Amount),
    Post(escrow_args::Post),
    Fill(U256, stablerail_sdk::Amount, alloy::primitives::B256),
    CancelOrder(U256),
    Deal(&'static str, U256),
    PayoutOpen(stablerail_sdk::Amount, u32, alloy::primitives::B256),
    WithdrawalRequest(Address),
    WithdrawalCancel,
    AssignPayout(U256, Address),
    AssignCollection {
        acceptor: Address,
        merchant: Address,
        amount: stablerail_sdk::Amount,
        payment_window: u32,
        order_ref: alloy::primitives::B256,
    },
}

impl Parsed {
    fn parse(a: &EscrowAction) -> anyhow::Result<Self> {
        use EscrowAction as A;
        Ok(match a {
            A::Deposit { amount } => Self::Deposit(inputs::amount("--amount", amount)?),
            A::Withdraw { amount } => Self::Withdraw(inputs::amount("--amount", amount)?),
            A::BuyOrder(BuyOrderAction::Post(post)) => Self::Post(post.parse()?),
            A::BuyOrder(BuyOrderAction::Fill(fill)) => {
                let (order, amount, order_ref) = fill.parse()?;
                Self::Fill(order, amount, order_ref)
            }
            A::BuyOrder(BuyOrderAction::Cancel { order }) => {
                Self::CancelOrder(inputs::id("--order", order)?)
            }
            A::MarkPaid(d) => Self::Deal("markPaid", inputs::id("--deal", &d.deal)?),
            A::Release(d) => Self::Deal("release", inputs::id("--deal", &d.deal)?),
            A::Cancel(d) => Self::Deal("cancel", inputs::id("--deal", &d.deal)?),
            A::Dispute(d) => Self::Deal("dispute", inputs::id("--deal", &d.deal)?),
            A::PayoutOpen(payout) => {
                let (amount, payment_window, order_ref) = payout.parse()?;
                Self::PayoutOpen(amount, payment_window, order_ref)
            }
            A::WithdrawalAddress(WithdrawalAddressAction::Request { to }) => {
                Self::WithdrawalRequest(inputs::evm_address("--to", to)?)
            }
            A::WithdrawalAddress(WithdrawalAddressAction::Cancel) => Self::WithdrawalCancel,
            A::AssignPayout { deal, acceptor } => Self::AssignPayout(
                inputs::id("--deal", deal)?,
                inputs::evm_address("--acceptor", acceptor)?,
            ),
            A::AssignCollection {
                acceptor,
                merchant,
                amount,
                payment_window,
                order_ref,
            } => Self::AssignCollection {
                acceptor: inputs::evm_address("--acceptor", acceptor)?,
                merchant: inputs::evm_address("--merchant", merchant)?,
                amount: inputs::amount("--amount", amount)?,
                payment_window: *payment_window,
                order_ref: inputs::order_ref(order_ref.as_deref())?,
            },
            A::Account { .. }
            | A::Deal(_)
            | A::BuyOrder(BuyOrderAction::Show { .. })
            | A::WithdrawalAddress(WithdrawalAddressAction::Show { .. }) => {
                anyhow::bail!("reads are handled before parsing a transaction")
            }
        })
    }
}
