//! `proposal_execute`: an owner executes an Approved proposal once the time
//! lock has passed; the vault PDA signs each instruction (`invoke_signed`).

use anchor_lang::prelude::*;
use anchor_lang::solana_program::instruction::{AccountMeta, Instruction};
use anchor_lang::solana_program::program::invoke_signed;

use crate::errors::MultisigError;
use crate::events::ProposalExecuted;
use crate::state::{Multisig, Proposal, SEED_PREFIX, SEED_PROPOSAL, SEED_VAULT};

/// Arguments of `proposal_execute` (none; kept for a stable interface).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default)]
pub struct ProposalExecuteArgs {}

/// Accounts of `proposal_execute`. The remaining accounts must hold every
/// account the proposal's instructions name, and each invoked program.
#[event_cpi]
#[derive(Accounts)]
pub struct ProposalExecute<'info> {
    /// The multisig. Read-only here: a config instruction of the proposal
    /// writes it through its own (inner) invocation.
    #[account(
        seeds = [SEED_PREFIX, multisig.create_key.as_ref()],
        bump = multisig.bump
    )]
    pub multisig: Account<'info, Multisig>,
    /// The proposal to execute.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_PROPOSAL, &proposal.index.to_le_bytes()],
        bump = proposal.bump,
        has_one = multisig
    )]
    pub proposal: Account<'info, Proposal>,
    /// The vault PDA that signs the instructions.
    /// CHECK: only its address matters; it is checked by the seeds.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_VAULT],
        bump = multisig.vault_bump
    )]
    pub vault: UncheckedAccount<'info>,
    /// The executing owner.
    pub executor: Signer<'info>,
}

impl ProposalExecute<'_> {
    /// Checks role, staleness and expiry (status and time lock are checked by
    /// `Proposal::mark_executed`).
    pub fn validate(&self) -> Result<()> {
        require!(
            self.multisig.is_owner(&self.executor.key()),
            MultisigError::NotAnOwner
        );
        require!(
            !self.multisig.is_stale(self.proposal.index),
            MultisigError::ProposalStale
        );
        let now = Clock::get()?.unix_timestamp;
        require!(
            !self.proposal.is_expired(now),
            MultisigError::ProposalExpired
        );
        Ok(())
    }

    /// Marks the proposal Executed (persisted before any invocation, so an
    /// inner instruction can never see it executable) and invokes its instructions.
    pub fn proposal_execute<'info>(
        ctx: Context<'info, ProposalExecute<'info>>,
        _args: ProposalExecuteArgs,
    ) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let time_lock = ctx.accounts.multisig.time_lock;
        ctx.accounts.proposal.mark_executed(time_lock, now)?;
        ctx.accounts.proposal.invariant()?;
        ctx.accounts.proposal.exit(&crate::ID)?;

        let multisig_key = ctx.accounts.multisig.key();
        let vault_bump = [ctx.accounts.multisig.vault_bump];
        let vault_seeds: [&[u8]; 4] = [SEED_PREFIX, multisig_key.as_ref(), SEED_VAULT, &vault_bump];
        let vault_info = ctx.accounts.vault.to_account_info();

        for stored in &ctx.accounts.proposal.instructions {
            let mut infos: Vec<AccountInfo<'info>> = Vec::with_capacity(stored.accounts.len() + 1);
            let mut metas = Vec::with_capacity(stored.accounts.len());
            // Protected accounts (docs/rules.md, Multisig): a program
            // other than this one never gets the multisig, a proposal or a
            // spending limit (every account this program owns) as writable,
            // so it cannot change the configuration with the vault's signature.
            let foreign = stored.program_id != crate::ID;
            for meta in &stored.accounts {
                let info = find_account(&vault_info, ctx.remaining_accounts, &meta.pubkey)?;
                require!(
                    !meta.is_writable || info.is_writable,
                    MultisigError::ExecuteAccountNotWritable
                );
                require!(
                    !(foreign
                        && meta.is_writable
                        && (info.owner == &crate::ID || meta.pubkey == multisig_key)),
                    MultisigError::ProtectedAccountWritable
                );
                metas.push(AccountMeta {
                    pubkey: meta.pubkey,
                    is_signer: meta.is_signer,
                    is_writable: meta.is_writable,
                });
                infos.push(info);
            }
            infos.push(find_account(
                &vault_info,
                ctx.remaining_accounts,
                &stored.program_id,
            )?);
            let instruction = Instruction {
                program_id: stored.program_id,
                accounts: metas,
                data: stored.data.clone(),
            };
            invoke_signed(&instruction, &infos, &[&vault_seeds])?;
        }

        emit_cpi!(ProposalExecuted {
            multisig: multisig_key,
            index: ctx.accounts.proposal.index,
            executor: ctx.accounts.executor.key(),
        });
        Ok(())
    }
}

/// The account info for `key`: the vault or one of the remaining accounts.
fn find_account<'info>(
    vault: &AccountInfo<'info>,
    remaining: &[AccountInfo<'info>],
    key: &Pubkey,
) -> Result<AccountInfo<'info>> {
    if vault.key == key {
        return Ok(vault.clone());
    }
    remaining
        .iter()
        .find(|info| info.key == key)
        .cloned()
        .ok_or_else(|| error!(MultisigError::MissingExecuteAccount))
}
