//! The arbiter resolves a disputed deal: the buyer's share settles with the
//! rates fixed at open, the rest returns to the seller; the deal closes.
//! Not an outflow of the seller (the arbiter decides).

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::DealSettled;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_DEAL};
use crate::state::{Config, Deal, EscrowAccount, SettlementAccounts};
use crate::utils::finish_order_fill;

/// Arguments of `deal_resolve`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct DealResolveArgs {
    /// Buyer's share of the amount in bps (0..=10000).
    pub buyer_share_bps: u16,
}

/// Accounts of `deal_resolve`.
#[event_cpi]
#[derive(Accounts)]
pub struct DealResolve<'info> {
    /// The arbiter.
    pub arbiter: Signer<'info>,
    /// The config.
    #[account(
        seeds = [SEED_CONFIG, config.creator.as_ref()],
        bump = config.bump,
        constraint = config.authorities.arbiter == arbiter.key() @ EscrowError::NotArbiter
    )]
    pub config: Box<Account<'info, Config>>,
    /// The deal, closed to its rent payer.
    #[account(
        mut,
        seeds = [SEED_DEAL, config.key().as_ref(), &deal.id.to_le_bytes()],
        bump = deal.bump,
        close = rent_payer
    )]
    pub deal: Account<'info, Deal>,
    /// The seller's escrow account.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), deal.seller.as_ref()],
        bump = seller_account.bump
    )]
    pub seller_account: Box<Account<'info, EscrowAccount>>,
    /// The buyer's escrow account.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), deal.buyer.as_ref()],
        bump = buyer_account.bump
    )]
    pub buyer_account: Box<Account<'info, EscrowAccount>>,
    /// The escrow account of the agent recorded at open; omitted without
    /// agent or when the agent is the seller or the buyer.
    #[account(mut)]
    pub agent_account: Option<Box<Account<'info, EscrowAccount>>>,
    /// The treasury's escrow account; omitted when the treasury is the
    /// seller, the buyer or the agent (credited in place).
    #[account(mut)]
    pub treasury_account: Option<Box<Account<'info, EscrowAccount>>>,
    /// CHECK: whoever paid the deal's rent; only receives lamports.
    #[account(mut, address = deal.rent_payer @ EscrowError::WrongRentPayer)]
    pub rent_payer: UncheckedAccount<'info>,
    /// CHECK: the buy order of a Trade deal (`["buy_order", config, order_id]`,
    /// checked in `finish_order_fill`; may be closed already); omitted otherwise.
    #[account(mut)]
    pub buy_order: Option<UncheckedAccount<'info>>,
    /// CHECK: the deal's merchant wallet, receives the order's rent when it
    /// closes (checked in `finish_order_fill`); with `buy_order` only.
    #[account(mut)]
    pub merchant: Option<UncheckedAccount<'info>>,
}

impl DealResolve<'_> {
    /// Resolves (checks in `Deal::resolve`), settles the buyer's gross with
    /// the recorded rates, updates the buy order and emits `DealSettled`.
    pub fn handler(ctx: Context<Self>, args: DealResolveArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let deal = &mut ctx.accounts.deal;
        let gross = deal.resolve(args.buyer_share_bps)?;
        let treasury = ctx.accounts.config.authorities.treasury;
        deal.check_settlement_accounts(
            treasury,
            ctx.accounts.agent_account.as_deref().map(|a| &**a),
            ctx.accounts.treasury_account.as_deref().map(|a| &**a),
        )?;
        let settlement = deal.settle(
            gross,
            treasury,
            &mut SettlementAccounts {
                seller: &mut ctx.accounts.seller_account,
                buyer: &mut ctx.accounts.buyer_account,
                agent: ctx.accounts.agent_account.as_deref_mut().map(|a| &mut **a),
                treasury: ctx
                    .accounts
                    .treasury_account
                    .as_deref_mut()
                    .map(|a| &mut **a),
            },
        )?;
        let order_events = finish_order_fill(
            deal,
            ctx.accounts
                .buy_order
                .as_ref()
                .map(|info| info.to_account_info()),
            ctx.accounts
                .merchant
                .as_ref()
                .map(|info| info.to_account_info()),
            false,
            now,
        )?;
        if let Some(event) = order_events.refilled {
            emit_cpi!(event);
        }
        if let Some(event) = order_events.closed {
            emit_cpi!(event);
        }
        let split = settlement.split;
        emit_cpi!(DealSettled {
            config: deal.config,
            deal_id: deal.id,
            kind: deal.kind,
            outcome: deal.state,
            buyer_share_bps: args.buyer_share_bps,
            seller: deal.seller,
            buyer: deal.buyer,
            merchant: deal.merchant,
            agent: deal.agent,
            treasury,
            amount: deal.amount,
            gross: split.gross,
            fee_bps: split.fee_bps,
            fee: split.fee,
            agent_cut: split.agent_cut,
            reward: split.reward,
            platform: split.platform,
            buyer_net: split.buyer_net,
            refund: settlement.refund,
            reference: deal.reference,
        });
        ctx.accounts.seller_account.invariant()?;
        ctx.accounts.buyer_account.invariant()?;
        Ok(())
    }
}
