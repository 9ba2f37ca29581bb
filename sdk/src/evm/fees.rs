//! EIP-1559 fees with priority levels, derived from `eth_feeHistory`.
//!
//! The tip for a level is the median, over recent blocks, of the tip paid at that
//! level's percentile inside each block (low = 10th, normal = 50th, high = 90th).
//! The fee cap leaves room for the base fee to double, the usual rule, so a
//! transaction stays includable for several full blocks.

use alloy::{eips::BlockNumberOrTag, providers::Provider, rpc::types::FeeHistory};

use super::error::EvmError;

/// Blocks of history the estimate looks at.
const HISTORY_BLOCKS: u64 = 20;
/// Reward percentiles requested, one per [`FeeLevel`] that reads history.
const PERCENTILES: [f64; 3] = [10.0, 50.0, 90.0];

/// How eagerly a transaction should be included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeeLevel {
    /// 10th-percentile tip: cheap, may wait a few blocks.
    Low,
    /// Median tip.
    Normal,
    /// 90th-percentile tip: for time-critical settlement.
    High,
    /// A fixed tip in wei per gas, chosen by the caller.
    Explicit(u128),
}

/// The two EIP-1559 fee fields of a transaction, in wei per gas.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Eip1559Fees {
    /// `maxFeePerGas`: the most the sender pays per gas, base fee included.
    pub max_fee_per_gas: u128,
    /// `maxPriorityFeePerGas`: the tip to the block builder.
    pub max_priority_fee_per_gas: u128,
}

impl FeeLevel {
    /// Index into [`PERCENTILES`] for the levels that read history.
    fn percentile_index(self) -> Option<usize> {
        match self {
            FeeLevel::Low => Some(0),
            FeeLevel::Normal => Some(1),
            FeeLevel::High => Some(2),
            FeeLevel::Explicit(_) => None,
        }
    }
}

/// Computes the fees for `level` from a fee history fetched with the 10th, 50th and
/// 90th reward percentiles (what [`estimate_fees`] asks for).
///
/// Pure, so it is tested without a node.
pub fn fees_from_history(history: &FeeHistory, level: FeeLevel) -> Result<Eip1559Fees, EvmError> {
    // The last base fee is the next block's, the one this transaction will pay.
    let next_base_fee = *history
        .base_fee_per_gas
        .last()
        .ok_or(EvmError::FeeHistoryEmpty)?;
    let tip = match level.percentile_index() {
        None => match level {
            FeeLevel::Explicit(tip) => tip,
            _ => 0,
        },
        Some(i) => {
            let mut tips: Vec<u128> = history
                .reward
                .as_deref()
                .unwrap_or_default()
                .iter()
                .filter_map(|block| block.get(i).copied())
                .collect();
            if tips.is_empty() {
                // No transactions in the window (an idle chain): nothing to outbid.
                0
            } else {
                tips.sort_unstable();
                tips[tips.len() / 2]
            }
        }
    };
    let max_fee_per_gas = next_base_fee
        .checked_mul(2)
        .and_then(|f| f.checked_add(tip))
        .ok_or(EvmError::FeeOverflow)?;
    Ok(Eip1559Fees {
        max_fee_per_gas,
        max_priority_fee_per_gas: tip,
    })
}

/// Asks the node for recent fee history and returns the fees for `level`.
pub async fn estimate_fees<P: Provider>(
    provider: &P,
    level: FeeLevel,
) -> Result<Eip1559Fees, EvmError> {
    let history = provider
        .get_fee_history(HISTORY_BLOCKS, BlockNumberOrTag::Latest, &PERCENTILES)
        .await
        .map_err(|source| EvmError::Rpc {
            call: "eth_feeHistory",
            message: source.to_string(),
        })?;
    fees_from_history(&history, level)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(base: Vec<u128>, rewards: Vec<Vec<u128>>) -> FeeHistory {
        FeeHistory {
            base_fee_per_gas: base,
            reward: Some(rewards),
            ..Default::default()
        }
    }

    #[test]
    fn levels_take_the_median_of_their_percentile() {
        let h = history(
            vec![100, 110, 120, 130],
            vec![vec![1, 5, 9], vec![3, 6, 30], vec![2, 7, 10]],
        );
        let low = fees_from_history(&h, FeeLevel::Low).unwrap();
        let normal = fees_from_history(&h, FeeLevel::Normal).unwrap();
        let high = fees_from_history(&h, FeeLevel::High).unwrap();
        assert_eq!(low.max_priority_fee_per_gas, 2);
        assert_eq!(normal.max_priority_fee_per_gas, 6);
        assert_eq!(high.max_priority_fee_per_gas, 10);
        // Cap = 2 * next base fee (130) + tip.
        assert_eq!(high.max_fee_per_gas, 270);
        assert!(low.max_fee_per_gas <= normal.max_fee_per_gas);
    }

    #[test]
    fn explicit_tip_is_used_as_given() {
        let h = history(vec![50], vec![]);
        let fees = fees_from_history(&h, FeeLevel::Explicit(7)).unwrap();
        assert_eq!(
            fees,
            Eip1559Fees {
                max_fee_per_gas: 107,
                max_priority_fee_per_gas: 7
            }
        );
    }

    #[test]
    fn idle_chain_gives_zero_tip_and_empty_history_is_an_error() {
        let idle = history(vec![10, 9], vec![]);
        assert_eq!(
            fees_from_history(&idle, FeeLevel::High)
                .unwrap()
                .max_priority_fee_per_gas,
            0
        );
        let empty = history(vec![], vec![]);
        assert!(matches!(
            fees_from_history(&empty, FeeLevel::Normal),
            Err(EvmError::FeeHistoryEmpty)
        ));
    }

    #[test]
    fn overflowing_fees_are_an_error() {
        let h = history(vec![u128::MAX], vec![]);
        assert!(matches!(
            fees_from_history(&h, FeeLevel::Low),
            Err(EvmError::FeeOverflow)
        ));
    }
}
