//! The owner requests a new withdrawal address; it takes effect after the
//! configured delay.

use anchor_lang::prelude::*;

use crate::events::WithdrawalAddressRequested;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{Config, EscrowAccount};

/// Arguments of `withdrawal_address_request`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct WithdrawalAddressRequestArgs {
    /// Owner of the token account future withdrawals go to.
    pub address: Pubkey,
}

/// Accounts of `withdrawal_address_request`.
#[event_cpi]
#[derive(Accounts)]
pub struct WithdrawalAddressRequest<'info> {
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

impl WithdrawalAddressRequest<'_> {
    /// Records the pending change (replacing any earlier one) and emits
    /// `WithdrawalAddressRequested`.
    pub fn handler(ctx: Context<Self>, args: WithdrawalAddressRequestArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let delay = ctx.accounts.config.limits.withdrawal_delay_secs;
        let account = &mut ctx.accounts.escrow_account;
        let effective_at = account.request_withdrawal_address(args.address, now, delay)?;
        emit_cpi!(WithdrawalAddressRequested {
            config: account.config,
            wallet: account.wallet,
            address: args.address,
            effective_at,
        });
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
