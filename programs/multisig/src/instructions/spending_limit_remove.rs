//! `spending_limit_remove`: deletes a spending limit. Callable only with the
//! vault's signature, i.e. only by executing a proposal; the rent returns to the vault.

use anchor_lang::prelude::*;

use crate::events::{ConfigChanged, SpendingLimitRemoved};
use crate::state::{Multisig, SpendingLimit, SEED_PREFIX, SEED_SPENDING_LIMIT, SEED_VAULT};

/// Arguments of `spending_limit_remove` (none; kept for a stable interface).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default)]
pub struct SpendingLimitRemoveArgs {}

/// Accounts of `spending_limit_remove`.
#[event_cpi]
#[derive(Accounts)]
pub struct SpendingLimitRemove<'info> {
    /// The multisig; pending proposals become stale.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.create_key.as_ref()],
        bump = multisig.bump
    )]
    pub multisig: Account<'info, Multisig>,
    /// The multisig's vault, signing through `proposal_execute`; gets the rent.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_VAULT],
        bump = multisig.vault_bump
    )]
    pub vault: Signer<'info>,
    /// The spending limit to delete.
    #[account(
        mut,
        close = vault,
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_SPENDING_LIMIT, spending_limit.create_key.as_ref()],
        bump = spending_limit.bump,
        has_one = multisig
    )]
    pub spending_limit: Account<'info, SpendingLimit>,
}

impl SpendingLimitRemove<'_> {
    /// Marks pending proposals stale; Anchor's `close` deletes the account on exit.
    pub fn spending_limit_remove(ctx: Context<Self>, _args: SpendingLimitRemoveArgs) -> Result<()> {
        let multisig_key = ctx.accounts.multisig.key();
        let multisig = &mut ctx.accounts.multisig;
        multisig.invalidate_pending_proposals();
        multisig.invariant()?;
        emit_cpi!(SpendingLimitRemoved {
            multisig: multisig_key,
            spending_limit: ctx.accounts.spending_limit.key(),
        });
        emit_cpi!(ConfigChanged::of(multisig_key, multisig));
        Ok(())
    }
}
