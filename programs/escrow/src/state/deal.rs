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
