//! A small escrow ledger that replays a conformance scenario of
//! `tests/vectors/settlement.json` with the reference fee math.
//!
//! It follows `docs/rules.md` and `tests/vectors/README.md`: every deal locks from
//! the seller's available balance and fixes its fee rates when it opens; release
//! settles the whole amount, resolve settles `floor(amount * b / 10000)` and returns
//! the rest to the seller; cancel returns everything to the seller and, for a Trade,
//! refills its buy order; a gross of 0 settles nothing. Outflows (withdraw, release
//! by the seller) of an account with a co-signer obey its daily allowance. After
//! every step the ledger checks conservation: liabilities (deposits − withdrawals +
//! sweeps) equal the sum of all balances, and the token balance is at least that.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::LedgerError;
use crate::DealKind;
use crate::amount::{Amount, BPS_DENOMINATOR};
use crate::fees::{DealRates, FeeSchedule, ScenarioFees, Split};

/// Name of the platform treasury's account in scenarios.
pub const TREASURY: &str = "treasury";

/// The file `tests/vectors/settlement.json`.
#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioFile {
    /// The scenarios, run independently.
    pub scenarios: Vec<Scenario>,
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

/// A co-signer given to a party before its deposits, with its daily allowance.
#[derive(Debug, Clone, Deserialize)]
pub struct CoSignerSetup {
    /// Whose account gets a co-signer.
    pub party: String,
    /// What the account may send out per UTC day without the co-signer.
    pub daily_allowance: u64,
}

/// Whether an outflow needs its co-signer (`docs/rules.md`, "Co-signer and daily allowance").
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CoSign {
    /// The outflow is within the allowance (or there is no co-signer): the owner alone succeeds.
    #[default]
    None,
    /// The outflow exceeds what is left of today's allowance: the owner alone is refused
    /// (`AllowanceExceeded`, nothing changes), then the co-signed call succeeds.
    Required,
}

/// A withdrawal, run after every deal of the scenario.
#[derive(Debug, Clone, Deserialize)]
pub struct Withdrawal {
    /// Who withdraws (to its own address).
    pub party: String,
    /// How much, in smallest units.
    pub amount: u64,
    /// Whether it needs the co-signer.
    #[serde(default)]
    pub co_sign: CoSign,
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
    /// Trade only: the size of the buy order the trade fills (default: `amount`).
    #[serde(default)]
    pub order_amount: Option<u64>,
    /// Trade only: the order's remaining amount once the deal is final (0: the order
    /// is gone, its storage freed).
    #[serde(default)]
    pub expect_order_remaining: Option<u64>,
    /// A new fee schedule the admin sets after the deal opened (and was marked paid,
    /// where the outcome does that) and before it ends; later deals use it.
    #[serde(default)]
    pub fees_after_open: Option<ScenarioFees>,
    /// The merchant's agent loses the agent role before this deal opens (for good).
    #[serde(default)]
    pub agent_role_revoked_before_open: bool,
    /// Release only: whether the seller's release needs its co-signer.
    #[serde(default)]
    pub co_sign: CoSign,
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
    /// Every party (the treasury is implicit unless `treasury_is` names a party).
    pub parties: Vec<String>,
    /// The party whose account is the treasury; `None`: a separate `treasury` account.
    #[serde(default)]
    pub treasury_is: Option<String>,
    /// Merchant → agent links.
    #[serde(default)]
    pub agents: Vec<AgentLink>,
    /// Co-signers, set before the deposits.
    #[serde(default)]
    pub co_signers: Vec<CoSignerSetup>,
    /// Deposits, made before the deals.
    #[serde(default)]
    pub deposits: Vec<Deposit>,
    /// Tokens sent straight to the escrow after the deposits (surplus, not a deposit).
    #[serde(default)]
    pub direct_transfer: u64,
    /// Deals, each run to its outcome in order.
    #[serde(default)]
    pub deals: Vec<ScenarioDeal>,
    /// Withdrawals, after the deals.
    #[serde(default)]
    pub withdrawals: Vec<Withdrawal>,
    /// The admin sweeps the surplus to the treasury at the very end.
    #[serde(default)]
    pub sweep: bool,
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

/// A co-signer's daily allowance and what today's outflows used of it.
#[derive(Debug, Clone, Copy)]
struct Allowance {
    daily: u64,
    used_today: u64,
}

/// A deal between open and its end: the locked amount and the rates fixed at open.
#[derive(Debug, Clone)]
pub struct OpenDeal {
    kind: DealKind,
    seller: String,
    buyer: String,
    merchant: String,
    amount: Amount,
    /// The agent recorded at open (only one holding the agent role).
    agent: Option<String>,
    /// The rates fixed at open.
    pub rates: DealRates,
    /// Trade only: the fill's buy order, by its remaining amount after the fill.
    order_remaining: Option<u64>,
}

/// The end of a deal: the settlement, if any gross was settled, and for a Trade the
/// remaining amount of its buy order (0 once the order is gone).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DealEnd {
    /// The settlement split.
    pub split: Option<Split>,
    /// Trade only: what remains of its order.
    pub order_remaining: Option<u64>,
}

/// An in-memory escrow ledger with the settlement rules of `docs/rules.md`.
#[derive(Debug, Clone)]
pub struct Ledger {
    fees: FeeSchedule,
    accounts: BTreeMap<String, Account>,
    agent_of: BTreeMap<String, String>,
    agent_role: BTreeSet<String>,
    allowances: BTreeMap<String, Allowance>,
    treasury: String,
    /// Deposits − withdrawals + sweeps: what the escrow owes its accounts.
    liabilities: u128,
    /// What the escrow holds in tokens: liabilities plus any unswept surplus.
    token_balance: u128,
}

impl Ledger {
    /// A ledger with the given parties plus a separate treasury account, all at zero.
    pub fn new(fees: FeeSchedule, parties: &[String]) -> Result<Self, LedgerError> {
        Self::with_treasury(fees, parties, None)
    }

    /// A ledger whose treasury is `treasury_is` (one of `parties`), or a separate
    /// `treasury` account when `None`.
    pub fn with_treasury(
        fees: FeeSchedule,
        parties: &[String],
        treasury_is: Option<&str>,
    ) -> Result<Self, LedgerError> {
        let mut accounts = BTreeMap::new();
        if treasury_is.is_none() {
            accounts.insert(TREASURY.to_owned(), Account::default());
        }
        for p in parties {
            if accounts.insert(p.clone(), Account::default()).is_some() {
                return Err(LedgerError::DuplicateParty { name: p.clone() });
            }
        }
        let treasury = treasury_is.unwrap_or(TREASURY).to_owned();
        if !accounts.contains_key(&treasury) {
            return Err(LedgerError::UnknownParty { name: treasury });
        }
        Ok(Self {
            fees,
            accounts,
            agent_of: BTreeMap::new(),
            agent_role: BTreeSet::new(),
            allowances: BTreeMap::new(),
            treasury,
            liabilities: 0,
            token_balance: 0,
        })
    }

    /// Sets `merchant`'s agent (once) and gives the agent the agent role.
    pub fn set_agent(&mut self, merchant: &str, agent: &str) -> Result<(), LedgerError> {
        self.account(merchant)?;
        self.account(agent)?;
        if self.agent_of.contains_key(merchant) {
            return Err(LedgerError::AgentAlreadySet {
                merchant: merchant.to_owned(),
            });
        }
        self.agent_of.insert(merchant.to_owned(), agent.to_owned());
        self.agent_role.insert(agent.to_owned());
        Ok(())
    }

    /// Takes the agent role from `agent`: deals opened afterwards pay it nothing.
    pub fn revoke_agent_role(&mut self, agent: &str) -> Result<(), LedgerError> {
        self.account(agent)?;
        self.agent_role.remove(agent);
        Ok(())
    }

    /// Replaces the fee schedule; open deals keep the rates they fixed.
    pub fn set_fees(&mut self, fees: FeeSchedule) {
        self.fees = fees;
    }

    /// Gives `party` a co-signer with a daily outflow allowance.
    pub fn set_co_signer(
        &mut self,
        party: &str,
        daily_allowance: Amount,
    ) -> Result<(), LedgerError> {
        self.account(party)?;
        self.allowances.insert(
            party.to_owned(),
            Allowance {
                daily: daily_allowance.units(),
                used_today: 0,
            },
        );
        Ok(())
    }

    /// Credits a deposit to `party`'s available balance.
    pub fn deposit(&mut self, party: &str, amount: Amount) -> Result<(), LedgerError> {
        credit(self.account_mut(party)?, party, amount)?;
        self.liabilities += u128::from(amount.units());
        self.token_balance += u128::from(amount.units());
        self.check_conservation()
    }

    /// Tokens sent straight to the escrow: surplus until swept, owed to no one.
    pub fn direct_transfer(&mut self, amount: Amount) -> Result<(), LedgerError> {
        self.token_balance += u128::from(amount.units());
        self.check_conservation()
    }

    /// Credits the surplus (token balance − liabilities) to the treasury and returns it.
    pub fn sweep_surplus(&mut self) -> Result<Amount, LedgerError> {
        let surplus = self.token_balance - self.liabilities;
        let surplus = u64::try_from(surplus).map_err(|_| LedgerError::Overflow {
            party: self.treasury.clone(),
        })?;
        if surplus == 0 {
            return Err(LedgerError::NoSurplus);
        }
        let treasury = self.treasury.clone();
        credit(
            self.account_mut(&treasury)?,
            &treasury,
            Amount::from_units(surplus),
        )?;
        self.liabilities += u128::from(surplus);
        self.check_conservation()?;
        Ok(Amount::from_units(surplus))
    }

    /// Withdraws `amount` of `party`'s available balance; `co_signed` says whether
    /// its co-signer approved (needed beyond what is left of today's allowance).
    pub fn withdraw(
        &mut self,
        party: &str,
        amount: Amount,
        co_signed: bool,
    ) -> Result<(), LedgerError> {
        let available = self.account(party)?.available;
        if available < amount.units() {
            return Err(LedgerError::InsufficientBalance {
                party: party.to_owned(),
                available,
                needed: amount.units(),
            });
        }
        self.count_outflow(party, amount, co_signed)?;
        self.account_mut(party)?.available -= amount.units();
        self.liabilities -= u128::from(amount.units());
        self.token_balance -= u128::from(amount.units());
        self.check_conservation()
    }

    /// Refuses an outflow of `amount` by `party` that needs its co-signer (beyond
    /// what is left of today's allowance) when `co_signed` is false.
    fn check_outflow(
        &self,
        party: &str,
        amount: Amount,
        co_signed: bool,
    ) -> Result<(), LedgerError> {
        match self.allowances.get(party) {
            Some(a) if !co_signed && a.used_today.saturating_add(amount.units()) > a.daily => {
                Err(LedgerError::AllowanceExceeded {
                    party: party.to_owned(),
                    left: a.daily.saturating_sub(a.used_today),
                    needed: amount.units(),
                })
            }
            _ => Ok(()),
        }
    }

    /// Checks an outflow and counts it against the allowance; a co-signed outflow
    /// does not use the allowance (docs/rules.md, "Co-signer and daily allowance").
    fn count_outflow(
        &mut self,
        party: &str,
        amount: Amount,
        co_signed: bool,
    ) -> Result<(), LedgerError> {
        self.check_outflow(party, amount, co_signed)?;
        if let Some(a) = self.allowances.get_mut(party)
            && !co_signed
        {
            a.used_today = a.used_today.saturating_add(amount.units());
        }
        Ok(())
    }

    /// Whether an outflow of `amount` by `party` needs its co-signer today.
    pub fn needs_co_signer(&self, party: &str, amount: Amount) -> bool {
        self.allowances
            .get(party)
            .is_some_and(|a| a.used_today.saturating_add(amount.units()) > a.daily)
    }

    /// Opens a deal of `amount`, locking it from the seller and fixing its rates.
    /// `order_amount` is, for a Trade, the size of the buy order it fills.
    #[allow(clippy::too_many_arguments)]
    pub fn open_deal(
        &mut self,
        index: usize,
        kind: DealKind,
        seller: &str,
        buyer: &str,
        merchant: &str,
        amount: Amount,
        order_amount: Option<Amount>,
    ) -> Result<OpenDeal, LedgerError> {
        if amount.is_zero() {
            return Err(LedgerError::ZeroDeal { index });
        }
        self.account(buyer)?;
        let v = Amount::from_units(self.account(merchant)?.merchant_volume);
        let order_remaining = match (kind, order_amount) {
            (DealKind::Trade, order) => {
                let order = order.unwrap_or(amount);
                if order < amount {
                    return Err(LedgerError::OrderTooSmall {
                        index,
                        order: order.units(),
                        fill: amount.units(),
                    });
                }
                Some(order.units() - amount.units())
            }
            (_, None) => None,
            (_, Some(_)) => return Err(LedgerError::OrderWithoutTrade { index }),
        };
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
        // Only an agent that holds the role at open is recorded (docs/rules.md, "Fee rates").
        let agent = self
            .agent_of
            .get(merchant)
            .filter(|a| self.agent_role.contains(*a))
            .cloned();
        let r = match &agent {
            Some(a) => Some(Amount::from_units(self.account(a)?.agent_volume)),
            None => None,
        };
        let rates = self.fees.rates(kind, v, r);
        self.check_conservation()?;
        Ok(OpenDeal {
            kind,
            seller: seller.to_owned(),
            buyer: buyer.to_owned(),
            merchant: merchant.to_owned(),
            amount,
            agent,
            rates,
            order_remaining,
        })
    }

    /// Runs an open deal to `outcome`. A release is the seller's outflow and needs
    /// `co_signed` beyond the seller's allowance; refused, the deal stays open.
    pub fn finish_deal(
        &mut self,
        index: usize,
        deal: &OpenDeal,
        outcome: Outcome,
        buyer_share_bps: u32,
        co_signed: bool,
    ) -> Result<DealEnd, LedgerError> {
        if buyer_share_bps > BPS_DENOMINATOR {
            return Err(LedgerError::InvalidBuyerShare {
                index,
                bps: buyer_share_bps,
            });
        }
        if outcome == Outcome::Release {
            self.count_outflow(&deal.seller, deal.amount, co_signed)?;
        }
        let amount = deal.amount;
        let gross = match outcome {
            Outcome::Release => amount,
            Outcome::CancelByBuyer | Outcome::CancelAfterDeadline => Amount::ZERO,
            Outcome::Resolve => amount.checked_mul_bps(buyer_share_bps).unwrap_or(amount),
        };
        // Unlock; what is not settled returns to the seller.
        let seller = deal.seller.clone();
        let s = self.account_mut(&seller)?;
        s.locked -= amount.units();
        let rest = Amount::from_units(amount.units() - gross.units());
        credit(s, &seller, rest)?;

        let split = if gross.is_zero() {
            None
        } else {
            Some(self.settle(deal, gross)?)
        };
        // A cancelled Trade gives its amount back to its order (docs/rules.md, "Buy orders").
        let order_remaining = deal.order_remaining.map(|left| match outcome {
            Outcome::CancelByBuyer | Outcome::CancelAfterDeadline => left + amount.units(),
            Outcome::Release | Outcome::Resolve => left,
        });
        self.check_conservation()?;
        Ok(DealEnd {
            split,
            order_remaining,
        })
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
        if buyer_share_bps > BPS_DENOMINATOR {
            return Err(LedgerError::InvalidBuyerShare {
                index,
                bps: buyer_share_bps,
            });
        }
        if outcome == Outcome::Release {
            self.check_outflow(seller, amount, false)?;
        }
        let deal = self.open_deal(index, kind, seller, buyer, merchant, amount, None)?;
        Ok(self
            .finish_deal(index, &deal, outcome, buyer_share_bps, false)?
            .split)
    }

    fn settle(&mut self, deal: &OpenDeal, gross: Amount) -> Result<Split, LedgerError> {
        let split = deal.rates.split(gross);
        let treasury = self.treasury.clone();
        credit(self.account_mut(&deal.buyer)?, &deal.buyer, split.buyer_net)?;
        credit(self.account_mut(&deal.seller)?, &deal.seller, split.reward)?;
        credit(self.account_mut(&treasury)?, &treasury, split.platform)?;
        // Volumes are statistics that select tiers: they saturate and never block a
        // settlement (docs/rules.md, "Fee rates").
        let m = self.account_mut(&deal.merchant)?;
        m.merchant_volume = m.merchant_volume.saturating_add(gross.units());
        if let Some(a) = &deal.agent {
            let acc = self.account_mut(a)?;
            credit(acc, a, split.agent_cut)?;
            acc.agent_volume = acc.agent_volume.saturating_add(gross.units());
        }
        debug_assert!(matches!(deal.kind, DealKind::Trade) || split.reward.is_zero());
        Ok(split)
    }

    /// Available balance of `party`.
    pub fn available(&self, party: &str) -> Result<Amount, LedgerError> {
        Ok(Amount::from_units(self.account(party)?.available))
    }

    /// What the escrow owes its accounts (deposits − withdrawals + sweeps).
    pub fn liabilities(&self) -> u128 {
        self.liabilities
    }

    /// The escrow's token balance: liabilities plus unswept surplus.
    pub fn token_balance(&self) -> u128 {
        self.token_balance
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
        if balances == self.liabilities && self.token_balance >= self.liabilities {
            Ok(())
        } else {
            Err(LedgerError::Conservation {
                liabilities: self.liabilities,
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
    /// using [`Expected::matches`]). Also checks what the scenario states on the way:
    /// each `co_sign` (required exactly when the owner alone is refused) and each
    /// `expect_order_remaining`.
    pub fn run(&self) -> Result<Expected, LedgerError> {
        let mut ledger = Ledger::with_treasury(
            self.fees.schedule()?,
            &self.parties,
            self.treasury_is.as_deref(),
        )?;
        for link in &self.agents {
            ledger.set_agent(&link.merchant, &link.agent)?;
        }
        for c in &self.co_signers {
            ledger.set_co_signer(&c.party, Amount::from_units(c.daily_allowance))?;
        }
        for d in &self.deposits {
            ledger.deposit(&d.party, Amount::from_units(d.amount))?;
        }
        if self.direct_transfer > 0 {
            ledger.direct_transfer(Amount::from_units(self.direct_transfer))?;
        }
        for (i, d) in self.deals.iter().enumerate() {
            if d.agent_role_revoked_before_open {
                let agent = ledger
                    .agent_of
                    .get(&d.merchant)
                    .cloned()
                    .ok_or(LedgerError::NoAgentToRevoke { index: i })?;
                ledger.revoke_agent_role(&agent)?;
            }
            let amount = Amount::from_units(d.amount);
            let deal = ledger.open_deal(
                i,
                d.kind,
                &d.seller,
                &d.buyer,
                &d.merchant,
                amount,
                d.order_amount.map(Amount::from_units),
            )?;
            if let Some(fees) = &d.fees_after_open {
                ledger.set_fees(fees.schedule()?);
            }
            let needs = d.outcome == Outcome::Release && ledger.needs_co_signer(&d.seller, amount);
            check_co_sign(i, d.co_sign, needs)?;
            let end = ledger.finish_deal(i, &deal, d.outcome, d.buyer_share_bps, needs)?;
            if let Some(want) = d.expect_order_remaining
                && end.order_remaining != Some(want)
            {
                return Err(LedgerError::OrderRemaining {
                    index: i,
                    expected: want,
                    actual: end.order_remaining,
                });
            }
        }
        for (i, w) in self.withdrawals.iter().enumerate() {
            let amount = Amount::from_units(w.amount);
            let needs = ledger.needs_co_signer(&w.party, amount);
            check_co_sign(self.deals.len() + i, w.co_sign, needs)?;
            ledger.withdraw(&w.party, amount, needs)?;
        }
        if self.sweep {
            ledger.sweep_surplus()?;
        }
        Ok(ledger.snapshot())
    }
}

/// A scenario's `co_sign` must say exactly whether the owner alone is refused.
fn check_co_sign(step: usize, stated: CoSign, needed: bool) -> Result<(), LedgerError> {
    if (stated == CoSign::Required) == needed {
        Ok(())
    } else {
        Err(LedgerError::CoSignMismatch {
            step,
            stated_required: stated == CoSign::Required,
        })
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
    use crate::fees::Tier;

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
            Err(LedgerError::InvalidBuyerShare { .. })
        ));
        assert!(matches!(
            l.set_agent("m", "t"),
            Err(LedgerError::AgentAlreadySet { .. })
        ));
        assert_eq!(l.snapshot(), before);
    }

    #[test]
    fn rates_are_fixed_when_the_deal_opens() {
        let mut l = ledger();
        let deal = l
            .open_deal(
                0,
                DealKind::Trade,
                "t",
                "m",
                "m",
                Amount::from_units(100_000),
                None,
            )
            .unwrap();
        let dearer =
            FeeSchedule::new(vec![Tier::new(0, 1000)], vec![Tier::new(0, 2000)], 1000).unwrap();
        l.set_fees(dearer);
        let end = l.finish_deal(0, &deal, Outcome::Release, 0, false).unwrap();
        assert_eq!(
            end.split.unwrap().fee.units(),
            1_000,
            "100 bps fixed at open"
        );
        assert_eq!(end.order_remaining, Some(0));
        let next = l
            .open_deal(
                1,
                DealKind::Trade,
                "t",
                "m",
                "m",
                Amount::from_units(100_000),
                None,
            )
            .unwrap();
        assert_eq!(next.rates.fee_bps, 1000);
    }

    #[test]
    fn fee_above_the_cap_is_refused() {
        assert!(matches!(
            FeeSchedule::new(vec![Tier::new(0, 1001)], vec![Tier::new(0, 0)], 0),
            Err(crate::FeeScheduleError::FeeTooHigh {
                index: 0,
                bps: 1001
            })
        ));
    }

    #[test]
    fn outflows_beyond_the_allowance_need_the_co_signer() {
        let mut l = ledger();
        l.set_co_signer("t", Amount::from_units(150_000)).unwrap();
        l.withdraw("t", Amount::from_units(100_000), false).unwrap();
        let before = l.snapshot();
        assert!(matches!(
            l.withdraw("t", Amount::from_units(60_000), false),
            Err(LedgerError::AllowanceExceeded {
                left: 50_000,
                needed: 60_000,
                ..
            })
        ));
        assert!(matches!(
            l.run_deal(
                0,
                DealKind::Trade,
                "t",
                "m",
                "m",
                Amount::from_units(60_000),
                Outcome::Release,
                0
            ),
            Err(LedgerError::AllowanceExceeded { .. })
        ));
        assert_eq!(l.snapshot(), before, "a refused outflow changes nothing");
        l.withdraw("t", Amount::from_units(60_000), true).unwrap();
        // The co-signed outflow did not use the allowance: 50_000 are still left.
        l.withdraw("t", Amount::from_units(50_000), false).unwrap();
        assert_eq!(l.available("t").unwrap().units(), 1_000_000 - 210_000);
    }

    #[test]
    fn surplus_is_swept_to_the_treasury() {
        let mut l = ledger();
        assert!(matches!(l.sweep_surplus(), Err(LedgerError::NoSurplus)));
        l.direct_transfer(Amount::from_units(7)).unwrap();
        assert_eq!(l.token_balance() - l.liabilities(), 7);
        assert_eq!(l.sweep_surplus().unwrap().units(), 7);
        assert_eq!(l.available(TREASURY).unwrap().units(), 7);
        assert_eq!(l.token_balance(), l.liabilities());
    }

    #[test]
    fn an_agent_without_the_role_at_open_gets_nothing() {
        let mut l = ledger();
        l.revoke_agent_role("a").unwrap();
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
        assert_eq!(s.agent_cut.units(), 0);
        assert_eq!(l.available(TREASURY).unwrap().units(), 4_000 - 400);
        assert!(l.snapshot().agent_volume.is_empty());
    }

    #[test]
    fn a_cancelled_trade_refills_its_order() {
        let mut l = ledger();
        let deal = l
            .open_deal(
                0,
                DealKind::Trade,
                "t",
                "m",
                "m",
                Amount::from_units(100),
                Some(Amount::from_units(300)),
            )
            .unwrap();
        let end = l
            .finish_deal(0, &deal, Outcome::CancelByBuyer, 0, false)
            .unwrap();
        assert_eq!(end.order_remaining, Some(300));
        assert!(end.split.is_none());
    }
}
