//! Events, one per state change, carrying what an indexer needs to replay it.

use anchor_lang::prelude::*;

use crate::state::{Authorities, DealKind, DealState, FeeSchedule, Limits};

/// A config was created.
#[event]
pub struct ConfigInitialized {
    /// Config PDA.
    pub config: Pubkey,
    /// Creator (seed).
    pub creator: Pubkey,
    /// Role holders.
    pub authorities: Authorities,
    /// USDT mint.
    pub usdt_mint: Pubkey,
    /// Vault token account.
    pub vault: Pubkey,
    /// Fee schedule.
    pub fees: FeeSchedule,
    /// Limits.
    pub limits: Limits,
}

/// The admin replaced the role holders.
#[event]
pub struct AuthoritiesUpdated {
    /// Config PDA.
    pub config: Pubkey,
    /// New role holders.
    pub authorities: Authorities,
}

/// The admin replaced the fee schedule.
#[event]
pub struct FeesUpdated {
    /// Config PDA.
    pub config: Pubkey,
    /// New fee schedule.
    pub fees: FeeSchedule,
}

/// The admin replaced the limits.
#[event]
pub struct LimitsUpdated {
    /// Config PDA.
    pub config: Pubkey,
    /// New limits.
    pub limits: Limits,
}

/// The escrow was paused or unpaused.
#[event]
pub struct PauseChanged {
    /// Config PDA.
    pub config: Pubkey,
    /// New paused flag.
    pub paused: bool,
    /// Signer (guardian or admin).
    pub by: Pubkey,
}

/// An escrow account was opened.
#[event]
pub struct AccountOpened {
    /// Config PDA.
    pub config: Pubkey,
    /// Owner wallet.
    pub wallet: Pubkey,
    /// Escrow account PDA.
    pub account: Pubkey,
}

/// The admin set an account's roles.
#[event]
pub struct RolesSet {
    /// Config PDA.
    pub config: Pubkey,
    /// Owner wallet.
    pub wallet: Pubkey,
    /// New role bits.
    pub roles: u8,
}

/// The admin set a merchant's agent.
#[event]
pub struct AgentSet {
    /// Config PDA.
    pub config: Pubkey,
    /// Merchant wallet.
    pub wallet: Pubkey,
    /// Agent wallet.
    pub agent: Pubkey,
}

/// Compliance recorded KYC level and region.
#[event]
pub struct KycSet {
    /// Config PDA.
    pub config: Pubkey,
    /// Owner wallet.
    pub wallet: Pubkey,
    /// KYC level.
    pub kyc_level: u8,
    /// Region code.
    pub region: u16,
}

/// A withdrawal-address change was requested.
#[event]
pub struct WithdrawalAddressRequested {
    /// Config PDA.
    pub config: Pubkey,
    /// Owner wallet.
    pub wallet: Pubkey,
    /// Requested address.
    pub address: Pubkey,
    /// Unix time from which it can be applied.
    pub effective_at: i64,
}

/// A pending withdrawal-address change was cancelled.
#[event]
pub struct WithdrawalAddressCancelled {
    /// Config PDA.
    pub config: Pubkey,
    /// Owner wallet.
    pub wallet: Pubkey,
    /// The dropped address.
    pub address: Pubkey,
}

/// A withdrawal-address change took effect.
#[event]
pub struct WithdrawalAddressApplied {
    /// Config PDA.
    pub config: Pubkey,
    /// Owner wallet.
    pub wallet: Pubkey,
    /// New withdrawal address.
    pub address: Pubkey,
}

/// USDT was deposited.
#[event]
pub struct Deposited {
    /// Config PDA.
    pub config: Pubkey,
    /// Owner wallet.
    pub wallet: Pubkey,
    /// Amount the vault received and the account was credited.
    pub amount: u64,
    /// Available balance afterwards.
    pub available: u64,
}

/// USDT was withdrawn.
#[event]
pub struct Withdrawn {
    /// Config PDA.
    pub config: Pubkey,
    /// Owner wallet.
    pub wallet: Pubkey,
    /// Destination token account.
    pub destination: Pubkey,
    /// Amount withdrawn.
    pub amount: u64,
    /// Available balance afterwards.
    pub available: u64,
}

/// A buy order was posted.
#[event]
pub struct BuyOrderPosted {
    /// Config PDA.
    pub config: Pubkey,
    /// Order id.
    pub order_id: u64,
    /// Merchant wallet.
    pub merchant: Pubkey,
    /// Price per USDT in the currency's minor units.
    pub price_minor: u64,
    /// ISO 4217 code.
    pub currency: [u8; 3],
    /// Amount to buy.
    pub amount: u64,
    /// Minimum fill.
    pub min_fill: u64,
    /// Maximum fill.
    pub max_fill: u64,
    /// Expiry (unix time).
    pub expiry: i64,
    /// Payment window of its deals, seconds.
    pub payment_window_secs: u32,
}

/// A buy order was cancelled (and closed).
#[event]
pub struct BuyOrderCancelled {
    /// Config PDA.
    pub config: Pubkey,
    /// Order id.
    pub order_id: u64,
    /// Merchant wallet.
    pub merchant: Pubkey,
    /// Amount left unbought.
    pub remaining: u64,
}

/// A trader filled a buy order.
#[event]
pub struct BuyOrderFilled {
    /// Config PDA.
    pub config: Pubkey,
    /// Order id.
    pub order_id: u64,
    /// Deal opened by the fill.
    pub deal_id: u64,
    /// Trader wallet.
    pub trader: Pubkey,
    /// Amount filled.
    pub amount: u64,
    /// Amount left; the order closed if 0.
    pub remaining: u64,
}

/// A deal was opened and its amount locked from the seller.
#[event]
pub struct DealOpened {
    /// Config PDA.
    pub config: Pubkey,
    /// Deal id.
    pub deal_id: u64,
    /// Kind.
    pub kind: DealKind,
    /// Seller wallet.
    pub seller: Pubkey,
    /// Buyer wallet (default key for an unassigned payout).
    pub buyer: Pubkey,
    /// Merchant wallet.
    pub merchant: Pubkey,
    /// Locked amount.
    pub amount: u64,
    /// Payment deadline (unix time).
    pub deadline: i64,
    /// Off-chain reference.
    pub reference: [u8; 32],
    /// Buy order of a Trade deal.
    pub order_id: Option<u64>,
    /// Merchant fee bps fixed at open.
    pub fee_bps: u16,
    /// The merchant's agent paid by this deal (held the role at open).
    pub agent: Option<Pubkey>,
    /// The agent's share of the fee in bps, fixed at open.
    pub agent_share_bps: u16,
    /// The trader's reward share of the fee in bps, fixed at open.
    pub reward_bps: u16,
}

/// The dispatcher assigned a payout's acceptor.
#[event]
pub struct PayoutAssigned {
    /// Config PDA.
    pub config: Pubkey,
    /// Deal id.
    pub deal_id: u64,
    /// Acceptor (buyer) wallet.
    pub acceptor: Pubkey,
    /// New payment deadline.
    pub deadline: i64,
    /// Off-chain reference.
    pub reference: [u8; 32],
}

/// A deal moved to Paid or Disputed.
#[event]
pub struct DealStateChanged {
    /// Config PDA.
    pub config: Pubkey,
    /// Deal id.
    pub deal_id: u64,
    /// New state.
    pub state: DealState,
    /// Signer.
    pub by: Pubkey,
    /// Unix time of the dispute (the arbitration clock); 0 for Paid.
    pub disputed_at: i64,
    /// Off-chain reference.
    pub reference: [u8; 32],
}

/// A deal was cancelled; the whole amount went back to the seller.
#[event]
pub struct DealCancelled {
    /// Config PDA.
    pub config: Pubkey,
    /// Deal id.
    pub deal_id: u64,
    /// Kind.
    pub kind: DealKind,
    /// Seller wallet.
    pub seller: Pubkey,
    /// Buyer wallet.
    pub buyer: Pubkey,
    /// Amount returned.
    pub amount: u64,
    /// Signer.
    pub by: Pubkey,
    /// Off-chain reference.
    pub reference: [u8; 32],
}

/// A deal was released or resolved and its amount settled.
#[event]
pub struct DealSettled {
    /// Config PDA.
    pub config: Pubkey,
    /// Deal id.
    pub deal_id: u64,
    /// Kind.
    pub kind: DealKind,
    /// Released or Resolved.
    pub outcome: DealState,
    /// Buyer share (10000 on release).
    pub buyer_share_bps: u16,
    /// Seller wallet.
    pub seller: Pubkey,
    /// Buyer wallet.
    pub buyer: Pubkey,
    /// Merchant wallet.
    pub merchant: Pubkey,
    /// Agent wallet credited with `agent_cut`.
    pub agent: Option<Pubkey>,
    /// Treasury wallet credited with `platform`.
    pub treasury: Pubkey,
    /// Locked amount.
    pub amount: u64,
    /// Gross settled to the buyer side.
    pub gross: u64,
    /// Merchant fee bps applied.
    pub fee_bps: u16,
    /// Total fee.
    pub fee: u64,
    /// Agent's cut.
    pub agent_cut: u64,
    /// Trader reward (to the seller).
    pub reward: u64,
    /// Platform part (to the treasury).
    pub platform: u64,
    /// Buyer's net credit.
    pub buyer_net: u64,
    /// Returned to the seller (amount - gross).
    pub refund: u64,
    /// Off-chain reference.
    pub reference: [u8; 32],
}

/// A cancelled Trade gave its amount back to its buy order.
#[event]
pub struct BuyOrderRefilled {
    /// Config PDA.
    pub config: Pubkey,
    /// Order id.
    pub order_id: u64,
    /// The cancelled deal.
    pub deal_id: u64,
    /// Amount returned to the order.
    pub amount: u64,
    /// The order's remaining amount afterwards.
    pub remaining: u64,
}

/// A buy order with nothing left and no open fill was closed, rent to its merchant.
#[event]
pub struct BuyOrderClosed {
    /// Config PDA.
    pub config: Pubkey,
    /// Order id.
    pub order_id: u64,
    /// The merchant (got the rent back).
    pub merchant: Pubkey,
}

/// The vault's surplus over the liabilities was credited to the treasury.
#[event]
pub struct SurplusSwept {
    /// Config PDA.
    pub config: Pubkey,
    /// Treasury wallet credited.
    pub treasury: Pubkey,
    /// Amount credited.
    pub amount: u64,
    /// Liabilities afterwards (equal to the vault balance).
    pub liabilities: u64,
}

/// An acceptor set its own online flag and limits.
#[event]
pub struct AcceptorLimitsSet {
    /// Config PDA.
    pub config: Pubkey,
    /// Acceptor wallet.
    pub wallet: Pubkey,
    /// Whether it takes new assignments.
    pub online: bool,
    /// Largest deal it may be assigned.
    pub max_per_deal: u64,
    /// Largest total its collections may keep locked.
    pub max_locked: u64,
}

/// A co-signer change was recorded; it may be applied from `effective_at`.
#[event]
pub struct CoSignerChangeRequested {
    /// Config PDA.
    pub config: Pubkey,
    /// Account owner.
    pub wallet: Pubkey,
    /// Requested co-signer (`None`: remove it).
    pub co_signer: Option<Pubkey>,
    /// Requested daily allowance.
    pub daily_allowance: u64,
    /// Unix time from which it may be applied.
    pub effective_at: i64,
}

/// The co-signer and daily allowance took effect.
#[event]
pub struct CoSignerSet {
    /// Config PDA.
    pub config: Pubkey,
    /// Account owner.
    pub wallet: Pubkey,
    /// Co-signer (`None`: outflows are not limited).
    pub co_signer: Option<Pubkey>,
    /// Daily allowance.
    pub daily_allowance: u64,
}

/// A pending co-signer change was dropped.
#[event]
pub struct CoSignerChangeCancelled {
    /// Config PDA.
    pub config: Pubkey,
    /// Account owner.
    pub wallet: Pubkey,
}

/// An outflow passed with the co-signer's signature (allowance untouched).
#[event]
pub struct OutflowCoSigned {
    /// Config PDA.
    pub config: Pubkey,
    /// Account owner.
    pub wallet: Pubkey,
    /// 0 = withdraw (subject: amount), 1 = release (subject: deal id).
    pub action: u8,
    /// Amount or deal id.
    pub subject: u64,
}

/// An outflow was counted against the daily allowance.
#[event]
pub struct OutflowCounted {
    /// Config PDA.
    pub config: Pubkey,
    /// Account owner.
    pub wallet: Pubkey,
    /// UTC day number.
    pub day: i64,
    /// Outflows counted on that day so far.
    pub outflow_today: u64,
}
