//! One escrow account per wallet: balances, roles, referrer, compliance data
//! and the withdrawal address.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;

/// Role bit: may post buy orders and be the merchant of deals.
pub const ROLE_MERCHANT: u8 = 1 << 0;
/// Role bit: may be assigned collection and payout deals.
pub const ROLE_ACCEPTOR: u8 = 1 << 1;
/// Role bit: may be set as a merchant's agent (referrer).
pub const ROLE_AGENT: u8 = 1 << 2;
/// Every defined role bit.
pub const ROLE_ALL: u8 = ROLE_MERCHANT | ROLE_ACCEPTOR | ROLE_AGENT;

/// A wallet's balances and attributes inside the escrow.
#[account]
#[derive(InitSpace, Debug)]
pub struct EscrowAccount {
    /// The config this account belongs to.
    pub config: Pubkey,
    /// The wallet that owns this account.
    pub wallet: Pubkey,
    /// PDA bump.
    pub bump: u8,
    /// Balance the wallet may withdraw or lock into deals.
    pub available: u64,
    /// Balance locked in open deals where this wallet is the seller.
    pub locked: u64,
    /// Role bits (`ROLE_*`), set by the admin.
    pub roles: u8,
    /// The referring agent's wallet, set once by the admin.
    pub agent: Option<Pubkey>,
    /// Gross volume settled with this wallet as the deal's merchant.
    pub merchant_volume: u64,
    /// Gross volume settled for merchants this wallet referred.
    pub agent_volume: u64,
    /// KYC level, set by compliance.
    pub kyc_level: u8,
    /// Region code, set by compliance.
    pub region: u16,
    /// Owner of the token account that withdrawals go to.
    pub withdrawal_address: Pubkey,
    /// A requested withdrawal-address change, if any.
    pub pending_withdrawal_address: Option<Pubkey>,
    /// Unix time from which the pending change may be applied.
    pub pending_effective_at: i64,
}

impl EscrowAccount {
    /// Checks what every handler that writes the account must leave true.
    pub fn invariant(&self) -> Result<()> {
        require!(self.roles & !ROLE_ALL == 0, EscrowError::InvalidRoles);
        require!(self.agent != Some(self.wallet), EscrowError::SelfAgent);
        require!(
            self.pending_withdrawal_address.is_some() || self.pending_effective_at == 0,
            EscrowError::NoPendingWithdrawalAddress
        );
        Ok(())
    }

    /// Whether the account has every bit of `role`.
    pub fn has_role(&self, role: u8) -> bool {
        self.roles & role == role
    }

    /// Fails unless the account has `role`.
    pub fn require_role(&self, role: u8) -> Result<()> {
        require!(self.has_role(role), EscrowError::MissingRole);
        Ok(())
    }

    /// Adds to the available balance.
    pub fn credit(&mut self, amount: u64) -> Result<()> {
        self.available = self
            .available
            .checked_add(amount)
            .ok_or(EscrowError::Overflow)?;
        Ok(())
    }

    /// Takes from the available balance.
    pub fn debit(&mut self, amount: u64) -> Result<()> {
        require!(amount > 0, EscrowError::ZeroAmount);
        self.available = self
            .available
            .checked_sub(amount)
            .ok_or(EscrowError::InsufficientBalance)?;
        Ok(())
    }

    /// Moves `amount` from available to locked (opening a deal as seller).
    pub fn lock(&mut self, amount: u64) -> Result<()> {
        self.debit(amount)?;
        self.locked = self
            .locked
            .checked_add(amount)
            .ok_or(EscrowError::Overflow)?;
        Ok(())
    }

    /// Removes `amount` from locked (a deal settles or is cancelled); the
    /// caller credits it to whoever receives it.
    pub fn unlock(&mut self, amount: u64) -> Result<()> {
        self.locked = self
            .locked
            .checked_sub(amount)
            .ok_or(EscrowError::Overflow)?;
        Ok(())
    }

    /// Adds settled gross volume as the deal's merchant.
    pub fn add_merchant_volume(&mut self, gross: u64) -> Result<()> {
        self.merchant_volume = self
            .merchant_volume
            .checked_add(gross)
            .ok_or(EscrowError::Overflow)?;
        Ok(())
    }

    /// Adds settled gross volume as the merchant's agent.
    pub fn add_agent_volume(&mut self, gross: u64) -> Result<()> {
        self.agent_volume = self
            .agent_volume
            .checked_add(gross)
            .ok_or(EscrowError::Overflow)?;
        Ok(())
    }

    /// Sets the referring agent once.
    pub fn set_agent(&mut self, agent: &EscrowAccount) -> Result<()> {
        require!(self.agent.is_none(), EscrowError::AgentAlreadySet);
        require_keys_neq!(self.wallet, agent.wallet, EscrowError::SelfAgent);
        require!(agent.has_role(ROLE_AGENT), EscrowError::NotAnAgent);
        self.agent = Some(agent.wallet);
        Ok(())
    }

    /// Records a withdrawal-address change that takes effect at `now + delay`.
    pub fn request_withdrawal_address(
        &mut self,
        address: Pubkey,
        now: i64,
        delay_secs: i64,
    ) -> Result<i64> {
        require_keys_neq!(
            address,
            Pubkey::default(),
            EscrowError::InvalidWithdrawalAddress
        );
        let effective_at = now.checked_add(delay_secs).ok_or(EscrowError::Overflow)?;
        self.pending_withdrawal_address = Some(address);
        self.pending_effective_at = effective_at;
        Ok(effective_at)
    }

    /// Drops a pending withdrawal-address change.
    pub fn cancel_withdrawal_address(&mut self) -> Result<Pubkey> {
        let pending = self
            .pending_withdrawal_address
            .take()
            .ok_or(EscrowError::NoPendingWithdrawalAddress)?;
        self.pending_effective_at = 0;
        Ok(pending)
    }

    /// Makes a pending change effective once its time has come.
    pub fn apply_withdrawal_address(&mut self, now: i64) -> Result<Pubkey> {
        let pending = self
            .pending_withdrawal_address
            .ok_or(EscrowError::NoPendingWithdrawalAddress)?;
        require!(
            now >= self.pending_effective_at,
            EscrowError::WithdrawalAddressNotEffective
        );
        self.withdrawal_address = pending;
        self.pending_withdrawal_address = None;
        self.pending_effective_at = 0;
        Ok(pending)
    }
}
