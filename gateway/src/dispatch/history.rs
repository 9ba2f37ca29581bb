//! An acceptor's finished orders inside the sliding window, with its completed and
//! failed counts kept as entries come and go: a decision reads the counts of every
//! acceptor instead of scanning every acceptor's history (issue #14).

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use super::order::Outcome;

/// (time, outcome) of finished orders, oldest first, with running counts. It
/// serializes as the plain list and recomputes the counts when read back.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(from = "VecDeque<(u64, Outcome)>", into = "VecDeque<(u64, Outcome)>")]
pub(super) struct History {
    items: VecDeque<(u64, Outcome)>,
    /// Completed (or dispute won) among `items`.
    completed: u32,
    /// Failed (timed out, expired, dispute lost) among `items`.
    failed: u32,
    /// Whether `items` is in time order. An order reported as finished before an
    /// earlier-listed one clears it; the window counts are then found by a scan.
    ordered: bool,
}

/// What one outcome adds to (completed, failed).
fn tally(o: Outcome) -> (u32, u32) {
    match o {
        Outcome::Completed | Outcome::DisputeWon => (1, 0),
        o if o.is_failure() => (0, 1),
        _ => (0, 0),
    }
}

impl Default for History {
    fn default() -> Self {
        Self {
            items: VecDeque::new(),
            completed: 0,
            failed: 0,
            ordered: true,
        }
    }
}

impl From<VecDeque<(u64, Outcome)>> for History {
    fn from(list: VecDeque<(u64, Outcome)>) -> Self {
        let mut h = Self::default();
        for (at, o) in list {
            h.push(at, o);
        }
        h
    }
}

impl From<History> for VecDeque<(u64, Outcome)> {
    fn from(h: History) -> Self {
        h.items
    }
}

impl History {
    /// The entries, oldest first.
    pub(super) fn items(&self) -> &VecDeque<(u64, Outcome)> {
        &self.items
    }

    /// The oldest entry.
    pub(super) fn front(&self) -> Option<&(u64, Outcome)> {
        self.items.front()
    }

    /// Appends an order that ended with `o` at `at`.
    pub(super) fn push(&mut self, at: u64, o: Outcome) {
        if self.items.back().is_some_and(|(last, _)| at < *last) {
            self.ordered = false;
        }
        let (c, f) = tally(o);
        self.completed += c;
        self.failed += f;
        self.items.push_back((at, o));
    }

    /// Drops the oldest entry.
    pub(super) fn pop_front(&mut self) {
        if let Some((_, o)) = self.items.pop_front() {
            let (c, f) = tally(o);
            self.completed -= c;
            self.failed -= f;
        }
        if self.items.is_empty() {
            self.ordered = true;
        }
    }

    /// (completed, failed) among the entries at or after `start`: the running
    /// counts minus the entries before `start`, which are a prefix when the list is
    /// in time order (usually empty: finishing an order drops what left the window).
    pub(super) fn window_counts(&self, start: u64) -> (u32, u32) {
        if self.ordered && self.items.front().is_none_or(|(at, _)| *at >= start) {
            return (self.completed, self.failed);
        }
        if !self.ordered {
            return self.items.iter().filter(|(at, _)| *at >= start).fold(
                (0, 0),
                |(c, f), (_, o)| {
                    let (dc, df) = tally(*o);
                    (c + dc, f + df)
                },
            );
        }
        let (mut c, mut f) = (self.completed, self.failed);
        for (at, o) in &self.items {
            if *at >= start {
                break;
            }
            let (dc, df) = tally(*o);
            c -= dc;
            f -= df;
        }
        (c, f)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::{any, prop, prop_assert_eq, proptest};

    use super::{History, Outcome};

    fn outcome(i: u8) -> Outcome {
        [
            Outcome::Completed,
            Outcome::TimedOut,
            Outcome::Expired,
            Outcome::DisputeLost,
            Outcome::DisputeWon,
            Outcome::Cancelled,
        ][usize::from(i % 6)]
    }

    proptest! {
        /// The kept counts equal a scan of the list (the engine's former
        /// computation), whatever the order of the times, the drops and the start.
        #[test]
        fn window_counts_equal_a_scan(
            ops in prop::collection::vec((0u64..100, any::<u8>(), any::<bool>()), 0..80),
            starts in prop::collection::vec(0u64..120, 1..8),
        ) {
            let mut h = History::default();
            for (at, o, drop) in ops {
                if drop { h.pop_front() } else { h.push(at, outcome(o)) }
                for &start in &starts {
                    let scan = h.items().iter().filter(|(t, _)| *t >= start).fold(
                        (0u32, 0u32),
                        |(c, f), (_, o)| match o {
                            Outcome::Completed | Outcome::DisputeWon => (c + 1, f),
                            o if o.is_failure() => (c, f + 1),
                            _ => (c, f),
                        },
                    );
                    prop_assert_eq!(h.window_counts(start), scan);
                }
            }
            let back: History = serde_json::from_value(serde_json::to_value(&h).unwrap()).unwrap();
            prop_assert_eq!(back.items(), h.items());
            prop_assert_eq!((back.completed, back.failed), (h.completed, h.failed));
        }
    }
}
