//! Applies a pending co-signer change once the withdrawal delay has passed.
//! Anyone may send it (the owner asked for the change, the delay protects it).

use anchor_lang::prelude::*;

use crate::events::CoSignerSet;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{Config, EscrowAccount};

/// Accounts of `co_signer_apply`.
#[event_cpi]
#[derive(Accounts)]
pub struct CoSignerApply<'info> {
    /// The config.
    #[account(seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// The escrow account with the pending change.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), escrow_account.wallet.as_ref()],
        bump = escrow_account.bump
    )]
    pub escrow_account: Account<'info, EscrowAccount>,
}

impl CoSignerApply<'_> {
    /// Applies the change (checks in `EscrowAccount::apply_co_signer`) and
    /// emits `CoSignerSet`.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let account = &mut ctx.accounts.escrow_account;
        let (co_signer, daily_allowance) = account.apply_co_signer(now)?;
        emit_cpi!(CoSignerSet {
            config: account.config,
            wallet: account.wallet,
            co_signer,
            daily_allowance,
        });
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
