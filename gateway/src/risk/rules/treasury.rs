//! Treasury watch (DESIGN §5, §11): the share of the platform's own funds held
//! outside the time-locked vault.
//!
//! Platform funds are the vault's token balance plus the configured hot wallets'.
//! Outside the vault counts what can leave it without a time-locked proposal — the
//! spending limits' remaining allowance (the hot allowance, at most the vault's
//! balance) — plus everything in the hot wallets. Above `max_share_bps` of the
//! total, the excess (what must go back for the share to be at the line) is covered
//! by a [`Plan`]: transfers back to the vault from the hot wallets (multisigs first,
//! by proposal; then plain accounts, by a transfer their key signs; largest first),
//! then, for what the hot wallets cannot cover, lower spending limits on the vault.
//! Escrow balances are the users' money, not the platform's, and are not counted.

use alloy::primitives::U256;
use serde_json::{Value, json};

use crate::risk::{Evidence, Finding, Severity, SubjectKind, usdt};

/// The rule's name.
pub const RULE: &str = "treasury_share";

/// Basis points in one whole.
const WHOLE_BPS: u32 = 10_000;

/// A spending limit of the vault as the contract reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    /// The spender (a hot-wallet operator or co-signer service).
    pub spender: String,
    /// The limit per period (0: none set).
    pub amount: u128,
    /// Spent in the current period.
    pub spent: u128,
    /// Start of the current period, Unix seconds.
    pub period_start: u64,
    /// `IMultiSig.Period`: 0 one-time, 1 day, 2 week, 3 month (30 days).
    pub period: u8,
    /// The destinations the spender may send to (empty: any), kept when the limit is
    /// lowered.
    pub destinations: Vec<String>,
}

impl Allowance {
    /// What the spender may still send at time `now`: a period that has elapsed
    /// starts afresh, as the contract's `spend` does.
    pub fn remaining(&self, now: u64) -> u128 {
        let length: u64 = match self.period {
            1 => 86_400,
            2 => 7 * 86_400,
            3 => 30 * 86_400,
            _ => 0,
        };
        let spent = if length != 0 && now >= self.period_start.saturating_add(length) {
            0
        } else {
            self.spent
        };
        self.amount.saturating_sub(spent)
    }
}

/// One measurement of a chain's treasury at a block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measurement {
    /// The block the balances were read at.
    pub block_number: u64,
    /// Its hash.
    pub block_hash: String,
    /// Its time (spending periods run on it).
    pub block_time: u64,
    /// The vault (the time-locked multisig).
    pub vault: String,
    /// The vault's token balance.
    pub vault_balance: u128,
    /// The vault's spending limits for the configured spenders.
    pub allowances: Vec<Allowance>,
    /// The hot wallets and their balances.
    pub hot: Vec<(String, u128)>,
}

impl Measurement {
    /// What the hot wallets hold.
    pub fn hot_total(&self) -> u128 {
        self.hot
            .iter()
            .fold(0u128, |a, (_, b)| a.saturating_add(*b))
    }

    /// Vault plus hot wallets.
    pub fn total(&self) -> u128 {
        self.vault_balance.saturating_add(self.hot_total())
    }

    /// The hot allowance: the spending limits' remaining amounts, at most the vault's
    /// balance (a limit cannot send what the vault does not hold).
    pub fn allowance(&self) -> u128 {
        self.allowances
            .iter()
            .fold(0u128, |a, l| a.saturating_add(l.remaining(self.block_time)))
            .min(self.vault_balance)
    }

    /// What is outside the vault's time lock: the hot allowance and the hot wallets.
    pub fn outside(&self) -> u128 {
        self.allowance().saturating_add(self.hot_total())
    }

    /// The outside share in basis points, rounded down (0 for an empty treasury).
    pub fn share_bps(&self) -> u32 {
        let total = self.total();
        if total == 0 {
            return 0;
        }
        let share = U256::from(self.outside()) * U256::from(WHOLE_BPS) / U256::from(total);
        u32::try_from(share).unwrap_or(WHOLE_BPS)
    }

    /// Whether the outside share is above `max_bps` (exactly: outside·10⁴ > total·max).
    pub fn over(&self, max_bps: u32) -> bool {
        U256::from(self.outside()) * U256::from(WHOLE_BPS)
            > U256::from(self.total()) * U256::from(max_bps)
    }

    /// How much must go back into the vault for the share to be at `max_bps`: the
    /// outside amount minus the largest amount the line allows (rounded down).
    pub fn excess(&self, max_bps: u32) -> u128 {
        self.outside().saturating_sub(self.allowed(max_bps))
    }

    /// The largest outside amount the line allows: `floor(total · max_bps / 10⁴)`.
    pub fn allowed(&self, max_bps: u32) -> u128 {
        let total = self.total();
        let w = u128::from(WHOLE_BPS);
        let b = u128::from(max_bps.min(WHOLE_BPS));
        // Without overflow.
        (total / w) * b + (total % w) * b / w
    }

    /// The treasury as it is once `action` is carried out: a transfer moves its
    /// amount from the hot wallet into the vault; a new spending limit starts a fresh
    /// period with nothing spent (the contract's `setSpendingLimit`), and a removed
    /// one leaves nothing to spend.
    pub fn after(&self, action: &Action) -> Self {
        let mut m = self.clone();
        match action {
            Action::MultisigTransfer { from, amount, .. }
            | Action::AccountTransfer { from, amount, .. } => {
                if let Some((_, b)) = m.hot.iter_mut().find(|(a, _)| a == from) {
                    let moved = (*amount).min(*b);
                    *b -= moved;
                    m.vault_balance = m.vault_balance.saturating_add(moved);
                }
            }
            Action::Limit {
                spender, new_limit, ..
            } => {
                if let Some(l) = m.allowances.iter_mut().find(|l| &l.spender == spender) {
                    l.amount = *new_limit;
                    l.spent = 0;
                    l.period_start = m.block_time;
                }
            }
        }
        m
    }

    /// The measurement as the API and the alert show it (amounts as decimal strings).
    pub fn view(&self, max_bps: u32) -> Value {
        json!({
            "block_number": self.block_number,
            "block_hash": self.block_hash,
            "vault": self.vault,
            "vault_balance": self.vault_balance.to_string(),
            "allowance": self.allowance().to_string(),
            "allowances": self.allowances.iter().map(|l| json!({
                "spender": l.spender,
                "amount": l.amount.to_string(),
                "spent": l.spent.to_string(),
                "remaining": l.remaining(self.block_time).to_string(),
            })).collect::<Vec<_>>(),
            "hot_wallets": self.hot.iter().map(|(a, b)| json!({
                "address": a,
                "balance": b.to_string(),
            })).collect::<Vec<_>>(),
            "total": self.total().to_string(),
            "outside": self.outside().to_string(),
            "share_bps": self.share_bps(),
            "max_share_bps": max_bps,
            "over": self.over(max_bps),
            "excess": self.excess(max_bps).to_string(),
        })
    }
}

/// A finding when the outside share is above `max_bps` (subject: the vault; the
/// evidence is the measurement at its block).
pub fn watch(chain: &str, m: &Measurement, max_bps: u32, severity: Severity) -> Option<Finding> {
    if !m.over(max_bps) {
        return None;
    }
    let view = m.view(max_bps);
    Some(Finding {
        rule: RULE,
        severity,
        chain: chain.to_owned(),
        subject_kind: SubjectKind::Address,
        subject: m.vault.clone(),
        summary: format!(
            "{}.{:02} % of platform funds are outside the vault (line {}.{:02} %): {} USDT should go back",
            m.share_bps() / 100,
            m.share_bps() % 100,
            max_bps / 100,
            max_bps % 100,
            usdt(m.excess(max_bps))
        ),
        details: view.clone(),
        evidence: vec![Evidence::Metric {
            block_number: Some(m.block_number),
            block_hash: Some(m.block_hash.clone()),
            data: view,
        }],
    })
}

/// One action of a [`Plan`] and how much of the excess it covers (what the outside
/// amount above the line falls by when it is carried out after the actions before
/// it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A hot wallet that is a multisig sends `amount` to the vault: a proposal on it.
    MultisigTransfer {
        /// The hot multisig.
        from: String,
        /// Smallest units sent back.
        amount: u128,
        /// Of the excess.
        covers: u128,
    },
    /// A plain hot account sends `amount` to the vault: a transfer its key signs.
    AccountTransfer {
        /// The hot account.
        from: String,
        /// Smallest units sent back.
        amount: u128,
        /// Of the excess.
        covers: u128,
    },
    /// The vault sets `spender`'s limit to `new_limit` per period (0: removes it),
    /// down from the `remaining` it may still send: a proposal on the vault.
    Limit {
        /// The spender.
        spender: String,
        /// What it could still send at the measured block.
        remaining: u128,
        /// The new limit (and what it can send after the change); 0 removes it.
        new_limit: u128,
        /// Of the excess.
        covers: u128,
    },
}

impl Action {
    /// How much of the excess it covers.
    pub fn covers(&self) -> u128 {
        match self {
            Self::MultisigTransfer { covers, .. }
            | Self::AccountTransfer { covers, .. }
            | Self::Limit { covers, .. } => *covers,
        }
    }
}

/// The actions that bring a treasury back to the line, in the order to carry them
/// out, and what they leave uncovered (0 unless a hot wallet or a limit moved
/// meanwhile; kept for the operator to see).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    /// The actions.
    pub actions: Vec<Action>,
    /// The excess no action covers.
    pub uncovered: u128,
}

/// The plan that covers `m`'s excess over `max_bps`. First the hot wallets send
/// back up to the excess — the multisigs (a proposal their owners sign), then the
/// plain accounts (a transfer their key signs), largest balance first. What they
/// cannot cover (the excess lies in the spending limits, or the hot wallets hold
/// less than it) is covered by lowering the limits with the most remaining first,
/// each to what its spender may still send minus its part (removed at 0), so the
/// allowance is at most what the line leaves beside the hot wallets.
/// `is_multisig` says which hot wallets are multisigs.
pub fn plan(m: &Measurement, max_bps: u32, is_multisig: impl Fn(&str) -> bool) -> Plan {
    let excess = m.excess(max_bps);
    if excess == 0 {
        return Plan::default();
    }
    let mut hot: Vec<(bool, &String, u128)> = m
        .hot
        .iter()
        .filter(|(_, b)| *b > 0)
        .map(|(a, b)| (is_multisig(a), a, *b))
        .collect();
    hot.sort_by(|x, y| y.0.cmp(&x.0).then(y.2.cmp(&x.2)).then(x.1.cmp(y.1)));
    let mut sim = m.clone();
    let mut actions = Vec::new();
    let mut push = |sim: &mut Measurement, mut a: Action| {
        let before = sim.excess(max_bps);
        let next = sim.after(&a);
        let covers = before.saturating_sub(next.excess(max_bps));
        match &mut a {
            Action::MultisigTransfer { covers: c, .. }
            | Action::AccountTransfer { covers: c, .. }
            | Action::Limit { covers: c, .. } => *c = covers,
        }
        *sim = next;
        actions.push(a);
    };
    // The hot wallets send back the excess, or all they hold.
    let mut left = excess;
    for (multisig, from, balance) in hot {
        if left == 0 {
            break;
        }
        let amount = left.min(balance);
        left -= amount;
        let from = from.clone();
        let a = if multisig {
            Action::MultisigTransfer {
                from,
                amount,
                covers: 0,
            }
        } else {
            Action::AccountTransfer {
                from,
                amount,
                covers: 0,
            }
        };
        push(&mut sim, a);
    }
    // The rest lies in the allowance (or the vault's gain lifted a limit capped by its
    // balance): the limits may leave at most what the line allows beside the hot
    // wallets.
    if sim.excess(max_bps) > 0 {
        let room = sim.allowed(max_bps).saturating_sub(sim.hot_total());
        let now = sim.block_time;
        let mut limits: Vec<(String, u128)> = sim
            .allowances
            .iter()
            .map(|l| (l.spender.clone(), l.remaining(now)))
            .filter(|(_, r)| *r > 0)
            .collect();
        let remaining: u128 = limits.iter().fold(0u128, |a, l| a.saturating_add(l.1));
        let mut cut = remaining.saturating_sub(room);
        limits.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
        for (spender, remaining) in limits {
            if cut == 0 {
                break;
            }
            let part = cut.min(remaining);
            cut -= part;
            push(
                &mut sim,
                Action::Limit {
                    spender,
                    remaining,
                    new_limit: remaining - part,
                    covers: 0,
                },
            );
        }
    }
    Plan {
        uncovered: sim.excess(max_bps),
        actions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: u128 = 1_000_000;

    fn measurement(vault: u128, limit: u128, hot: &[u128]) -> Measurement {
        Measurement {
            block_number: 9,
            block_hash: "0x9".into(),
            block_time: 1_000_000,
            vault: "0xvault".into(),
            vault_balance: vault,
            allowances: vec![Allowance {
                spender: "0xops".into(),
                amount: limit,
                spent: 0,
                period_start: 1_000_000,
                period: 1,
                destinations: Vec::new(),
            }],
            hot: hot
                .iter()
                .enumerate()
                .map(|(i, b)| (format!("0xhot{i}"), *b))
                .collect(),
        }
    }

    #[test]
    fn share_excess_and_the_line() {
        // 800 in the vault with a 50/day allowance, 400 in a hot wallet: 450 of
        // 1,200 outside (37.5 %); 180 is the 15 % line, so 270 must go back.
        let m = measurement(800 * U, 50 * U, &[400 * U]);
        assert_eq!(m.total(), 1_200 * U);
        assert_eq!(m.outside(), 450 * U);
        assert_eq!(m.share_bps(), 3_750);
        assert!(m.over(1_500));
        assert_eq!(m.excess(1_500), 270 * U);
        let f = watch("c", &m, 1_500, Severity::High).unwrap();
        assert_eq!(f.rule, RULE);
        assert_eq!(f.subject, "0xvault");
        assert_eq!(f.details["excess"], "270000000");
        assert!(f.summary.starts_with("37.50 % "), "{}", f.summary);
        assert_eq!(f.block_number(), Some(9));
        // Once moved: exactly at the line, not above it.
        let after = measurement(1_070 * U, 50 * U, &[130 * U]);
        assert_eq!(after.total(), m.total());
        assert_eq!(after.share_bps(), 1_500);
        assert!(!after.over(1_500));
        assert_eq!(after.excess(1_500), 0);
        assert!(watch("c", &after, 1_500, Severity::High).is_none());
        // One unit more outside is above it.
        let just = measurement(1_070 * U - 1, 50 * U, &[130 * U + 1]);
        assert!(just.over(1_500));
        assert_eq!(just.excess(1_500), 1);
    }

    #[test]
    fn allowance_is_capped_by_the_vault_and_periods_refill() {
        let mut m = measurement(10 * U, 50 * U, &[]);
        assert_eq!(m.allowance(), 10 * U);
        assert_eq!(m.share_bps(), 10_000);
        m.vault_balance = 1_000 * U;
        m.allowances[0].spent = 20 * U;
        assert_eq!(m.allowance(), 30 * U);
        // A day later the period starts afresh.
        m.block_time += 86_400;
        assert_eq!(m.allowance(), 50 * U);
        // A one-time limit never refills.
        m.allowances[0].period = 0;
        assert_eq!(m.allowance(), 30 * U);
        // Nothing at all: no share, no alert.
        let empty = measurement(0, 0, &[]);
        assert_eq!(empty.share_bps(), 0);
        assert!(watch("c", &empty, 1_500, Severity::High).is_none());
    }

    #[test]
    fn huge_balances_do_not_overflow() {
        let m = measurement(u128::MAX / 2, 0, &[u128::MAX / 2]);
        assert_eq!(m.share_bps(), 5_000);
        assert!(m.over(1_500));
        let allowed = m.outside() - m.excess(1_500);
        let exact = U256::from(m.total()) * U256::from(1_500) / U256::from(10_000);
        assert_eq!(U256::from(allowed), exact);
    }

    /// `m` after every action of `p`.
    fn carried_out(m: &Measurement, p: &Plan) -> Measurement {
        p.actions.iter().fold(m.clone(), |m, a| m.after(a))
    }

    #[test]
    fn plan_takes_the_hot_wallets_first_multisigs_before_plain_accounts() {
        // The case above: 270 must go back, the hot wallet holds 400.
        let m = measurement(800 * U, 50 * U, &[400 * U]);
        let p = plan(&m, 1_500, |_| true);
        assert_eq!(
            p.actions,
            vec![Action::MultisigTransfer {
                from: "0xhot0".into(),
                amount: 270 * U,
                covers: 270 * U,
            }]
        );
        assert_eq!(p.uncovered, 0);
        // A plain hot account: the same amount, by a transfer its key signs.
        let p = plan(&m, 1_500, |_| false);
        assert_eq!(
            p.actions,
            vec![Action::AccountTransfer {
                from: "0xhot0".into(),
                amount: 270 * U,
                covers: 270 * U,
            }]
        );
        let after = carried_out(&m, &p);
        assert_eq!(after.total(), m.total());
        assert_eq!(after.share_bps(), 1_500);
        // Multisigs first even when smaller, then plain accounts by balance.
        let m = measurement(800 * U, 0, &[100 * U, 300 * U, 200 * U]);
        let p = plan(&m, 1_500, |a| a == "0xhot0");
        // 600 of 1,400 outside; the line allows 210.
        assert_eq!(m.excess(1_500), 390 * U);
        assert_eq!(
            p.actions,
            vec![
                Action::MultisigTransfer {
                    from: "0xhot0".into(),
                    amount: 100 * U,
                    covers: 100 * U,
                },
                Action::AccountTransfer {
                    from: "0xhot1".into(),
                    amount: 290 * U,
                    covers: 290 * U,
                },
            ]
        );
        assert!(!carried_out(&m, &p).over(1_500));
        // Nothing over the line: nothing to do.
        assert_eq!(plan(&carried_out(&m, &p), 1_500, |_| true), Plan::default());
    }

    #[test]
    fn plan_lowers_spending_limits_for_what_the_hot_wallets_cannot_cover() {
        // Only an allowance: 1,000 in the vault, 300/day spendable, no hot wallet:
        // 30 % outside, 150 too much; the limit goes down to 150.
        let m = measurement(1_000 * U, 300 * U, &[]);
        let p = plan(&m, 1_500, |_| true);
        assert_eq!(
            p.actions,
            vec![Action::Limit {
                spender: "0xops".into(),
                remaining: 300 * U,
                new_limit: 150 * U,
                covers: 150 * U,
            }]
        );
        let after = carried_out(&m, &p);
        assert_eq!(after.share_bps(), 1_500);
        assert_eq!(after.total(), m.total());
        // Part spent already: the new limit is what remains minus the excess.
        let mut spent = m.clone();
        spent.allowances[0].spent = 100 * U;
        spent.vault_balance = 900 * U;
        // 200 of 900 outside; the line allows 135.
        let p = plan(&spent, 1_500, |_| true);
        assert_eq!(
            p.actions,
            vec![Action::Limit {
                spender: "0xops".into(),
                remaining: 200 * U,
                new_limit: 135 * U,
                covers: 65 * U,
            }]
        );
        // Hot wallets first, then the limits for the rest; two spenders, the one with
        // more remaining first, removed when its part is all it has.
        let mut m = measurement(300 * U, 60 * U, &[10 * U, 5 * U]);
        m.allowances.push(Allowance {
            spender: "0xco".into(),
            amount: 50 * U,
            spent: 0,
            period_start: m.block_time,
            period: 0,
            destinations: Vec::new(),
        });
        // Outside 125 of 315; the line allows 47.25: 77.75 too much.
        assert_eq!(m.excess(1_500), 77_750_000);
        let p = plan(&m, 1_500, |a| a == "0xhot0");
        assert_eq!(
            p.actions,
            vec![
                Action::MultisigTransfer {
                    from: "0xhot0".into(),
                    amount: 10 * U,
                    covers: 10 * U,
                },
                Action::AccountTransfer {
                    from: "0xhot1".into(),
                    amount: 5 * U,
                    covers: 5 * U,
                },
                Action::Limit {
                    spender: "0xops".into(),
                    remaining: 60 * U,
                    new_limit: 0,
                    covers: 60 * U,
                },
                Action::Limit {
                    spender: "0xco".into(),
                    remaining: 50 * U,
                    new_limit: 47_250_000,
                    covers: 2_750_000,
                },
            ]
        );
        assert_eq!(p.uncovered, 0);
        assert_eq!(
            p.actions.iter().map(Action::covers).sum::<u128>(),
            m.excess(1_500)
        );
        assert_eq!(carried_out(&m, &p).excess(1_500), 0);
    }

    #[test]
    fn plan_when_the_limits_exceed_the_vault() {
        // 100 in the vault with 500/day spendable (counted as 100) and 100 hot: all
        // outside. Moving the hot 100 in lifts the capped allowance by as much (it
        // covers nothing by itself), so the limit goes down to the line's 30.
        let m = measurement(100 * U, 500 * U, &[100 * U]);
        let p = plan(&m, 1_500, |_| true);
        assert_eq!(p.actions.len(), 2, "{p:?}");
        assert_eq!(p.actions[0].covers(), 0);
        assert_eq!(
            p.actions[1],
            Action::Limit {
                spender: "0xops".into(),
                remaining: 500 * U,
                new_limit: 30 * U,
                covers: 170 * U,
            }
        );
        assert_eq!(carried_out(&m, &p).share_bps(), 1_500);
    }

    proptest::proptest! {
        /// Whatever the treasury, the plan brings it to the line or under, moves no
        /// more than a hot wallet holds, keeps the platform total, and its covers
        /// add up to the excess.
        #[test]
        fn plan_always_reaches_the_line(
            vault in 0u128..5_000,
            limits in proptest::collection::vec((0u128..3_000, 0u128..3_000, 0u8..4), 0..3),
            hot in proptest::collection::vec(0u128..3_000, 0..4),
            multisigs in proptest::collection::vec(proptest::bool::ANY, 4),
            max_bps in 0u32..=10_000,
        ) {
            let mut m = measurement(vault * U, 0, &hot.iter().map(|h| h * U).collect::<Vec<_>>());
            m.allowances = limits
                .iter()
                .enumerate()
                .map(|(i, (amount, spent, period))| Allowance {
                    spender: format!("0xs{i}"),
                    amount: amount * U,
                    spent: (*spent).min(*amount) * U,
                    period_start: m.block_time,
                    period: *period,
                    destinations: Vec::new(),
                })
                .collect();
            let p = plan(&m, max_bps, |a| {
                a.trim_start_matches("0xhot").parse::<usize>().is_ok_and(|i| multisigs[i])
            });
            let after = carried_out(&m, &p);
            proptest::prop_assert!(!after.over(max_bps), "{m:?} {p:?}");
            proptest::prop_assert_eq!(p.uncovered, 0);
            proptest::prop_assert_eq!(after.total(), m.total());
            let covered: u128 = p.actions.iter().map(Action::covers).sum();
            proptest::prop_assert_eq!(covered, m.excess(max_bps));
            for a in &p.actions {
                if let Action::MultisigTransfer { from, amount, .. }
                | Action::AccountTransfer { from, amount, .. } = a
                {
                    let held = m.hot.iter().find(|(h, _)| h == from).map(|h| h.1);
                    proptest::prop_assert!(held.is_some_and(|b| *amount <= b && *amount > 0));
                }
            }
        }
    }
}
