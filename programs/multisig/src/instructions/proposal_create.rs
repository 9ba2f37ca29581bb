//! `proposal_create`: an owner proposes instructions for the vault to sign.

use anchor_lang::prelude::*;

use crate::errors::MultisigError;
use crate::events::ProposalCreated;
use crate::state::{
    Multisig, Proposal, ProposalInstruction, ProposalStatus, SEED_PREFIX, SEED_PROPOSAL,
};

/// Arguments of `proposal_create`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ProposalCreateArgs {
    /// Instructions the vault signs on execution (1..=8).
    pub instructions: Vec<ProposalInstruction>,
    /// Unix time from which the proposal can no longer be voted on or executed.
    pub expires_at: i64,
}

/// Accounts of `proposal_create`.
#[derive(Accounts)]
#[instruction(args: ProposalCreateArgs)]
pub struct ProposalCreate<'info> {
    /// The multisig; its transaction index is incremented.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.create_key.as_ref()],
        bump = multisig.bump
    )]
    pub multisig: Account<'info, Multisig>,
    /// The new proposal, at index `transaction_index + 1`.
    #[account(
        init,
        payer = creator,
        space = Proposal::space(multisig.owners.len(), &args.instructions),
        seeds = [
            SEED_PREFIX,
            multisig.key().as_ref(),
            SEED_PROPOSAL,
            &multisig.next_transaction_index()?.to_le_bytes()
        ],
        bump
    )]
    pub proposal: Account<'info, Proposal>,
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

        let proposal = &mut ctx.accounts.proposal;
        proposal.multisig = multisig_key;
        proposal.index = index;
        proposal.creator = ctx.accounts.creator.key();
        proposal.created_at = now;
        proposal.expires_at = args.expires_at;
        proposal.status = ProposalStatus::Active;
        proposal.bump = ctx.bumps.proposal;
        proposal.vote_capacity = vote_capacity;
        proposal.approved = Vec::new();
        proposal.rejected = Vec::new();
        proposal.cancelled = Vec::new();
        proposal.instructions = args.instructions;

        multisig.invariant()?;
        proposal.invariant()?;
        emit!(ProposalCreated {
            multisig: multisig_key,
            proposal: proposal.key(),
            index,
            creator: proposal.creator,
            expires_at: proposal.expires_at,
        });
        Ok(())
    }
}
