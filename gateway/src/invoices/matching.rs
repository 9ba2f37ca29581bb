//! Which transfer pays which invoice, as a pure function.
//!
//! Invoices of one receiving address differ by their unique amount, so a plain
//! transfer names its invoice by its amount. In chain order, a transfer to the
//! address goes to the first rule that applies, among the invoices created before its
//! block and still watched at its time:
//! 1. an unpaid invoice whose unique amount it equals;
//! 2. a partly paid invoice whose remaining amount it equals (a top-up);
//! 3. an invoice already paid whose unique amount it equals (paid twice);
//! 4. the unpaid, unexpired invoice whose amount is nearest, within the configured
//!    tolerance (underpaid or overpaid); ties go to the oldest invoice.
//!
//! Anything else is not the gateway's (it stays in the indexer's transfers).

use std::collections::BTreeMap;

use crate::invoices::state::Payment;

/// An invoice as matching sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// Invoice id.
    pub id: String,
    /// Creation order (ties).
    pub seq: i64,
    /// The unique amount asked for.
    pub unique_amount: u64,
    /// The indexer's cursor when the invoice was created: only later blocks count.
    pub created_block: u64,
    /// Unix ms.
    pub expires_at: i64,
    /// Unix ms.
    pub monitoring_until: i64,
}

/// Assigns `transfers` (one address, in chain order) to `candidates`.
pub fn assign(
    candidates: &[Candidate],
    transfers: &[Payment],
    tolerance_bps: u64,
) -> BTreeMap<String, Vec<Payment>> {
    let mut paid: BTreeMap<&str, u64> = BTreeMap::new();
    let mut out: BTreeMap<String, Vec<Payment>> = BTreeMap::new();
    for t in transfers {
        let time = t.block_time.saturating_mul(1000);
        let eligible: Vec<&Candidate> = candidates
            .iter()
            .filter(|c| c.created_block < t.block_number && time <= c.monitoring_until)
            .collect();
        let paid_of = |c: &Candidate, paid: &BTreeMap<&str, u64>| {
            paid.get(c.id.as_str()).copied().unwrap_or(0)
        };
        let exact_unpaid = eligible
            .iter()
            .find(|c| paid_of(c, &paid) == 0 && c.unique_amount == t.amount);
        let top_up = || {
            eligible.iter().find(|c| {
                let p = paid_of(c, &paid);
                p > 0 && p < c.unique_amount && c.unique_amount - p == t.amount
            })
        };
        let twice = || {
            eligible
                .iter()
                .find(|c| paid_of(c, &paid) > 0 && c.unique_amount == t.amount)
        };
        let nearest = || {
            eligible
                .iter()
                .filter(|c| paid_of(c, &paid) == 0 && time <= c.expires_at)
                .filter(|c| {
                    let diff = c.unique_amount.abs_diff(t.amount);
                    u128::from(diff) * 10_000
                        <= u128::from(c.unique_amount) * u128::from(tolerance_bps)
                })
                .min_by_key(|c| (c.unique_amount.abs_diff(t.amount), c.seq))
        };
        let Some(c) = exact_unpaid.or_else(top_up).or_else(twice).or_else(nearest) else {
            continue;
        };
        *paid.entry(c.id.as_str()).or_default() += t.amount;
        out.entry(c.id.clone()).or_default().push(t.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: &str, seq: i64, amount: u64) -> Candidate {
        Candidate {
            id: id.into(),
            seq,
            unique_amount: amount,
            created_block: 10,
            expires_at: 100_000,
            monitoring_until: 200_000,
        }
    }

    fn t(block: u64, amount: u64, time: i64) -> Payment {
        Payment {
            block_number: block,
            log_index: 0,
            tx_hash: format!("0x{block}"),
            amount,
            block_time: time,
            confirmed: false,
        }
    }

    #[test]
    fn rules() {
        let c = [
            cand("a", 1, 10_000_000),
            cand("b", 2, 10_000_001),
            cand("c", 3, 50_000_000),
            cand("d", 4, 70_000_000),
        ];
        let got = assign(
            &c,
            &[
                t(9, 10_000_000, 50),   // before the invoices: ignored
                t(11, 10_000_001, 50),  // exact b
                t(12, 10_000_000, 50),  // exact a
                t(13, 10_000_000, 60),  // a paid twice
                t(14, 40_000_000, 60),  // nearest: c underpaid
                t(15, 10_000_000, 60),  // top-up of c
                t(16, 80_000_000, 60),  // nearest: d overpaid
                t(17, 500_000_000, 60), // nobody's
            ],
            5_000,
        );
        let blocks = |id: &str| got[id].iter().map(|p| p.block_number).collect::<Vec<_>>();
        assert_eq!(blocks("a"), [12, 13]);
        assert_eq!(blocks("b"), [11]);
        assert_eq!(blocks("c"), [14, 15]);
        assert_eq!(blocks("d"), [16]);
    }
}
