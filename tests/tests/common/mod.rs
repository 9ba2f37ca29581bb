//! A deployed platform on a fresh anvil, with a wallet per role, shared by the
//! EVM end-to-end tests.

#![allow(dead_code, unreachable_pub, missing_docs, clippy::unwrap_used, clippy::expect_used)] // test support; each test binary uses a different part

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use stablerail_demo::{
    Deployment, Devnet, MockUSDTEthereum, MultisigAdmin, OperatorKeys, PlatformConfig,
    deploy_platform,
};
use stablerail_sdk::{
    Amount,
    evm::{Escrow, EscrowClient, Roles},
};

/// Anvil's dev keys by role (anvil funds ten accounts).
pub const DEPLOYER: usize = 0;
pub const OWNERS: [usize; 3] = [1, 2, 3];
pub const GUARDIAN: usize = 4;
pub const DISPATCHER: usize = 5;
pub const COMPLIANCE: usize = 6;
pub const MERCHANT: usize = 7;
pub const TRADER: usize = 8;
pub const AGENT: usize = 9;

/// A platform deployed on its own anvil.
pub struct Platform {
    pub devnet: Devnet,
    pub deployment: Deployment,
    pub config: PlatformConfig,
    signers: Vec<PrivateKeySigner>,
}

impl Platform {
    /// Starts anvil and deploys token, 2-of-3 multisig and escrow.
    pub async fn start() -> anyhow::Result<Self> {
        let devnet = Devnet::start()?;
        let signers: Vec<PrivateKeySigner> = devnet
            .anvil()
            .keys()
            .iter()
            .map(|k| k.clone().into())
            .collect();
        let deployer = Self::provider_for(&devnet, &signers[DEPLOYER])?;
        let config = PlatformConfig::default();
        let keys = OperatorKeys {
            guardian: signers[GUARDIAN].address(),
            dispatcher: signers[DISPATCHER].address(),
            compliance: signers[COMPLIANCE].address(),
        };
        let owners = OWNERS.iter().map(|&i| signers[i].address()).collect();
        let deployment = deploy_platform(&deployer, owners, 2, keys, &config).await?;
        Ok(Self {
            devnet,
            deployment,
            config,
            signers,
        })
    }

    fn provider_for(devnet: &Devnet, signer: &PrivateKeySigner) -> anyhow::Result<DynProvider> {
        Ok(ProviderBuilder::new()
            .wallet(EthereumWallet::from(signer.clone()))
            .connect_http(devnet.rpc_url().parse()?)
            .erased())
    }

    pub fn address(&self, who: usize) -> Address {
        self.signers[who].address()
    }

    /// A provider whose wallet signs as `who`.
    pub fn provider(&self, who: usize) -> anyhow::Result<DynProvider> {
        Self::provider_for(&self.devnet, &self.signers[who])
    }

    /// The escrow as seen by `who`.
    pub fn escrow(&self, who: usize) -> anyhow::Result<EscrowClient<DynProvider>> {
        Ok(EscrowClient::new(
            self.deployment.escrow,
            self.provider(who)?,
        ))
    }

    /// The multisig with the first two owners signing.
    pub async fn admin(&self) -> anyhow::Result<MultisigAdmin<DynProvider>> {
        let quorum = vec![
            self.signers[OWNERS[0]].clone(),
            self.signers[OWNERS[1]].clone(),
        ];
        Ok(
            MultisigAdmin::connect(self.deployment.multisig, self.provider(DEPLOYER)?, quorum)
                .await?,
        )
    }

    /// Admin (through a 2-of-3 proposal): give `who` `roles`.
    pub async fn set_roles(&self, who: Address, roles: Roles) -> anyhow::Result<()> {
        let data = Escrow::setRolesCall {
            owner: who,
            roles: roles.0,
        }
        .abi_encode();
        self.admin()
            .await?
            .execute(self.deployment.escrow, Bytes::from(data))
            .await?;
        Ok(())
    }

    /// Admin (through a 2-of-3 proposal): `agent` referred `merchant`.
    pub async fn set_agent(&self, merchant: Address, agent: Address) -> anyhow::Result<()> {
        let data = Escrow::setAgentCall { merchant, agent }.abi_encode();
        self.admin()
            .await?
            .execute(self.deployment.escrow, Bytes::from(data))
            .await?;
        Ok(())
    }

    /// Compliance: record KYC level 2 in region 1 for each of `who`.
    pub async fn kyc(&self, who: &[Address]) -> anyhow::Result<()> {
        let escrow = Escrow::new(self.deployment.escrow, self.provider(COMPLIANCE)?);
        for &a in who {
            escrow.setKyc(a, 2, 1).send().await?.get_receipt().await?;
        }
        Ok(())
    }

    /// Mints `amount` of the mock USDT to `to`.
    pub async fn mint(&self, to: Address, amount: Amount) -> anyhow::Result<()> {
        let token = MockUSDTEthereum::new(self.deployment.token, self.provider(DEPLOYER)?);
        token
            .mint(to, U256::from(amount.units()))
            .send()
            .await?
            .get_receipt()
            .await?;
        Ok(())
    }

    /// Token balance of `who`.
    pub async fn token_balance(&self, who: Address) -> anyhow::Result<U256> {
        let token = MockUSDTEthereum::new(self.deployment.token, self.provider(DEPLOYER)?);
        Ok(token.balanceOf(who).call().await?)
    }

    /// The chain's latest block time.
    pub async fn now(&self) -> anyhow::Result<u64> {
        let provider = self.provider(DEPLOYER)?;
        let block = provider
            .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no latest block"))?;
        Ok(block.header.timestamp)
    }

    /// Conservation (DESIGN §3): the escrow's token balance equals the sum of
    /// available + locked over `accounts`, which must be every account with funds.
    pub async fn assert_conservation(&self, accounts: &[Address]) -> anyhow::Result<()> {
        let escrow = self.escrow(DEPLOYER)?;
        let mut sum = 0u64;
        for &a in accounts {
            let (available, locked) = escrow.balances(a).await?;
            sum += available.units() + locked.units();
        }
        let held = self.token_balance(self.deployment.escrow).await?;
        anyhow::ensure!(
            held == U256::from(sum),
            "escrow holds {held} but accounts sum to {sum}"
        );
        Ok(())
    }
}

impl Platform {
    /// Moves the chain's clock forward by `secs` and mines a block.
    pub async fn warp(&self, secs: u64) -> anyhow::Result<()> {
        let provider = self.provider(DEPLOYER)?;
        let _: serde_json::Value = provider
            .raw_request("evm_increaseTime".into(), (secs,))
            .await?;
        let _: serde_json::Value = provider.raw_request("evm_mine".into(), ()).await?;
        Ok(())
    }

    /// The SDK's reference fee schedule for this platform's config.
    pub fn schedule(&self) -> anyhow::Result<stablerail_sdk::FeeSchedule> {
        use stablerail_sdk::{FeeSchedule, Tier};
        let c = &self.config;
        Ok(FeeSchedule::new(
            c.merchant_tiers
                .iter()
                .map(|&(t, b)| Tier::new(t, b.into()))
                .collect(),
            c.agent_tiers
                .iter()
                .map(|&(t, b)| Tier::new(t, b.into()))
                .collect(),
            c.trader_reward_bps.into(),
        )?)
    }

    /// A signer's key, for tests that sign multisig proposals themselves.
    pub fn signer(&self, who: usize) -> PrivateKeySigner {
        self.signers[who].clone()
    }
}

/// Parses a decimal USDT amount (test input, known valid).
pub fn usdt(s: &str) -> Amount {
    Amount::parse(s).expect("valid test amount")
}
