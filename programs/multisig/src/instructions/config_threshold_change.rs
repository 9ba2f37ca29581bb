//! `config_threshold_change`: changes the threshold. Callable only with the vault's
//! signature, i.e. only by executing a proposal of this multisig.

use anchor_lang::prelude::*;

use crate::events::ConfigChanged;
use crate::state::{Multisig, SEED_PREFIX, SEED_VAULT};

/// Arguments of `config_threshold_change`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ConfigThresholdChangeArgs {
    /// The new threshold (1..=owners).
    pub threshold: u16,
}

/// Accounts of `config_threshold_change`.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigThresholdChange<'info> {
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

impl ConfigThresholdChange<'_> {
    /// Checks the threshold against the owners before anything is written.
    pub fn validate(&self, args: &ConfigThresholdChangeArgs) -> Result<()> {
        Multisig::check_threshold(args.threshold, self.multisig.owners.len())
    }

    /// Sets the threshold; every pending proposal becomes stale.
    pub fn config_threshold_change(
        ctx: Context<Self>,
        args: ConfigThresholdChangeArgs,
    ) -> Result<()> {
        let key = ctx.accounts.multisig.key();
        let multisig = &mut ctx.accounts.multisig;
        multisig.set_threshold(args.threshold)?;
        multisig.invariant()?;
        emit_cpi!(ConfigChanged::of(key, multisig));
        Ok(())
    }
}
