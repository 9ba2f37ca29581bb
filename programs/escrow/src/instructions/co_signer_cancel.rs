//! The owner drops a pending co-signer change.

use anchor_lang::prelude::*;

use crate::events::CoSignerChangeCancelled;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{Config, EscrowAccount};

/// Accounts of `co_signer_cancel`.
#[event_cpi]
#[derive(Accounts)]
pub struct CoSignerCancel<'info> {
    /// The account owner.
    pub owner: Signer<'info>,
    /// The config.
    #[account(seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// The owner's escrow account.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), owner.key().as_ref()],
        bump = escrow_account.bump
    )]
    pub escrow_account: Account<'info, EscrowAccount>,
}

impl CoSignerCancel<'_> {
    /// Drops the pending change and emits `CoSignerChangeCancelled`.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let account = &mut ctx.accounts.escrow_account;
        account.cancel_co_signer()?;
        emit_cpi!(CoSignerChangeCancelled {
            config: account.config,
            wallet: account.wallet,
        });
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
