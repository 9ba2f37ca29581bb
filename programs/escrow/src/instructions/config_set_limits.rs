//! The admin replaces the limits.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::LimitsUpdated;
use crate::state::seeds::SEED_CONFIG;
use crate::state::{Config, Limits, LimitsArgs};

/// Arguments of `config_set_limits`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ConfigSetLimitsArgs {
    /// New limits.
    pub limits: LimitsArgs,
}

/// Accounts of `config_set_limits`.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigSetLimits<'info> {
    /// The admin.
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

impl ConfigSetLimits<'_> {
    fn validate(&self, args: &ConfigSetLimitsArgs) -> Result<()> {
        Limits::from_args(&args.limits).map(|_| ())
    }

    /// Replaces the limits and emits `LimitsUpdated`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: ConfigSetLimitsArgs) -> Result<()> {
        let config = &mut ctx.accounts.config;
        config.limits = Limits::from_args(&args.limits)?;
        emit_cpi!(LimitsUpdated {
            config: config.key(),
            limits: config.limits,
        });
        ctx.accounts.config.invariant()?;
        Ok(())
    }
}
