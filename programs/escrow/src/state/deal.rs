//! A deal: USDT locked from a seller until the off-chain fiat leg completes.

use anchor_lang::prelude::*;

use super::{EscrowAccount, FeeSchedule, FeeSplit, BPS_DENOMINATOR};
use crate::errors::EscrowError;

/// What a deal is for (DESIGN.md §4).
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum DealKind {
    /// A trader sells into a merchant's buy order (seller trader, buyer merchant).
    Trade,
    /// A customer payment collected by an acceptor (seller acceptor, buyer merchant).
    Collection,
    /// A merchant's fiat payout executed by an acceptor (seller merchant, buyer acceptor).
    Payout,
}

/// Where a deal stands. Final outcomes close the account, so only live
/// states are ever stored; the final ones appear in events.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, PartialEq, Eq, InitSpace)]
pub enum DealState {
    /// USDT locked, fiat not yet marked paid.
    Open,
    /// The fiat sender marked the fiat paid.
    Paid,
    /// A party disputed the paid deal; the arbiter decides.
    Disputed,
    /// The seller released the USDT (final).
    Released,
    /// The deal was cancelled, USDT back to the seller (final).
    Cancelled,
    /// The arbiter split the USDT (final).
    Resolved,
}

/// A live deal.
#[account]
#[derive(InitSpace, Debug)]
pub struct Deal {
    /// The config this deal belongs to.
    pub config: Pubkey,
    /// Deal id (PDA seed).
    pub id: u64,
    /// PDA bump.
    pub bump: u8,
    /// Trade, Collection or Payout.
    pub kind: DealKind,
    /// Current state.
    pub state: DealState,
    /// Wallet whose USDT is locked.
    pub seller: Pubkey,
    /// Wallet that receives the USDT; the default key while a payout is unassigned.
    pub buyer: Pubkey,
    /// Wallet whose tier and agent set the fee (buyer, or seller for a Payout).
    pub merchant: Pubkey,
    /// Locked amount (smallest USDT units).
    pub amount: u64,
    /// Unix time after which the seller may cancel an unpaid deal.
    pub deadline: i64,
    /// Reference to the off-chain order.
    pub reference: [u8; 32],
    /// Who paid the rent of this account (gets it back when it closes).
    pub rent_payer: Pubkey,
    /// Buy order a Trade deal was filled from.
    pub order_id: Option<u64>,
}

/// Where the merchant's agent cut goes during a settlement.
#[derive(Debug)]
pub enum AgentSlot<'a> {
    /// The merchant has no agent.
    None,
    /// The agent is the deal's seller.
    Seller,
    /// The agent is the deal's buyer.
    Buyer,
    /// The agent is a third wallet with this escrow account.
    Account(&'a mut EscrowAccount),
}

impl AgentSlot<'_> {
    /// The agent's wallet, if any.
    pub fn wallet(&self, seller: &EscrowAccount, buyer: &EscrowAccount) -> Option<Pubkey> {
        match self {
            AgentSlot::None => None,
            AgentSlot::Seller => Some(seller.wallet),
            AgentSlot::Buyer => Some(buyer.wallet),
            AgentSlot::Account(account) => Some(account.wallet),
        }
    }
}

/// Result of a settlement: the fee split of the gross and what went back to
/// the seller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Settlement {
    /// Fee split of the gross amount.
    pub split: FeeSplit,
    /// Amount returned to the seller's available balance.
    pub refund: u64,
}

impl Deal {
    /// Checks what every handler that writes a live deal must leave true.
    pub fn invariant(&self) -> Result<()> {
        require!(self.amount > 0, EscrowError::ZeroAmount);
        require_keys_neq!(self.seller, self.buyer, EscrowError::SameParty);
        let merchant = if self.merchant_is_seller() {
            self.seller
        } else {
            self.buyer
        };
        require_keys_eq!(self.merchant, merchant, EscrowError::InvalidDealKind);
        require!(
            matches!(
                self.state,
                DealState::Open | DealState::Paid | DealState::Disputed
            ),
            EscrowError::InvalidDealState
        );
        Ok(())
    }

    /// Whether a buyer is assigned (always, except for a fresh payout).
    pub fn is_assigned(&self) -> bool {
        self.buyer != Pubkey::default()
    }

    /// Whether the merchant is the seller (Payout) rather than the buyer.
    pub fn merchant_is_seller(&self) -> bool {
        self.kind == DealKind::Payout
    }

    /// Assigns the acceptor of an unassigned payout and restarts the
    /// payment window.
    pub fn assign(&mut self, acceptor: Pubkey, deadline: i64) -> Result<()> {
        require!(self.kind == DealKind::Payout, EscrowError::InvalidDealKind);
        require!(self.state == DealState::Open, EscrowError::InvalidDealState);
        require!(!self.is_assigned(), EscrowError::DealAlreadyAssigned);
        require_keys_neq!(acceptor, self.seller, EscrowError::SameParty);
        self.buyer = acceptor;
        self.deadline = deadline;
        Ok(())
    }

    /// Open -> Paid, by the buyer (for a Collection also the dispatcher).
    pub fn mark_paid(&mut self, signer: Pubkey, dispatcher: Pubkey) -> Result<()> {
        require!(self.is_assigned(), EscrowError::DealNotAssigned);
        let by_dispatcher = self.kind == DealKind::Collection && signer == dispatcher;
        require!(
            signer == self.buyer || by_dispatcher,
            EscrowError::NotDealBuyer
        );
        require!(self.state == DealState::Open, EscrowError::InvalidDealState);
        self.state = DealState::Paid;
        Ok(())
    }

    /// Open or Paid -> Released, by the seller.
    pub fn release(&mut self, signer: Pubkey) -> Result<()> {
        require_keys_eq!(signer, self.seller, EscrowError::NotDealSeller);
        require!(self.is_assigned(), EscrowError::DealNotAssigned);
        require!(
            matches!(self.state, DealState::Open | DealState::Paid),
            EscrowError::InvalidDealState
        );
        self.state = DealState::Released;
        Ok(())
    }

    /// -> Cancelled. The buyer may cancel at any time before release; the
    /// seller only while Open and after the deadline (or while a payout has
    /// no acceptor yet, as nobody else is involved).
    pub fn cancel(&mut self, signer: Pubkey, now: i64) -> Result<()> {
        if self.is_assigned() && signer == self.buyer {
            require!(
                matches!(
                    self.state,
                    DealState::Open | DealState::Paid | DealState::Disputed
                ),
                EscrowError::InvalidDealState
            );
        } else if signer == self.seller {
            require!(self.state == DealState::Open, EscrowError::InvalidDealState);
            require!(
                !self.is_assigned() || now > self.deadline,
                EscrowError::DeadlineNotReached
            );
        } else {
            return err!(EscrowError::NotDealParty);
        }
        self.state = DealState::Cancelled;
        Ok(())
    }

    /// Paid -> Disputed, by the buyer or the seller.
    pub fn dispute(&mut self, signer: Pubkey) -> Result<()> {
        require!(
            signer == self.seller || (self.is_assigned() && signer == self.buyer),
            EscrowError::NotDealParty
        );
        require!(self.state == DealState::Paid, EscrowError::InvalidDealState);
        self.state = DealState::Disputed;
        Ok(())
    }

    /// Disputed -> Resolved; returns the buyer's gross: floor(amount * bps / 10000).
    pub fn resolve(&mut self, buyer_share_bps: u16) -> Result<u64> {
        require!(
            buyer_share_bps <= BPS_DENOMINATOR,
            EscrowError::InvalidBuyerShare
        );
        require!(
            self.state == DealState::Disputed,
            EscrowError::InvalidDealState
        );
        self.state = DealState::Resolved;
        super::apply_bps(self.amount, buyer_share_bps)
    }

    /// Finds where the merchant's agent cut goes, checking the optional
    /// agent account against the merchant's recorded agent.
    pub fn agent_slot<'a>(
        &self,
        seller: &EscrowAccount,
        buyer: &EscrowAccount,
        agent_account: Option<&'a mut EscrowAccount>,
    ) -> Result<AgentSlot<'a>> {
        let merchant = if self.merchant_is_seller() {
            seller
        } else {
            buyer
        };
        match (merchant.agent, agent_account) {
            (None, None) => Ok(AgentSlot::None),
            (Some(agent), None) if agent == seller.wallet => Ok(AgentSlot::Seller),
            (Some(agent), None) if agent == buyer.wallet => Ok(AgentSlot::Buyer),
            (Some(agent), Some(account))
                if account.wallet == agent
                    && account.config == self.config
                    && agent != seller.wallet
                    && agent != buyer.wallet =>
            {
                Ok(AgentSlot::Account(account))
            }
            _ => err!(EscrowError::AgentAccountMismatch),
        }
    }

    /// Settles `gross` of the locked amount to the buyer side with the fee
    /// split; the rest returns to the seller.
    pub fn settle(
        &self,
        fees: &FeeSchedule,
        gross: u64,
        seller: &mut EscrowAccount,
        buyer: &mut EscrowAccount,
        agent: AgentSlot<'_>,
        treasury: &mut EscrowAccount,
    ) -> Result<Settlement> {
        let refund = self
            .amount
            .checked_sub(gross)
            .ok_or(EscrowError::Overflow)?;
        seller.unlock(self.amount)?;
        seller.credit(refund)?;
        if gross == 0 {
            return Ok(Settlement {
                split: FeeSplit::default(),
                refund,
            });
        }
        let merchant_volume = if self.merchant_is_seller() {
            seller.merchant_volume
        } else {
            buyer.merchant_volume
        };
        let agent_volume = match &agent {
            AgentSlot::None => None,
            AgentSlot::Seller => Some(seller.agent_volume),
            AgentSlot::Buyer => Some(buyer.agent_volume),
            AgentSlot::Account(account) => Some(account.agent_volume),
        };
        let split = fees.split(
            gross,
            merchant_volume,
            agent_volume,
            self.kind == DealKind::Trade,
        )?;
        buyer.credit(split.buyer_net)?;
        seller.credit(split.reward)?;
        treasury.credit(split.platform)?;
        match agent {
            AgentSlot::None => {}
            AgentSlot::Seller => {
                seller.credit(split.agent_cut)?;
                seller.add_agent_volume(gross)?;
            }
            AgentSlot::Buyer => {
                buyer.credit(split.agent_cut)?;
                buyer.add_agent_volume(gross)?;
            }
            AgentSlot::Account(account) => {
                account.credit(split.agent_cut)?;
                account.add_agent_volume(gross)?;
            }
        }
        if self.merchant_is_seller() {
            seller.add_merchant_volume(gross)?;
        } else {
            buyer.add_merchant_volume(gross)?;
        }
        Ok(Settlement { split, refund })
    }

    /// Returns the whole locked amount to the seller (cancel).
    pub fn refund(&self, seller: &mut EscrowAccount) -> Result<()> {
        seller.unlock(self.amount)?;
        seller.credit(self.amount)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on purpose.
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::state::{FeeScheduleArgs, FeeTier};

    fn account(wallet: Pubkey, available: u64) -> EscrowAccount {
        EscrowAccount {
            config: Pubkey::default(),
            wallet,
            bump: 0,
            available,
            locked: 0,
            roles: 0,
            agent: None,
            merchant_volume: 0,
            agent_volume: 0,
            kyc_level: 0,
            region: 0,
            withdrawal_address: wallet,
            pending_withdrawal_address: None,
            pending_effective_at: 0,
        }
    }

    fn deal(kind: DealKind, seller: Pubkey, buyer: Pubkey, amount: u64) -> Deal {
        let merchant = if kind == DealKind::Payout {
            seller
        } else {
            buyer
        };
        Deal {
            config: Pubkey::default(),
            id: 0,
            bump: 0,
            kind,
            state: DealState::Open,
            seller,
            buyer,
            merchant,
            amount,
            deadline: 100,
            reference: [0; 32],
            rent_payer: seller,
            order_id: None,
        }
    }

    fn code<T: std::fmt::Debug>(result: Result<T>) -> u32 {
        match result {
            Err(Error::AnchorError(e)) => e.error_code_number,
            other => panic!("expected an error, got {other:?}"),
        }
    }

    #[test]
    fn transitions_follow_the_table() {
        let (seller, buyer, other) = (
            Pubkey::new_unique(),
            Pubkey::new_unique(),
            Pubkey::new_unique(),
        );
        let dispatcher = Pubkey::new_unique();
        let mut d = deal(DealKind::Trade, seller, buyer, 10);
        assert_eq!(
            code(d.mark_paid(seller, dispatcher)),
            u32::from(EscrowError::NotDealBuyer)
        );
        assert_eq!(
            code(d.mark_paid(dispatcher, dispatcher)),
            u32::from(EscrowError::NotDealBuyer)
        );
        assert_eq!(
            code(d.dispute(buyer)),
            u32::from(EscrowError::InvalidDealState)
        );
        assert_eq!(
            code(d.cancel(seller, 100)),
            u32::from(EscrowError::DeadlineNotReached)
        );
        assert_eq!(
            code(d.cancel(other, 101)),
            u32::from(EscrowError::NotDealParty)
        );
        d.mark_paid(buyer, dispatcher).unwrap();
        assert_eq!(
            code(d.cancel(seller, 1_000)),
            u32::from(EscrowError::InvalidDealState)
        );
        d.dispute(seller).unwrap();
        assert_eq!(
            code(d.release(seller)),
            u32::from(EscrowError::InvalidDealState)
        );
        assert_eq!(
            code(d.resolve(10_001)),
            u32::from(EscrowError::InvalidBuyerShare)
        );
        assert_eq!(d.resolve(3_333).unwrap(), 3);
        assert_eq!(d.state, DealState::Resolved);

        let mut d = deal(DealKind::Collection, seller, buyer, 10);
        d.mark_paid(dispatcher, dispatcher).unwrap();
        d.cancel(buyer, 0).unwrap();
        let mut d = deal(DealKind::Trade, seller, buyer, 10);
        d.cancel(seller, 101).unwrap();
        let mut d = deal(DealKind::Payout, seller, Pubkey::default(), 10);
        assert_eq!(
            code(d.mark_paid(Pubkey::default(), dispatcher)),
            u32::from(EscrowError::DealNotAssigned)
        );
        assert_eq!(code(d.assign(seller, 5)), u32::from(EscrowError::SameParty));
        d.assign(buyer, 5).unwrap();
        assert_eq!(
            code(d.assign(other, 5)),
            u32::from(EscrowError::DealAlreadyAssigned)
        );
        d.release(seller).unwrap();
    }

    proptest! {
        /// A settlement moves exactly the locked amount: the credits to
        /// seller, buyer, agent and treasury add up to it, for every kind,
        /// split and agent placement.
        #[test]
        fn settlement_conserves_the_amount(
            amount in 1u64..=1_000_000_000_000,
            bps in 0u16..=10_000,
            fee_bps in 0u16..=10_000,
            share in 0u16..=5_000,
            reward in 0u16..=5_000,
            kind in 0usize..3,
            agent_at in 0usize..4,
            volume in 0u64..=u64::MAX / 4,
        ) {
            let kind = [DealKind::Trade, DealKind::Collection, DealKind::Payout][kind];
            let fees = FeeSchedule::from_args(&FeeScheduleArgs {
                merchant_tiers: vec![FeeTier { threshold: 0, bps: fee_bps }],
                agent_tiers: vec![FeeTier { threshold: 0, bps: share }],
                trader_reward_bps: reward,
            }).unwrap();
            let (s, b, a, t) = (Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique(), Pubkey::new_unique());
            let mut seller = account(s, 0);
            seller.locked = amount;
            let mut buyer = account(b, 0);
            let mut agent = account(a, 0);
            let mut treasury = account(t, 0);
            let d = deal(kind, s, b, amount);
            {
                let merchant = if kind == DealKind::Payout { &mut seller } else { &mut buyer };
                merchant.merchant_volume = volume;
                merchant.agent = match agent_at {
                    0 => None,
                    1 => Some(a),
                    // The agent is the party that is not the merchant.
                    _ => Some(if kind == DealKind::Payout { b } else { s }),
                };
            }
            let agent_account = (agent_at == 1).then_some(&mut agent);
            let slot = d.agent_slot(&seller, &buyer, agent_account).unwrap();
            let gross = apply_bps_for_test(amount, bps);
            let settlement = d.settle(&fees, gross, &mut seller, &mut buyer, slot, &mut treasury).unwrap();
            let total = seller.available + buyer.available + agent.available + treasury.available;
            prop_assert_eq!(total, amount);
            prop_assert_eq!(seller.locked, 0);
            let split = settlement.split;
            prop_assert_eq!(split.fee, split.agent_cut + split.reward + split.platform);
            prop_assert_eq!(settlement.refund + split.gross, amount);
            prop_assert_eq!(treasury.available, split.platform);
        }
    }

    fn apply_bps_for_test(amount: u64, bps: u16) -> u64 {
        crate::state::apply_bps(amount, bps).unwrap()
    }
}
