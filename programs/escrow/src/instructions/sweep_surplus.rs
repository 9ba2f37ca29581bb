//! The admin credits the vault's surplus (tokens sent to it directly, not
//! through `deposit`) to the treasury's balance, so that the vault holds
//! exactly the liabilities again (docs/rules.md, liabilities).

use anchor_lang::prelude::*;
use anchor_spl::token_interface::TokenAccount;

use crate::errors::EscrowError;
use crate::events::SurplusSwept;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_VAULT};
use crate::state::{Config, EscrowAccount};

/// Accounts of `sweep_surplus`.
#[event_cpi]
#[derive(Accounts)]
pub struct SweepSurplus<'info> {
    /// The admin.
    pub admin: Signer<'info>,
    /// The config; its liabilities grow by the surplus.
    #[account(
        mut,
        seeds = [SEED_CONFIG, config.creator.as_ref()],
        bump = config.bump,
        constraint = config.authorities.admin == admin.key() @ EscrowError::NotAdmin
    )]
    pub config: Account<'info, Config>,
    /// The vault, `["vault", config]`.
    #[account(seeds = [SEED_VAULT, config.key().as_ref()], bump = config.vault_bump)]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    /// The treasury's escrow account (credited).
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), config.authorities.treasury.as_ref()],
        bump = treasury_account.bump
    )]
    pub treasury_account: Account<'info, EscrowAccount>,
}

impl SweepSurplus<'_> {
    /// Credits `vault balance - liabilities` to the treasury and emits
    /// `SurplusSwept`; fails with `NoSurplus` when there is none.
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let surplus = ctx
            .accounts
            .vault
            .amount
            .checked_sub(ctx.accounts.config.liabilities)
            .ok_or(EscrowError::Overflow)?;
        require!(surplus > 0, EscrowError::NoSurplus);
        ctx.accounts.treasury_account.credit(surplus)?;
        ctx.accounts.config.add_liabilities(surplus)?;
        emit_cpi!(SurplusSwept {
            config: ctx.accounts.config.key(),
            treasury: ctx.accounts.treasury_account.wallet,
            amount: surplus,
            liabilities: ctx.accounts.config.liabilities,
        });
        ctx.accounts.treasury_account.invariant()?;
        ctx.accounts.config.invariant()?;
        Ok(())
    }
}
