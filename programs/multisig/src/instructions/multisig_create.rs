//! `multisig_create`: creates a multisig and fixes its vault address.

use anchor_lang::prelude::*;

use crate::events::MultisigCreated;
use crate::state::{Multisig, SEED_PREFIX};
use crate::utils::{create_pda_account, write_account};

/// Arguments of `multisig_create`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct MultisigCreateArgs {
    /// Owners (1..=16, distinct; stored sorted).
    pub owners: Vec<Pubkey>,
    /// Approvals needed (1..=owners).
    pub threshold: u16,
    /// Seconds between approval and execution (0..=90 days).
    pub time_lock: u32,
}

/// Accounts of `multisig_create`.
#[event_cpi]
#[derive(Accounts)]
pub struct MultisigCreate<'info> {
    /// The new multisig; created by the handler
    /// (`utils::create_pda_account` copes with a pre-funded address).
    /// CHECK: the address is checked by the seeds; the account must not exist yet.
    #[account(
        mut,
        seeds = [SEED_PREFIX, create_key.key().as_ref()],
        bump
    )]
    pub multisig: UncheckedAccount<'info>,
    /// A fresh key whose signature makes the multisig address unforgeable.
    pub create_key: Signer<'info>,
    /// Pays the rent.
    #[account(mut)]
    pub creator: Signer<'info>,
    /// The System program.
    pub system_program: Program<'info, System>,
}

impl MultisigCreate<'_> {
    /// Checks the arguments before anything is written.
    pub fn validate(&self, args: &MultisigCreateArgs) -> Result<()> {
        let owners = Multisig::normalize_owners(&self.multisig.key(), args.owners.clone())?;
        Multisig::check_threshold(args.threshold, owners.len())?;
        Multisig::check_time_lock(args.time_lock)
    }

    /// Writes the new multisig.
    pub fn multisig_create(ctx: Context<Self>, args: MultisigCreateArgs) -> Result<()> {
        let key = ctx.accounts.multisig.key();
        let (vault, vault_bump) = Multisig::vault_address(&key);
        let create_key = ctx.accounts.create_key.key();
        let multisig = Multisig {
            create_key,
            threshold: args.threshold,
            time_lock: args.time_lock,
            transaction_index: 0,
            stale_transaction_index: 0,
            bump: ctx.bumps.multisig,
            vault_bump,
            owners: Multisig::normalize_owners(&key, args.owners)?,
        };
        multisig.invariant()?;
        let bump = [multisig.bump];
        let seeds: [&[u8]; 3] = [SEED_PREFIX, create_key.as_ref(), &bump];
        let info = ctx.accounts.multisig.to_account_info();
        create_pda_account(
            &ctx.accounts.creator.to_account_info(),
            &info,
            &ctx.accounts.system_program.to_account_info(),
            Multisig::SPACE,
            &seeds,
        )?;
        write_account(&info, &multisig)?;
        emit_cpi!(MultisigCreated {
            multisig: key,
            vault,
            owners: multisig.owners.clone(),
            threshold: multisig.threshold,
            time_lock: multisig.time_lock,
        });
        Ok(())
    }
}
