//! `stablerail tron escrow`: the escrow actions on TRON, each a TriggerSmartContract
//! built and signed locally (calldata from the same bindings as on Ethereum), its
//! fee limit from the node's energy estimate; `--broadcast` sends it, otherwise the
//! signed transaction is printed. Inputs are parsed first; the SDK's pre-checks
//! (deal party and state, balances) run against the node before signing.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use stablerail_sdk::evm::DealAction;
use stablerail_sdk::tron::{Address, BuyOrderParams, TronClient, TronEscrow};

use crate::escrow_args::{FillArgs, PayoutArgs, PostArgs};
use crate::escrow_views::{account_json, deal_json, emit_value};
use crate::tron_send::{self, TronSendArgs};
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
    #[command(subcommand)]
    action: TronEscrowAction,
}

#[derive(Debug, Subcommand)]
enum TronEscrowAction {
    /// Approve the escrow (if the allowance is short) and deposit USDT.
    Deposit(AmountCmd),
    /// Withdraw available balance to the withdrawal address.
    Withdraw(AmountCmd),
    /// Merchant buy orders: post, fill (trader), cancel.
    #[command(subcommand)]
    BuyOrder(BuyOrderCmd),
    /// Buyer: the fiat was sent.
    MarkPaid(DealCmd),
    /// Seller: the fiat arrived; settle.
    Release(DealCmd),
    /// Buyer before release, or seller of an unpaid deal after its deadline.
    Cancel(DealCmd),
    /// Buyer or seller of a paid deal: ask the arbiter.
    Dispute(DealCmd),
    /// Merchant: lock USDT for a payout to its bank.
    PayoutOpen(PayoutCmd),
    /// Change where withdrawals go (effective after the escrow's delay), or cancel a change.
    #[command(subcommand)]
    WithdrawalAddress(WithdrawalCmd),
    /// An escrow account (default: the key's address).
    Account {
        /// The account.
        #[arg(long)]
        owner: Option<String>,
    },
    /// A live deal.
    Deal {
        /// The deal id.
        #[arg(long)]
        deal: String,
    },
}

#[derive(Debug, Args)]
struct AmountCmd {
    /// USDT, decimal (at most 6 decimals).
    #[arg(long)]
    amount: String,
    #[command(flatten)]
    send: TronSendArgs,
}

#[derive(Debug, Args)]
struct DealCmd {
    /// The deal id.
    #[arg(long)]
    deal: String,
    #[command(flatten)]
    send: TronSendArgs,
}

#[derive(Debug, Args)]
struct PayoutCmd {
    #[command(flatten)]
    payout: PayoutArgs,
    #[command(flatten)]
    send: TronSendArgs,
}

#[derive(Debug, Subcommand)]
enum WithdrawalCmd {
    /// Ask for withdrawals to go to `--to` after the delay.
    Request {
        /// The new withdrawal address.
        #[arg(long)]
        to: String,
        #[command(flatten)]
        send: TronSendArgs,
    },
    /// Cancel the pending change.
    Cancel {
        #[command(flatten)]
        send: TronSendArgs,
    },
}

#[derive(Debug, Subcommand)]
enum BuyOrderCmd {
    /// Merchant: post a buy order.
    Post {
        #[command(flatten)]
        post: PostArgs,
        #[command(flatten)]
        send: TronSendArgs,
    },
    /// Trader: sell into an order from the escrow balance.
    Fill {
        #[command(flatten)]
        fill: FillArgs,
        #[command(flatten)]
        send: TronSendArgs,
    },
    /// Merchant: cancel an order.
    Cancel {
        /// The order id.
        #[arg(long)]
        order: String,
        #[command(flatten)]
        send: TronSendArgs,
    },
}

fn render(a: alloy::primitives::Address) -> String {
    Address::from_evm_bytes(a.into_array()).to_base58()
}

/// Runs `stablerail tron escrow`.
pub(crate) async fn run(out: &Output, args: TronEscrowArgs) -> anyhow::Result<()> {
    use TronEscrowAction as A;
    // 1. Every input, before the key is read.
    let node = args.node.as_deref().context("--node is required")?;
    let escrow_text = args.escrow.as_deref().context("--escrow is required")?;
    let escrow = inputs::tron_address("--escrow", escrow_text)?;
    let client = TronClient::new(node)?;
    let deal_id = |cmd: &DealCmd| inputs::id("--deal", &cmd.deal);
    enum Step {
        Deposit(stablerail_sdk::Amount),
        Withdraw(stablerail_sdk::Amount),
        Post(BuyOrderParams),
        Fill(
            alloy::primitives::U256,
            stablerail_sdk::Amount,
            alloy::primitives::B256,
        ),
        CancelOrder(alloy::primitives::U256),
        Deal(DealAction, alloy::primitives::U256),
        Payout(stablerail_sdk::Amount, u32, alloy::primitives::B256),
        WithdrawalRequest(Address),
        WithdrawalCancel,
    }
    let (step, send, expires_in) = match &args.action {
        A::Deal { deal } => {
            let id = inputs::id("--deal", deal)?;
            let reader = TronEscrow::new(client, escrow, escrow);
            return emit_value(out, &deal_json(&reader.deal(id).await?, render));
        }
        A::Account { owner } => {
            let owner = match owner {
                Some(o) => inputs::tron_address("--owner", o)?,
                None => keys::load(args.key_file.as_deref())?.address(),
            };
            let reader = TronEscrow::new(client, escrow, owner);
            let account = reader.account(owner).await?;
            let (balance, _) = reader.token_balance_and_allowance(owner).await?;
            return emit_value(
                out,
                &account_json(owner.to_base58(), &account, balance, render),
            );
        }
        A::Deposit(c) => (
            Step::Deposit(inputs::amount("--amount", &c.amount)?),
            &c.send,
            0,
        ),
        A::Withdraw(c) => (
            Step::Withdraw(inputs::amount("--amount", &c.amount)?),
            &c.send,
            0,
        ),
        A::MarkPaid(c) => (Step::Deal(DealAction::MarkPaid, deal_id(c)?), &c.send, 0),
        A::Release(c) => (Step::Deal(DealAction::Release, deal_id(c)?), &c.send, 0),
        A::Cancel(c) => (Step::Deal(DealAction::Cancel, deal_id(c)?), &c.send, 0),
        A::Dispute(c) => (Step::Deal(DealAction::Dispute, deal_id(c)?), &c.send, 0),
        A::PayoutOpen(c) => {
            let (amount, window, order_ref) = c.payout.parse()?;
            (Step::Payout(amount, window, order_ref), &c.send, 0)
        }
        A::BuyOrder(BuyOrderCmd::Post { post, send }) => {
            let post = post.parse()?;
            let params = BuyOrderParams {
                price: post.price,
                currency: post.currency,
                amount: post.amount,
                min_fill: post.min_fill,
                max_fill: post.max_fill,
                expiry: 0,
                payment_window: post.payment_window,
            };
            (Step::Post(params), send, post.expires_in)
        }
        A::BuyOrder(BuyOrderCmd::Fill { fill, send }) => {
            let (order, amount, order_ref) = fill.parse()?;
            (Step::Fill(order, amount, order_ref), send, 0)
        }
        A::WithdrawalAddress(WithdrawalCmd::Request { to, send }) => (
            Step::WithdrawalRequest(inputs::tron_address("--to", to)?),
            send,
            0,
        ),
        A::WithdrawalAddress(WithdrawalCmd::Cancel { send }) => (Step::WithdrawalCancel, send, 0),
        A::BuyOrder(BuyOrderCmd::Cancel { order, send }) => {
            (Step::CancelOrder(inputs::id("--order", order)?), send, 0)
        }
    };
    let plan = send.plan()?;

    // 2. The key; the pre-checks read the chain as its address; then build and sign.
    let key = keys::load(args.key_file.as_deref())?;
    let escrow = TronEscrow::new(client.clone(), escrow, key.address());
    let calls = match step {
        Step::Deposit(amount) => escrow.deposit(amount).await?,
        Step::Withdraw(amount) => vec![escrow.withdraw(amount).await?],
        Step::Post(mut params) => {
            let now = u64::try_from(client.now_block().await?.timestamp / 1000).unwrap_or(0);
            params.expiry = now.saturating_add(expires_in);
            vec![escrow.post_buy_order(&params)?]
        }
        Step::Fill(order, amount, order_ref) => {
            vec![escrow.fill_buy_order(order, amount, order_ref).await?]
        }
        Step::CancelOrder(order) => vec![escrow.cancel_buy_order(order).await?],
        Step::Deal(action, id) => vec![escrow.deal_action(action, id).await?],
        Step::Payout(amount, window, order_ref) => {
            vec![escrow.open_payout(amount, window, order_ref).await?]
        }
        Step::WithdrawalRequest(to) => vec![escrow.request_withdrawal_address(to)],
        Step::WithdrawalCancel => vec![escrow.cancel_withdrawal_address_change()],
    };
    let views = tron_send::send_all(&client, &key, calls, &plan).await?;
    drop(key);
    out.emit(&views, |v| tron_send::render(v))
}
