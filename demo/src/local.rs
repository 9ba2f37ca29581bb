//! A platform deployed on a fresh local chain, with one funded wallet per role:
//! what `make demo` plays on and what the end-to-end tests drive.

use alloy::{
    network::EthereumWallet,
    primitives::{Address, Bytes, U256},
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
    sol_types::SolCall,
};
use stablerail_sdk::{
    Amount, FeeSchedule, Roles,
    evm::{Escrow, EscrowClient, EvmError},
};

use crate::{
    Deployment, Devnet, MockUSDTEthereum, MultisigAdmin, OperatorKeys, PlatformConfig,
    deploy_platform,
    error::{Error, Result},
};

/// Which of anvil's funded dev accounts plays which role ([`ACCOUNTS`] are funded).
pub mod role {
    /// How many dev accounts the local chain funds.
    pub const ACCOUNTS: usize = 16;
    /// Pays for the deployment; also a cold wallet in tests.
    pub const DEPLOYER: usize = 0;
    /// The three multisig owners (threshold 2).
    pub const OWNERS: [usize; 3] = [1, 2, 3];
    /// The wallet the demo makes the dashboards' operator (the first owner).
    pub const OPERATOR: usize = OWNERS[0];
    /// May pause the escrow.
    pub const GUARDIAN: usize = 4;
    /// Assigns collections and payouts.
    pub const DISPATCHER: usize = 5;
    /// Records KYC.
    pub const COMPLIANCE: usize = 6;
    /// A merchant.
    pub const MERCHANT: usize = 7;
    /// A trader (or, in some flows, an acceptor).
    pub const TRADER: usize = 8;
    /// The merchant's agent.
    pub const AGENT: usize = 9;
    /// A second merchant.
    pub const MERCHANT_2: usize = 10;
    /// The second merchant's agent.
    pub const AGENT_2: usize = 11;
    /// An acceptance merchant (liquidity provider): sells USDT for collections, buys it in payouts.
    pub const ACCEPTOR: usize = 12;
    /// A second trader.
    pub const TRADER_2: usize = 13;
    /// A second acceptor (joins in the shop, so the dispatcher has a choice).
    pub const ACCEPTOR_2: usize = 14;
    /// A third acceptor.
    pub const ACCEPTOR_3: usize = 15;
}
use role::*;

/// Maps an RPC failure of a helper call into the crate's error.
pub(crate) fn rpc(call: &'static str) -> impl FnOnce(alloy::transports::TransportError) -> Error {
    move |e| {
        Error::Sdk(EvmError::Rpc {
            call,
            message: e.to_string(),
        })
    }
}

/// Maps a contract call failure into the crate's error.
fn contract(call: &'static str) -> impl FnOnce(alloy::contract::Error) -> Error {
    move |e| {
        Error::Sdk(EvmError::Rpc {
            call,
            message: e.to_string(),
        })
    }
}

/// A platform deployed on its own anvil (stopped when dropped).
#[derive(Debug)]
pub struct LocalPlatform {
    /// The local chain.
    pub devnet: Devnet,
    /// Deployed addresses.
    pub deployment: Deployment,
    /// The configuration it was deployed with.
    pub config: PlatformConfig,
    signers: Vec<PrivateKeySigner>,
}

impl LocalPlatform {
    /// Starts anvil and deploys token, 2-of-3 multisig and escrow with the
    /// default [`PlatformConfig`].
    pub async fn start() -> Result<Self> {
        Self::start_with(PlatformConfig::default()).await
    }

    /// Starts anvil and deploys token, 2-of-3 multisig and escrow with `config`.
    pub async fn start_with(config: PlatformConfig) -> Result<Self> {
        let devnet = Devnet::start_with_args(&["--accounts", &ACCOUNTS.to_string()])?;
        let signers: Vec<PrivateKeySigner> = devnet
            .anvil()
            .keys()
            .iter()
            .map(|k| k.clone().into())
            .collect();
        let keys = OperatorKeys {
            guardian: signers[GUARDIAN].address(),
            dispatcher: signers[DISPATCHER].address(),
            compliance: signers[COMPLIANCE].address(),
        };
        let owners = OWNERS.iter().map(|&i| signers[i].address()).collect();
        let deployer = provider_for(&devnet, &signers[DEPLOYER])?;
        let deployment = deploy_platform(&deployer, owners, 2, keys, &config).await?;
        Ok(Self {
            devnet,
            deployment,
            config,
            signers,
        })
    }

    /// The address of role `who` (an index from [`role`]).
    pub fn address(&self, who: usize) -> Address {
        self.signers[who].address()
    }

    /// The key of role `who`, for signing multisig proposals directly.
    pub fn signer(&self, who: usize) -> PrivateKeySigner {
        self.signers[who].clone()
    }

    /// A provider whose wallet signs as `who`.
    pub fn provider(&self, who: usize) -> Result<DynProvider> {
        provider_for(&self.devnet, &self.signers[who])
    }

    /// The escrow as seen by `who`.
    pub fn escrow(&self, who: usize) -> Result<EscrowClient<DynProvider>> {
        Ok(EscrowClient::new(
            self.deployment.escrow,
            self.provider(who)?,
        ))
    }

    /// The multisig with the first two owners signing.
    pub async fn admin(&self) -> Result<MultisigAdmin<DynProvider>> {
        let quorum = vec![
            self.signers[OWNERS[0]].clone(),
            self.signers[OWNERS[1]].clone(),
        ];
        MultisigAdmin::connect(self.deployment.multisig, self.provider(DEPLOYER)?, quorum).await
    }

    /// Admin, through a 2-of-3 proposal: give `who` `roles`.
    pub async fn set_roles(&self, who: Address, roles: Roles) -> Result<()> {
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

    /// Acceptor `who` goes online and lets the dispatcher assign it deals of any size
    /// (docs/rules.md, "Acceptor limits": without this the dispatcher cannot lock its
    /// collateral).
    pub async fn go_online(&self, who: usize) -> Result<()> {
        self.escrow(who)?
            .set_acceptor_limits(true, Amount::MAX, Amount::MAX)
            .await?;
        Ok(())
    }

    /// Admin, through a 2-of-3 proposal: `agent` referred `merchant`.
    pub async fn set_agent(&self, merchant: Address, agent: Address) -> Result<()> {
        let data = Escrow::setAgentCall { merchant, agent }.abi_encode();
        self.admin()
            .await?
            .execute(self.deployment.escrow, Bytes::from(data))
            .await?;
        Ok(())
    }

    /// Compliance: record KYC level 2 in region 1 for each of `who`.
    pub async fn kyc(&self, who: &[Address]) -> Result<()> {
        let escrow = Escrow::new(self.deployment.escrow, self.provider(COMPLIANCE)?);
        for &a in who {
            let pending = escrow
                .setKyc(a, 2, 1)
                .send()
                .await
                .map_err(contract("setKyc"))?;
            pending.get_receipt().await.map_err(|e| {
                Error::Sdk(EvmError::Rpc {
                    call: "setKyc",
                    message: e.to_string(),
                })
            })?;
        }
        Ok(())
    }

    /// Mints `amount` of the local USDT to `to` (the mock token lets anyone mint).
    pub async fn mint(&self, to: Address, amount: Amount) -> Result<()> {
        let token = MockUSDTEthereum::new(self.deployment.token, self.provider(DEPLOYER)?);
        let pending = token
            .mint(to, U256::from(amount.units()))
            .send()
            .await
            .map_err(contract("mint"))?;
        pending.get_receipt().await.map_err(|e| {
            Error::Sdk(EvmError::Rpc {
                call: "mint",
                message: e.to_string(),
            })
        })?;
        Ok(())
    }

    /// Token balance of `who`.
    pub async fn token_balance(&self, who: Address) -> Result<U256> {
        let token = MockUSDTEthereum::new(self.deployment.token, self.provider(DEPLOYER)?);
        token
            .balanceOf(who)
            .call()
            .await
            .map_err(contract("balanceOf"))
    }

    /// The chain's latest block time.
    pub async fn now(&self) -> Result<u64> {
        crate::devnet::chain_time(&self.provider(DEPLOYER)?).await
    }

    /// The chain's latest block number.
    pub async fn block_number(&self) -> Result<u64> {
        self.provider(DEPLOYER)?
            .get_block_number()
            .await
            .map_err(rpc("eth_blockNumber"))
    }

    /// Moves the chain's clock forward by `secs` and mines a block.
    pub async fn warp(&self, secs: u64) -> Result<()> {
        let provider = self.provider(DEPLOYER)?;
        let _: serde_json::Value = provider
            .raw_request("evm_increaseTime".into(), (secs,))
            .await
            .map_err(rpc("evm_increaseTime"))?;
        let _: serde_json::Value = provider
            .raw_request("evm_mine".into(), ())
            .await
            .map_err(rpc("evm_mine"))?;
        Ok(())
    }

    /// The SDK's reference fee schedule for the config the platform was deployed with.
    pub fn schedule(&self) -> Result<FeeSchedule> {
        self.config.fee_schedule()
    }

    /// Admin, through a 2-of-3 proposal: replace the escrow's fee schedule with
    /// `config`'s tiers and trader reward.
    pub async fn set_fee_schedule(&self, config: &PlatformConfig) -> Result<()> {
        let data = Escrow::setFeeScheduleCall {
            merchantTiers: config.evm_merchant_tiers(),
            agentTiers: config.evm_agent_tiers(),
            traderRewardBps: config.trader_reward_bps,
        }
        .abi_encode();
        self.admin()
            .await?
            .execute(self.deployment.escrow, Bytes::from(data))
            .await?;
        Ok(())
    }

    /// Conservation (docs/rules.md, "Liabilities"): the escrow's liabilities equal the
    /// sum of available + locked over `accounts`, which must be every account with
    /// funds, and its token balance covers them (tokens sent to it directly are
    /// surplus until swept).
    pub async fn check_conservation(&self, accounts: &[Address]) -> Result<()> {
        let escrow = self.escrow(DEPLOYER)?;
        let mut sum = U256::ZERO;
        for &a in accounts {
            let (available, locked) = escrow.balances(a).await?;
            sum += U256::from(available.units()) + U256::from(locked.units());
        }
        let held = self.token_balance(self.deployment.escrow).await?;
        let liabilities = escrow.liabilities().await?;
        if liabilities != sum || held < sum {
            return Err(Error::Conservation { held, sum });
        }
        Ok(())
    }
}

fn provider_for(devnet: &Devnet, signer: &PrivateKeySigner) -> Result<DynProvider> {
    let url = devnet.rpc_url().parse().map_err(|_| Error::RpcUrl {
        url: devnet.rpc_url(),
    })?;
    Ok(ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(url)
        .erased())
}
