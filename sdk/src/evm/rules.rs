//! The escrow's deal rules (docs/rules.md) as pre-checks, and typed views of what the
//! contract returns. Shared by the EVM client and the TRON calls, which run the same
//! Solidity: a wrong party or a final deal fails here with a clear error, before
//! anything is signed.

use alloy::primitives::{Address, B256, U256};

use super::bindings::IEscrow;
use super::error::EscrowError;
use crate::Amount;

/// A deal's live state, as the contract's `DealState` (final states are not stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealState {
    /// A Payout without an acceptor yet.
    Unassigned,
    /// Waiting for the fiat.
    Open,
    /// The buyer declared the fiat sent.
    Paid,
    /// Waiting for the arbiter.
    Disputed,
}

impl DealState {
    /// The contract's number for this state.
    pub fn from_u8(state: u8) -> Option<Self> {
        match state {
            1 => Some(Self::Unassigned),
            2 => Some(Self::Open),
            3 => Some(Self::Paid),
            4 => Some(Self::Disputed),
            _ => None,
        }
    }

    /// Lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unassigned => "unassigned",
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Disputed => "disputed",
        }
    }
}

/// A live deal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealView {
    /// Its id.
    pub id: U256,
    /// Trade, Collection or Payout.
    pub kind: crate::DealKind,
    /// Its state.
    pub state: DealState,
    /// Whose USDT is locked.
    pub seller: Address,
    /// Who receives it (zero while a Payout is unassigned).
    pub buyer: Address,
    /// The locked amount.
    pub amount: Amount,
    /// Unix time after which the seller may cancel an unpaid deal (a Payout's
    /// payment window in seconds while unassigned).
    pub deadline: u64,
    /// The off-chain order reference.
    pub order_ref: B256,
    /// The buy order a Trade filled (0 for other kinds).
    pub order_id: U256,
    /// The rates fixed when the deal opened (docs/rules.md, "Fee rates").
    pub rates: DealRates,
    /// Unix time the deal was disputed (0 until disputed).
    pub disputed_at: u64,
}

/// The fee rates a deal fixed when it opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DealRates {
    /// The merchant's fee tier in basis points.
    pub fee_bps: u16,
    /// The merchant's agent if it held the agent role at open (zero otherwise).
    pub agent: Address,
    /// The agent's share of the fee in basis points (0 without agent).
    pub agent_share_bps: u16,
    /// A Trade's trader reward share in basis points (0 for other kinds).
    pub reward_bps: u16,
}

impl DealView {
    /// The deal `id` from the contract's answer; a deleted or never-opened deal
    /// (state 0) is [`EscrowError::DealNotFound`].
    pub fn from_contract(id: U256, d: &IEscrow::Deal) -> Result<Self, EscrowError> {
        let not_found = EscrowError::DealNotFound { deal_id: id };
        let state = DealState::from_u8(d.state).ok_or(not_found.clone())?;
        // A kind the contract cannot write is no deal of its.
        let kind = crate::DealKind::from_code(d.kind).ok_or(not_found.clone())?;
        Ok(Self {
            id,
            kind,
            state,
            seller: d.seller,
            buyer: d.buyer,
            amount: amount96(d.amount),
            deadline: d.deadline,
            order_ref: d.orderRef,
            order_id: d.orderId,
            rates: DealRates {
                fee_bps: d.feeBps,
                agent: d.agent,
                agent_share_bps: d.agentShareBps,
                reward_bps: d.rewardBps,
            },
            disputed_at: d.disputedAt,
        })
    }
}

/// An escrow account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    /// Spendable balance.
    pub available: Amount,
    /// Balance locked in open deals.
    pub locked: Amount,
    /// Role bits.
    pub roles: crate::Roles,
    /// The referring agent (zero when none).
    pub agent: Address,
    /// KYC level set by compliance.
    pub kyc_level: u8,
    /// Region code set by compliance.
    pub region: u16,
    /// Settled volume as merchant.
    pub merchant_volume: Amount,
    /// Referred volume as agent.
    pub agent_volume: Amount,
    /// The stored withdrawal address (zero = the owner itself).
    pub withdrawal_address: Address,
    /// A pending withdrawal address and when it takes effect, if any.
    pub pending_withdrawal: Option<(Address, u64)>,
    /// The co-signer whose approval outflows beyond the allowance need (zero = none;
    /// docs/rules.md, "Co-signer and daily allowance").
    pub co_signer: Address,
    /// Outflows per UTC day allowed without co-signature while a co-signer is set.
    pub daily_allowance: Amount,
    /// Outflows counted on `outflow_day` (UTC day number).
    pub outflow_today: Amount,
    /// The UTC day (unix time / 86400) `outflow_today` counts.
    pub outflow_day: u32,
    /// The nonce the next co-signature must carry.
    pub co_sign_nonce: u32,
    /// A pending co-signer change: co-signer, allowance and when it may be applied.
    pub pending_co_signer: Option<(Address, Amount, u64)>,
    /// Acceptor: whether the dispatcher may assign it deals (docs/rules.md, "Acceptor limits").
    pub online: bool,
    /// Acceptor: the largest deal the dispatcher may assign.
    pub max_per_deal: Amount,
    /// Acceptor: the most its assigned collections may lock in total.
    pub max_locked: Amount,
}

impl AccountView {
    /// What is left of today's allowance at unix time `now` (`None`: no co-signer,
    /// so no limit).
    pub fn allowance_left(&self, now: u64) -> Option<Amount> {
        if self.co_signer.is_zero() {
            return None;
        }
        let today = if u64::from(self.outflow_day) == now / 86_400 {
            self.outflow_today.units()
        } else {
            0
        };
        Some(Amount::from_units(
            self.daily_allowance.units().saturating_sub(today),
        ))
    }
}

impl From<&IEscrow::Account> for AccountView {
    fn from(a: &IEscrow::Account) -> Self {
        Self {
            available: amount96(a.available),
            locked: amount96(a.locked),
            roles: crate::Roles(a.roles),
            agent: a.agent,
            kyc_level: a.kycLevel,
            region: a.region,
            merchant_volume: Amount::from_units(a.merchantVolume),
            agent_volume: Amount::from_units(a.agentVolume),
            withdrawal_address: a.withdrawalAddress,
            pending_withdrawal: (a.pendingWithdrawalAt != 0)
                .then_some((a.pendingWithdrawalAddress, a.pendingWithdrawalAt)),
            co_signer: a.coSigner,
            daily_allowance: Amount::from_units(a.dailyAllowance),
            outflow_today: Amount::from_units(a.outflowToday),
            outflow_day: a.outflowDay,
            co_sign_nonce: a.coSignNonce,
            pending_co_signer: (a.pendingCoSignerAt != 0).then_some((
                a.pendingCoSigner,
                Amount::from_units(a.pendingDailyAllowance),
                a.pendingCoSignerAt,
            )),
            online: a.online,
            max_per_deal: Amount::from_units(a.maxPerDeal),
            max_locked: Amount::from_units(a.maxLocked),
        }
    }
}

/// An open buy order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuyOrderView {
    /// Its id.
    pub id: U256,
    /// The merchant buying.
    pub merchant: Address,
    /// Fiat minor units per USDT.
    pub price: u64,
    /// ISO 4217 code.
    pub currency: String,
    /// USDT still wanted.
    pub remaining: Amount,
    /// Smallest fill (unless the fill takes the whole remainder).
    pub min_fill: Amount,
    /// Largest fill.
    pub max_fill: Amount,
    /// Unix time after which it cannot be filled.
    pub expiry: u64,
    /// Seconds the merchant has to pay each fill.
    pub payment_window: u32,
}

impl BuyOrderView {
    /// Order `id` from the contract's answer; a deleted or never-posted order
    /// (merchant zero) is [`EscrowError::OrderNotFound`].
    pub fn from_contract(id: U256, o: &IEscrow::BuyOrder) -> Result<Self, EscrowError> {
        if o.merchant.is_zero() {
            return Err(EscrowError::OrderNotFound { order_id: id });
        }
        Ok(Self {
            id,
            merchant: o.merchant,
            price: o.price,
            currency: String::from_utf8_lossy(o.currency.as_slice()).into_owned(),
            remaining: amount96(o.remaining),
            min_fill: amount96(o.minFill),
            max_fill: amount96(o.maxFill),
            expiry: o.expiry,
            payment_window: o.paymentWindow,
        })
    }
}

/// A 96-bit balance field as an [`Amount`]: every real amount fits u64 (docs/rules.md),
/// and the contract caps deals far below; saturate rather than fail a read.
fn amount96(v: alloy::primitives::Uint<96, 2>) -> Amount {
    Amount::from_units(u64::try_from(v).unwrap_or(u64::MAX))
}

/// A deal action a party takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealAction {
    /// The buyer (for a Collection also the dispatcher) declares the fiat sent.
    MarkPaid,
    /// The seller settles.
    Release,
    /// The buyer, or the seller of an unpaid deal after its deadline.
    Cancel,
    /// Buyer or seller of a paid deal.
    Dispute,
}

impl DealAction {
    /// The contract function's name.
    pub fn name(self) -> &'static str {
        match self {
            Self::MarkPaid => "markPaid",
            Self::Release => "release",
            Self::Cancel => "cancel",
            Self::Dispute => "dispute",
        }
    }

    /// Checks that `caller` may take this action on `deal` now (except the
    /// seller-cancel deadline, which needs the chain's clock and is left to the
    /// contract's simulation). `dispatcher` matters only for marking a Collection
    /// paid; `render` prints addresses in the chain's form.
    pub fn check(
        self,
        deal: &DealView,
        caller: Address,
        dispatcher: Address,
        render: impl Fn(Address) -> String,
    ) -> Result<(), EscrowError> {
        use DealState::*;
        let is_buyer = caller == deal.buyer && !deal.buyer.is_zero();
        let is_seller = caller == deal.seller;
        let wrong_party = |needed| EscrowError::WrongParty {
            action: self.name(),
            deal_id: deal.id,
            caller: render(caller),
            needed,
        };
        let wrong_state = || EscrowError::WrongDealState {
            action: self.name(),
            deal_id: deal.id,
            state: deal.state.as_str(),
        };
        match self {
            Self::MarkPaid => {
                let dispatcher_may =
                    deal.kind == crate::DealKind::Collection && caller == dispatcher;
                if !is_buyer && !dispatcher_may {
                    return Err(wrong_party("buyer"));
                }
                if deal.state != Open {
                    return Err(wrong_state());
                }
            }
            Self::Release => {
                if !is_seller {
                    return Err(wrong_party("seller"));
                }
                if !matches!(deal.state, Open | Paid) {
                    return Err(wrong_state());
                }
            }
            Self::Cancel => {
                if !is_buyer && !is_seller {
                    return Err(wrong_party("buyer or seller"));
                }
                let allowed = if is_buyer {
                    matches!(deal.state, Open | Paid | Disputed)
                } else {
                    matches!(deal.state, Open | Unassigned)
                };
                if !allowed {
                    return Err(wrong_state());
                }
            }
            Self::Dispute => {
                if !is_buyer && !is_seller {
                    return Err(wrong_party("buyer or seller"));
                }
                if deal.state != Paid {
                    return Err(wrong_state());
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DealKind;

    fn deal(kind: DealKind, state: DealState) -> DealView {
        DealView {
            id: U256::from(7),
            kind,
            state,
            seller: Address::repeat_byte(1),
            buyer: Address::repeat_byte(2),
            amount: Amount::from_units(5),
            deadline: 0,
            order_ref: B256::ZERO,
            order_id: U256::ZERO,
            rates: DealRates::default(),
            disputed_at: 0,
        }
    }

    #[test]
    fn parties_and_states() {
        let seller = Address::repeat_byte(1);
        let buyer = Address::repeat_byte(2);
        let dispatcher = Address::repeat_byte(3);
        let other = Address::repeat_byte(9);
        let r = |a: Address| a.to_string();
        let open = deal(DealKind::Trade, DealState::Open);
        let paid = deal(DealKind::Trade, DealState::Paid);
        assert!(
            DealAction::MarkPaid
                .check(&open, buyer, dispatcher, r)
                .is_ok()
        );
        assert!(matches!(
            DealAction::MarkPaid.check(&open, seller, dispatcher, r),
            Err(EscrowError::WrongParty {
                needed: "buyer",
                ..
            })
        ));
        assert!(matches!(
            DealAction::MarkPaid.check(&open, dispatcher, dispatcher, r),
            Err(EscrowError::WrongParty { .. })
        ));
        let collection = deal(DealKind::Collection, DealState::Open);
        assert!(
            DealAction::MarkPaid
                .check(&collection, dispatcher, dispatcher, r)
                .is_ok()
        );
        assert!(matches!(
            DealAction::MarkPaid.check(&paid, buyer, dispatcher, r),
            Err(EscrowError::WrongDealState { state: "paid", .. })
        ));
        assert!(
            DealAction::Release
                .check(&paid, seller, dispatcher, r)
                .is_ok()
        );
        assert!(matches!(
            DealAction::Release.check(&paid, buyer, dispatcher, r),
            Err(EscrowError::WrongParty {
                needed: "seller",
                ..
            })
        ));
        assert!(
            DealAction::Dispute
                .check(&paid, buyer, dispatcher, r)
                .is_ok()
        );
        assert!(
            DealAction::Dispute
                .check(&open, buyer, dispatcher, r)
                .is_err()
        );
        assert!(
            DealAction::Cancel
                .check(&paid, buyer, dispatcher, r)
                .is_ok()
        );
        assert!(
            DealAction::Cancel
                .check(&paid, seller, dispatcher, r)
                .is_err()
        );
        assert!(
            DealAction::Cancel
                .check(&open, other, dispatcher, r)
                .is_err()
        );
    }
}
