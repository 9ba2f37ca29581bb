//! Creates the config and the vault token account. Both are created like
//! every other PDA of the program (`utils::create_pda`): lamports sent to
//! their addresses beforehand do not block the initialisation.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022;
use anchor_spl::token_2022::spl_token_2022::extension::{
    BaseStateWithExtensions, ExtensionType, StateWithExtensions,
};
use anchor_spl::token_interface::{self, InitializeAccount3, Mint, TokenInterface};

use crate::errors::EscrowError;
use crate::events::ConfigInitialized;
use crate::state::seeds::{SEED_CONFIG, SEED_VAULT};
use crate::state::{
    check_mint_extensions, Authorities, Config, FeeSchedule, FeeScheduleArgs, Limits, LimitsArgs,
};
use crate::utils::{create_pda, create_program_account};

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
#[event_cpi]
#[derive(Accounts)]
pub struct ConfigInitialize<'info> {
    /// Creator: pays the rent and seeds the config PDA.
    #[account(mut)]
    pub creator: Signer<'info>,
    /// CHECK: the new config, `["config", creator]`; created by the handler
    /// (a PDA that already holds lamports is accepted).
    #[account(mut, seeds = [SEED_CONFIG, creator.key().as_ref()], bump)]
    pub config: UncheckedAccount<'info>,
    /// The USDT mint, owned by `token_program`.
    #[account(mint::token_program = token_program)]
    pub usdt_mint: InterfaceAccount<'info, Mint>,
    /// CHECK: the new vault token account, `["vault", config]`, authority the
    /// config; created and initialised by the handler.
    #[account(mut, seeds = [SEED_VAULT, config.key().as_ref()], bump)]
    pub vault: UncheckedAccount<'info>,
    /// SPL Token or Token-2022.
    pub token_program: Interface<'info, TokenInterface>,
    /// System program.
    pub system_program: Program<'info, System>,
}

impl ConfigInitialize<'_> {
    fn validate(&self, args: &ConfigInitializeArgs) -> Result<()> {
        // Every role needs a real key; the treasury is not the escrow itself.
        args.authorities.validate()?;
        Config::check_treasury(&args.authorities, &self.config.key(), &self.vault.key())?;
        // No Token-2022 extension that could move, freeze or hide vault funds.
        check_mint_extensions(&self.usdt_mint.to_account_info())?;
        FeeSchedule::from_args(&args.fees)?;
        Limits::from_args(&args.limits)?;
        Ok(())
    }

    /// Size of the vault token account: the base account plus the
    /// extensions the mint's extensions require (e.g. the transfer-fee amount).
    fn vault_space(&self) -> Result<usize> {
        let info = self.usdt_mint.to_account_info();
        let data = info.try_borrow_data()?;
        let mint = StateWithExtensions::<spl_token_2022::state::Mint>::unpack(&data)?;
        let required =
            ExtensionType::get_required_init_account_extensions(&mint.get_extension_types()?);
        ExtensionType::try_calculate_account_len::<spl_token_2022::state::Account>(&required)
            .map_err(|_| error!(EscrowError::Overflow))
    }

    /// Creates the vault and the config and emits `ConfigInitialized`.
    #[access_control(ctx.accounts.validate(&args))]
    pub fn handler(ctx: Context<Self>, args: ConfigInitializeArgs) -> Result<()> {
        let creator = ctx.accounts.creator.key();
        let config_key = ctx.accounts.config.key();
        let (config_bump, vault_bump) = (ctx.bumps.config, ctx.bumps.vault);
        let token_program = ctx.accounts.token_program.key();

        let space = ctx.accounts.vault_space()?;
        create_pda(
            &ctx.accounts.creator.to_account_info(),
            &ctx.accounts.vault.to_account_info(),
            &ctx.accounts.system_program.to_account_info(),
            &[SEED_VAULT, config_key.as_ref(), &[vault_bump]],
            space,
            &token_program,
        )?;
        token_interface::initialize_account3(CpiContext::new(
            token_program,
            InitializeAccount3 {
                account: ctx.accounts.vault.to_account_info(),
                mint: ctx.accounts.usdt_mint.to_account_info(),
                authority: ctx.accounts.config.to_account_info(),
            },
        ))?;

        let config = Config {
            creator,
            bump: config_bump,
            vault_bump,
            authorities: args.authorities,
            usdt_mint: ctx.accounts.usdt_mint.key(),
            usdt_decimals: ctx.accounts.usdt_mint.decimals,
            token_program,
            vault: ctx.accounts.vault.key(),
            fees: FeeSchedule::from_args(&args.fees)?,
            limits: Limits::from_args(&args.limits)?,
            paused: false,
            next_deal_id: 0,
            next_order_id: 0,
            liabilities: 0,
        };
        config.invariant()?;
        create_program_account(
            &ctx.accounts.creator.to_account_info(),
            &ctx.accounts.config.to_account_info(),
            &ctx.accounts.system_program.to_account_info(),
            &[SEED_CONFIG, creator.as_ref(), &[config_bump]],
            &config,
        )?;
        emit_cpi!(ConfigInitialized {
            config: config_key,
            creator,
            authorities: config.authorities,
            usdt_mint: config.usdt_mint,
            vault: config.vault,
            fees: config.fees,
            limits: config.limits,
        });
        Ok(())
    }
}
