//! A small escrow ledger that replays a conformance scenario of
//! `tests/vectors/settlement.json` with the reference fee math.
//!
//! It follows the rules of `tests/vectors/README.md`: every deal locks from the
//! seller's available balance; release settles the whole amount, resolve settles
//! `floor(amount * b / 10000)` and returns the rest to the seller; cancel returns
//! everything to the seller; a gross of 0 settles nothing. After every step the
//! ledger checks conservation (balances equal deposits).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, BPS_DENOMINATOR};
use crate::error::LedgerError;
use crate::fees::{DealKind, FeeSchedule, Split, Tier};

/// Name of the platform treasury's account in scenarios.
pub const TREASURY: &str = "treasury";

/// The file `tests/vectors/settlement.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioFile {
    /// The scenarios, run independently.
    pub scenarios: Vec<Scenario>,
}

/// Fee settings of a scenario, as written in the vector file.
#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioFees {
    /// Merchant fee tiers.
    pub merchant_tiers: Vec<Tier>,
    /// Agent share tiers.
    pub agent_tiers: Vec<Tier>,
    /// Trader reward on Trade deals.
    pub trader_reward_bps: u32,
}

/// A merchant's referrer.
#[derive(Debug, Clone, Deserialize)]
pub struct AgentLink {
    /// The referred merchant.
    pub merchant: String,
    /// Its agent.
    pub agent: String,
}

/// A deposit into a party's escrow account.
#[derive(Debug, Clone, Deserialize)]
pub struct Deposit {
    /// Who deposits.
    pub party: String,
    /// How much, in smallest units.
    pub amount: u64,
}

/// How a scenario deal ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The buyer marks paid, the seller releases.
    Release,
    /// The buyer cancels while open.
    CancelByBuyer,
    /// The window passes and the seller cancels.
    CancelAfterDeadline,
    /// Paid, disputed, resolved with `buyer_share_bps`.
    Resolve,
}

/// One deal of a scenario.
#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioDeal {
    /// Trade, collection or payout.
    pub kind: DealKind,
    /// Whose USDT is locked.
    pub seller: String,
    /// Who receives it.
    pub buyer: String,
    /// Whose tier and agent set the fee.
    pub merchant: String,
    /// The locked amount, in smallest units.
    pub amount: u64,
    /// How the deal ends.
    pub outcome: Outcome,
    /// Buyer share on resolve, in bps.
    #[serde(default)]
    pub buyer_share_bps: u32,
}

/// Final state a scenario must reach.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct Expected {
    /// Available balance of every party and the treasury.
    pub balances: BTreeMap<String, u64>,
    /// Settled volume per merchant.
    #[serde(default)]
    pub merchant_volume: BTreeMap<String, u64>,
    /// Referred volume per agent.
    #[serde(default)]
    pub agent_volume: BTreeMap<String, u64>,
}

/// One conformance scenario.
#[derive(Debug, Clone, Deserialize)]
pub struct Scenario {
    /// Short name.
    pub name: String,
    /// What it exercises.
    #[serde(default)]
    pub description: String,
    /// The fee schedule.
    pub fees: ScenarioFees,
    /// Every party (the treasury is implicit).
    pub parties: Vec<String>,
    /// Merchant → agent links.
    #[serde(default)]
    pub agents: Vec<AgentLink>,
    /// Deposits, made before the deals.
    #[serde(default)]
    pub deposits: Vec<Deposit>,
    /// Deals, each run to its outcome in order.
    #[serde(default)]
    pub deals: Vec<ScenarioDeal>,
    /// The final state.
    pub expected: Expected,
}

#[derive(Debug, Clone, Copy, Default)]
struct Account {
    available: u64,
    locked: u64,
    merchant_volume: u64,
    agent_volume: u64,
}

/// An in-memory escrow ledger with the settlement rules of DESIGN §4.
#[derive(Debug, Clone)]
pub struct Ledger {
    fees: FeeSchedule,
    accounts: BTreeMap<String, Account>,
    agent_of: BTreeMap<String, String>,
    deposited: u128,
}

impl Ledger {
    /// A ledger with the given parties (plus the treasury), all at zero.
    pub fn new(fees: FeeSchedule, parties: &[String]) -> Result<Self, LedgerError> {
        let mut accounts = BTreeMap::new();
        accounts.insert(TREASURY.to_owned(), Account::default());
        for p in parties {
            if accounts.insert(p.clone(), Account::default()).is_some() {
                return Err(LedgerError::DuplicateParty { name: p.clone() });
            }
        }
        Ok(Self {
            fees,
            accounts,
            agent_of: BTreeMap::new(),
            deposited: 0,
        })
    }

    /// Sets `merchant`'s agent (once).
    pub fn set_agent(&mut self, merchant: &str, agent: &str) -> Result<(), LedgerError> {
        self.account(merchant)?;
        self.account(agent)?;
        if self.agent_of.contains_key(merchant) {
            return Err(LedgerError::AgentAlreadySet {
                merchant: merchant.to_owned(),
            });
        }
        self.agent_of.insert(merchant.to_owned(), agent.to_owned());
        Ok(())
    }

    /// Credits a deposit to `party`'s available balance.
    pub fn deposit(&mut self, party: &str, amount: Amount) -> Result<(), LedgerError> {
        credit(self.account_mut(party)?, party, amount)?;
        self.deposited += u128::from(amount.units());
        self.check_conservation()
    }

    /// Opens a deal of `amount` (locking it from the seller), runs it to `outcome`
    /// and returns the settlement split, if any gross was settled.
    #[allow(clippy::too_many_arguments)]
    pub fn run_deal(
        &mut self,
        index: usize,
        kind: DealKind,
        seller: &str,
        buyer: &str,
        merchant: &str,
        amount: Amount,
        outcome: Outcome,
        buyer_share_bps: u32,
    ) -> Result<Option<Split>, LedgerError> {
        if amount.is_zero() {
            return Err(LedgerError::ZeroDeal { index });
        }
        if buyer_share_bps > BPS_DENOMINATOR {
            return Err(LedgerError::ShareTooHigh {
                index,
                bps: buyer_share_bps,
            });
        }
        self.account(buyer)?;
        self.account(merchant)?;
        // Lock from the seller.
        let s = self.account_mut(seller)?;
        if s.available < amount.units() {
            return Err(LedgerError::InsufficientBalance {
                party: seller.to_owned(),
                available: s.available,
                needed: amount.units(),
            });
        }
        s.available -= amount.units();
        s.locked += amount.units();
        self.check_conservation()?;

        let gross = match outcome {
            Outcome::Release => amount,
            Outcome::CancelByBuyer | Outcome::CancelAfterDeadline => Amount::ZERO,
            Outcome::Resolve => amount.checked_mul_bps(buyer_share_bps).unwrap_or(amount),
        };
        // Unlock; what is not settled returns to the seller.
        let s = self.account_mut(seller)?;
        s.locked -= amount.units();
        let rest = Amount::from_units(amount.units() - gross.units());
        credit(s, seller, rest)?;

        let split = if gross.is_zero() {
            None
        } else {
            Some(self.settle(kind, seller, buyer, merchant, gross)?)
        };
        self.check_conservation()?;
        Ok(split)
    }

    fn settle(
        &mut self,
        kind: DealKind,
        seller: &str,
        buyer: &str,
        merchant: &str,
        gross: Amount,
    ) -> Result<Split, LedgerError> {
        let agent = self.agent_of.get(merchant).cloned();
        let v = Amount::from_units(self.account(merchant)?.merchant_volume);
        let r = match &agent {
            Some(a) => Some(Amount::from_units(self.account(a)?.agent_volume)),
            None => None,
        };
        let split = self.fees.settle(kind, gross, v, r);
        credit(self.account_mut(buyer)?, buyer, split.buyer_net)?;
        credit(self.account_mut(seller)?, seller, split.reward)?;
        credit(self.account_mut(TREASURY)?, TREASURY, split.platform)?;
        let m = self.account_mut(merchant)?;
        m.merchant_volume = m
            .merchant_volume
            .checked_add(gross.units())
            .ok_or_else(|| LedgerError::Overflow {
                party: merchant.to_owned(),
            })?;
        if let Some(a) = agent {
            let acc = self.account_mut(&a)?;
            credit(acc, &a, split.agent_cut)?;
            acc.agent_volume = acc
                .agent_volume
                .checked_add(gross.units())
                .ok_or_else(|| LedgerError::Overflow { party: a.clone() })?;
        }
        Ok(split)
    }

    /// Available balance of `party`.
    pub fn available(&self, party: &str) -> Result<Amount, LedgerError> {
        Ok(Amount::from_units(self.account(party)?.available))
    }

    /// The final state in the vector file's shape: every balance, and every
    /// non-zero merchant and agent volume.
    pub fn snapshot(&self) -> Expected {
        let mut out = Expected::default();
        for (name, a) in &self.accounts {
            out.balances.insert(name.clone(), a.available);
            if a.merchant_volume > 0 {
                out.merchant_volume.insert(name.clone(), a.merchant_volume);
            }
            if a.agent_volume > 0 {
                out.agent_volume.insert(name.clone(), a.agent_volume);
            }
        }
        out
    }

    fn account(&self, name: &str) -> Result<&Account, LedgerError> {
        self.accounts
            .get(name)
            .ok_or_else(|| LedgerError::UnknownParty {
                name: name.to_owned(),
            })
    }

    fn account_mut(&mut self, name: &str) -> Result<&mut Account, LedgerError> {
        self.accounts
            .get_mut(name)
            .ok_or_else(|| LedgerError::UnknownParty {
                name: name.to_owned(),
            })
    }

    fn check_conservation(&self) -> Result<(), LedgerError> {
        let balances: u128 = self
            .accounts
            .values()
            .map(|a| u128::from(a.available) + u128::from(a.locked))
            .sum();
        if balances == self.deposited {
            Ok(())
        } else {
            Err(LedgerError::Conservation {
                deposits: self.deposited,
                balances,
            })
        }
    }
}

fn credit(account: &mut Account, name: &str, amount: Amount) -> Result<(), LedgerError> {
    account.available = account
        .available
        .checked_add(amount.units())
        .ok_or_else(|| LedgerError::Overflow {
            party: name.to_owned(),
        })?;
    Ok(())
}

impl Scenario {
    /// Replays the scenario and returns the final state (compare it with `expected`
    /// using [`Expected::matches`]).
    pub fn run(&self) -> Result<Expected, LedgerError> {
        let fees = FeeSchedule::new(
            self.fees.merchant_tiers.clone(),
            self.fees.agent_tiers.clone(),
            self.fees.trader_reward_bps,
        )?;
        let mut ledger = Ledger::new(fees, &self.parties)?;
        for link in &self.agents {
            ledger.set_agent(&link.merchant, &link.agent)?;
        }
        for d in &self.deposits {
            ledger.deposit(&d.party, Amount::from_units(d.amount))?;
        }
        for (i, d) in self.deals.iter().enumerate() {
            ledger.run_deal(
                i,
                d.kind,
                &d.seller,
                &d.buyer,
                &d.merchant,
                Amount::from_units(d.amount),
                d.outcome,
                d.buyer_share_bps,
            )?;
        }
        Ok(ledger.snapshot())
    }
}

impl Expected {
    /// Whether `actual` (a [`Ledger::snapshot`]) reaches this expected state: equal
    /// balances for every account, and equal volumes where either side is non-zero.
    pub fn matches(&self, actual: &Expected) -> bool {
        fn nonzero(m: &BTreeMap<String, u64>) -> BTreeMap<&str, u64> {
            m.iter()
                .filter(|(_, v)| **v != 0)
                .map(|(k, v)| (k.as_str(), *v))
                .collect()
        }
        self.balances == actual.balances
            && nonzero(&self.merchant_volume) == nonzero(&actual.merchant_volume)
            && nonzero(&self.agent_volume) == nonzero(&actual.agent_volume)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> Ledger {
        let fees =
            FeeSchedule::new(vec![Tier::new(0, 100)], vec![Tier::new(0, 2000)], 1000).unwrap();
        let parties = ["m", "a", "t"].map(String::from);
        let mut l = Ledger::new(fees, &parties).unwrap();
        l.set_agent("m", "a").unwrap();
        l.deposit("t", Amount::from_units(1_000_000)).unwrap();
        l
    }

    #[test]
    fn trade_release_and_resolve() {
        let mut l = ledger();
        let s = l
            .run_deal(
                0,
                DealKind::Trade,
                "t",
                "m",
                "m",
                Amount::from_units(400_000),
                Outcome::Release,
                0,
            )
            .unwrap()
            .unwrap();
        assert_eq!(s.fee.units(), 4_000);
        assert_eq!(l.available("m").unwrap().units(), 396_000);
        assert_eq!(l.available("a").unwrap().units(), 800);
        assert_eq!(l.available("t").unwrap().units(), 600_000 + 400);
        assert_eq!(l.available(TREASURY).unwrap().units(), 2_800);
        let none = l
            .run_deal(
                1,
                DealKind::Trade,
                "t",
                "m",
                "m",
                Amount::from_units(100),
                Outcome::Resolve,
                0,
            )
            .unwrap();
        assert!(none.is_none());
        let snap = l.snapshot();
        assert_eq!(snap.merchant_volume["m"], 400_000);
        assert_eq!(snap.agent_volume["a"], 400_000);
    }

    #[test]
    fn rejects_bad_deals_without_changing_state() {
        let mut l = ledger();
        let before = l.snapshot();
        assert!(matches!(
            l.run_deal(
                0,
                DealKind::Trade,
                "t",
                "m",
                "m",
                Amount::from_units(2_000_000),
                Outcome::Release,
                0
            ),
            Err(LedgerError::InsufficientBalance { .. })
        ));
        assert!(matches!(
            l.run_deal(
                0,
                DealKind::Trade,
                "t",
                "x",
                "m",
                Amount::from_units(1),
                Outcome::Release,
                0
            ),
            Err(LedgerError::UnknownParty { .. })
        ));
        assert!(matches!(
            l.run_deal(
                0,
                DealKind::Trade,
                "t",
                "m",
                "m",
                Amount::from_units(1),
                Outcome::Resolve,
                10_001
            ),
            Err(LedgerError::ShareTooHigh { .. })
        ));
        assert!(matches!(
            l.set_agent("m", "t"),
            Err(LedgerError::AgentAlreadySet { .. })
        ));
        assert_eq!(l.snapshot(), before);
    }
}
