//! Moves USDT from the owner's token account into the vault and credits the
//! owner's available balance.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

use crate::errors::EscrowError;
use crate::events::Deposited;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_VAULT};
use crate::state::{Config, EscrowAccount};

/// Arguments of `deposit`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct DepositArgs {
    /// Amount in the smallest USDT unit.
    pub amount: u64,
}

/// Accounts of `deposit`.
#[event_cpi]
#[derive(Accounts)]
pub struct Deposit<'info> {
    /// The account owner; signs the token transfer.
    pub owner: Signer<'info>,
    /// The config; its liabilities grow.
    #[account(mut, seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// The owner's escrow account.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), owner.key().as_ref()],
        bump = escrow_account.bump
    )]
    pub escrow_account: Account<'info, EscrowAccount>,
    /// The USDT mint.
    #[account(address = config.usdt_mint @ EscrowError::WrongMint)]
    pub usdt_mint: InterfaceAccount<'info, Mint>,
    /// The mint's token program.
    #[account(address = config.token_program @ EscrowError::WrongTokenProgram)]
    pub token_program: Interface<'info, TokenInterface>,
    /// The owner's USDT token account.
    #[account(
        mut,
        token::mint = usdt_mint,
        token::authority = owner,
        token::token_program = token_program
    )]
    pub source: InterfaceAccount<'info, TokenAccount>,
    /// The vault, `["vault", config]`.
    #[account(
        mut,
        seeds = [SEED_VAULT, config.key().as_ref()],
        bump = config.vault_bump
    )]
    pub vault: InterfaceAccount<'info, TokenAccount>,
}

impl Deposit<'_> {
    fn validate(&self, args: &DepositArgs) -> Result<()> {
        self.config.require_not_paused()?;
        require!(args.amount > 0, EscrowError::ZeroAmount);
        Ok(())
    }

    /// Transfers the tokens, credits what the vault received and emits
    /// `Deposited`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: DepositArgs) -> Result<()> {
        let before = ctx.accounts.vault.amount;
        token_interface::transfer_checked(
            CpiContext::new(
                ctx.accounts.token_program.key(),
                TransferChecked {
                    from: ctx.accounts.source.to_account_info(),
                    mint: ctx.accounts.usdt_mint.to_account_info(),
                    to: ctx.accounts.vault.to_account_info(),
                    authority: ctx.accounts.owner.to_account_info(),
                },
            ),
            args.amount,
            ctx.accounts.usdt_mint.decimals,
        )?;
        // Credit what the vault actually received: a Token-2022 mint with a
        // transfer fee delivers less than `amount`, and the balances must
        // never exceed the vault.
        ctx.accounts.vault.reload()?;
        let received = ctx
            .accounts
            .vault
            .amount
            .checked_sub(before)
            .ok_or(EscrowError::Overflow)?;
        require!(received > 0, EscrowError::ZeroAmount);
        ctx.accounts.config.add_liabilities(received)?;
        let account = &mut ctx.accounts.escrow_account;
        account.credit(received)?;
        emit_cpi!(Deposited {
            config: account.config,
            wallet: account.wallet,
            amount: received,
            available: account.available,
        });
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
