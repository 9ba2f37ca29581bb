//! Sends available balance from the vault to the token account of the
//! owner's withdrawal address. A withdrawal is an outflow (docs/rules.md,
//! co-signer and daily allowance) and lowers the liabilities.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, Mint, TokenAccount, TokenInterface, TransferChecked};

use crate::errors::EscrowError;
use crate::events::{OutflowCoSigned, OutflowCounted, Withdrawn};
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG, SEED_VAULT};
use crate::state::{Config, EscrowAccount, OUTFLOW_WITHDRAW};

/// Arguments of `withdraw`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct WithdrawArgs {
    /// Amount in the smallest USDT unit.
    pub amount: u64,
}

/// Accounts of `withdraw`.
#[event_cpi]
#[derive(Accounts)]
pub struct Withdraw<'info> {
    /// The account owner.
    pub owner: Signer<'info>,
    /// The config; signs for the vault; its liabilities go down.
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
    /// The account's co-signer, when the amount exceeds what is left of the
    /// daily allowance.
    pub co_signer: Option<Signer<'info>>,
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

    /// Counts the outflow, debits the balance and the liabilities,
    /// transfers from the vault and emits `Withdrawn`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: WithdrawArgs) -> Result<()> {
        let now = Clock::get()?.unix_timestamp;
        let co_signer = ctx.accounts.co_signer.as_ref().map(|signer| signer.key());
        let account = &mut ctx.accounts.escrow_account;
        if account.count_outflow(args.amount, now, co_signer)? {
            emit_cpi!(OutflowCoSigned {
                config: account.config,
                wallet: account.wallet,
                action: OUTFLOW_WITHDRAW,
                subject: args.amount,
            });
        } else if account.co_signer.is_some() {
            emit_cpi!(OutflowCounted {
                config: account.config,
                wallet: account.wallet,
                day: account.outflow_day,
                outflow_today: account.outflow_today,
            });
        }
        account.debit(args.amount)?;
        ctx.accounts.config.sub_liabilities(args.amount)?;
        let seeds = ctx.accounts.config.signer_seeds();
        token_interface::transfer_checked(
            CpiContext::new_with_signer(
                ctx.accounts.token_program.key(),
                TransferChecked {
                    from: ctx.accounts.vault.to_account_info(),
                    mint: ctx.accounts.usdt_mint.to_account_info(),
                    to: ctx.accounts.destination.to_account_info(),
                    authority: ctx.accounts.config.to_account_info(),
                },
                &[&seeds],
            ),
            args.amount,
            ctx.accounts.usdt_mint.decimals,
        )?;
        let account = &ctx.accounts.escrow_account;
        emit_cpi!(Withdrawn {
            config: account.config,
            wallet: account.wallet,
            destination: ctx.accounts.destination.key(),
            amount: args.amount,
            available: account.available,
        });
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
