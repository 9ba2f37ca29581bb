//! Sends available balance from the vault to the token account of the
//! owner's withdrawal address.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

use crate::errors::EscrowError;
use crate::events::Withdrawn;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_VAULT};
use crate::state::{Config, EscrowAccount};

/// Arguments of `withdraw`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct WithdrawArgs {
    /// Amount in the smallest USDT unit.
    pub amount: u64,
}

/// Accounts of `withdraw`.
#[derive(Accounts)]
pub struct Withdraw<'info> {
    /// The account owner.
    pub owner: Signer<'info>,
    /// The config; signs for the vault.
    #[account(seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
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
    /// The vault, `["vault", config]`.
    #[account(
        mut,
        seeds = [SEED_VAULT, config.key().as_ref()],
        bump = config.vault_bump
    )]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    /// A USDT token account owned by the account's withdrawal address.
    #[account(
        mut,
        token::mint = usdt_mint,
        token::authority = escrow_account.withdrawal_address,
        token::token_program = token_program
    )]
    pub destination: InterfaceAccount<'info, TokenAccount>,
}

impl Withdraw<'_> {
    fn validate(&self, args: &WithdrawArgs) -> Result<()> {
        self.config.require_not_paused()?;
        require!(args.amount > 0, EscrowError::ZeroAmount);
        require!(
            args.amount <= self.escrow_account.available,
            EscrowError::InsufficientBalance
        );
        Ok(())
    }

    /// Debits the balance, transfers from the vault and emits `Withdrawn`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: WithdrawArgs) -> Result<()> {
        let accounts = ctx.accounts;
        accounts.escrow_account.debit(args.amount)?;
        let seeds = accounts.config.signer_seeds();
        token_interface::transfer_checked(
            CpiContext::new_with_signer(
                accounts.token_program.key(),
                TransferChecked {
                    from: accounts.vault.to_account_info(),
                    mint: accounts.usdt_mint.to_account_info(),
                    to: accounts.destination.to_account_info(),
                    authority: accounts.config.to_account_info(),
                },
                &[&seeds],
            ),
            args.amount,
            accounts.usdt_mint.decimals,
        )?;
        let account = &accounts.escrow_account;
        emit!(Withdrawn {
            config: account.config,
            wallet: account.wallet,
            destination: accounts.destination.key(),
            amount: args.amount,
            available: account.available,
        });
        accounts.escrow_account.invariant()?;
        Ok(())
    }
}
