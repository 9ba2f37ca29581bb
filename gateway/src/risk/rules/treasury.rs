//! Treasury watch (DESIGN §5, §11): the share of the platform's own funds held
//! outside the time-locked vault.
//!
//! Platform funds are the vault's token balance plus the configured hot wallets'.
//! Outside the vault counts what can leave it without a time-locked proposal — the
//! spending limits' remaining allowance (the hot allowance, at most the vault's
//! balance) — plus everything in the hot wallets. Above `max_share_bps` of the
//! total, the excess (what must go back for the share to be at the line) is moved
//! back by multisig proposals on the hot wallets that are multisigs, largest first.
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
    fn hot_total(&self) -> u128 {
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
        let total = self.total();
        let w = u128::from(WHOLE_BPS);
        let b = u128::from(max_bps.min(WHOLE_BPS));
        // floor(total · b / 10⁴) without overflow.
        let allowed = (total / w) * b + (total % w) * b / w;
        self.outside().saturating_sub(allowed)
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

/// Which hot multisigs send how much back: the largest balances first, until
/// `excess` is covered. Returns the moves and what no hot multisig can cover (an
/// allowance to lower, or a plain hot account to empty by hand).
pub fn plan(excess: u128, multisigs: &[(String, u128)]) -> (Vec<(String, u128)>, u128) {
    let mut sorted: Vec<&(String, u128)> = multisigs.iter().filter(|(_, b)| *b > 0).collect();
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut left = excess;
    let mut moves = Vec::new();
    for (address, balance) in sorted {
        if left == 0 {
            break;
        }
        let amount = left.min(*balance);
        moves.push((address.clone(), amount));
        left -= amount;
    }
    (moves, left)
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

    #[test]
    fn plan_takes_the_largest_multisigs_first() {
        let hot = vec![
            ("0xa".to_owned(), 100),
            ("0xb".to_owned(), 300),
            ("0xc".to_owned(), 0),
        ];
        assert_eq!(plan(250, &hot), (vec![("0xb".to_owned(), 250)], 0));
        assert_eq!(
            plan(350, &hot),
            (vec![("0xb".to_owned(), 300), ("0xa".to_owned(), 50)], 0)
        );
        assert_eq!(
            plan(500, &hot),
            (vec![("0xb".to_owned(), 300), ("0xa".to_owned(), 100)], 100)
        );
        assert_eq!(plan(0, &hot), (Vec::new(), 0));
    }
}
