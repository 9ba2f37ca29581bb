//! Creates the config and the vault token account.

use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};

use crate::events::ConfigInitialized;
use crate::state::seeds::{SEED_CONFIG, SEED_VAULT};
use crate::state::{
    check_mint_extensions, Authorities, Config, FeeSchedule, FeeScheduleArgs, Limits, LimitsArgs,
};

/// Arguments of `config_initialize`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct ConfigInitializeArgs {
    /// Role holders (admin, guardian, arbiter, dispatcher, compliance, treasury).
    pub authorities: Authorities,
    /// Fee schedule.
    pub fees: FeeScheduleArgs,
    /// Limits.
    pub limits: LimitsArgs,
}

/// Accounts of `config_initialize`.
#[derive(Accounts)]
pub struct ConfigInitialize<'info> {
    /// Creator: pays the rent and seeds the config PDA.
    #[account(mut)]
    pub creator: Signer<'info>,
    /// The new config, `["config", creator]`.
    #[account(
        init,
        payer = creator,
        space = 8 + Config::INIT_SPACE,
        seeds = [SEED_CONFIG, creator.key().as_ref()],
        bump
    )]
    pub config: Account<'info, Config>,
    /// The USDT mint, owned by `token_program`.
    #[account(mint::token_program = token_program)]
    pub usdt_mint: InterfaceAccount<'info, Mint>,
    /// The new vault token account, `["vault", config]`, authority the config.
    #[account(
        init,
        payer = creator,
        seeds = [SEED_VAULT, config.key().as_ref()],
        bump,
        token::mint = usdt_mint,
        token::authority = config,
        token::token_program = token_program
    )]
    pub vault: InterfaceAccount<'info, TokenAccount>,
    /// SPL Token or Token-2022.
    pub token_program: Interface<'info, TokenInterface>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl ConfigInitialize<'_> {
    fn validate(&self, args: &ConfigInitializeArgs) -> Result<()> {
        // Every role needs a real key; fees and limits must be well formed.
        args.authorities.validate()?;
        // No Token-2022 extension that could move, freeze or hide vault funds.
        check_mint_extensions(&self.usdt_mint.to_account_info())?;
        FeeSchedule::from_args(&args.fees)?;
        Limits::from_args(&args.limits)?;
        Ok(())
    }

    /// Stores the config and emits `ConfigInitialized`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: ConfigInitializeArgs) -> Result<()> {
        let config = &mut ctx.accounts.config;
        config.creator = ctx.accounts.creator.key();
        config.bump = ctx.bumps.config;
        config.vault_bump = ctx.bumps.vault;
        config.authorities = args.authorities;
        config.usdt_mint = ctx.accounts.usdt_mint.key();
        config.usdt_decimals = ctx.accounts.usdt_mint.decimals;
        config.token_program = ctx.accounts.token_program.key();
        config.vault = ctx.accounts.vault.key();
        config.fees = FeeSchedule::from_args(&args.fees)?;
        config.limits = Limits::from_args(&args.limits)?;
        config.paused = false;
        config.next_deal_id = 0;
        config.next_order_id = 0;
        emit!(ConfigInitialized {
            config: config.key(),
            creator: config.creator,
            authorities: config.authorities,
            usdt_mint: config.usdt_mint,
            vault: config.vault,
            fees: config.fees,
            limits: config.limits,
        });
        ctx.accounts.config.invariant()?;
        Ok(())
    }
}
