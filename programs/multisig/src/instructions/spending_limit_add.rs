//! `spending_limit_add`: creates a spending limit. Callable only with the
//! vault's signature, i.e. only by executing a proposal; the vault pays the rent.

use anchor_lang::prelude::*;

use crate::events::{ConfigChanged, SpendingLimitAdded};
use crate::state::{Multisig, Period, SpendingLimit, SEED_PREFIX, SEED_SPENDING_LIMIT, SEED_VAULT};
use crate::utils::{create_pda_account, write_account};

/// Arguments of `spending_limit_add`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct SpendingLimitAddArgs {
    /// Seed of the spending-limit address (any unused key).
    pub create_key: Pubkey,
    /// The token mint.
    pub mint: Pubkey,
    /// Allowance per period, in the mint's smallest units (> 0).
    pub amount: u64,
    /// Refill period.
    pub period: Period,
    /// Who may spend (1..=16, distinct; need not be owners).
    pub spenders: Vec<Pubkey>,
    /// Owners of the token accounts that may receive (0..=16; empty = any).
    pub destinations: Vec<Pubkey>,
}

/// Accounts of `spending_limit_add`.
#[event_cpi]
#[derive(Accounts)]
#[instruction(args: SpendingLimitAddArgs)]
pub struct SpendingLimitAdd<'info> {
    /// The multisig; pending proposals become stale.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.create_key.as_ref()],
        bump = multisig.bump
    )]
    pub multisig: Account<'info, Multisig>,
    /// The multisig's vault, signing through `proposal_execute`; pays the rent.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_VAULT],
        bump = multisig.vault_bump
    )]
    pub vault: Signer<'info>,
    /// The new spending limit; created by the handler
    /// (`utils::create_pda_account` copes with a pre-funded address).
    /// CHECK: the address is checked by the seeds; the account must not exist yet.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_SPENDING_LIMIT, args.create_key.as_ref()],
        bump
    )]
    pub spending_limit: UncheckedAccount<'info>,
    /// The System program.
    pub system_program: Program<'info, System>,
}

impl SpendingLimitAdd<'_> {
    /// Checks amount and lists before anything is written.
    pub fn validate(&self, args: &SpendingLimitAddArgs) -> Result<()> {
        SpendingLimit::check_params(args.amount, &args.spenders, &args.destinations)
    }

    /// Writes the spending limit; its first period starts now.
    pub fn spending_limit_add(ctx: Context<Self>, args: SpendingLimitAddArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let multisig_key = ctx.accounts.multisig.key();
        let limit = SpendingLimit {
            multisig: multisig_key,
            create_key: args.create_key,
            mint: args.mint,
            amount: args.amount,
            period: args.period,
            remaining: args.amount,
            last_reset: now,
            bump: ctx.bumps.spending_limit,
            spenders: args.spenders,
            destinations: args.destinations,
        };
        limit.invariant()?;
        let bump = [limit.bump];
        let seeds: [&[u8]; 5] = [
            SEED_PREFIX,
            multisig_key.as_ref(),
            SEED_SPENDING_LIMIT,
            args.create_key.as_ref(),
            &bump,
        ];
        let limit_info = ctx.accounts.spending_limit.to_account_info();
        create_pda_account(
            &ctx.accounts.vault.to_account_info(),
            &limit_info,
            &ctx.accounts.system_program.to_account_info(),
            SpendingLimit::space(limit.spenders.len(), limit.destinations.len()),
            &seeds,
        )?;
        write_account(&limit_info, &limit)?;

        let multisig = &mut ctx.accounts.multisig;
        multisig.invalidate_pending_proposals();
        multisig.invariant()?;
        emit_cpi!(SpendingLimitAdded {
            multisig: multisig_key,
            spending_limit: limit_info.key(),
            mint: limit.mint,
            amount: limit.amount,
            period: limit.period,
        });
        emit_cpi!(ConfigChanged::of(multisig_key, multisig));
        Ok(())
    }
}
