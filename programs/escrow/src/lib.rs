//! stablerail escrow: USDT balances, buy orders and deals (Trade,
//! Collection, Payout) with fee split, disputes and pause (docs/rules.md).
//!
//! PDA seeds are listed in [`state::seeds`]. Every deal locks from the
//! seller's available balance; settlements credit balances (pull payment),
//! only `withdraw` moves tokens out of the vault. Protocol v2 rules (fee
//! rates fixed at open, refilled buy orders, co-signer and daily allowance,
//! acceptor limits, counted liabilities) are described in docs/rules.md.

use anchor_lang::prelude::*;

pub mod errors;
pub mod events;
pub mod instructions;
pub mod state;
pub mod utils;

use instructions::*;

declare_id!("8mgp8omxyW1PuTtT22v9Jez8UjKvKZXeZMUAxVUEE2Q1");

/// The escrow program's entry points.
#[program]
pub mod stablerail_escrow {
    use super::*;

    /// Creates the config and the vault token account.
    pub fn config_initialize(
        ctx: Context<ConfigInitialize>,
        args: ConfigInitializeArgs,
    ) -> Result<()> {
        ConfigInitialize::handler(ctx, args)
    }

    /// Admin: replaces the role holders.
    pub fn config_set_authorities(
        ctx: Context<ConfigSetAuthorities>,
        args: ConfigSetAuthoritiesArgs,
    ) -> Result<()> {
        ConfigSetAuthorities::handler(ctx, args)
    }

    /// Admin: replaces the fee schedule.
    pub fn config_set_fees(ctx: Context<ConfigSetFees>, args: ConfigSetFeesArgs) -> Result<()> {
        ConfigSetFees::handler(ctx, args)
    }

    /// Admin: replaces the limits.
    pub fn config_set_limits(
        ctx: Context<ConfigSetLimits>,
        args: ConfigSetLimitsArgs,
    ) -> Result<()> {
        ConfigSetLimits::handler(ctx, args)
    }

    /// Guardian or admin: pauses deposits, withdrawals, new orders and deals.
    pub fn config_pause(ctx: Context<ConfigPause>) -> Result<()> {
        ConfigPause::handler(ctx)
    }

    /// Admin: unpauses.
    pub fn config_unpause(ctx: Context<ConfigUnpause>) -> Result<()> {
        ConfigUnpause::handler(ctx)
    }

    /// Opens the escrow account of a wallet (anyone pays the rent).
    pub fn account_open(ctx: Context<AccountOpen>) -> Result<()> {
        AccountOpen::handler(ctx)
    }

    /// Admin: sets an account's role bits.
    pub fn account_set_roles(
        ctx: Context<AccountSetRoles>,
        args: AccountSetRolesArgs,
    ) -> Result<()> {
        AccountSetRoles::handler(ctx, args)
    }

    /// Admin: sets a merchant's agent, once.
    pub fn account_set_agent(ctx: Context<AccountSetAgent>) -> Result<()> {
        AccountSetAgent::handler(ctx)
    }

    /// Compliance: records KYC level and region.
    pub fn account_set_compliance(
        ctx: Context<AccountSetCompliance>,
        args: AccountSetComplianceArgs,
    ) -> Result<()> {
        AccountSetCompliance::handler(ctx, args)
    }

    /// Owner: requests a withdrawal-address change (effective after the delay).
    pub fn withdrawal_address_request(
        ctx: Context<WithdrawalAddressRequest>,
        args: WithdrawalAddressRequestArgs,
    ) -> Result<()> {
        WithdrawalAddressRequest::handler(ctx, args)
    }

    /// Owner: cancels a pending withdrawal-address change.
    pub fn withdrawal_address_cancel(ctx: Context<WithdrawalAddressCancel>) -> Result<()> {
        WithdrawalAddressCancel::handler(ctx)
    }

    /// Owner: applies a pending withdrawal-address change after the delay.
    pub fn withdrawal_address_apply(ctx: Context<WithdrawalAddressApply>) -> Result<()> {
        WithdrawalAddressApply::handler(ctx)
    }

    /// Owner: names a co-signer and daily outflow allowance (immediate or pending).
    pub fn co_signer_set(ctx: Context<CoSignerSet>, args: CoSignerSetArgs) -> Result<()> {
        CoSignerSet::handler(ctx, args)
    }

    /// Anyone: applies a pending co-signer change after the delay.
    pub fn co_signer_apply(ctx: Context<CoSignerApply>) -> Result<()> {
        CoSignerApply::handler(ctx)
    }

    /// Owner: cancels a pending co-signer change.
    pub fn co_signer_cancel(ctx: Context<CoSignerCancel>) -> Result<()> {
        CoSignerCancel::handler(ctx)
    }

    /// Acceptor: sets its own online flag and limits.
    pub fn acceptor_set_limits(
        ctx: Context<AcceptorSetLimits>,
        args: AcceptorSetLimitsArgs,
    ) -> Result<()> {
        AcceptorSetLimits::handler(ctx, args)
    }

    /// Admin: credits the vault's surplus over the liabilities to the treasury.
    pub fn sweep_surplus(ctx: Context<SweepSurplus>) -> Result<()> {
        SweepSurplus::handler(ctx)
    }

    /// Owner: deposits USDT into its available balance.
    pub fn deposit(ctx: Context<Deposit>, args: DepositArgs) -> Result<()> {
        Deposit::handler(ctx, args)
    }

    /// Owner: withdraws available USDT to its withdrawal address.
    pub fn withdraw(ctx: Context<Withdraw>, args: WithdrawArgs) -> Result<()> {
        Withdraw::handler(ctx, args)
    }

    /// Merchant: posts a buy order.
    pub fn buy_order_post(ctx: Context<BuyOrderPost>, args: BuyOrderPostArgs) -> Result<()> {
        BuyOrderPost::handler(ctx, args)
    }

    /// Merchant: cancels and closes a buy order.
    pub fn buy_order_cancel(ctx: Context<BuyOrderCancel>) -> Result<()> {
        BuyOrderCancel::handler(ctx)
    }

    /// Trader: fills a buy order, opening a Trade deal.
    pub fn buy_order_fill(ctx: Context<BuyOrderFill>, args: BuyOrderFillArgs) -> Result<()> {
        BuyOrderFill::handler(ctx, args)
    }

    /// Dispatcher: opens a Collection deal (acceptor seller, merchant buyer).
    pub fn deal_collection_open(
        ctx: Context<DealCollectionOpen>,
        args: DealCollectionOpenArgs,
    ) -> Result<()> {
        DealCollectionOpen::handler(ctx, args)
    }

    /// Merchant: opens a Payout deal locking its own balance.
    pub fn deal_payout_open(ctx: Context<DealPayoutOpen>, args: DealPayoutOpenArgs) -> Result<()> {
        DealPayoutOpen::handler(ctx, args)
    }

    /// Dispatcher: assigns the acceptor (buyer) of a Payout deal.
    pub fn deal_payout_assign(
        ctx: Context<DealPayoutAssign>,
        args: DealPayoutAssignArgs,
    ) -> Result<()> {
        DealPayoutAssign::handler(ctx, args)
    }

    /// Buyer (Collection: also dispatcher): marks the fiat paid.
    pub fn deal_mark_paid(ctx: Context<DealMarkPaid>) -> Result<()> {
        DealMarkPaid::handler(ctx)
    }

    /// Seller: releases the deal; settles with the fee split.
    pub fn deal_release(ctx: Context<DealRelease>) -> Result<()> {
        DealRelease::handler(ctx)
    }

    /// Buyer any time, seller after the deadline while Open: cancels the deal.
    pub fn deal_cancel(ctx: Context<DealCancel>) -> Result<()> {
        DealCancel::handler(ctx)
    }

    /// Buyer or seller: disputes a paid deal.
    pub fn deal_dispute(ctx: Context<DealDispute>) -> Result<()> {
        DealDispute::handler(ctx)
    }

    /// Arbiter: resolves a disputed deal with the buyer's share in bps.
    pub fn deal_resolve(ctx: Context<DealResolve>, args: DealResolveArgs) -> Result<()> {
        DealResolve::handler(ctx, args)
    }
}
