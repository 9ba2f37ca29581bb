//! `proposal_create`: an owner proposes instructions for the vault to sign.

use anchor_lang::prelude::*;

use crate::errors::MultisigError;
use crate::events::ProposalCreated;
use crate::state::{
    Multisig, Proposal, ProposalInstruction, ProposalStatus, SEED_PREFIX, SEED_PROPOSAL,
};
use crate::utils::{create_pda_account, write_account};

/// Arguments of `proposal_create`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ProposalCreateArgs {
    /// Instructions the vault signs on execution (1..=8).
    pub instructions: Vec<ProposalInstruction>,
    /// Unix time from which the proposal can no longer be voted on or executed.
    pub expires_at: i64,
}

/// Accounts of `proposal_create`.
#[event_cpi]
#[derive(Accounts)]
pub struct ProposalCreate<'info> {
    /// The multisig; its transaction index is incremented.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.create_key.as_ref()],
        bump = multisig.bump
    )]
    pub multisig: Account<'info, Multisig>,
    /// The new proposal, at index `transaction_index + 1`; created by the
    /// handler (`utils::create_pda_account` copes with a pre-funded address).
    /// CHECK: the address is checked by the seeds; the account must not exist yet.
    #[account(
        mut,
        seeds = [
            SEED_PREFIX,
            multisig.key().as_ref(),
            SEED_PROPOSAL,
            &multisig.next_transaction_index()?.to_le_bytes()
        ],
        bump
    )]
    pub proposal: UncheckedAccount<'info>,
    /// An owner; pays the rent and gets it back on close.
    #[account(mut)]
    pub creator: Signer<'info>,
    /// The System program.
    pub system_program: Program<'info, System>,
}

impl ProposalCreate<'_> {
    /// Checks the creator's role and the proposal's content.
    pub fn validate(&self, args: &ProposalCreateArgs) -> Result<()> {
        // Role: only owners propose.
        require!(
            self.multisig.is_owner(&self.creator.key()),
            MultisigError::NotAnOwner
        );
        // Content: bounded sizes, only the vault signs.
        let (vault, _) = Multisig::vault_address(&self.multisig.key());
        Proposal::check_instructions(&args.instructions, &vault)?;
        // Expiry in the future.
        let now = Clock::get()?.unix_timestamp;
        require!(args.expires_at > now, MultisigError::InvalidExpiry);
        Ok(())
    }

    /// Writes the proposal and advances the multisig's transaction index.
    pub fn proposal_create(ctx: Context<Self>, args: ProposalCreateArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let multisig_key = ctx.accounts.multisig.key();
        let multisig = &mut ctx.accounts.multisig;
        let index = multisig.next_transaction_index()?;
        multisig.transaction_index = index;
        let vote_capacity = u16::try_from(multisig.owners.len())
            .map_err(|_| error!(MultisigError::TooManyOwners))?;

        let proposal = Proposal {
            multisig: multisig_key,
            index,
            creator: ctx.accounts.creator.key(),
            created_at: now,
            expires_at: args.expires_at,
            status: ProposalStatus::Active,
            bump: ctx.bumps.proposal,
            vote_capacity,
            approved: Vec::new(),
            rejected: Vec::new(),
            cancelled: Vec::new(),
            instructions: args.instructions,
        };
        proposal.invariant()?;
        let space = Proposal::space(multisig.owners.len(), &proposal.instructions);
        let index_bytes = index.to_le_bytes();
        let bump = [proposal.bump];
        let seeds: [&[u8]; 5] = [
            SEED_PREFIX,
            multisig_key.as_ref(),
            SEED_PROPOSAL,
            &index_bytes,
            &bump,
        ];
        let proposal_info = ctx.accounts.proposal.to_account_info();
        create_pda_account(
            &ctx.accounts.creator.to_account_info(),
            &proposal_info,
            &ctx.accounts.system_program.to_account_info(),
            space,
            &seeds,
        )?;
        write_account(&proposal_info, &proposal)?;

        multisig.invariant()?;
        emit_cpi!(ProposalCreated {
            multisig: multisig_key,
            proposal: proposal_info.key(),
            index,
            creator: proposal.creator,
            expires_at: proposal.expires_at,
        });
        Ok(())
    }
}
