//! The escrow commands the EVM and TRON share (the same Solidity contract on both),
//! in one grammar: noun, then verb (`buy-order post`, `deal release`,
//! `co-signer set`), as the Anchor program names its instructions. Each chain's
//! `escrow` command parses these into a [`Step`] with its own address form, then
//! runs it with its own client (`evm/escrow.rs`, `tron/escrow.rs`).

pub(crate) mod args;
pub(crate) mod views;

use alloy::primitives::{B256, Signature, U256};
use anyhow::Context as _;
use clap::{Args, Subcommand};
use stablerail_sdk::Amount;
use stablerail_sdk::evm::{CoSignAction, DealAction, co_signer_change_subject};

use crate::inputs;
use args::{DealTermsArgs, FillArgs, PayoutArgs, Post, PostArgs};

/// An address as one chain writes it (checksummed hex, TRON base58), parsed from a flag.
pub(crate) trait ChainAddress: Sized + Copy {
    /// Parses `text`; an error names `flag`.
    fn parse(flag: &str, text: &str) -> anyhow::Result<Self>;
    /// The 20-byte address the contract uses.
    fn evm(&self) -> alloy::primitives::Address;
}

impl ChainAddress for alloy::primitives::Address {
    fn parse(flag: &str, text: &str) -> anyhow::Result<Self> {
        inputs::evm_address(flag, text)
    }
    fn evm(&self) -> alloy::primitives::Address {
        *self
    }
}

impl ChainAddress for stablerail_sdk::tron::Address {
    fn parse(flag: &str, text: &str) -> anyhow::Result<Self> {
        inputs::tron_address(flag, text)
    }
    fn evm(&self) -> alloy::primitives::Address {
        alloy::primitives::Address::from(self.evm_bytes())
    }
}

/// `escrow` subcommands, shared by `evm escrow` and `tron escrow`.
#[derive(Debug, Subcommand)]
pub(crate) enum EscrowCommand {
    /// The caller's escrow account: deposit, withdraw, show.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Merchant buy orders: post, fill (trader), cancel, show.
    #[command(subcommand)]
    BuyOrder(BuyOrderCmd),
    /// Deals: mark-paid, release, cancel, dispute, show.
    #[command(subcommand)]
    Deal(DealCmd),
    /// Payouts: open (merchant), assign (dispatcher).
    #[command(subcommand)]
    Payout(PayoutCmd),
    /// Collections: assign (dispatcher).
    #[command(subcommand)]
    Collection(CollectionCmd),
    /// The co-signer and daily outflow allowance: approve (the co-signer), set, apply, cancel.
    #[command(subcommand)]
    CoSigner(CoSignerCmd),
    /// Acceptor: go online or offline and set the limits the dispatcher must respect.
    #[command(subcommand)]
    Acceptor(AcceptorCmd),
    /// Admin: tokens sent to the escrow directly (beyond its liabilities).
    #[command(subcommand)]
    Surplus(SurplusCmd),
    /// Where withdrawals go: request a change (effective after the escrow's delay), cancel, show.
    #[command(subcommand)]
    WithdrawalAddress(WithdrawalAddressCmd),
}

#[derive(Debug, Subcommand)]
pub(crate) enum AccountCmd {
    /// Approve the escrow (if the allowance is short) and deposit USDT from the wallet.
    Deposit {
        /// USDT, decimal (at most 6 decimals).
        #[arg(long)]
        amount: String,
    },
    /// Withdraw available balance to the account's withdrawal address. Beyond what is
    /// left of today's allowance, pass the co-signer's approval (`co-signer approve`).
    Withdraw {
        /// USDT, decimal (at most 6 decimals).
        #[arg(long)]
        amount: String,
        #[command(flatten)]
        co: CoSignatureArgs,
    },
    /// Balances, roles, co-signer, acceptor limits and the wallet's token balance.
    Show(OwnerArg),
}

#[derive(Debug, Subcommand)]
pub(crate) enum BuyOrderCmd {
    /// Merchant: post a buy order.
    Post(PostArgs),
    /// Trader: sell USDT from the escrow balance into an order; opens a Trade deal.
    Fill(FillArgs),
    /// Merchant: cancel an order.
    Cancel(OrderArg),
    /// Show an open order.
    Show(OrderArg),
}

#[derive(Debug, Subcommand)]
pub(crate) enum DealCmd {
    /// Buyer (or the dispatcher, for a collection): the fiat was sent.
    MarkPaid(DealArg),
    /// Seller: the fiat arrived; settle the deal. Beyond what is left of today's
    /// allowance, pass the co-signer's approval (`co-signer approve`).
    Release {
        #[command(flatten)]
        deal: DealArg,
        #[command(flatten)]
        co: CoSignatureArgs,
    },
    /// Buyer before release, or seller of an unpaid deal after its deadline.
    Cancel(DealArg),
    /// Buyer or seller of a paid deal: ask the arbiter.
    Dispute(DealArg),
    /// Show a live deal.
    Show(DealArg),
}

#[derive(Debug, Subcommand)]
pub(crate) enum PayoutCmd {
    /// Merchant: lock USDT for a payout to its bank (an acceptor is assigned later).
    Open(PayoutArgs),
    /// Dispatcher: assign an acceptor (the buyer) to an unassigned payout.
    Assign {
        /// The payout deal id.
        #[arg(long)]
        deal: String,
        /// The acceptor.
        #[arg(long)]
        acceptor: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CollectionCmd {
    /// Dispatcher: open a collection locking an acceptor's collateral for a merchant.
    Assign {
        /// The acceptor (seller).
        #[arg(long)]
        acceptor: String,
        /// The merchant (buyer).
        #[arg(long)]
        merchant: String,
        /// USDT, decimal.
        #[arg(long)]
        amount: String,
        #[command(flatten)]
        terms: DealTermsArgs,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum CoSignerCmd {
    /// The co-signer approves an account's outflow or co-signer change: prints the
    /// signature to pass as --co-signature (the key is the co-signer's).
    Approve(CoSignArgs),
    /// Name a co-signer and daily allowance: immediate when none is set or when only lowering
    /// the allowance, else pending for the withdrawal delay unless the current co-signer approves.
    Set {
        /// The co-signer (the zero address to remove).
        #[arg(long)]
        co_signer: String,
        /// Outflows per UTC day without co-signature, USDT decimal.
        #[arg(long)]
        allowance: String,
        #[command(flatten)]
        co: CoSignatureArgs,
    },
    /// Make a pending change effective once its time has come (anyone may).
    Apply(OwnerArg),
    /// Cancel the key's pending change.
    Cancel,
}

#[derive(Debug, Subcommand)]
pub(crate) enum AcceptorCmd {
    /// Whether the dispatcher may assign deals, the largest deal, the most locked at once.
    SetLimits {
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
}

#[derive(Debug, Subcommand)]
pub(crate) enum SurplusCmd {
    /// Credit the tokens held beyond the liabilities to the treasury.
    Sweep,
}

#[derive(Debug, Subcommand)]
pub(crate) enum WithdrawalAddressCmd {
    /// Ask for withdrawals to go to `--to` after the escrow's delay.
    Request {
        /// The new withdrawal address.
        #[arg(long)]
        to: String,
    },
    /// Cancel the pending change.
    Cancel,
    /// Where withdrawals go now, and any pending change.
    Show(OwnerArg),
}

#[derive(Debug, Args)]
pub(crate) struct DealArg {
    /// The deal id.
    #[arg(long)]
    deal: String,
}

#[derive(Debug, Args)]
pub(crate) struct OrderArg {
    /// The order id.
    #[arg(long)]
    order: String,
}

#[derive(Debug, Args)]
pub(crate) struct OwnerArg {
    /// The account (default: the key's address).
    #[arg(long)]
    owner: Option<String>,
}

/// A co-signer's approval, as `co-signer approve` prints it.
#[derive(Debug, Args)]
pub(crate) struct CoSignatureArgs {
    /// The co-signer's signature (0x + 130 hex digits).
    #[arg(long, requires = "co_deadline")]
    co_signature: Option<String>,
    /// The deadline the co-signer signed (unix seconds).
    #[arg(long, requires = "co_signature")]
    co_deadline: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct CoSignArgs {
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
    /// change: the new co-signer (the zero address to remove).
    #[arg(long)]
    co_signer: Option<String>,
    /// change: the new daily allowance (USDT decimal).
    #[arg(long)]
    allowance: Option<String>,
    /// Seconds from now (chain time) the approval stays valid.
    #[arg(long, default_value_t = 3_600)]
    valid_for: u64,
}

/// A co-signer's signature and the deadline it signed.
pub(crate) type CoSignature = Option<(Signature, u64)>;

/// An escrow command with every input parsed, addresses in the chain's form `A`.
pub(crate) enum Parsed<A> {
    /// A read: no key needed (but for the default owner).
    Read(Read<A>),
    /// The co-signer's approval: signed, nothing sent.
    CoSign(CoSign<A>),
    /// A transaction.
    Tx(Step<A>),
}

/// An escrow read; `None` owner: the key's address.
pub(crate) enum Read<A> {
    Account(Option<A>),
    Deal(U256),
    Order(U256),
    WithdrawalAddress(Option<A>),
}

/// What a co-signer approves (docs/rules.md, "Co-signer and daily allowance").
pub(crate) struct CoSign<A> {
    pub(crate) owner: A,
    pub(crate) action: CoSignAction,
    pub(crate) subject: U256,
    /// Seconds of chain time the approval stays valid.
    pub(crate) valid_for: u64,
}

/// A collection the dispatcher assigns.
pub(crate) struct Collection<A> {
    pub(crate) acceptor: A,
    pub(crate) merchant: A,
    pub(crate) amount: Amount,
    pub(crate) payment_window: u32,
    pub(crate) order_ref: B256,
}

/// An escrow transaction.
pub(crate) enum Step<A> {
    Deposit(Amount),
    Withdraw(Amount, CoSignature),
    SetCoSigner(A, Amount, CoSignature),
    ApplyCoSigner(Option<A>),
    CancelCoSigner,
    AcceptorLimits(bool, Amount, Amount),
    Sweep,
    Post(Post),
    Fill(U256, Amount, B256),
    CancelOrder(U256),
    Deal(DealAction, U256, CoSignature),
    PayoutOpen(Amount, u32, B256),
    AssignPayout(U256, A),
    AssignCollection(Collection<A>),
    WithdrawalRequest(A),
    WithdrawalCancel,
}

impl<A> Step<A> {
    /// The contract function the transaction calls.
    pub(crate) fn function(&self) -> &'static str {
        match self {
            Self::Deposit(_) => "deposit",
            Self::Withdraw(_, None) => "withdraw",
            Self::Withdraw(_, Some(_)) => "withdrawCoSigned",
            Self::SetCoSigner(_, _, None) => "setCoSigner",
            Self::SetCoSigner(_, _, Some(_)) => "setCoSignerCoSigned",
            Self::ApplyCoSigner(_) => "applyCoSigner",
            Self::CancelCoSigner => "cancelCoSignerChange",
            Self::AcceptorLimits(..) => "setAcceptorLimits",
            Self::Sweep => "sweepSurplus",
            Self::Post(_) => "postBuyOrder",
            Self::Fill(..) => "fillBuyOrder",
            Self::CancelOrder(_) => "cancelBuyOrder",
            Self::Deal(DealAction::Release, _, Some(_)) => "releaseCoSigned",
            Self::Deal(action, _, _) => action.name(),
            Self::PayoutOpen(..) => "openPayout",
            Self::AssignPayout(..) => "assignPayout",
            Self::AssignCollection(_) => "assignCollection",
            Self::WithdrawalRequest(_) => "requestWithdrawalAddress",
            Self::WithdrawalCancel => "cancelWithdrawalAddressChange",
        }
    }
}

impl EscrowCommand {
    /// Parses every input before any key is read or node is asked; a bad one names its flag.
    pub(crate) fn parse<A: ChainAddress>(&self) -> anyhow::Result<Parsed<A>> {
        let owner = |o: &OwnerArg| {
            o.owner
                .as_deref()
                .map(|t| A::parse("--owner", t))
                .transpose()
        };
        let deal = |d: &DealArg| inputs::id("--deal", &d.deal);
        let read = |r| Ok(Parsed::Read(r));
        match self {
            Self::Account(AccountCmd::Show(o)) => return read(Read::Account(owner(o)?)),
            Self::BuyOrder(BuyOrderCmd::Show(o)) => {
                return read(Read::Order(inputs::id("--order", &o.order)?));
            }
            Self::Deal(DealCmd::Show(d)) => return read(Read::Deal(deal(d)?)),
            Self::WithdrawalAddress(WithdrawalAddressCmd::Show(o)) => {
                return read(Read::WithdrawalAddress(owner(o)?));
            }
            Self::CoSigner(CoSignerCmd::Approve(c)) => return Ok(Parsed::CoSign(c.parse()?)),
            _ => {}
        }
        Ok(Parsed::Tx(match self {
            Self::Account(AccountCmd::Deposit { amount }) => {
                Step::Deposit(inputs::amount("--amount", amount)?)
            }
            Self::Account(AccountCmd::Withdraw { amount, co }) => {
                Step::Withdraw(inputs::amount("--amount", amount)?, co.parse()?)
            }
            Self::BuyOrder(BuyOrderCmd::Post(post)) => Step::Post(post.parse()?),
            Self::BuyOrder(BuyOrderCmd::Fill(fill)) => {
                let (order, amount, order_ref) = fill.parse()?;
                Step::Fill(order, amount, order_ref)
            }
            Self::BuyOrder(BuyOrderCmd::Cancel(o)) => {
                Step::CancelOrder(inputs::id("--order", &o.order)?)
            }
            Self::Deal(DealCmd::MarkPaid(d)) => Step::Deal(DealAction::MarkPaid, deal(d)?, None),
            Self::Deal(DealCmd::Release { deal: d, co }) => {
                Step::Deal(DealAction::Release, deal(d)?, co.parse()?)
            }
            Self::Deal(DealCmd::Cancel(d)) => Step::Deal(DealAction::Cancel, deal(d)?, None),
            Self::Deal(DealCmd::Dispute(d)) => Step::Deal(DealAction::Dispute, deal(d)?, None),
            Self::Payout(PayoutCmd::Open(payout)) => {
                let (amount, payment_window, order_ref) = payout.parse()?;
                Step::PayoutOpen(amount, payment_window, order_ref)
            }
            Self::Payout(PayoutCmd::Assign { deal, acceptor }) => Step::AssignPayout(
                inputs::id("--deal", deal)?,
                A::parse("--acceptor", acceptor)?,
            ),
            Self::Collection(CollectionCmd::Assign {
                acceptor,
                merchant,
                amount,
                terms,
            }) => {
                let (payment_window, order_ref) = terms.parse()?;
                Step::AssignCollection(Collection {
                    acceptor: A::parse("--acceptor", acceptor)?,
                    merchant: A::parse("--merchant", merchant)?,
                    amount: inputs::amount("--amount", amount)?,
                    payment_window,
                    order_ref,
                })
            }
            Self::CoSigner(CoSignerCmd::Set {
                co_signer,
                allowance,
                co,
            }) => Step::SetCoSigner(
                A::parse("--co-signer", co_signer)?,
                inputs::amount("--allowance", allowance)?,
                co.parse()?,
            ),
            Self::CoSigner(CoSignerCmd::Apply(o)) => Step::ApplyCoSigner(owner(o)?),
            Self::CoSigner(CoSignerCmd::Cancel) => Step::CancelCoSigner,
            Self::Acceptor(AcceptorCmd::SetLimits {
                online,
                max_per_deal,
                max_locked,
            }) => Step::AcceptorLimits(
                *online,
                inputs::amount("--max-per-deal", max_per_deal)?,
                inputs::amount("--max-locked", max_locked)?,
            ),
            Self::Surplus(SurplusCmd::Sweep) => Step::Sweep,
            Self::WithdrawalAddress(WithdrawalAddressCmd::Request { to }) => {
                Step::WithdrawalRequest(A::parse("--to", to)?)
            }
            Self::WithdrawalAddress(WithdrawalAddressCmd::Cancel) => Step::WithdrawalCancel,
            Self::Account(AccountCmd::Show(_))
            | Self::BuyOrder(BuyOrderCmd::Show(_))
            | Self::Deal(DealCmd::Show(_))
            | Self::WithdrawalAddress(WithdrawalAddressCmd::Show(_))
            | Self::CoSigner(CoSignerCmd::Approve(_)) => {
                anyhow::bail!("reads and approvals are parsed above")
            }
        }))
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
        let sig = Signature::from_raw(&bytes)
            .with_context(|| format!("--co-signature {text}: not a 65-byte signature"))?;
        Ok(Some((sig, deadline)))
    }
}

impl CoSignArgs {
    /// The action and its subject (docs/rules.md, "Co-signer and daily allowance").
    fn parse<A: ChainAddress>(&self) -> anyhow::Result<CoSign<A>> {
        let owner = A::parse("--owner", &self.owner)?;
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
                    A::parse("--co-signer", &need(&self.co_signer, "--co-signer")?)?.evm(),
                    inputs::amount("--allowance", &need(&self.allowance, "--allowance")?)?,
                ),
            ),
            other => anyhow::bail!("--action {other}: expected withdraw, release or change"),
        };
        Ok(CoSign {
            owner,
            action,
            subject,
            valid_for: self.valid_for,
        })
    }
}
