//! The owner names a co-signer and a daily outflow allowance (docs/rules.md,
//! co-signer and daily allowance). Immediate when no co-signer is set, when
//! only the allowance goes down, or when the current co-signer signs too;
//! otherwise pending for the withdrawal delay.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::{self, CoSignerChangeRequested};
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{CoSignerChange, Config, EscrowAccount};

/// Arguments of `co_signer_set`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct CoSignerSetArgs {
    /// The new co-signer (`None`: remove it, outflows unlimited).
    pub co_signer: Option<Pubkey>,
    /// Outflows allowed per UTC day without the co-signer.
    pub daily_allowance: u64,
}

/// Accounts of `co_signer_set`.
#[event_cpi]
#[derive(Accounts)]
pub struct CoSignerSet<'info> {
    /// The account owner.
    pub owner: Signer<'info>,
    /// The config (its withdrawal delay applies).
    #[account(seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// The owner's escrow account.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), owner.key().as_ref()],
        bump = escrow_account.bump
    )]
    pub escrow_account: Account<'info, EscrowAccount>,
    /// The current co-signer, approving the change (makes it immediate).
    pub co_signer: Option<Signer<'info>>,
}

impl CoSignerSet<'_> {
    fn validate(&self) -> Result<()> {
        // A co-signer account must be the current co-signer.
        if let Some(signer) = &self.co_signer {
            require!(
                self.escrow_account.co_signer == Some(signer.key()),
                EscrowError::InvalidCoSigner
            );
        }
        Ok(())
    }

    /// Applies or records the change and emits `CoSignerSet` or
    /// `CoSignerChangeRequested`.
    #[access_control(ctx.accounts.validate())]
    pub fn handler(ctx: Context<Self>, args: CoSignerSetArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let delay = ctx.accounts.config.limits.withdrawal_delay_secs;
        let approved = ctx.accounts.co_signer.is_some();
        let account = &mut ctx.accounts.escrow_account;
        match account.set_co_signer(args.co_signer, args.daily_allowance, approved, now, delay)? {
            CoSignerChange::Applied => emit_cpi!(events::CoSignerSet {
                config: account.config,
                wallet: account.wallet,
                co_signer: account.co_signer,
                daily_allowance: account.daily_allowance,
            }),
            CoSignerChange::Pending(effective_at) => emit_cpi!(CoSignerChangeRequested {
                config: account.config,
                wallet: account.wallet,
                co_signer: args.co_signer,
                daily_allowance: args.daily_allowance,
                effective_at,
            }),
        }
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
