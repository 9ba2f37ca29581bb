//! The owner drops a pending withdrawal-address change.

use anchor_lang::prelude::*;

use crate::events::WithdrawalAddressCancelled;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{Config, EscrowAccount};

/// Accounts of `withdrawal_address_cancel`.
#[event_cpi]
#[derive(Accounts)]
pub struct WithdrawalAddressCancel<'info> {
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

impl WithdrawalAddressCancel<'_> {
    /// Clears the pending change and emits `WithdrawalAddressCancelled`.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let account = &mut ctx.accounts.escrow_account;
        let address = account.cancel_withdrawal_address()?;
        emit_cpi!(WithdrawalAddressCancelled {
            config: account.config,
            wallet: account.wallet,
            address,
        });
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
