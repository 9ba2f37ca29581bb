//! Opens the escrow account of a wallet. Anyone may pay for it, so the
//! treasury (often a multisig vault PDA) gets one without signing.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::AccountOpened;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{Config, EscrowAccount};
use crate::utils::create_program_account;

/// Accounts of `account_open`.
#[event_cpi]
#[derive(Accounts)]
pub struct AccountOpen<'info> {
    /// Pays the rent.
    #[account(mut)]
    pub payer: Signer<'info>,
    /// CHECK: the wallet the account is for; any key except the default one.
    pub wallet: UncheckedAccount<'info>,
    /// The config.
    #[account(seeds = [SEED_CONFIG, config.creator.as_ref()], bump = config.bump)]
    pub config: Account<'info, Config>,
    /// CHECK: the new escrow account, `["account", config, wallet]`; created
    /// by the handler (a PDA that already holds lamports is accepted).
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), wallet.key().as_ref()],
        bump
    )]
    pub escrow_account: UncheckedAccount<'info>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl AccountOpen<'_> {
    fn validate(&self) -> Result<()> {
        require_keys_neq!(
            self.wallet.key(),
            Pubkey::default(),
            EscrowError::InvalidWallet
        );
        Ok(())
    }

    /// Initialises the account (withdrawals go to the wallet itself) and
    /// emits `AccountOpened`.
    #[access_control(ctx.accounts.validate())]
    pub fn handler(ctx: Context<Self>) -> Result<()> {
        let wallet = ctx.accounts.wallet.key();
        let config = ctx.accounts.config.key();
        let bump = ctx.bumps.escrow_account;
        let account = EscrowAccount::new(config, wallet, bump);
        create_program_account(
            &ctx.accounts.payer.to_account_info(),
            &ctx.accounts.escrow_account.to_account_info(),
            &ctx.accounts.system_program.to_account_info(),
            &[SEED_ACCOUNT, config.as_ref(), wallet.as_ref(), &[bump]],
            &account,
        )?;
        emit_cpi!(AccountOpened {
            config,
            wallet,
            account: ctx.accounts.escrow_account.key(),
        });
        account.invariant()?;
        Ok(())
    }
}
