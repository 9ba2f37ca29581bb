//! The guardian or the admin pauses the escrow.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::PauseChanged;
use crate::state::seeds::SEED_CONFIG;
use crate::state::Config;

/// Accounts of `config_pause`.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigPause<'info> {
    /// The guardian or the admin.
    pub authority: Signer<'info>,
    /// The config.
    #[account(
        mut,
        seeds = [SEED_CONFIG, config.creator.as_ref()],
        bump = config.bump,
        constraint = (config.authorities.guardian == authority.key()
            || config.authorities.admin == authority.key()) @ EscrowError::NotGuardian
    )]
    pub config: Account<'info, Config>,
}

impl ConfigPause<'_> {
    fn validate(&self) -> Result<()> {
        self.config.require_not_paused()
    }

    /// Sets the paused flag and emits `PauseChanged`.
    #[access_control(ctx.accounts.validate())]
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let config = &mut ctx.accounts.config;
        config.paused = true;
        emit_cpi!(PauseChanged {
            config: config.key(),
            paused: true,
            by: ctx.accounts.authority.key(),
        });
        ctx.accounts.config.invariant()?;
        Ok(())
    }
}
