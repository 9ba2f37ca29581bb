//! A decision: the order, every candidate with its inputs, eligibility and score,
//! the strategy and the seed — enough to replay and explain it.

use rand::{Rng, SeedableRng, rngs::StdRng};
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub use super::candidate::CandidateInputs;
use super::{
    AcceptorId,
    order::Order,
    strategy::{Strategy, Totals},
};

/// One candidate in a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CandidateReport {
    /// What the engine knew.
    #[serde(flatten)]
    pub inputs: CandidateInputs,
    /// Its score under the strategy; `None` when ineligible.
    pub score: Option<i64>,
    /// Its random key, drawn from the seed: breaks ties and drives exploration.
    pub tiebreak: u64,
}

/// Who got an order, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The order.
    pub order: Order,
    /// Unix time of the decision.
    pub at: u64,
    /// The strategy used.
    pub strategy: Strategy,
    /// The random seed.
    pub seed: u64,
    /// Whether this was an exploration draw (uniform among the eligible).
    pub explored: bool,
    /// The chosen acceptor; `None` when nobody is eligible.
    pub chosen: Option<AcceptorId>,
    /// Every known acceptor, in id order.
    pub candidates: Vec<CandidateReport>,
}

/// A stored decision that does not replay to itself.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("decision for order {order} replays to {replayed:?}, recorded {recorded:?}")]
pub struct ReplayError {
    /// The order.
    pub order: String,
    /// What the replay chose.
    pub replayed: Option<AcceptorId>,
    /// What was recorded.
    pub recorded: Option<AcceptorId>,
}

impl Decision {
    /// Recomputes the decision from its recorded inputs, strategy and seed, and
    /// checks it chose the same acceptor with the same scores.
    pub fn replay(&self) -> Result<(), ReplayError> {
        let inputs = self
            .candidates
            .iter()
            .map(|c| CandidateReport {
                inputs: c.inputs.clone(),
                score: None,
                tiebreak: 0,
            })
            .collect();
        let again = choose(&self.strategy, &self.order, self.at, self.seed, inputs);
        if again == *self {
            Ok(())
        } else {
            Err(ReplayError {
                order: self.order.id.clone(),
                replayed: again.chosen,
                recorded: self.chosen.clone(),
            })
        }
    }

    /// The chosen candidate's report.
    pub fn chosen_report(&self) -> Option<&CandidateReport> {
        let id = self.chosen.as_ref()?;
        self.candidates.iter().find(|c| *c.inputs.id == **id)
    }
}

/// Scores the eligible candidates and picks one: the highest score, ties by the
/// highest random key (the last of equals, as `Iterator::max_by_key`); or, on an
/// exploration draw, the highest random key alone. Fills each report's random key
/// and score in place (their inputs are what the engine knew): two passes over the
/// candidates and no other allocation than the chosen id.
pub(super) fn choose(
    strategy: &Strategy,
    order: &Order,
    at: u64,
    seed: u64,
    mut candidates: Vec<CandidateReport>,
) -> Decision {
    let mut rng = StdRng::seed_from_u64(seed);
    let explore_roll: u32 = rng.random_range(0..10_000);
    // The random keys in candidate order, then the totals over the eligible.
    let mut totals = Totals::new(order);
    let mut any_eligible = false;
    for c in &mut candidates {
        c.tiebreak = rng.random();
        if c.inputs.ineligible.is_empty() {
            any_eligible = true;
            totals.add(&c.inputs);
        }
    }
    let explored = any_eligible && explore_roll < strategy.exploration_bps();
    let mut best: Option<(usize, (i64, u64))> = None;
    for (i, c) in candidates.iter_mut().enumerate() {
        c.score = None;
        if !c.inputs.ineligible.is_empty() {
            continue;
        }
        let score = strategy.score(&c.inputs, &totals);
        c.score = Some(score);
        let key = if explored {
            (0, c.tiebreak)
        } else {
            (score, c.tiebreak)
        };
        if best.is_none_or(|(_, b)| key >= b) {
            best = Some((i, key));
        }
    }
    let chosen = best.and_then(|(i, _)| candidates.get(i).map(|c| c.inputs.id.to_string()));
    Decision {
        order: order.clone(),
        at,
        strategy: strategy.clone(),
        seed,
        explored,
        chosen,
        candidates,
    }
}
