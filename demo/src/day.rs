//! A platform day on the local chain, played through the SDK: onboarding of two
//! merchants with their agents, an acceptor and two traders through the multisig;
//! trades on buy orders; collections assigned by the dispatcher; a fee-tier change
//! by multisig proposal; a disputed payout resolved by the multisig; a deal
//! cancelled after its payment deadline; a withdrawal. Every figure in the
//! [`DayReport`] is read back from the chain: deal outcomes, volume, fees and
//! commissions from the escrow's events, balances from its accounts.

use std::collections::BTreeMap;

use alloy::{
    primitives::{Address, B256, Bytes, U256},
    providers::Provider,
    rpc::types::Filter,
    sol_types::{SolCall, SolEvent},
};
use stablerail_sdk::{
    Amount, Roles,
    evm::{Escrow, IEscrow},
};

use crate::{
    LocalPlatform, PlatformConfig,
    error::{Error, Result},
    local::rpc,
    role::*,
};

/// Steps the day reports through `progress` (one line each).
pub const DAY_STEPS: usize = 10;

/// The fee schedule the multisig switches to mid-day: every merchant tier 0.2
/// points cheaper. Agents' and traders' shares are unchanged.
pub fn lowered_fees(base: &PlatformConfig) -> PlatformConfig {
    PlatformConfig {
        merchant_tiers: base
            .merchant_tiers
            .iter()
            .map(|&(threshold, bps)| (threshold, bps.saturating_sub(20)))
            .collect(),
        ..base.clone()
    }
}

/// What the day ended with, read from the chain.
#[derive(Debug, Clone)]
pub struct DayReport {
    /// Deals opened during the day.
    pub opened: u32,
    /// Deals released by their seller.
    pub released: u32,
    /// Deals resolved by the arbiter.
    pub resolved: u32,
    /// Deals cancelled.
    pub cancelled: u32,
    /// Gross USDT settled (released deals plus the buyer's share of resolved ones).
    pub volume: Amount,
    /// Platform fees credited to the treasury, summed over the settlements.
    pub fees_to_treasury: Amount,
    /// Available balance of the treasury (must equal `fees_to_treasury`).
    pub treasury_balance: Amount,
    /// Commission per agent summed over the settlements, with the agent's
    /// available balance (agents earn nothing else, so the two must agree).
    pub commissions: Vec<(&'static str, Address, Amount, Amount)>,
    /// Available balance of each party, by name.
    pub balances: Vec<(&'static str, Address, Amount)>,
    /// Whether the escrow's token balance equals the sum of its accounts.
    pub conserved: bool,
    /// The last block of the day (everything above is final for the report).
    pub last_block: u64,
}

impl DayReport {
    /// Every disagreement between the report's figures: the escrow's token
    /// balance vs its accounts, treasury fees vs the treasury's balance, each
    /// agent's commissions vs its balance. Empty on a correct day.
    pub fn mismatches(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.conserved {
            out.push("the escrow's token balance differs from the sum of its accounts".into());
        }
        if self.fees_to_treasury != self.treasury_balance {
            out.push(format!(
                "treasury fees {} != treasury balance {}",
                self.fees_to_treasury, self.treasury_balance
            ));
        }
        for (name, _, earned, balance) in &self.commissions {
            if earned != balance {
                out.push(format!("{name}: commissions {earned} != balance {balance}"));
            }
        }
        out
    }

    /// Deals still live (opened and not yet released, resolved or cancelled).
    pub fn open(&self) -> u32 {
        self.opened - self.released - self.resolved - self.cancelled
    }
}

fn usdt(units: u64) -> Amount {
    Amount::from_units(units * 1_000_000)
}

/// Plays the day, calling `progress` with a line per step.
pub async fn play_day(p: &LocalPlatform, mut progress: impl FnMut(&str)) -> Result<DayReport> {
    let [
        merchant,
        merchant_2,
        agent,
        agent_2,
        acceptor,
        trader,
        trader_2,
    ] = [
        MERCHANT, MERCHANT_2, AGENT, AGENT_2, ACCEPTOR, TRADER, TRADER_2,
    ]
    .map(|r| p.address(r));
    let treasury = p.deployment.multisig;
    let first_block = p.block_number().await?;

    progress("onboarding: roles and referrals by 2-of-3 multisig proposals, KYC by compliance");
    for (who, roles) in [
        (merchant, Roles::MERCHANT),
        (merchant_2, Roles::MERCHANT),
        (acceptor, Roles::ACCEPTOR),
        (agent, Roles::AGENT),
        (agent_2, Roles::AGENT),
    ] {
        p.set_roles(who, roles).await?;
    }
    p.set_agent(merchant, agent).await?;
    p.set_agent(merchant_2, agent_2).await?;
    p.kyc(&[merchant, merchant_2, trader, trader_2, acceptor])
        .await?;
    progress(
        "acceptor: goes online and sets its own limits (the dispatcher assigns only within them)",
    );
    p.go_online(ACCEPTOR).await?;

    progress("funding: two traders and the acceptor deposit USDT");
    for (role, who, amount) in [
        (TRADER, trader, usdt(2_000)),
        (TRADER_2, trader_2, usdt(2_500)),
        (ACCEPTOR, acceptor, usdt(8_000)),
    ] {
        p.mint(who, amount).await?;
        p.escrow(role)?.deposit(who, amount).await?;
    }

    let [
        as_merchant,
        as_merchant_2,
        as_trader,
        as_trader_2,
        as_acceptor,
        as_dispatcher,
    ] = [MERCHANT, MERCHANT_2, TRADER, TRADER_2, ACCEPTOR, DISPATCHER].map(|r| p.escrow(r));
    let (as_merchant, as_merchant_2, as_trader, as_trader_2, as_acceptor, as_dispatcher) = (
        as_merchant?,
        as_merchant_2?,
        as_trader?,
        as_trader_2?,
        as_acceptor?,
        as_dispatcher?,
    );
    let expiry = p.now().await? + 86_400;

    progress("trade: merchant 1 buys up to 1,500 USDT at 7.25 CNY; trader 1 fills 1,200");
    let order = as_merchant
        .post_buy_order(725, "CNY", usdt(1_500), usdt(10), usdt(1_500), expiry, 900)
        .await?;
    let trade = as_trader
        .fill_buy_order(order, usdt(1_200), B256::repeat_byte(1))
        .await?;
    as_merchant.mark_paid(trade).await?;
    as_trader.release(trade).await?;

    progress("trade: merchant 2 buys 2,000 USDT at 36.40 THB from trader 2");
    let order_2 = as_merchant_2
        .post_buy_order(
            3_640,
            "THB",
            usdt(2_000),
            usdt(100),
            usdt(2_000),
            expiry,
            900,
        )
        .await?;
    let trade_2 = as_trader_2
        .fill_buy_order(order_2, usdt(2_000), B256::repeat_byte(2))
        .await?;
    as_merchant_2.mark_paid(trade_2).await?;
    as_trader_2.release(trade_2).await?;

    progress("collection: the dispatcher assigns a 3,000 USDT customer payment of merchant 1");
    let collection = as_dispatcher
        .assign_collection(acceptor, merchant, usdt(3_000), 1_800, B256::repeat_byte(3))
        .await?;
    as_dispatcher.mark_paid(collection).await?;
    as_acceptor.release(collection).await?;

    progress("fee change: a 2-of-3 proposal lowers every merchant tier by 0.2 points");
    p.set_fee_schedule(&lowered_fees(&p.config)).await?;

    progress("collection: 2,500 USDT for merchant 2, settled at the new tiers");
    let collection_2 = as_dispatcher
        .assign_collection(
            acceptor,
            merchant_2,
            usdt(2_500),
            1_800,
            B256::repeat_byte(4),
        )
        .await?;
    as_dispatcher.mark_paid(collection_2).await?;
    as_acceptor.release(collection_2).await?;

    progress("payout: merchant 1 cashes out 800 USDT; disputed; the multisig resolves 50/50");
    let payout = as_merchant
        .open_payout(usdt(800), 1_800, B256::repeat_byte(5))
        .await?;
    as_dispatcher.assign_payout(payout, acceptor).await?;
    as_acceptor.mark_paid(payout).await?;
    as_merchant.dispute(payout).await?;
    let resolve = Escrow::resolveCall {
        dealId: payout,
        buyerShareBps: 5_000,
    }
    .abi_encode();
    p.admin()
        .await?
        .execute(p.deployment.escrow, Bytes::from(resolve))
        .await?;

    progress(
        "expiry: an unpaid 200 USDT collection is cancelled by the acceptor after its deadline; \
         merchant 1 withdraws 1,000 USDT",
    );
    let late = as_dispatcher
        .assign_collection(acceptor, merchant, usdt(200), 600, B256::repeat_byte(6))
        .await?;
    p.warp(601).await?;
    as_acceptor.cancel(late).await?;
    as_merchant.withdraw(usdt(1_000)).await?;

    let last_block = p.block_number().await?;
    let outcomes = read_outcomes(p, first_block, last_block).await?;

    let everyone = [
        merchant, merchant_2, trader, trader_2, agent, agent_2, acceptor, treasury,
    ];
    let conserved = match p.check_conservation(&everyone).await {
        Ok(()) => true,
        Err(Error::Conservation { .. }) => false,
        Err(e) => return Err(e),
    };
    let available = |who| {
        let client = &as_merchant;
        async move { Ok::<_, Error>(client.balances(who).await?.0) }
    };
    let mut balances = Vec::new();
    for (name, who) in [
        ("merchant 1", merchant),
        ("merchant 2", merchant_2),
        ("trader 1", trader),
        ("trader 2", trader_2),
        ("acceptor", acceptor),
    ] {
        balances.push((name, who, available(who).await?));
    }
    let mut commissions = Vec::new();
    for (name, who) in [("agent 1", agent), ("agent 2", agent_2)] {
        let earned = outcomes
            .commissions
            .get(&who)
            .copied()
            .unwrap_or(Amount::ZERO);
        commissions.push((name, who, earned, available(who).await?));
    }
    Ok(DayReport {
        opened: outcomes.opened,
        released: outcomes.released,
        resolved: outcomes.resolved,
        cancelled: outcomes.cancelled,
        volume: outcomes.volume,
        fees_to_treasury: outcomes.platform,
        treasury_balance: available(treasury).await?,
        commissions,
        balances,
        conserved,
        last_block,
    })
}

/// Deal outcomes and settlement sums of a block range, from the escrow's events.
#[derive(Debug, Default)]
struct Outcomes {
    opened: u32,
    released: u32,
    resolved: u32,
    cancelled: u32,
    volume: Amount,
    platform: Amount,
    commissions: BTreeMap<Address, Amount>,
}

impl Outcomes {
    fn settle(&mut self, s: &IEscrow::Settlement) -> Result<()> {
        let amount = |v: U256| {
            u64::try_from(v)
                .map(Amount::from_units)
                .map_err(|_| Error::Overflow)
        };
        let add = |a: Amount, b: Amount| a.checked_add(b).ok_or(Error::Overflow);
        self.volume = add(self.volume, amount(s.amount)?)?;
        self.platform = add(self.platform, amount(s.platform)?)?;
        if s.agent != Address::ZERO {
            let cut = amount(s.agentCut)?;
            let earned = self.commissions.entry(s.agent).or_insert(Amount::ZERO);
            *earned = add(*earned, cut)?;
        }
        Ok(())
    }
}

async fn read_outcomes(p: &LocalPlatform, from: u64, to: u64) -> Result<Outcomes> {
    let filter = Filter::new()
        .address(p.deployment.escrow)
        .from_block(from)
        .to_block(to);
    let logs = p
        .provider(DEPLOYER)?
        .get_logs(&filter)
        .await
        .map_err(rpc("eth_getLogs"))?;
    let mut out = Outcomes::default();
    for log in logs {
        match log.topic0() {
            Some(&Escrow::DealOpened::SIGNATURE_HASH) => out.opened += 1,
            Some(&Escrow::DealCancelled::SIGNATURE_HASH) => out.cancelled += 1,
            Some(&Escrow::DealReleased::SIGNATURE_HASH) => {
                let e = Escrow::DealReleased::decode_log_data(log.data()).map_err(decode)?;
                out.settle(&e.settlement)?;
                out.released += 1;
            }
            Some(&Escrow::DealResolved::SIGNATURE_HASH) => {
                let e = Escrow::DealResolved::decode_log_data(log.data()).map_err(decode)?;
                out.settle(&e.settlement)?;
                out.resolved += 1;
            }
            _ => {}
        }
    }
    Ok(out)
}

fn decode(e: alloy::sol_types::Error) -> Error {
    Error::Sdk(stablerail_sdk::evm::EvmError::Rpc {
        call: "decode escrow event",
        message: e.to_string(),
    })
}
