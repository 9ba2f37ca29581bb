//! The admin replaces the fee schedule.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::FeesUpdated;
use crate::state::seeds::SEED_CONFIG;
use crate::state::{Config, FeeSchedule, FeeScheduleArgs};

/// Arguments of `config_set_fees`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ConfigSetFeesArgs {
    /// New fee schedule.
    pub fees: FeeScheduleArgs,
}

/// Accounts of `config_set_fees`.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigSetFees<'info> {
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

impl ConfigSetFees<'_> {
    fn validate(&self, args: &ConfigSetFeesArgs) -> Result<()> {
        FeeSchedule::from_args(&args.fees).map(|_| ())
    }

    /// Replaces the fee schedule and emits `FeesUpdated`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: ConfigSetFeesArgs) -> Result<()> {
        let config = &mut ctx.accounts.config;
        config.fees = FeeSchedule::from_args(&args.fees)?;
        emit_cpi!(FeesUpdated {
            config: config.key(),
            fees: config.fees,
        });
        ctx.accounts.config.invariant()?;
        Ok(())
    }
}
