//! The buyer (for a Collection also the dispatcher) marks the fiat paid.

use anchor_lang::prelude::*;

use crate::events::DealStateChanged;
use crate::state::seeds::{SEED_CONFIG, SEED_DEAL};
use crate::state::{Config, Deal};

/// Accounts of `deal_mark_paid`.
#[event_cpi]
#[derive(Accounts)]
pub struct DealMarkPaid<'info> {
    /// The buyer, or the dispatcher for a Collection.
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

impl DealMarkPaid<'_> {
    /// Open -> Paid (checks in `Deal::mark_paid`); emits `DealStateChanged`.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let by = ctx.accounts.authority.key();
        let dispatcher = ctx.accounts.config.authorities.dispatcher;
        let deal = &mut ctx.accounts.deal;
        deal.mark_paid(by, dispatcher)?;
        emit_cpi!(DealStateChanged {
            config: deal.config,
            deal_id: deal.id,
            state: deal.state,
            by,
            disputed_at: 0,
            reference: deal.reference,
        });
        ctx.accounts.deal.invariant()?;
        Ok(())
    }
}
