//! `config_time_lock_set`: sets the time lock. Callable only with the vault's
//! signature, i.e. only by executing a proposal of this multisig.

use anchor_lang::prelude::*;

use crate::events::ConfigChanged;
use crate::state::{Multisig, SEED_PREFIX, SEED_VAULT};

/// Arguments of `config_time_lock_set`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ConfigTimeLockSetArgs {
    /// Seconds between approval and execution (0..=90 days).
    pub time_lock: u32,
}

/// Accounts of `config_time_lock_set`.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigTimeLockSet<'info> {
    /// The multisig changed.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.create_key.as_ref()],
        bump = multisig.bump
    )]
    pub multisig: Account<'info, Multisig>,
    /// The multisig's vault, signing through `proposal_execute`.
    #[account(
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_VAULT],
        bump = multisig.vault_bump
    )]
    pub vault: Signer<'info>,
}

impl ConfigTimeLockSet<'_> {
    /// Checks the time lock before anything is written.
    pub fn validate(&self, args: &ConfigTimeLockSetArgs) -> Result<()> {
        Multisig::check_time_lock(args.time_lock)
    }

    /// Sets the time lock; every pending proposal becomes stale.
    pub fn config_time_lock_set(ctx: Context<Self>, args: ConfigTimeLockSetArgs) -> Result<()> {
        let key = ctx.accounts.multisig.key();
        let multisig = &mut ctx.accounts.multisig;
        multisig.set_time_lock(args.time_lock)?;
        multisig.invariant()?;
        emit_cpi!(ConfigChanged::of(key, multisig));
        Ok(())
    }
}
