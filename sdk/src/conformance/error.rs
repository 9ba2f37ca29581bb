//! Why a conformance scenario could not be replayed.

use thiserror::Error;

use crate::FeeScheduleError;

/// Why a conformance scenario could not be replayed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LedgerError {
    /// The scenario's fee schedule is invalid.
    #[error("scenario fee schedule: {0}")]
    FeeSchedule(#[from] FeeScheduleError),
    /// A name that is not among the scenario's parties.
    #[error("unknown party {name:?}")]
    UnknownParty {
        /// The name.
        name: String,
    },
    /// A party is listed twice, or is named like the treasury.
    #[error("party {name:?} is listed twice or is reserved")]
    DuplicateParty {
        /// The name.
        name: String,
    },
    /// A merchant was given a second agent; the agent is set once.
    #[error("merchant {merchant:?} already has an agent")]
    AgentAlreadySet {
        /// The merchant.
        merchant: String,
    },
    /// A deal's seller has less available balance than the deal amount.
    #[error("{party:?} has {available} available, deal needs {needed}")]
    InsufficientBalance {
        /// The seller.
        party: String,
        /// Its available balance.
        available: u64,
        /// The deal amount.
        needed: u64,
    },
    /// A deal with amount 0.
    #[error("deal {index} has amount 0")]
    ZeroDeal {
        /// Index of the deal in the scenario.
        index: usize,
    },
    /// A resolve share above 10000 bps.
    #[error("deal {index} buyer share {bps} bps exceeds 10000")]
    InvalidBuyerShare {
        /// Index of the deal in the scenario.
        index: usize,
        /// The share.
        bps: u32,
    },
    /// A balance or volume would exceed u64.
    #[error("balance or volume of {party:?} overflows")]
    Overflow {
        /// Whose balance or volume.
        party: String,
    },
    /// An outflow beyond what is left of today's allowance, without the co-signer.
    #[error("{party:?} may send {left} more today without its co-signer; {needed} needs it")]
    AllowanceExceeded {
        /// Whose outflow.
        party: String,
        /// What is left of today's allowance.
        left: u64,
        /// The outflow.
        needed: u64,
    },
    /// A sweep with nothing to sweep.
    #[error("no surplus to sweep: the token balance equals the liabilities")]
    NoSurplus,
    /// A trade fills more than its buy order holds.
    #[error("deal {index} fills {fill} from an order of {order}")]
    OrderTooSmall {
        /// Index of the deal in the scenario.
        index: usize,
        /// The order's size.
        order: u64,
        /// The fill.
        fill: u64,
    },
    /// An order size on a deal that is not a Trade.
    #[error("deal {index} names a buy order but is not a trade")]
    OrderWithoutTrade {
        /// Index of the deal in the scenario.
        index: usize,
    },
    /// A scenario revokes the agent role of a merchant that has no agent.
    #[error("deal {index} revokes the agent role, but its merchant has no agent")]
    NoAgentToRevoke {
        /// Index of the deal in the scenario.
        index: usize,
    },
    /// A buy order's remaining amount differs from what the scenario states.
    #[error("deal {index}: order remaining {actual:?}, scenario states {expected}")]
    OrderRemaining {
        /// Index of the deal in the scenario.
        index: usize,
        /// What the scenario states.
        expected: u64,
        /// What the ledger has.
        actual: Option<u64>,
    },
    /// A scenario's `co_sign` does not match whether the owner alone is refused.
    #[error("step {step}: co_sign says required = {stated_required}, the allowance says otherwise")]
    CoSignMismatch {
        /// Index of the deal, or deals + index of the withdrawal.
        step: usize,
        /// What the scenario states.
        stated_required: bool,
    },
    /// The sum of balances no longer equals the liabilities, or the token balance is
    /// below them (a bug).
    #[error("conservation broken: liabilities {liabilities}, balances {balances}")]
    Conservation {
        /// Deposits − withdrawals + sweeps.
        liabilities: u128,
        /// Sum of available and locked balances.
        balances: u128,
    },
}
