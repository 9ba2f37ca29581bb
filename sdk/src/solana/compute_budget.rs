//! Compute budget: the compute-unit price from recent prioritization fees, and
//! the Compute Budget program's instructions.
//!
//! `getRecentPrioritizationFees` returns one sample per recent slot (up to 150),
//! most of them 0 on a quiet cluster. The levels are percentiles of the non-zero
//! samples (nearest rank): low p25, normal p50, high p75; the result is held
//! between a floor and a cap, and an explicit price overrides everything.

use solana_compute_budget_interface::ComputeBudgetInstruction;
use solana_instruction::Instruction;

use super::error::SolanaError;

/// One sample of `getRecentPrioritizationFees`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrioritizationFee {
    /// The slot.
    pub slot: u64,
    /// The lowest fee a transaction landing in it paid, micro-lamports per CU.
    pub prioritization_fee: u64,
}

/// How urgent a transaction is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PriorityLevel {
    /// p25 of the non-zero samples.
    Low,
    /// p50 of the non-zero samples.
    #[default]
    Normal,
    /// p75 of the non-zero samples.
    High,
}

impl PriorityLevel {
    /// The percentile of the level.
    pub fn percentile(self) -> u32 {
        match self {
            Self::Low => 25,
            Self::Normal => 50,
            Self::High => 75,
        }
    }
}

/// Default floor: 1 micro-lamport per CU, so a transaction always carries a
/// priority fee (some RPC providers drop those without).
pub const DEFAULT_FLOOR_MICRO_LAMPORTS: u64 = 1;
/// Default cap: 1,000,000 micro-lamports per CU (0.2 SOL at 200k CU).
pub const DEFAULT_CAP_MICRO_LAMPORTS: u64 = 1_000_000;
/// Default compute-unit limit of a transaction carrying one escrow or multisig
/// instruction (the runtime's own default is 200k per instruction).
pub const DEFAULT_COMPUTE_UNIT_LIMIT: u32 = 200_000;

/// How the compute-unit price is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PriorityFeePolicy {
    level: PriorityLevel,
    floor: u64,
    cap: u64,
    price: Option<u64>,
}

impl Default for PriorityFeePolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl PriorityFeePolicy {
    /// Normal level, default floor and cap, no override.
    pub fn new() -> Self {
        Self {
            level: PriorityLevel::Normal,
            floor: DEFAULT_FLOOR_MICRO_LAMPORTS,
            cap: DEFAULT_CAP_MICRO_LAMPORTS,
            price: None,
        }
    }

    /// Chooses the level.
    pub fn with_level(mut self, level: PriorityLevel) -> Self {
        self.level = level;
        self
    }

    /// Sets floor and cap, in micro-lamports per CU.
    pub fn with_bounds(mut self, floor: u64, cap: u64) -> Result<Self, SolanaError> {
        if floor > cap {
            return Err(SolanaError::PriorityFeeBounds { floor, cap });
        }
        self.floor = floor;
        self.cap = cap;
        Ok(self)
    }

    /// Uses exactly `micro_lamports` per CU, ignoring samples, floor and cap.
    pub fn with_price(mut self, micro_lamports: u64) -> Self {
        self.price = Some(micro_lamports);
        self
    }

    /// Whether the price is fixed (no samples needed).
    pub fn is_fixed(&self) -> bool {
        self.price.is_some()
    }

    /// The compute-unit price, micro-lamports per CU, from `samples`.
    pub fn price(&self, samples: &[PrioritizationFee]) -> u64 {
        if let Some(price) = self.price {
            return price;
        }
        let mut fees: Vec<u64> = samples
            .iter()
            .map(|s| s.prioritization_fee)
            .filter(|&f| f > 0)
            .collect();
        fees.sort_unstable();
        percentile(&fees, self.level.percentile()).clamp(self.floor, self.cap)
    }
}

/// Nearest-rank percentile of sorted `values` (0 when empty).
fn percentile(sorted: &[u64], p: u32) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    // rank = ceil(p/100 * n), 1-based; at least 1.
    let n = sorted.len();
    let rank = (usize::try_from(p).unwrap_or(100) * n).div_ceil(100).max(1);
    sorted[rank.min(n) - 1]
}

/// `SetComputeUnitLimit(units)`.
pub fn compute_unit_limit(units: u32) -> Instruction {
    ComputeBudgetInstruction::set_compute_unit_limit(units)
}

/// `SetComputeUnitPrice(micro_lamports)` per CU.
pub fn compute_unit_price(micro_lamports: u64) -> Instruction {
    ComputeBudgetInstruction::set_compute_unit_price(micro_lamports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples(fees: &[u64]) -> Vec<PrioritizationFee> {
        fees.iter()
            .enumerate()
            .map(|(i, &f)| PrioritizationFee {
                slot: i as u64,
                prioritization_fee: f,
            })
            .collect()
    }

    #[test]
    fn levels_are_percentiles_of_non_zero_samples() {
        // Zeros are ignored: 8 non-zero samples 10..=80.
        let s = samples(&[0, 0, 10, 20, 30, 40, 0, 50, 60, 70, 80]);
        let p = PriorityFeePolicy::new();
        assert_eq!(p.with_level(PriorityLevel::Low).price(&s), 20);
        assert_eq!(p.price(&s), 40);
        assert_eq!(p.with_level(PriorityLevel::High).price(&s), 60);
    }

    #[test]
    fn floor_cap_and_override() {
        let p = PriorityFeePolicy::new().with_bounds(100, 500).unwrap();
        assert_eq!(p.price(&samples(&[0, 0, 0])), 100);
        assert_eq!(p.price(&samples(&[])), 100);
        assert_eq!(p.price(&samples(&[9_000, 10_000])), 500);
        assert_eq!(p.with_price(7).price(&samples(&[9_000])), 7);
        assert_eq!(
            PriorityFeePolicy::new().with_bounds(5, 4),
            Err(SolanaError::PriorityFeeBounds { floor: 5, cap: 4 })
        );
        assert_eq!(percentile(&[42], 25), 42);
    }

    #[test]
    fn instructions_encode_the_documented_layout() {
        let limit = compute_unit_limit(300_000);
        assert_eq!(limit.data[0], 2);
        assert_eq!(limit.data[1..], 300_000u32.to_le_bytes());
        let price = compute_unit_price(5);
        assert_eq!(price.data[0], 3);
        assert_eq!(price.data[1..], 5u64.to_le_bytes());
        assert!(price.accounts.is_empty());
    }
}
