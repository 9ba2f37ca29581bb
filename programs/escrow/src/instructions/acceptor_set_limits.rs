//! An acceptor sets its own online flag and limits; the dispatcher can
//! assign it deals only within them (docs/rules.md, acceptor limits).

use anchor_lang::prelude::*;

use crate::events::AcceptorLimitsSet;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{Config, EscrowAccount};

/// Arguments of `acceptor_set_limits`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct AcceptorSetLimitsArgs {
    /// Whether the acceptor takes new assignments.
    pub online: bool,
    /// Largest deal the dispatcher may assign.
    pub max_per_deal: u64,
    /// Largest total the acceptor's collections may keep locked.
    pub max_locked: u64,
}

/// Accounts of `acceptor_set_limits`.
#[event_cpi]
#[derive(Accounts)]
pub struct AcceptorSetLimits<'info> {
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

impl AcceptorSetLimits<'_> {
    /// Stores the flag and limits and emits `AcceptorLimitsSet`. Allowed
    /// while paused (going offline must always be possible).
    pub fn handler(ctx: Context<Self>, args: AcceptorSetLimitsArgs) -> Result<()> {
        let account = &mut ctx.accounts.escrow_account;
        account.online = args.online;
        account.max_per_deal = args.max_per_deal;
        account.max_locked = args.max_locked;
        emit_cpi!(AcceptorLimitsSet {
            config: account.config,
            wallet: account.wallet,
            online: args.online,
            max_per_deal: args.max_per_deal,
            max_locked: args.max_locked,
        });
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
