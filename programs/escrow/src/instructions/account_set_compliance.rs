//! Compliance records an account's KYC level and region.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;
use crate::events::KycSet;
use crate::state::seeds::{SEED_ACCOUNT, SEED_CONFIG};
use crate::state::{Config, EscrowAccount};

/// Arguments of `account_set_compliance`.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct AccountSetComplianceArgs {
    /// KYC level.
    pub kyc_level: u8,
    /// Region code (e.g. ISO 3166-1 numeric).
    pub region: u16,
}

/// Accounts of `account_set_compliance`.
#[event_cpi]
#[derive(Accounts)]
pub struct AccountSetCompliance<'info> {
    /// The compliance key.
    pub compliance: Signer<'info>,
    /// The config.
    #[account(
        seeds = [SEED_CONFIG, config.creator.as_ref()],
        bump = config.bump,
        constraint = config.authorities.compliance == compliance.key() @ EscrowError::NotCompliance
    )]
    pub config: Account<'info, Config>,
    /// The account being recorded.
    #[account(
        mut,
        seeds = [SEED_ACCOUNT, config.key().as_ref(), escrow_account.wallet.as_ref()],
        bump = escrow_account.bump
    )]
    pub escrow_account: Account<'info, EscrowAccount>,
}

impl AccountSetCompliance<'_> {
    /// Stores KYC level and region and emits `KycSet`.
    pub fn handler(ctx: Context<Self>, args: AccountSetComplianceArgs) -> Result<()> {
        let account = &mut ctx.accounts.escrow_account;
        account.kyc_level = args.kyc_level;
        account.region = args.region;
        emit_cpi!(KycSet {
            config: account.config,
            wallet: account.wallet,
            kyc_level: args.kyc_level,
            region: args.region,
        });
        ctx.accounts.escrow_account.invariant()?;
        Ok(())
    }
}
