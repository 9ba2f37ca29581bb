//! The programs' accounts decoded from their Anchor bytes: an 8-byte
//! discriminator (`sha256("account:<Type>")[..8]`), then the fields in Borsh, in
//! the order of `programs/*/src/state/`. Trailing bytes (space reserved for
//! later growth) are ignored, as Anchor does.

use borsh::{BorshDeserialize, BorshSerialize};
use solana_pubkey::Pubkey;

use super::error::SolanaError;
use crate::solana::codec::{DISCRIMINATOR_LEN, account_discriminator};
use crate::solana::escrow::{
    Authorities, FeeTier, MAX_BLOCKED_REGIONS, MAX_TIERS, SettlementParties,
};
use crate::solana::multisig::{Period, ProposalInstruction};
use crate::{DealKind, Roles};

/// An account type the SDK can decode.
pub trait AnchorAccount: BorshDeserialize + BorshSerialize {
    /// The Rust name of the account type in the program (seeds the discriminator).
    const NAME: &'static str;

    /// Decodes the account from its full data (discriminator included).
    fn decode(data: &[u8]) -> Result<Self, SolanaError> {
        if data.len() < DISCRIMINATOR_LEN
            || data[..DISCRIMINATOR_LEN] != account_discriminator(Self::NAME)
        {
            return Err(SolanaError::Discriminator {
                account: Self::NAME,
            });
        }
        let mut rest = &data[DISCRIMINATOR_LEN..];
        Self::deserialize(&mut rest).map_err(|e| SolanaError::AccountData {
            account: Self::NAME,
            reason: e.to_string(),
        })
    }

    /// Encodes the account as the program stores it (discriminator first).
    fn encode(&self) -> Vec<u8> {
        let mut data = account_discriminator(Self::NAME).to_vec();
        self.serialize(&mut data)
            .unwrap_or_else(|_| unreachable!("borsh into a Vec is infallible"));
        data
    }
}

/// The fee schedule as the config stores it (fixed-size tables).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct FeeSchedule {
    /// Merchant tiers; the first `merchant_tier_count` are used.
    pub merchant_tiers: [FeeTier; MAX_TIERS],
    /// Number of used merchant tiers.
    pub merchant_tier_count: u8,
    /// Agent tiers; the first `agent_tier_count` are used.
    pub agent_tiers: [FeeTier; MAX_TIERS],
    /// Number of used agent tiers.
    pub agent_tier_count: u8,
    /// Trader reward on Trade deals, bps.
    pub trader_reward_bps: u16,
}

/// Limits as the config stores them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
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
    /// Delay of a withdrawal-address change, seconds.
    pub withdrawal_delay_secs: i64,
}

/// The escrow's `Config`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Config {
    /// Key that created the config (seed of its address).
    pub creator: Pubkey,
    /// PDA bump.
    pub bump: u8,
    /// Vault PDA bump.
    pub vault_bump: u8,
    /// Role holders.
    pub authorities: Authorities,
    /// The USDT mint.
    pub usdt_mint: Pubkey,
    /// Its decimals.
    pub usdt_decimals: u8,
    /// Token program of the mint.
    pub token_program: Pubkey,
    /// The vault token account.
    pub vault: Pubkey,
    /// Fee schedule.
    pub fees: FeeSchedule,
    /// Limits.
    pub limits: Limits,
    /// Whether new business is stopped.
    pub paused: bool,
    /// Id of the next deal.
    pub next_deal_id: u64,
    /// Id of the next buy order.
    pub next_order_id: u64,
    /// Sum of every account's available and locked balance; the vault holds
    /// at least this much, anything above is surplus (`sweep_surplus`).
    pub liabilities: u64,
}

impl AnchorAccount for Config {
    const NAME: &'static str = "Config";
}

/// The escrow's `EscrowAccount`: one wallet's balances and attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct EscrowAccount {
    /// The config it belongs to.
    pub config: Pubkey,
    /// The owning wallet.
    pub wallet: Pubkey,
    /// PDA bump.
    pub bump: u8,
    /// Withdrawable or lockable balance.
    pub available: u64,
    /// Balance locked in open deals as seller.
    pub locked: u64,
    /// Role bits.
    pub roles: Roles,
    /// The referring agent.
    pub agent: Option<Pubkey>,
    /// Volume settled as merchant.
    pub merchant_volume: u64,
    /// Volume settled for referred merchants.
    pub agent_volume: u64,
    /// KYC level.
    pub kyc_level: u8,
    /// Region code.
    pub region: u16,
    /// Owner of the token accounts withdrawals go to.
    pub withdrawal_address: Pubkey,
    /// A pending change of it.
    pub pending_withdrawal_address: Option<Pubkey>,
    /// When the pending change may be applied.
    pub pending_effective_at: i64,
    /// Second key whose signature lets outflows exceed the daily allowance.
    pub co_signer: Option<Pubkey>,
    /// Outflows allowed per UTC day without the co-signer.
    pub daily_allowance: u64,
    /// UTC day number (unix time / 86400) `outflow_today` counts.
    pub outflow_day: i64,
    /// Outflows counted on `outflow_day`.
    pub outflow_today: u64,
    /// Co-signer of a pending change (`None`: the change removes it).
    pub pending_co_signer: Option<Pubkey>,
    /// Daily allowance of a pending change.
    pub pending_daily_allowance: u64,
    /// When the pending co-signer change may be applied (0: none pending).
    pub pending_co_signer_at: i64,
    /// Whether the acceptor takes new assignments.
    pub online: bool,
    /// Largest deal the dispatcher may assign to it.
    pub max_per_deal: u64,
    /// Largest total its collections may keep locked.
    pub max_locked: u64,
}

impl EscrowAccount {
    /// What is left of today's allowance at unix time `now` (`None` without
    /// a co-signer: unlimited).
    pub fn allowance_left(&self, now: i64) -> Option<u64> {
        self.co_signer?;
        let used = if now.div_euclid(86_400) == self.outflow_day {
            self.outflow_today
        } else {
            0
        };
        Some(self.daily_allowance.saturating_sub(used))
    }
}

impl AnchorAccount for EscrowAccount {
    const NAME: &'static str = "EscrowAccount";
}

/// The escrow's `BuyOrder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct BuyOrder {
    /// The config it belongs to.
    pub config: Pubkey,
    /// Order id.
    pub id: u64,
    /// PDA bump.
    pub bump: u8,
    /// The merchant's wallet.
    pub merchant: Pubkey,
    /// Fiat price of one USDT in minor units.
    pub price_minor: u64,
    /// ISO 4217 code.
    pub currency: [u8; 3],
    /// Amount still to buy.
    pub remaining: u64,
    /// Smallest fill.
    pub min_fill: u64,
    /// Largest fill.
    pub max_fill: u64,
    /// Unix time after which it cannot be filled.
    pub expiry: i64,
    /// Payment window of its deals, seconds.
    pub payment_window_secs: u32,
    /// Whether it is listed (true while the account exists).
    pub open: bool,
    /// Fills whose deals are not final yet.
    pub open_fills: u32,
}

impl AnchorAccount for BuyOrder {
    const NAME: &'static str = "BuyOrder";
}

/// Where a live deal stands (final states close the account).
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum DealState {
    /// Locked, fiat not marked paid.
    Open,
    /// Fiat marked paid.
    Paid,
    /// Disputed; the arbiter decides.
    Disputed,
    /// Released (final).
    Released,
    /// Cancelled (final).
    Cancelled,
    /// Resolved (final).
    Resolved,
}

/// The escrow's `Deal`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Deal {
    /// The config it belongs to.
    pub config: Pubkey,
    /// Deal id.
    pub id: u64,
    /// PDA bump.
    pub bump: u8,
    /// Trade, Collection or Payout.
    pub kind: DealKind,
    /// Current state.
    pub state: DealState,
    /// Whose USDT is locked.
    pub seller: Pubkey,
    /// Who receives it (default key while a payout is unassigned).
    pub buyer: Pubkey,
    /// Whose tier and agent set the fee.
    pub merchant: Pubkey,
    /// Locked amount.
    pub amount: u64,
    /// After this unix time the seller may cancel an unpaid deal.
    pub deadline: i64,
    /// Reference to the off-chain order.
    pub reference: [u8; 32],
    /// Who paid the rent.
    pub rent_payer: Pubkey,
    /// The buy order a Trade came from.
    pub order_id: Option<u64>,
    /// Merchant fee bps fixed at open.
    pub fee_bps: u16,
    /// The merchant's agent if it held the agent role at open.
    pub agent: Option<Pubkey>,
    /// The agent's share of the fee in bps, fixed at open.
    pub agent_share_bps: u16,
    /// The trader's reward share of the fee in bps (Trade only).
    pub reward_bps: u16,
    /// Unix time of the dispute (0 until disputed).
    pub disputed_at: i64,
}

impl AnchorAccount for Deal {
    const NAME: &'static str = "Deal";
}

impl Deal {
    /// The accounts `deal_release`, `deal_resolve` and `deal_cancel` need,
    /// given the config (for the treasury). The agent recorded at open that
    /// is the seller or the buyer is credited in place and not passed.
    pub fn settlement(&self, config: &Config) -> SettlementParties {
        SettlementParties {
            seller: self.seller,
            buyer: self.buyer,
            agent: self.agent.filter(|a| *a != self.seller && *a != self.buyer),
            treasury: config.authorities.treasury,
            rent_payer: self.rent_payer,
            merchant: self.merchant,
            order_id: self.order_id,
        }
    }
}

/// The multisig's `Multisig`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Multisig {
    /// Seed key of its address.
    pub create_key: Pubkey,
    /// Approvals needed.
    pub threshold: u16,
    /// Seconds between approval and execution.
    pub time_lock: u32,
    /// Index of the last proposal.
    pub transaction_index: u64,
    /// Proposals up to this index are stale.
    pub stale_transaction_index: u64,
    /// PDA bump.
    pub bump: u8,
    /// Vault PDA bump.
    pub vault_bump: u8,
    /// Owners, sorted.
    pub owners: Vec<Pubkey>,
}

impl AnchorAccount for Multisig {
    const NAME: &'static str = "Multisig";
}

/// Life-cycle state of a proposal, with the time of the transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ProposalStatus {
    /// Open for votes.
    Active,
    /// Reached the threshold.
    Approved {
        /// When.
        timestamp: i64,
    },
    /// Can no longer reach the threshold.
    Rejected {
        /// When.
        timestamp: i64,
    },
    /// Cancelled after approval.
    Cancelled {
        /// When.
        timestamp: i64,
    },
    /// Executed (final).
    Executed {
        /// When.
        timestamp: i64,
    },
}

/// The multisig's `Proposal`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Proposal {
    /// The multisig.
    pub multisig: Pubkey,
    /// Its index.
    pub index: u64,
    /// Who created it (and paid its rent).
    pub creator: Pubkey,
    /// Creation time.
    pub created_at: i64,
    /// Expiry time.
    pub expires_at: i64,
    /// Life-cycle state.
    pub status: ProposalStatus,
    /// PDA bump.
    pub bump: u8,
    /// Owner count at creation.
    pub vote_capacity: u16,
    /// Owners who approved.
    pub approved: Vec<Pubkey>,
    /// Owners who rejected.
    pub rejected: Vec<Pubkey>,
    /// Owners who voted to cancel.
    pub cancelled: Vec<Pubkey>,
    /// What the vault signs on execution.
    pub instructions: Vec<ProposalInstruction>,
}

impl AnchorAccount for Proposal {
    const NAME: &'static str = "Proposal";
}

/// The multisig's `SpendingLimit`.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct SpendingLimit {
    /// The multisig.
    pub multisig: Pubkey,
    /// Seed key of its address.
    pub create_key: Pubkey,
    /// The token mint.
    pub mint: Pubkey,
    /// Allowance per period.
    pub amount: u64,
    /// Refill period.
    pub period: Period,
    /// Left in the current period.
    pub remaining: u64,
    /// Start of the current period.
    pub last_reset: i64,
    /// PDA bump.
    pub bump: u8,
    /// Who may spend.
    pub spenders: Vec<Pubkey>,
    /// Allowed destination owners (empty: any).
    pub destinations: Vec<Pubkey>,
}

impl AnchorAccount for SpendingLimit {
    const NAME: &'static str = "SpendingLimit";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_wrong_type() {
        let deal = Deal {
            config: Pubkey::new_from_array([1; 32]),
            id: 7,
            bump: 254,
            kind: DealKind::Payout,
            state: DealState::Paid,
            seller: Pubkey::new_from_array([2; 32]),
            buyer: Pubkey::new_from_array([3; 32]),
            merchant: Pubkey::new_from_array([2; 32]),
            amount: 5,
            deadline: 99,
            reference: [9; 32],
            rent_payer: Pubkey::new_from_array([2; 32]),
            order_id: None,
            fee_bps: 100,
            agent: Some(Pubkey::new_from_array([4; 32])),
            agent_share_bps: 2_000,
            reward_bps: 0,
            disputed_at: 0,
        };
        let mut bytes = deal.encode();
        bytes.extend_from_slice(&[0; 9]); // reserved space is ignored
        assert_eq!(Deal::decode(&bytes), Ok(deal));
        assert_eq!(
            BuyOrder::decode(&bytes),
            Err(SolanaError::Discriminator {
                account: "BuyOrder"
            })
        );
        assert!(matches!(
            Deal::decode(&bytes[..40]),
            Err(SolanaError::AccountData { .. })
        ));
    }
}
