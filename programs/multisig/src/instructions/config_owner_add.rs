//! `config_owner_add`: adds an owner. Callable only with the vault's
//! signature, i.e. only by executing a proposal of this multisig.

use anchor_lang::prelude::*;

use crate::events::ConfigChanged;
use crate::state::{Multisig, SEED_PREFIX, SEED_VAULT};

/// Arguments of `config_owner_add`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ConfigOwnerAddArgs {
    /// The new owner.
    pub owner: Pubkey,
}

/// Accounts of `config_owner_add`.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigOwnerAdd<'info> {
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

impl ConfigOwnerAdd<'_> {
    /// Checks the new owner before anything is written.
    pub fn validate(&self, args: &ConfigOwnerAddArgs) -> Result<()> {
        self.multisig
            .check_add_owner(&self.multisig.key(), &args.owner)
    }

    /// Adds the owner; every pending proposal becomes stale.
    pub fn config_owner_add(ctx: Context<Self>, args: ConfigOwnerAddArgs) -> Result<()> {
        let key = ctx.accounts.multisig.key();
        let multisig = &mut ctx.accounts.multisig;
        multisig.add_owner(&key, args.owner)?;
        multisig.invariant()?;
        emit_cpi!(ConfigChanged::of(key, multisig));
        Ok(())
    }
}
