//! The admin replaces the role holders.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::AuthoritiesUpdated;
use crate::state::seeds::SEED_CONFIG;
use crate::state::{Authorities, Config};

/// Arguments of `config_set_authorities`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ConfigSetAuthoritiesArgs {
    /// New role holders.
    pub authorities: Authorities,
}

/// Accounts of `config_set_authorities`.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigSetAuthorities<'info> {
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

impl ConfigSetAuthorities<'_> {
    fn validate(&self, args: &ConfigSetAuthoritiesArgs) -> Result<()> {
        args.authorities.validate()?;
        Config::check_treasury(&args.authorities, &self.config.key(), &self.config.vault)
    }

    /// Replaces the authorities and emits `AuthoritiesUpdated`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: ConfigSetAuthoritiesArgs) -> Result<()> {
        let config = &mut ctx.accounts.config;
        config.authorities = args.authorities;
        emit_cpi!(AuthoritiesUpdated {
            config: config.key(),
            authorities: config.authorities,
        });
        ctx.accounts.config.invariant()?;
        Ok(())
    }
}
