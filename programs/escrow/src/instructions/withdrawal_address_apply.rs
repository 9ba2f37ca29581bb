//! The owner applies a pending withdrawal-address change once the delay passed.

use anchor_lang::prelude::*;

use crate::events::WithdrawalAddressApplied;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{Config, EscrowAccount};

/// Accounts of `withdrawal_address_apply`.
#[event_cpi]
#[derive(Accounts)]
pub struct WithdrawalAddressApply<'info> {
    /// The account owner.
    pub owner: Signer<'info>,
    /// The config.
    #[account(seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// The owner's escrow account.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), owner.key().as_ref()],
        bump = escrow_account.bump
    )]
    pub escrow_account: Account<'info, EscrowAccount>,
}

impl WithdrawalAddressApply<'_> {
    /// Makes the pending address effective and emits `WithdrawalAddressApplied`.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let account = &mut ctx.accounts.escrow_account;
        let address = account.apply_withdrawal_address(now)?;
        emit_cpi!(WithdrawalAddressApplied {
            config: account.config,
            wallet: account.wallet,
            address,
        });
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
