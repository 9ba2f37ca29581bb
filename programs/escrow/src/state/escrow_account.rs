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
    /// Second key whose signature lets outflows exceed the daily allowance
    /// (docs/rules.md, co-signer); `None`: no limit.
    pub co_signer: Option<Pubkey>,
    /// Outflows allowed per UTC day without the co-signer (smallest units).
    pub daily_allowance: u64,
    /// UTC day number (unix time / 86400) that `outflow_today` counts.
    pub outflow_day: i64,
    /// Outflows counted against the allowance on `outflow_day`.
    pub outflow_today: u64,
    /// Co-signer of a pending change (`None`: the change removes it).
    pub pending_co_signer: Option<Pubkey>,
    /// Daily allowance of a pending change.
    pub pending_daily_allowance: u64,
    /// Unix time from which the pending co-signer change may be applied (0: none).
    pub pending_co_signer_at: i64,
    /// Whether the acceptor takes new assignments (docs/rules.md, acceptor limits).
    pub online: bool,
    /// Largest deal the dispatcher may assign to this acceptor.
    pub max_per_deal: u64,
    /// Largest total the acceptor's collections may keep locked.
    pub max_locked: u64,
}

/// Seconds of a UTC day.
pub const SECONDS_PER_DAY: i64 = 86_400;

/// Outflow kinds in `OutflowCoSigned` (same numbers as the EVM's co-sign actions).
pub const OUTFLOW_WITHDRAW: u8 = 0;
/// A release by the seller.
pub const OUTFLOW_RELEASE: u8 = 1;

/// How a co-signer change takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoSignerChange {
    /// Applied at once.
    Applied,
    /// Recorded; may be applied from this unix time on.
    Pending(i64),
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
        require!(
            self.pending_co_signer_at > 0 || self.pending_co_signer.is_none(),
            EscrowError::NoPendingCoSignerChange
        );
        require!(
            self.co_signer.is_some() || self.outflow_today == 0,
            EscrowError::InvalidCoSigner
        );
        Ok(())
    }

    /// A fresh account of `wallet` (withdrawals go to the wallet itself).
    pub fn new(config: Pubkey, wallet: Pubkey, bump: u8) -> Self {
        EscrowAccount {
            config,
            wallet,
            bump,
            available: 0,
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
            co_signer: None,
            daily_allowance: 0,
            outflow_day: 0,
            outflow_today: 0,
            pending_co_signer: None,
            pending_daily_allowance: 0,
            pending_co_signer_at: 0,
            online: false,
            max_per_deal: 0,
            max_locked: 0,
        }
    }

    /// Counts an outflow (withdraw, or release as seller) of `amount` at
    /// `now` (docs/rules.md, co-signer and daily allowance). Without a
    /// co-signer nothing is counted. With one, `co_signed` outflows pass
    /// without using the allowance; others must fit what is left of today's
    /// allowance. Returns whether the co-signer approved.
    pub fn count_outflow(
        &mut self,
        amount: u64,
        now: i64,
        co_signer: Option<Pubkey>,
    ) -> Result<bool> {
        let Some(required) = self.co_signer else {
            require!(co_signer.is_none(), EscrowError::InvalidCoSigner);
            return Ok(false);
        };
        if let Some(signer) = co_signer {
            require_keys_eq!(signer, required, EscrowError::InvalidCoSigner);
            return Ok(true);
        }
        let day = now.div_euclid(SECONDS_PER_DAY);
        if day != self.outflow_day {
            self.outflow_day = day;
            self.outflow_today = 0;
        }
        let total = self
            .outflow_today
            .checked_add(amount)
            .ok_or(EscrowError::Overflow)?;
        require!(
            total <= self.daily_allowance,
            EscrowError::AllowanceExceeded
        );
        self.outflow_today = total;
        Ok(false)
    }

    /// Sets the co-signer and allowance (docs/rules.md, co-signer changes):
    /// at once when none is set, when only the allowance goes down, or when
    /// the current co-signer approved; otherwise pending until
    /// `now + delay_secs`. An immediate change drops any pending one.
    pub fn set_co_signer(
        &mut self,
        co_signer: Option<Pubkey>,
        daily_allowance: u64,
        approved: bool,
        now: i64,
        delay_secs: i64,
    ) -> Result<CoSignerChange> {
        if let Some(key) = co_signer {
            require_keys_neq!(key, Pubkey::default(), EscrowError::InvalidCoSigner);
            require_keys_neq!(key, self.wallet, EscrowError::InvalidCoSigner);
        }
        let immediate = self.co_signer.is_none()
            || approved
            || (co_signer == self.co_signer && daily_allowance <= self.daily_allowance);
        if immediate {
            self.apply_co_signer_values(co_signer, daily_allowance);
            return Ok(CoSignerChange::Applied);
        }
        let effective_at = now.checked_add(delay_secs).ok_or(EscrowError::Overflow)?;
        // 0 means "no pending change"; a change is always effective after 0.
        let effective_at = effective_at.max(1);
        self.pending_co_signer = co_signer;
        self.pending_daily_allowance = daily_allowance;
        self.pending_co_signer_at = effective_at;
        Ok(CoSignerChange::Pending(effective_at))
    }

    fn apply_co_signer_values(&mut self, co_signer: Option<Pubkey>, daily_allowance: u64) {
        self.co_signer = co_signer;
        self.daily_allowance = if co_signer.is_some() {
            daily_allowance
        } else {
            0
        };
        if co_signer.is_none() {
            self.outflow_today = 0;
        }
        self.pending_co_signer = None;
        self.pending_daily_allowance = 0;
        self.pending_co_signer_at = 0;
    }

    /// Applies a pending co-signer change once its time has come.
    pub fn apply_co_signer(&mut self, now: i64) -> Result<(Option<Pubkey>, u64)> {
        require!(
            self.pending_co_signer_at > 0,
            EscrowError::NoPendingCoSignerChange
        );
        require!(
            now >= self.pending_co_signer_at,
            EscrowError::CoSignerChangeNotEffective
        );
        let (co_signer, allowance) = (self.pending_co_signer, self.pending_daily_allowance);
        self.apply_co_signer_values(co_signer, allowance);
        Ok((co_signer, self.daily_allowance))
    }

    /// Drops a pending co-signer change.
    pub fn cancel_co_signer(&mut self) -> Result<()> {
        require!(
            self.pending_co_signer_at > 0,
            EscrowError::NoPendingCoSignerChange
        );
        self.pending_co_signer = None;
        self.pending_daily_allowance = 0;
        self.pending_co_signer_at = 0;
        Ok(())
    }

    /// Checks an assignment of `amount` to this acceptor against its own
    /// limits (docs/rules.md, acceptor limits); `locks` when the amount is
    /// locked from its balance (a Collection).
    pub fn check_acceptor_limits(&self, amount: u64, locks: bool) -> Result<()> {
        require!(self.online, EscrowError::AcceptorOffline);
        require!(
            amount <= self.max_per_deal,
            EscrowError::AcceptorLimitExceeded
        );
        if locks {
            let locked = self
                .locked
                .checked_add(amount)
                .ok_or(EscrowError::Overflow)?;
            require!(
                locked <= self.max_locked,
                EscrowError::AcceptorLimitExceeded
            );
        }
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

    /// Adds settled gross volume as the deal's merchant. Volumes are statistics that
    /// select tiers: they saturate and never block a settlement (docs/rules.md,
    /// "Fee rates"), as the Solidity escrow's `_addVolume`.
    pub fn add_merchant_volume(&mut self, gross: u64) {
        self.merchant_volume = self.merchant_volume.saturating_add(gross);
    }

    /// Adds settled gross volume as the merchant's agent (saturating, as above).
    pub fn add_agent_volume(&mut self, gross: u64) {
        self.agent_volume = self.agent_volume.saturating_add(gross);
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
