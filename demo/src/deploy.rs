//! Deploys a stablerail platform on an EVM chain: a USDT-like token (the local
//! chain has no real USDT), the platform `MultiSig`, and the `Escrow` with the
//! multisig as admin, arbiter and treasury.

use alloy::{
    primitives::{Address, U256},
    providers::Provider,
    sol,
};
use stablerail_sdk::{
    FeeSchedule, Tier,
    evm::{Escrow, IEscrow, MultiSig},
};

use crate::error::{Error, Result};

sol!(
    #[sol(rpc)]
    #[derive(Debug)]
    #[allow(missing_docs)]
    MockUSDTEthereum,
    "../contracts/artifacts/MockUSDTEthereum.json"
);

/// The fee schedule and limits a platform starts with.
#[derive(Debug, Clone)]
pub struct PlatformConfig {
    /// Merchant tiers: (settled volume threshold in units, fee bps).
    pub merchant_tiers: Vec<(u64, u16)>,
    /// Agent tiers: (referred volume threshold in units, share of the fee in bps).
    pub agent_tiers: Vec<(u64, u16)>,
    /// Trader's share of a Trade's fee, bps.
    pub trader_reward_bps: u16,
    /// Shortest payment window a deal may have, seconds.
    pub min_payment_window: u32,
    /// Longest payment window, seconds.
    pub max_payment_window: u32,
    /// Largest single deal, units.
    pub max_deal_amount: u64,
    /// Minimum KYC level of both parties of a deal.
    pub min_kyc_level: u8,
    /// Delay before a new withdrawal address takes effect, seconds.
    pub withdrawal_delay: u32,
}

impl PlatformConfig {
    /// The SDK's reference fee schedule for these tiers (what the contracts must compute).
    pub fn fee_schedule(&self) -> Result<FeeSchedule> {
        let sdk_tiers = |t: &[(u64, u16)]| t.iter().map(|&(t, b)| Tier::new(t, b.into())).collect();
        Ok(FeeSchedule::new(
            sdk_tiers(&self.merchant_tiers),
            sdk_tiers(&self.agent_tiers),
            self.trader_reward_bps.into(),
        )?)
    }

    /// The merchant tiers as the contract's ABI type.
    pub fn evm_merchant_tiers(&self) -> Vec<IEscrow::Tier> {
        evm_tiers(&self.merchant_tiers)
    }

    /// The agent tiers as the contract's ABI type.
    pub fn evm_agent_tiers(&self) -> Vec<IEscrow::Tier> {
        evm_tiers(&self.agent_tiers)
    }
}

fn evm_tiers(t: &[(u64, u16)]) -> Vec<IEscrow::Tier> {
    t.iter()
        .map(|&(threshold, bps)| IEscrow::Tier { threshold, bps })
        .collect()
}

impl Default for PlatformConfig {
    /// A realistic schedule: 1% falling to 0.6% with volume, agents earning 20–30%
    /// of the fee, traders 10%.
    fn default() -> Self {
        const USDT: u64 = 1_000_000;
        Self {
            merchant_tiers: vec![(0, 100), (10_000 * USDT, 80), (100_000 * USDT, 60)],
            agent_tiers: vec![(0, 2_000), (50_000 * USDT, 3_000)],
            trader_reward_bps: 1_000,
            min_payment_window: 5 * 60,
            max_payment_window: 24 * 60 * 60,
            max_deal_amount: 1_000_000 * USDT,
            min_kyc_level: 1,
            withdrawal_delay: 24 * 60 * 60,
        }
    }
}

/// The platform's operational keys (besides the multisig owners).
#[derive(Debug, Clone, Copy)]
pub struct OperatorKeys {
    /// May pause the escrow.
    pub guardian: Address,
    /// Assigns collections and payouts.
    pub dispatcher: Address,
    /// Records KYC levels and regions.
    pub compliance: Address,
}

/// Addresses of a deployed platform.
#[derive(Debug, Clone, Copy)]
pub struct Deployment {
    /// The USDT-like token.
    pub token: Address,
    /// The platform multisig: escrow admin, arbiter and treasury.
    pub multisig: Address,
    /// The escrow.
    pub escrow: Address,
}

/// Deploys token, multisig (`owners`, `threshold`, no time lock) and escrow with
/// `provider`'s wallet paying gas.
pub async fn deploy_platform<P: Provider + Clone>(
    provider: &P,
    owners: Vec<Address>,
    threshold: u64,
    keys: OperatorKeys,
    config: &PlatformConfig,
) -> Result<Deployment> {
    let token = MockUSDTEthereum::deploy(provider.clone())
        .await
        .map_err(|e| Error::Deploy {
            contract: "MockUSDTEthereum",
            message: e.to_string(),
        })?;
    let multisig = MultiSig::deploy(provider.clone(), owners, U256::from(threshold), U256::ZERO)
        .await
        .map_err(|e| Error::Deploy {
            contract: "MultiSig",
            message: e.to_string(),
        })?;
    let admin = *multisig.address();

    let role_keys = stablerail_sdk::evm::EscrowConfig::RoleKeys {
        guardian: keys.guardian,
        arbiter: admin,
        dispatcher: keys.dispatcher,
        compliance: keys.compliance,
        treasury: admin,
    };
    let limits = IEscrow::Limits {
        minPaymentWindow: config.min_payment_window,
        maxPaymentWindow: config.max_payment_window,
        maxDealAmount: alloy::primitives::Uint::from(config.max_deal_amount),
        minKycLevel: config.min_kyc_level,
        withdrawalDelay: config.withdrawal_delay,
    };
    let escrow = Escrow::deploy(
        provider.clone(),
        *token.address(),
        admin,
        role_keys,
        config.evm_merchant_tiers(),
        config.evm_agent_tiers(),
        config.trader_reward_bps,
        limits,
    )
    .await
    .map_err(|e| Error::Deploy {
        contract: "Escrow",
        message: e.to_string(),
    })?;

    Ok(Deployment {
        token: *token.address(),
        multisig: admin,
        escrow: *escrow.address(),
    })
}
