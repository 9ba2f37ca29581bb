//! A deal: USDT locked from a seller until the off-chain fiat leg completes.

use anchor_lang::prelude::*;

use super::{split_with_rates, EscrowAccount, FeeSchedule, FeeSplit, BPS_DENOMINATOR, ROLE_AGENT};
use crate::errors::EscrowError;

/// What a deal is for (docs/rules.md, Deals).
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
    /// Merchant fee in bps, fixed at open (docs/rules.md, fee rates fixed at open).
    pub fee_bps: u16,
    /// The merchant's agent if it held the agent role at open, else `None`.
    pub agent: Option<Pubkey>,
    /// The agent's share of the fee in bps, fixed at open (0 without agent).
    pub agent_share_bps: u16,
    /// The trader's reward share of the fee in bps (Trade only, else 0).
    pub reward_bps: u16,
    /// Unix time the deal was disputed (0 until then): the arbitration clock.
    pub disputed_at: i64,
}

/// The escrow accounts a settlement credits, each passed once. A wallet
/// with several roles in the settlement (the agent or the treasury being the
/// seller or the buyer, the treasury being the agent) is credited in place
/// (docs/rules.md, treasury).
#[derive(Debug)]
pub struct SettlementAccounts<'a> {
    /// The seller's account.
    pub seller: &'a mut EscrowAccount,
    /// The buyer's account.
    pub buyer: &'a mut EscrowAccount,
    /// The recorded agent's account unless the agent is the seller or the buyer.
    pub agent: Option<&'a mut EscrowAccount>,
    /// The treasury's account unless the treasury is one of the above.
    pub treasury: Option<&'a mut EscrowAccount>,
}

impl SettlementAccounts<'_> {
    /// The account of `wallet` among the passed ones.
    fn find(&mut self, wallet: Pubkey) -> Result<&mut EscrowAccount> {
        if self.seller.wallet == wallet {
            return Ok(&mut *self.seller);
        }
        if self.buyer.wallet == wallet {
            return Ok(&mut *self.buyer);
        }
        if let Some(agent) = self.agent.as_deref_mut() {
            if agent.wallet == wallet {
                return Ok(agent);
            }
        }
        if let Some(treasury) = self.treasury.as_deref_mut() {
            if treasury.wallet == wallet {
                return Ok(treasury);
            }
        }
        err!(EscrowError::TreasuryAccountMismatch)
    }
}

/// The escrow account of the merchant's agent at the open of a deal: one of
/// the deal's other `parties` when the agent is one of them (then
/// `agent_account` must be omitted), else `agent_account`, which must be the
/// agent's account. `None` when the merchant has no agent.
pub fn merchant_agent<'a>(
    merchant: &EscrowAccount,
    parties: &[&'a EscrowAccount],
    agent_account: Option<&'a EscrowAccount>,
) -> Result<Option<&'a EscrowAccount>> {
    let Some(agent) = merchant.agent else {
        require!(agent_account.is_none(), EscrowError::AgentAccountMismatch);
        return Ok(None);
    };
    if let Some(party) = parties.iter().find(|party| party.wallet == agent) {
        require!(agent_account.is_none(), EscrowError::AgentAccountMismatch);
        return Ok(Some(*party));
    }
    match agent_account {
        Some(account) if account.wallet == agent && account.config == merchant.config => {
            Ok(Some(account))
        }
        _ => err!(EscrowError::AgentAccountMismatch),
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
            EscrowError::WrongDealState
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
        require!(self.state == DealState::Open, EscrowError::WrongDealState);
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
        require!(self.state == DealState::Open, EscrowError::WrongDealState);
        self.state = DealState::Paid;
        Ok(())
    }

    /// Open or Paid -> Released, by the seller.
    pub fn release(&mut self, signer: Pubkey) -> Result<()> {
        require_keys_eq!(signer, self.seller, EscrowError::NotDealSeller);
        require!(self.is_assigned(), EscrowError::DealNotAssigned);
        require!(
            matches!(self.state, DealState::Open | DealState::Paid),
            EscrowError::WrongDealState
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
                EscrowError::WrongDealState
            );
        } else if signer == self.seller {
            require!(self.state == DealState::Open, EscrowError::WrongDealState);
            require!(
                !self.is_assigned() || now > self.deadline,
                EscrowError::DeadlineNotPassed
            );
        } else {
            return err!(EscrowError::NotDealParty);
        }
        self.state = DealState::Cancelled;
        Ok(())
    }

    /// Paid -> Disputed, by the buyer or the seller, at `now` (the
    /// arbitration clock, docs/rules.md).
    pub fn dispute(&mut self, signer: Pubkey, now: i64) -> Result<()> {
        require!(
            signer == self.seller || (self.is_assigned() && signer == self.buyer),
            EscrowError::NotDealParty
        );
        require!(self.state == DealState::Paid, EscrowError::WrongDealState);
        self.state = DealState::Disputed;
        self.disputed_at = now;
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
            EscrowError::WrongDealState
        );
        self.state = DealState::Resolved;
        super::apply_bps(self.amount, buyer_share_bps)
    }

    /// Fixes the fee rates at open (docs/rules.md, fee rates fixed at open):
    /// the merchant's tier for its volume now, its agent and the agent's tier
    /// only if that agent holds the agent role now, the trader reward for a
    /// Trade. `agent` is the escrow account of `merchant.agent`, if any.
    pub fn fix_rates(
        &mut self,
        fees: &FeeSchedule,
        merchant: &EscrowAccount,
        agent: Option<&EscrowAccount>,
    ) -> Result<()> {
        require!(
            agent.map(|a| a.wallet) == merchant.agent,
            EscrowError::AgentAccountMismatch
        );
        self.fee_bps = fees.merchant_fee_bps(merchant.merchant_volume);
        let agent = agent.filter(|account| account.has_role(ROLE_AGENT));
        self.agent = agent.map(|account| account.wallet);
        self.agent_share_bps =
            agent.map_or(0, |account| fees.agent_share_bps(account.agent_volume));
        self.reward_bps = if self.kind == DealKind::Trade {
            fees.trader_reward_bps
        } else {
            0
        };
        Ok(())
    }

    /// Checks the optional agent and treasury accounts of a settlement: the
    /// agent account is passed iff the recorded agent is neither the seller
    /// nor the buyer; the treasury account iff the treasury is none of the
    /// seller, the buyer and the recorded agent.
    pub fn check_settlement_accounts(
        &self,
        treasury: Pubkey,
        agent_account: Option<&EscrowAccount>,
        treasury_account: Option<&EscrowAccount>,
    ) -> Result<()> {
        let parties = [self.seller, self.buyer];
        let agent_needed = self.agent.filter(|agent| !parties.contains(agent));
        match (agent_needed, agent_account) {
            (None, None) => {}
            (Some(agent), Some(account))
                if account.wallet == agent && account.config == self.config => {}
            _ => return err!(EscrowError::AgentAccountMismatch),
        }
        let in_place = parties.contains(&treasury) || self.agent == Some(treasury);
        match (in_place, treasury_account) {
            (true, None) => {}
            (false, Some(account))
                if account.wallet == treasury && account.config == self.config => {}
            _ => return err!(EscrowError::TreasuryAccountMismatch),
        }
        Ok(())
    }

    /// Settles `gross` of the locked amount to the buyer side with the rates
    /// fixed at open; the rest returns to the seller. The platform part goes
    /// to `treasury`'s account, wherever it is among `accounts`.
    pub fn settle(
        &self,
        gross: u64,
        treasury: Pubkey,
        accounts: &mut SettlementAccounts<'_>,
    ) -> Result<Settlement> {
        let refund = self
            .amount
            .checked_sub(gross)
            .ok_or(EscrowError::Overflow)?;
        accounts.seller.unlock(self.amount)?;
        accounts.seller.credit(refund)?;
        if gross == 0 {
            return Ok(Settlement {
                split: FeeSplit::default(),
                refund,
            });
        }
        let agent_share = self.agent.map(|_| self.agent_share_bps);
        let split = split_with_rates(gross, self.fee_bps, agent_share, self.reward_bps)?;
        accounts.buyer.credit(split.buyer_net)?;
        accounts.seller.credit(split.reward)?;
        accounts.find(treasury)?.credit(split.platform)?;
        if let Some(agent) = self.agent {
            let account = accounts.find(agent)?;
            account.credit(split.agent_cut)?;
            account.add_agent_volume(gross);
        }
        accounts.find(self.merchant)?.add_merchant_volume(gross);
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
        let mut account = EscrowAccount::new(Pubkey::default(), wallet, 0);
        account.available = available;
        account
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
            fee_bps: 0,
            agent: None,
            agent_share_bps: 0,
            reward_bps: 0,
            disputed_at: 0,
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
            code(d.dispute(buyer, 0)),
            u32::from(EscrowError::WrongDealState)
        );
        assert_eq!(
            code(d.cancel(seller, 100)),
            u32::from(EscrowError::DeadlineNotPassed)
        );
        assert_eq!(
            code(d.cancel(other, 101)),
            u32::from(EscrowError::NotDealParty)
        );
        d.mark_paid(buyer, dispatcher).unwrap();
        assert_eq!(
            code(d.cancel(seller, 1_000)),
            u32::from(EscrowError::WrongDealState)
        );
        d.dispute(seller, 7).unwrap();
        assert_eq!(d.disputed_at, 7);
        assert_eq!(
            code(d.release(seller)),
            u32::from(EscrowError::WrongDealState)
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
            fee_bps in 0u16..=crate::state::MAX_FEE_BPS,
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
            agent.roles = ROLE_AGENT;
            let mut treasury = account(t, 0);
            let mut d = deal(kind, s, b, amount);
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
            {
                let (merchant, other) = if kind == DealKind::Payout { (&seller, &buyer) } else { (&buyer, &seller) };
                let agent_of = match agent_at {
                    0 => None,
                    1 => Some(&agent),
                    _ => Some(other),
                };
                let mut with_role = agent_of.map(|a| { let mut a = EscrowAccount::new(a.config, a.wallet, 0); a.roles = ROLE_AGENT; a });
                d.fix_rates(&fees, merchant, with_role.as_mut().map(|a| &*a)).unwrap();
            }
            let agent_account = (agent_at == 1).then_some(&mut agent);
            let gross = apply_bps_for_test(amount, bps);
            let mut accounts = SettlementAccounts {
                seller: &mut seller,
                buyer: &mut buyer,
                agent: agent_account,
                treasury: Some(&mut treasury),
            };
            let settlement = d.settle(gross, t, &mut accounts).unwrap();
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
