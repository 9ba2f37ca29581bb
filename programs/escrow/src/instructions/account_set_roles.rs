//! The admin sets the role bits of an account.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::RolesSet;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{Config, EscrowAccount, ROLE_ALL};

/// Arguments of `account_set_roles`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct AccountSetRolesArgs {
    /// New role bits (`ROLE_MERCHANT | ROLE_ACCEPTOR | ROLE_AGENT`).
    pub roles: u8,
}

/// Accounts of `account_set_roles`.
#[event_cpi]
#[derive(Accounts)]
pub struct AccountSetRoles<'info> {
    /// The admin.
    pub admin: Signer<'info>,
    /// The config.
    #[account(
        seeds = [SEED_CONFIG, config.creator.as_ref()],
        bump = config.bump,
        constraint = config.authorities.admin == admin.key() @ EscrowError::NotAdmin
    )]
    pub config: Account<'info, Config>,
    /// The account whose roles change.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), escrow_account.wallet.as_ref()],
        bump = escrow_account.bump
    )]
    pub escrow_account: Account<'info, EscrowAccount>,
}

impl AccountSetRoles<'_> {
    fn validate(&self, args: &AccountSetRolesArgs) -> Result<()> {
        require!(args.roles & !ROLE_ALL == 0, EscrowError::InvalidRoles);
        Ok(())
    }

    /// Stores the roles and emits `RolesSet`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: AccountSetRolesArgs) -> Result<()> {
        let account = &mut ctx.accounts.escrow_account;
        account.roles = args.roles;
        emit_cpi!(RolesSet {
            config: account.config,
            wallet: account.wallet,
            roles: args.roles,
        });
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
