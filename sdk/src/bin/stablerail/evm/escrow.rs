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
use stablerail_sdk::evm::{CoSignAction, EscrowClient, co_signer_change_subject};

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
    /// Withdraw available balance to the account's withdrawal address. Beyond what is
    /// left of today's allowance, pass the co-signer's approval (`co-sign`).
    Withdraw {
        /// USDT, decimal.
        #[arg(long)]
        amount: String,
        #[command(flatten)]
        co: CoSignatureArgs,
    },
    /// Co-signer: approve an account's outflow or co-signer change (prints the signature;
    /// the key is the co-signer's).
    CoSign(CoSignArgs),
    /// The account's co-signer and daily outflow allowance: set, apply a pending change, cancel it.
    #[command(subcommand)]
    CoSigner(CoSignerAction),
    /// Acceptor: go online or offline and set the limits the dispatcher must respect.
    AcceptorLimits {
        /// Whether the dispatcher may assign deals (true or false).
        #[arg(long, action = clap::ArgAction::Set)]
        online: bool,
        /// The largest deal, USDT decimal.
        #[arg(long)]
        max_per_deal: String,
        /// The most assigned collections may lock in total, USDT decimal.
        #[arg(long)]
        max_locked: String,
    },
    /// Admin: credit tokens sent to the escrow directly (beyond its liabilities) to the treasury.
    Sweep,
    /// Merchant buy orders: post, fill (trader), cancel, show.
    #[command(subcommand)]
    BuyOrder(BuyOrderAction),
    /// Buyer: the fiat was sent.
    MarkPaid(DealArg),
    /// Seller: the fiat arrived; settle the deal. Beyond what is left of today's
    /// allowance, pass the co-signer's approval (`co-sign`).
    Release {
        /// The deal id.
        #[arg(long)]
        deal: String,
        #[command(flatten)]
        co: CoSignatureArgs,
    },
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

/// A co-signer's approval, as printed by `co-sign`.
#[derive(Debug, Args)]
struct CoSignatureArgs {
    /// The co-signer's signature (0x + 130 hex digits).
    #[arg(long, requires = "co_deadline")]
    co_signature: Option<String>,
    /// The deadline the co-signer signed (unix seconds).
    #[arg(long, requires = "co_signature")]
    co_deadline: Option<u64>,
}

#[derive(Debug, Args)]
struct CoSignArgs {
    /// The account whose action the co-signer approves.
    #[arg(long)]
    owner: String,
    /// withdraw, release or change.
    #[arg(long)]
    action: String,
    /// withdraw: the amount (USDT decimal).
    #[arg(long)]
    amount: Option<String>,
    /// release: the deal id.
    #[arg(long)]
    deal: Option<String>,
    /// change: the new co-signer (0x0000000000000000000000000000000000000000 to remove).
    #[arg(long)]
    co_signer: Option<String>,
    /// change: the new daily allowance (USDT decimal).
    #[arg(long)]
    allowance: Option<String>,
    /// Seconds from now (chain time) the approval stays valid.
    #[arg(long, default_value_t = 3_600)]
    valid_for: u64,
}

#[derive(Debug, Subcommand)]
enum CoSignerAction {
    /// Name a co-signer and daily allowance: immediate when none is set or when only lowering
    /// the allowance, else pending for the withdrawal delay unless the current co-signer approves.
    Set {
        /// The co-signer (0x0000000000000000000000000000000000000000 to remove).
        #[arg(long)]
        co_signer: String,
        /// Outflows per UTC day without co-signature, USDT decimal.
        #[arg(long)]
        allowance: String,
        #[command(flatten)]
        co: CoSignatureArgs,
    },
    /// Make a pending change effective once its time has come (anyone may).
    Apply {
        /// The account (default: the key's address).
        #[arg(long)]
        owner: Option<String>,
    },
    /// Cancel the key's pending change.
    Cancel,
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
        Parsed::Withdraw(amount, None) => {
            tx_view("withdraw", from, &client.withdraw(amount).await?)
        }
        Parsed::Withdraw(amount, Some((sig, deadline))) => tx_view(
            "withdrawCoSigned",
            from,
            &client.withdraw_co_signed(amount, deadline, &sig).await?,
        ),
        Parsed::Release(deal, co) => {
            let receipt = match co {
                None => client.release(deal).await?,
                Some((sig, deadline)) => client.release_co_signed(deal, deadline, &sig).await?,
            };
            let mut v = tx_view(
                if co.is_some() {
                    "releaseCoSigned"
                } else {
                    "release"
                },
                from,
                &receipt,
            );
            v.deal_id = Some(deal.to_string());
            v
        }
        Parsed::CoSign {
            owner,
            action,
            subject,
            valid_for,
        } => {
            let deadline = chain_time(&p).await?.saturating_add(valid_for);
            let signer = keys::load_signer(args.key_file.as_deref(), keys::EVM_KEY_ENV)?;
            let sig = client
                .co_sign(&signer, owner, action, subject, deadline)
                .await?;
            return emit_value(
                out,
                &json!({
                    "owner": show(owner),
                    "co_signer": show(from),
                    "action": format!("{action:?}").to_lowercase(),
                    "subject": subject.to_string(),
                    "deadline": deadline,
                    "signature": format!("0x{}", alloy::hex::encode(sig.as_bytes())),
                }),
            );
        }
        Parsed::SetCoSigner(co_signer, allowance, None) => tx_view(
            "setCoSigner",
            from,
            &client.set_co_signer(co_signer, allowance).await?,
        ),
        Parsed::SetCoSigner(co_signer, allowance, Some((sig, deadline))) => tx_view(
            "setCoSignerCoSigned",
            from,
            &client
                .set_co_signer_co_signed(co_signer, allowance, deadline, &sig)
                .await?,
        ),
        Parsed::ApplyCoSigner(owner) => {
            let now = chain_time(&p).await?;
            tx_view(
                "applyCoSigner",
                from,
                &client.apply_co_signer(owner.unwrap_or(from), now).await?,
            )
        }
        Parsed::CancelCoSigner => tx_view(
            "cancelCoSignerChange",
            from,
            &client.cancel_co_signer_change().await?,
        ),
        Parsed::AcceptorLimits(online, max_per_deal, max_locked) => tx_view(
            "setAcceptorLimits",
            from,
            &client
                .set_acceptor_limits(online, max_per_deal, max_locked)
                .await?,
        ),
        Parsed::Sweep => tx_view("sweepSurplus", from, &client.sweep_surplus().await?),
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

/// A co-signer's signature and the deadline it signed.
type CoSignature = Option<(alloy::primitives::Signature, u64)>;

/// An action with every input parsed.
enum Parsed {
    Deposit(stablerail_sdk::Amount),
    Withdraw(stablerail_sdk::Amount, CoSignature),
    Release(U256, CoSignature),
    CoSign {
        owner: Address,
        action: CoSignAction,
        subject: U256,
        valid_for: u64,
    },
    SetCoSigner(Address, stablerail_sdk::Amount, CoSignature),
    ApplyCoSigner(Option<Address>),
    CancelCoSigner,
    AcceptorLimits(bool, stablerail_sdk::Amount, stablerail_sdk::Amount),
    Sweep,
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
            A::Withdraw { amount, co } => {
                Self::Withdraw(inputs::amount("--amount", amount)?, co.parse()?)
            }
            A::Release { deal, co } => Self::Release(inputs::id("--deal", deal)?, co.parse()?),
            A::CoSign(c) => c.parse()?,
            A::CoSigner(CoSignerAction::Set {
                co_signer,
                allowance,
                co,
            }) => Self::SetCoSigner(
                inputs::evm_address("--co-signer", co_signer)?,
                inputs::amount("--allowance", allowance)?,
                co.parse()?,
            ),
            A::CoSigner(CoSignerAction::Apply { owner }) => Self::ApplyCoSigner(
                owner
                    .as_deref()
                    .map(|o| inputs::evm_address("--owner", o))
                    .transpose()?,
            ),
            A::CoSigner(CoSignerAction::Cancel) => Self::CancelCoSigner,
            A::AcceptorLimits {
                online,
                max_per_deal,
                max_locked,
            } => Self::AcceptorLimits(
                *online,
                inputs::amount("--max-per-deal", max_per_deal)?,
                inputs::amount("--max-locked", max_locked)?,
            ),
            A::Sweep => Self::Sweep,
            A::BuyOrder(BuyOrderAction::Post(post)) => Self::Post(post.parse()?),
            A::BuyOrder(BuyOrderAction::Fill(fill)) => {
                let (order, amount, order_ref) = fill.parse()?;
                Self::Fill(order, amount, order_ref)
            }
            A::BuyOrder(BuyOrderAction::Cancel { order }) => {
                Self::CancelOrder(inputs::id("--order", order)?)
            }
            A::MarkPaid(d) => Self::Deal("markPaid", inputs::id("--deal", &d.deal)?),
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

impl CoSignatureArgs {
    /// The signature and its deadline, if given (both or neither, enforced by clap).
    fn parse(&self) -> anyhow::Result<CoSignature> {
        let (Some(text), Some(deadline)) = (&self.co_signature, self.co_deadline) else {
            return Ok(None);
        };
        let bytes = alloy::hex::decode(text.trim_start_matches("0x"))
            .with_context(|| format!("--co-signature {text}: not hex"))?;
        let sig = alloy::primitives::Signature::from_raw(&bytes)
            .with_context(|| format!("--co-signature {text}: not a 65-byte signature"))?;
        Ok(Some((sig, deadline)))
    }
}

impl CoSignArgs {
    /// The action and its subject (docs/rules.md, "Co-signer and daily allowance").
    fn parse(&self) -> anyhow::Result<Parsed> {
        let owner = inputs::evm_address("--owner", &self.owner)?;
        let need = |v: &Option<String>, flag: &str| {
            v.clone()
                .with_context(|| format!("--action {} needs {flag}", self.action))
        };
        let (action, subject) = match self.action.as_str() {
            "withdraw" => (
                CoSignAction::Withdraw,
                U256::from(inputs::amount("--amount", &need(&self.amount, "--amount")?)?.units()),
            ),
            "release" => (
                CoSignAction::Release,
                inputs::id("--deal", &need(&self.deal, "--deal")?)?,
            ),
            "change" => (
                CoSignAction::Change,
                co_signer_change_subject(
                    inputs::evm_address("--co-signer", &need(&self.co_signer, "--co-signer")?)?,
                    inputs::amount("--allowance", &need(&self.allowance, "--allowance")?)?,
                ),
            ),
            other => anyhow::bail!("--action {other}: expected withdraw, release or change"),
        };
        Ok(Parsed::CoSign {
            owner,
            action,
            subject,
            valid_for: self.valid_for,
        })
    }
}
