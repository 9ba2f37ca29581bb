//! stablerail multisig: an M-of-N vault with proposals, a time lock and
//! spending limits, on the Squads v4 model (docs/rules.md, Multisig).
//!
//! - A [`state::Multisig`] (PDA `["multisig", create_key]`) holds owners, a
//!   threshold and a time lock. Its vault PDA `["multisig", multisig, "vault"]`
//!   holds the funds and signs every executed instruction.
//! - Owners create [`state::Proposal`]s carrying instructions, approve or
//!   reject them; an Approved proposal executes after the time lock through
//!   `invoke_signed` with the vault's seeds, or is cancelled by threshold owners.
//! - Config changes (owners, threshold, time lock, spending limits) are
//!   instructions of this program that require the vault's signature, so
//!   only an executed proposal can make them; each makes every pending
//!   proposal stale.
//! - A [`state::SpendingLimit`] lets named spenders send up to an amount per
//!   period from the vault's token account without a proposal.

// Anchor's macros emit cfg names (e.g. `anchor-debug`, `custom-heap`) that
// Cargo does not know, and `#[program]` generates undocumented items at the
// crate root (`instruction`, `accounts`). Hand-written modules re-enable
// `missing_docs` except `instructions`, where `#[derive(Accounts)]` adds
// undocumented client structs next to each documented accounts struct.
#![allow(unexpected_cfgs, missing_docs)]

use anchor_lang::prelude::*;

pub mod errors;
pub mod events;
pub mod instructions;
pub mod state;
pub mod utils;

use instructions::*;

declare_id!("GfRUg2EM6tEfLnvNojDykxKsiMKWSsKVDeopNjoo6F3Y");

/// The program's instructions; each handler lives in `instructions/`.
#[program]
pub mod stablerail_multisig {
    use super::*;

    /// Creates a multisig with its owners, threshold and time lock.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn multisig_create(ctx: Context<MultisigCreate>, args: MultisigCreateArgs) -> Result<()> {
        MultisigCreate::multisig_create(ctx, args)
    }

    /// An owner proposes instructions for the vault to sign.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn proposal_create(ctx: Context<ProposalCreate>, args: ProposalCreateArgs) -> Result<()> {
        ProposalCreate::proposal_create(ctx, args)
    }

    /// An owner approves an Active proposal.
    #[access_control(ctx.accounts.validate())]
    pub fn proposal_approve(
        ctx: Context<ProposalApprove>,
        args: ProposalApproveArgs,
    ) -> Result<()> {
        ProposalApprove::proposal_approve(ctx, args)
    }

    /// An owner rejects an Active proposal.
    #[access_control(ctx.accounts.validate())]
    pub fn proposal_reject(ctx: Context<ProposalReject>, args: ProposalRejectArgs) -> Result<()> {
        ProposalReject::proposal_reject(ctx, args)
    }

    /// An owner votes to cancel an Approved proposal.
    #[access_control(ctx.accounts.validate())]
    pub fn proposal_cancel(ctx: Context<ProposalCancel>, args: ProposalCancelArgs) -> Result<()> {
        ProposalCancel::proposal_cancel(ctx, args)
    }

    /// An owner executes an Approved proposal after the time lock.
    #[access_control(ctx.accounts.validate())]
    pub fn proposal_execute<'info>(
        ctx: Context<'info, ProposalExecute<'info>>,
        args: ProposalExecuteArgs,
    ) -> Result<()> {
        ProposalExecute::proposal_execute(ctx, args)
    }

    /// Closes a proposal that can no longer execute; rent back to its creator.
    #[access_control(ctx.accounts.validate())]
    pub fn proposal_close(ctx: Context<ProposalClose>, args: ProposalCloseArgs) -> Result<()> {
        ProposalClose::proposal_close(ctx, args)
    }

    /// Adds an owner (vault signature: only through a proposal).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn config_owner_add(ctx: Context<ConfigOwnerAdd>, args: ConfigOwnerAddArgs) -> Result<()> {
        ConfigOwnerAdd::config_owner_add(ctx, args)
    }

    /// Removes an owner (vault signature: only through a proposal).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn config_owner_remove(
        ctx: Context<ConfigOwnerRemove>,
        args: ConfigOwnerRemoveArgs,
    ) -> Result<()> {
        ConfigOwnerRemove::config_owner_remove(ctx, args)
    }

    /// Changes the threshold (vault signature: only through a proposal).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn config_threshold_change(
        ctx: Context<ConfigThresholdChange>,
        args: ConfigThresholdChangeArgs,
    ) -> Result<()> {
        ConfigThresholdChange::config_threshold_change(ctx, args)
    }

    /// Sets the time lock (vault signature: only through a proposal).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn config_time_lock_set(
        ctx: Context<ConfigTimeLockSet>,
        args: ConfigTimeLockSetArgs,
    ) -> Result<()> {
        ConfigTimeLockSet::config_time_lock_set(ctx, args)
    }

    /// Adds a spending limit (vault signature: only through a proposal).
    #[access_control(ctx.accounts.validate(&args))]
    pub fn spending_limit_add(
        ctx: Context<SpendingLimitAdd>,
        args: SpendingLimitAddArgs,
    ) -> Result<()> {
        SpendingLimitAdd::spending_limit_add(ctx, args)
    }

    /// Removes a spending limit (vault signature: only through a proposal).
    pub fn spending_limit_remove(
        ctx: Context<SpendingLimitRemove>,
        args: SpendingLimitRemoveArgs,
    ) -> Result<()> {
        SpendingLimitRemove::spending_limit_remove(ctx, args)
    }

    /// A spender sends tokens from the vault within the spending limit.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn spending_limit_use(
        ctx: Context<SpendingLimitUse>,
        args: SpendingLimitUseArgs,
    ) -> Result<()> {
        SpendingLimitUse::spending_limit_use(ctx, args)
    }
}
