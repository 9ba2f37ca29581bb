//! Opens the escrow account of a wallet. Anyone may pay for it, so the
//! treasury (often a multisig vault PDA) gets one without signing.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::AccountOpened;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{Config, EscrowAccount};

/// Accounts of `account_open`.
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
    /// The new escrow account, `["account", config, wallet]`.
    #[account(
        init,
        payer = payer,
        space = 8 + EscrowAccount::INIT_SPACE,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), wallet.key().as_ref()],
        bump
    )]
    pub escrow_account: Account<'info, EscrowAccount>,
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
        let account = &mut ctx.accounts.escrow_account;
        account.config = config;
        account.wallet = wallet;
        account.bump = ctx.bumps.escrow_account;
        account.withdrawal_address = wallet;
        emit!(AccountOpened {
            config,
            wallet,
            account: account.key(),
        });
        Ok(())
    }
}
