//! The admin unpauses the escrow.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::PauseChanged;
use crate::state::seeds::SEED_CONFIG;
use crate::state::Config;

/// Accounts of `config_unpause`.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigUnpause<'info> {
    /// The admin (the guardian cannot unpause).
    pub admin: Signer<'info>,
    /// The config.
    #[account(
        mut,
        seeds = [SEED_CONFIG, config.creator.as_ref()],
        bump = config.bump,
        constraint = config.authorities.admin == admin.key() @ EscrowError::NotAdmin
    )]
    pub config: Account<'info, Config>,
}

impl ConfigUnpause<'_> {
    fn validate(&self) -> Result<()> {
        require!(self.config.paused, EscrowError::NotPaused);
        Ok(())
    }

    /// Clears the paused flag and emits `PauseChanged`.
    #[access_control(ctx.accounts.validate())]
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let config = &mut ctx.accounts.config;
        config.paused = false;
        emit_cpi!(PauseChanged {
            config: config.key(),
            paused: false,
            by: ctx.accounts.admin.key(),
        });
        ctx.accounts.config.invariant()?;
        Ok(())
    }
}
