//! `spending_limit_use`: a spender sends tokens from the vault within the
//! allowance of the current period, without a proposal.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{
    transfer_checked, Mint, TokenAccount, TokenInterface, TransferChecked,
};

use crate::errors::MultisigError;
use crate::events::SpendingLimitUsed;
use crate::state::{Multisig, SpendingLimit, SEED_PREFIX, SEED_SPENDING_LIMIT, SEED_VAULT};

/// Arguments of `spending_limit_use`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct SpendingLimitUseArgs {
    /// Amount to send, in the mint's smallest units (> 0).
    pub amount: u64,
}

/// Accounts of `spending_limit_use`. Token accounts are boxed to keep the
/// SBF stack frame of account validation small.
#[event_cpi]
#[derive(Accounts)]
pub struct SpendingLimitUse<'info> {
    /// The multisig.
    #[account(
        seeds = [SEED_PREFIX, multisig.create_key.as_ref()],
        bump = multisig.bump
    )]
    pub multisig: Account<'info, Multisig>,
    /// The spending limit used.
    #[account(
        mut,
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_SPENDING_LIMIT, spending_limit.create_key.as_ref()],
        bump = spending_limit.bump,
        has_one = multisig,
        has_one = mint @ MultisigError::WrongMint
    )]
    pub spending_limit: Account<'info, SpendingLimit>,
    /// A spender of the limit.
    pub spender: Signer<'info>,
    /// The limit's mint.
    #[account(mint::token_program = token_program)]
    pub mint: Box<InterfaceAccount<'info, Mint>>,
    /// The vault PDA, authority of the source token account.
    /// CHECK: only its address matters; it is checked by the seeds.
    #[account(
        seeds = [SEED_PREFIX, multisig.key().as_ref(), SEED_VAULT],
        bump = multisig.vault_bump
    )]
    pub vault: UncheckedAccount<'info>,
    /// The vault's token account the tokens come from.
    #[account(
        mut,
        token::mint = mint,
        token::authority = vault,
        token::token_program = token_program
    )]
    pub vault_token_account: Box<InterfaceAccount<'info, TokenAccount>>,
    /// The receiving token account.
    #[account(
        mut,
        token::mint = mint,
        token::token_program = token_program
    )]
    pub destination: Box<InterfaceAccount<'info, TokenAccount>>,
    /// SPL Token or Token-2022.
    pub token_program: Interface<'info, TokenInterface>,
}

impl SpendingLimitUse<'_> {
    /// Checks the spender's role, the destination and the amount.
    pub fn validate(&self, args: &SpendingLimitUseArgs) -> Result<()> {
        require!(
            self.spending_limit.is_spender(&self.spender.key()),
            MultisigError::NotASpender
        );
        require!(
            self.spending_limit
                .allows_destination(&self.destination.owner),
            MultisigError::DestinationNotAllowed
        );
        require!(args.amount > 0, MultisigError::InvalidAmount);
        Ok(())
    }

    /// Takes the amount from the allowance (refilling first if a period
    /// boundary passed) and sends it with `transfer_checked`, signed by the vault.
    pub fn spending_limit_use(ctx: Context<Self>, args: SpendingLimitUseArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        ctx.accounts.spending_limit.spend(args.amount, now)?;

        let multisig_key = ctx.accounts.multisig.key();
        let vault_bump = [ctx.accounts.multisig.vault_bump];
        let vault_seeds: [&[u8]; 4] = [SEED_PREFIX, multisig_key.as_ref(), SEED_VAULT, &vault_bump];
        let signer_seeds = [&vault_seeds[..]];
        transfer_checked(
            CpiContext::new_with_signer(
                ctx.accounts.token_program.key(),
                TransferChecked {
                    from: ctx.accounts.vault_token_account.to_account_info(),
                    mint: ctx.accounts.mint.to_account_info(),
                    to: ctx.accounts.destination.to_account_info(),
                    authority: ctx.accounts.vault.to_account_info(),
                },
                &signer_seeds,
            ),
            args.amount,
            ctx.accounts.mint.decimals,
        )?;

        let limit = &ctx.accounts.spending_limit;
        limit.invariant()?;
        emit_cpi!(SpendingLimitUsed {
            multisig: multisig_key,
            spending_limit: limit.key(),
            spender: ctx.accounts.spender.key(),
            destination: ctx.accounts.destination.key(),
            amount: args.amount,
            remaining: limit.remaining,
        });
        Ok(())
    }
}
