//! The escrow's configuration: authorities, token, fees, limits, counters.

use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022;
use anchor_spl::token_2022::spl_token_2022::extension::{
    BaseStateWithExtensions, ExtensionType, StateWithExtensions,
};

use super::{seeds::SEED_CONFIG, EscrowAccount, FeeSchedule};
use crate::errors::EscrowError;

/// Token-2022 mint extensions the escrow accepts. Others could move or
/// freeze the vault's tokens (permanent delegate, pausable, default frozen
/// state), hide amounts (confidential transfers) or need extra accounts on
/// every transfer (transfer hook); they are refused at initialisation.
pub const ALLOWED_MINT_EXTENSIONS: [ExtensionType; 8] = [
    ExtensionType::TransferFeeConfig,
    ExtensionType::MintCloseAuthority,
    ExtensionType::MetadataPointer,
    ExtensionType::TokenMetadata,
    ExtensionType::GroupPointer,
    ExtensionType::TokenGroup,
    ExtensionType::GroupMemberPointer,
    ExtensionType::TokenGroupMember,
];

/// Fails if the mint (SPL Token or Token-2022) carries an extension outside
/// [`ALLOWED_MINT_EXTENSIONS`].
pub fn check_mint_extensions(mint: &AccountInfo) -> Result<()> {
    let data = mint.try_borrow_data()?;
    let state = StateWithExtensions::<spl_token_2022::state::Mint>::unpack(&data)?;
    for extension in state.get_extension_types()? {
        require!(
            ALLOWED_MINT_EXTENSIONS.contains(&extension),
            EscrowError::UnsupportedMintExtension
        );
    }
    Ok(())
}

/// Maximum number of blocked region codes.
pub const MAX_BLOCKED_REGIONS: usize = 8;

/// The keys that hold a role in the config.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct Authorities {
    /// Changes fees, limits, roles, authorities; unpauses (normally the multisig vault).
    pub admin: Pubkey,
    /// May pause.
    pub guardian: Pubkey,
    /// Resolves disputes.
    pub arbiter: Pubkey,
    /// Assigns collection and payout deals to acceptors.
    pub dispatcher: Pubkey,
    /// Records KYC level and region of accounts.
    pub compliance: Pubkey,
    /// Wallet whose escrow account receives the platform fee.
    pub treasury: Pubkey,
}

impl Authorities {
    /// Rejects the default (all-zero) key for any authority.
    pub fn validate(&self) -> Result<()> {
        for key in [
            self.admin,
            self.guardian,
            self.arbiter,
            self.dispatcher,
            self.compliance,
            self.treasury,
        ] {
            require_keys_neq!(key, Pubkey::default(), EscrowError::InvalidAuthority);
        }
        Ok(())
    }
}

/// Limits as passed in instruction arguments.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct LimitsArgs {
    /// Shortest payment window a deal may have, in seconds (>= 1).
    pub min_payment_window_secs: u32,
    /// Longest payment window a deal may have, in seconds.
    pub max_payment_window_secs: u32,
    /// Largest amount of one deal (smallest USDT units).
    pub max_deal_amount: u64,
    /// Minimum KYC level both parties of a new deal need.
    pub min_kyc_level: u8,
    /// Region codes (e.g. ISO 3166-1 numeric) that may not open deals; at most 8.
    pub blocked_regions: Vec<u16>,
    /// Delay before a requested withdrawal-address change takes effect, in seconds.
    pub withdrawal_delay_secs: i64,
}

/// Limits as stored in the config.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct Limits {
    /// Shortest payment window, seconds.
    pub min_payment_window_secs: u32,
    /// Longest payment window, seconds.
    pub max_payment_window_secs: u32,
    /// Largest amount of one deal.
    pub max_deal_amount: u64,
    /// Minimum KYC level of deal parties.
    pub min_kyc_level: u8,
    /// Blocked region codes; the first `blocked_region_count` are used.
    pub blocked_regions: [u16; MAX_BLOCKED_REGIONS],
    /// Number of used blocked region codes.
    pub blocked_region_count: u8,
    /// Delay before a withdrawal-address change takes effect, seconds.
    pub withdrawal_delay_secs: i64,
}

impl Limits {
    /// Validates `args` and builds the stored limits.
    pub fn from_args(args: &LimitsArgs) -> Result<Self> {
        require!(
            args.min_payment_window_secs > 0
                && args.min_payment_window_secs <= args.max_payment_window_secs,
            EscrowError::InvalidWindowBounds
        );
        require!(args.max_deal_amount > 0, EscrowError::InvalidMaxDealAmount);
        require!(
            args.blocked_regions.len() <= MAX_BLOCKED_REGIONS,
            EscrowError::TooManyRegions
        );
        require!(
            args.withdrawal_delay_secs >= 0,
            EscrowError::InvalidWithdrawalDelay
        );
        let mut blocked_regions = [0u16; MAX_BLOCKED_REGIONS];
        blocked_regions[..args.blocked_regions.len()].copy_from_slice(&args.blocked_regions);
        Ok(Limits {
            min_payment_window_secs: args.min_payment_window_secs,
            max_payment_window_secs: args.max_payment_window_secs,
            max_deal_amount: args.max_deal_amount,
            min_kyc_level: args.min_kyc_level,
            blocked_regions,
            // At most MAX_BLOCKED_REGIONS (checked above), so it fits a u8.
            blocked_region_count: args.blocked_regions.len() as u8,
            withdrawal_delay_secs: args.withdrawal_delay_secs,
        })
    }

    /// Whether `region` is blocked.
    pub fn is_blocked(&self, region: u16) -> bool {
        self.blocked_regions
            .iter()
            .take(usize::from(self.blocked_region_count))
            .any(|&blocked| blocked == region)
    }
}

/// The escrow configuration (one per deployment and creator).
#[account]
#[derive(InitSpace, Debug)]
pub struct Config {
    /// Key that created the config; part of the PDA seeds.
    pub creator: Pubkey,
    /// PDA bump of this config.
    pub bump: u8,
    /// PDA bump of the vault token account.
    pub vault_bump: u8,
    /// Role holders.
    pub authorities: Authorities,
    /// The USDT mint.
    pub usdt_mint: Pubkey,
    /// Decimals of the USDT mint.
    pub usdt_decimals: u8,
    /// Token program owning the mint (SPL Token or Token-2022).
    pub token_program: Pubkey,
    /// The vault token account holding every deposited unit.
    pub vault: Pubkey,
    /// Fee schedule.
    pub fees: FeeSchedule,
    /// Limits.
    pub limits: Limits,
    /// Whether deposits, withdrawals, new orders and new deals are stopped.
    pub paused: bool,
    /// Id of the next deal.
    pub next_deal_id: u64,
    /// Id of the next buy order.
    pub next_order_id: u64,
    /// Sum of every account's available and locked balance: deposits and
    /// sweeps add, withdrawals subtract (docs/rules.md, liabilities). The
    /// vault holds at least this much; anything above is surplus.
    pub liabilities: u64,
}

impl Config {
    /// Checks what every handler that writes the config must leave true.
    pub fn invariant(&self) -> Result<()> {
        let fees = &self.fees;
        for count in [fees.merchant_tier_count, fees.agent_tier_count] {
            require!(
                count >= 1 && usize::from(count) <= super::MAX_TIERS,
                EscrowError::TierCount
            );
        }
        let limits = &self.limits;
        require!(
            limits.min_payment_window_secs > 0
                && limits.min_payment_window_secs <= limits.max_payment_window_secs,
            EscrowError::InvalidWindowBounds
        );
        require!(
            usize::from(limits.blocked_region_count) <= MAX_BLOCKED_REGIONS,
            EscrowError::TooManyRegions
        );
        require!(
            limits.withdrawal_delay_secs >= 0,
            EscrowError::InvalidWithdrawalDelay
        );
        Ok(())
    }

    /// Signer seeds of the config PDA (the vault's token authority).
    pub fn signer_seeds(&self) -> [&[u8]; 3] {
        [
            SEED_CONFIG,
            self.creator.as_ref(),
            std::slice::from_ref(&self.bump),
        ]
    }

    /// Fails while the escrow is paused.
    pub fn require_not_paused(&self) -> Result<()> {
        require!(!self.paused, EscrowError::Paused);
        Ok(())
    }

    /// Fails if the treasury would be the escrow itself (its config or its
    /// vault), whose balance nobody could withdraw (docs/rules.md, treasury).
    pub fn check_treasury(
        authorities: &Authorities,
        config: &Pubkey,
        vault: &Pubkey,
    ) -> Result<()> {
        require!(
            authorities.treasury != *config && authorities.treasury != *vault,
            EscrowError::TreasuryIsEscrow
        );
        Ok(())
    }

    /// Adds to the liabilities (a deposit or a swept surplus).
    pub fn add_liabilities(&mut self, amount: u64) -> Result<()> {
        self.liabilities = self
            .liabilities
            .checked_add(amount)
            .ok_or(EscrowError::Overflow)?;
        Ok(())
    }

    /// Subtracts from the liabilities (a withdrawal).
    pub fn sub_liabilities(&mut self, amount: u64) -> Result<()> {
        self.liabilities = self
            .liabilities
            .checked_sub(amount)
            .ok_or(EscrowError::Overflow)?;
        Ok(())
    }

    /// Returns the next deal id and advances the counter.
    pub fn take_deal_id(&mut self) -> Result<u64> {
        let id = self.next_deal_id;
        self.next_deal_id = id.checked_add(1).ok_or(EscrowError::Overflow)?;
        Ok(id)
    }

    /// Returns the next buy-order id and advances the counter.
    pub fn take_order_id(&mut self) -> Result<u64> {
        let id = self.next_order_id;
        self.next_order_id = id.checked_add(1).ok_or(EscrowError::Overflow)?;
        Ok(id)
    }

    /// Checks a party of a new deal: KYC level and region. The treasury may
    /// be a party: settlements credit it in place (docs/rules.md, treasury).
    pub fn check_party(&self, party: &EscrowAccount) -> Result<()> {
        require!(
            party.kyc_level >= self.limits.min_kyc_level,
            EscrowError::KycTooLow
        );
        require!(
            !self.limits.is_blocked(party.region),
            EscrowError::RegionBlocked
        );
        Ok(())
    }

    /// Checks a new deal's amount against the limits.
    pub fn check_deal_amount(&self, amount: u64) -> Result<()> {
        require!(amount > 0, EscrowError::ZeroAmount);
        require!(
            amount <= self.limits.max_deal_amount,
            EscrowError::DealAmountTooLarge
        );
        Ok(())
    }

    /// Checks a payment window against the limits.
    pub fn check_payment_window(&self, window_secs: u32) -> Result<()> {
        require!(
            window_secs >= self.limits.min_payment_window_secs
                && window_secs <= self.limits.max_payment_window_secs,
            EscrowError::PaymentWindowOutOfBounds
        );
        Ok(())
    }

    /// Payment deadline for a window starting at `now`.
    pub fn deadline(now: i64, window_secs: u32) -> Result<i64> {
        now.checked_add(i64::from(window_secs))
            .ok_or_else(|| error!(EscrowError::Overflow))
    }
}
