//! The buyer or the seller disputes a paid deal.

use anchor_lang::prelude::*;

use crate::events::DealStateChanged;
use crate::state::seeds::{SEED_CONFIG, SEED_DEAL};
use crate::state::{Config, Deal};

/// Accounts of `deal_dispute`.
#[event_cpi]
#[derive(Accounts)]
pub struct DealDispute<'info> {
    /// The buyer or the seller.
    pub authority: Signer<'info>,
    /// The config.
    #[account(seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// The deal.
    #[account(
        mut,
        seeds = [SEED_DEAL, config.key().as_ref(), &deal.id.to_le_bytes()],
        bump = deal.bump
    )]
    pub deal: Account<'info, Deal>,
}

impl DealDispute<'_> {
    /// Paid -> Disputed (checks in `Deal::dispute`); emits `DealStateChanged`.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let by = ctx.accounts.authority.key();
        let deal = &mut ctx.accounts.deal;
        deal.dispute(by, now)?;
        emit_cpi!(DealStateChanged {
            config: deal.config,
            deal_id: deal.id,
            state: deal.state,
            by,
            disputed_at: deal.disputed_at,
            reference: deal.reference,
        });
        ctx.accounts.deal.invariant()?;
        Ok(())
    }
}
