//! The admin records a merchant's referring agent (once).

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::AgentSet;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{Config, EscrowAccount};

/// Accounts of `account_set_agent`.
#[event_cpi]
#[derive(Accounts)]
pub struct AccountSetAgent<'info> {
    /// The admin.
    pub admin: Signer<'info>,
    /// The config.
    #[account(
        seeds = [SEED_CONFIG, config.creator.as_ref()],
        bump = config.bump,
        constraint = config.authorities.admin == admin.key() @ EscrowError::NotAdmin
    )]
    pub config: Account<'info, Config>,
    /// The referred account.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), escrow_account.wallet.as_ref()],
        bump = escrow_account.bump
    )]
    pub escrow_account: Account<'info, EscrowAccount>,
    /// The agent's account; must have the agent role.
    #[account(
        seeds = [SEED_ACCOUNT, config.key().as_ref(), agent_account.wallet.as_ref()],
        bump = agent_account.bump
    )]
    pub agent_account: Account<'info, EscrowAccount>,
}

impl AccountSetAgent<'_> {
    fn validate(&self) -> Result<()> {
        // The treasury never earns an agent cut (it already gets the platform part).
        require_keys_neq!(
            self.agent_account.wallet,
            self.config.authorities.treasury,
            EscrowError::TreasuryNotAllowed
        );
        Ok(())
    }

    /// Sets the agent (once; role and self checks in `EscrowAccount::set_agent`)
    /// and emits `AgentSet`.
    #[access_control(ctx.accounts.validate())]
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let agent = &ctx.accounts.agent_account;
        let account = &mut ctx.accounts.escrow_account;
        account.set_agent(agent)?;
        emit_cpi!(AgentSet {
            config: account.config,
            wallet: account.wallet,
            agent: agent.wallet,
        });
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
