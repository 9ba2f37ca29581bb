//! Cancels a deal: the buyer any time before release, the seller only while
//! Open and after the deadline. The whole amount returns to the seller; a
//! Trade's amount returns to its buy order (docs/rules.md, buy orders); the
//! deal closes, rent back to whoever paid it.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::DealCancelled;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_DEAL};
use crate::state::{Config, Deal, EscrowAccount};
use crate::utils::finish_order_fill;

/// Accounts of `deal_cancel`.
#[event_cpi]
#[derive(Accounts)]
pub struct DealCancel<'info> {
    /// The buyer or the seller.
    pub authority: Signer<'info>,
    /// The config.
    #[account(seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// The deal, closed to its rent payer.
    #[account(
        mut,
        seeds = [SEED_DEAL, config.key().as_ref(), &deal.id.to_le_bytes()],
        bump = deal.bump,
        close = rent_payer
    )]
    pub deal: Account<'info, Deal>,
    /// The seller's escrow account (gets the amount back).
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), deal.seller.as_ref()],
        bump = seller_account.bump
    )]
    pub seller_account: Account<'info, EscrowAccount>,
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

impl DealCancel<'_> {
    /// Cancels (checks in `Deal::cancel`), refunds the seller, refills a
    /// Trade's buy order and emits
    /// `DealCancelled`.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let by = ctx.accounts.authority.key();
        let deal = &mut ctx.accounts.deal;
        deal.cancel(by, now)?;
        deal.refund(&mut ctx.accounts.seller_account)?;
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
            true,
            now,
        )?;
        if let Some(event) = order_events.refilled {
            emit_cpi!(event);
        }
        if let Some(event) = order_events.closed {
            emit_cpi!(event);
        }
        emit_cpi!(DealCancelled {
            config: deal.config,
            deal_id: deal.id,
            kind: deal.kind,
            seller: deal.seller,
            buyer: deal.buyer,
            amount: deal.amount,
            by,
            reference: deal.reference,
        });
        ctx.accounts.seller_account.invariant()?;
        Ok(())
    }
}
