//! `config_owner_remove`: removes an owner. Callable only with the vault's
//! signature, i.e. only by executing a proposal of this multisig.

use anchor_lang::prelude::*;

use crate::events::ConfigChanged;
use crate::state::{Multisig, SEED_PREFIX, SEED_VAULT};

/// Arguments of `config_owner_remove`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ConfigOwnerRemoveArgs {
    /// The owner to remove.
    pub owner: Pubkey,
}

/// Accounts of `config_owner_remove`.
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigOwnerRemove<'info> {
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

impl ConfigOwnerRemove<'_> {
    /// Checks the owner can go before anything is written.
    pub fn validate(&self, args: &ConfigOwnerRemoveArgs) -> Result<()> {
        self.multisig.check_remove_owner(&args.owner)
    }

    /// Removes the owner; every pending proposal becomes stale.
    pub fn config_owner_remove(ctx: Context<Self>, args: ConfigOwnerRemoveArgs) -> Result<()> {
        let key = ctx.accounts.multisig.key();
        let multisig = &mut ctx.accounts.multisig;
        multisig.remove_owner(&args.owner)?;
        multisig.invariant()?;
        emit_cpi!(ConfigChanged::of(key, multisig));
        Ok(())
    }
}
