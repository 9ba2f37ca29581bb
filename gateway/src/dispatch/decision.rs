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
        let inputs = self.candidates.iter().map(|c| c.inputs.clone()).collect();
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
        self.candidates.iter().find(|c| &c.inputs.id == id)
    }
}

/// Scores the eligible candidates and picks one: the highest score, ties by the
/// highest random key; or, on an exploration draw, the highest random key alone.
pub(super) fn choose(
    strategy: &Strategy,
    order: &Order,
    at: u64,
    seed: u64,
    candidates: Vec<CandidateInputs>,
) -> Decision {
    let mut rng = StdRng::seed_from_u64(seed);
    let explore_roll: u32 = rng.random_range(0..10_000);
    let keys: Vec<u64> = candidates.iter().map(|_| rng.random()).collect();
    let eligible: Vec<&CandidateInputs> = candidates
        .iter()
        .filter(|c| c.ineligible.is_empty())
        .collect();
    let explored = !eligible.is_empty() && explore_roll < strategy.exploration_bps();
    let totals = Totals::of(&eligible, order);
    let scores: Vec<Option<i64>> = candidates
        .iter()
        .map(|c| c.ineligible.is_empty().then(|| strategy.score(c, &totals)))
        .collect();
    let chosen = candidates
        .iter()
        .zip(&scores)
        .zip(&keys)
        .filter_map(|((c, score), key)| score.map(|s| (c, s, *key)))
        .max_by_key(|(_, score, key)| if explored { (0, *key) } else { (*score, *key) })
        .map(|(c, _, _)| c.id.clone());
    let candidates = candidates
        .into_iter()
        .zip(scores)
        .zip(keys)
        .map(|((inputs, score), tiebreak)| CandidateReport {
            inputs,
            score,
            tiebreak,
        })
        .collect();
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
