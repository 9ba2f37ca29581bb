//! The fee schedule and the settlement fee split of tests/vectors/README.md.

use anchor_lang::prelude::*;

use crate::errors::EscrowError;

/// Maximum number of entries in a tier table.
pub const MAX_TIERS: usize = 8;
/// 100 % in basis points.
pub const BPS_DENOMINATOR: u16 = 10_000;
/// Highest merchant fee a tier may charge: 10 % (docs/rules.md, fee rates).
pub const MAX_FEE_BPS: u16 = 1_000;

/// One tier: applies from `threshold` (volume in USDT units) upwards.
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct FeeTier {
    /// Volume (smallest USDT units) from which this tier applies.
    pub threshold: u64,
    /// Merchant fee (merchant table) or agent share of the fee (agent table), in bps.
    pub bps: u16,
}

/// Fee schedule as passed in instruction arguments.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default, PartialEq, Eq)]
pub struct FeeScheduleArgs {
    /// Merchant fee tiers by the merchant's settled volume.
    pub merchant_tiers: Vec<FeeTier>,
    /// Agent share tiers (share of the fee) by the agent's referred volume.
    pub agent_tiers: Vec<FeeTier>,
    /// Share of the fee paid to the trader on Trade deals, in bps.
    pub trader_reward_bps: u16,
}

/// Fee schedule as stored in the config (fixed-size tables).
#[derive(
    AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq, InitSpace,
)]
pub struct FeeSchedule {
    /// Merchant fee tiers; the first `merchant_tier_count` entries are used.
    pub merchant_tiers: [FeeTier; MAX_TIERS],
    /// Number of used merchant tiers.
    pub merchant_tier_count: u8,
    /// Agent share tiers; the first `agent_tier_count` entries are used.
    pub agent_tiers: [FeeTier; MAX_TIERS],
    /// Number of used agent tiers.
    pub agent_tier_count: u8,
    /// Share of the fee paid to the trader on Trade deals, in bps.
    pub trader_reward_bps: u16,
}

/// The parts of a settled gross amount.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FeeSplit {
    /// Gross amount settled to the buyer side.
    pub gross: u64,
    /// Merchant fee bps applied.
    pub fee_bps: u16,
    /// Total fee: floor(gross * fee_bps / 10000).
    pub fee: u64,
    /// Agent's cut of the fee (0 without an agent).
    pub agent_cut: u64,
    /// Trader reward (0 unless a Trade deal).
    pub reward: u64,
    /// What the treasury receives: fee - agent_cut - reward.
    pub platform: u64,
    /// What the buyer receives: gross - fee.
    pub buyer_net: u64,
}

fn validate_table(tiers: &[FeeTier], max_bps: u16) -> Result<()> {
    require!(
        !tiers.is_empty() && tiers.len() <= MAX_TIERS,
        EscrowError::TierCount
    );
    require!(tiers[0].threshold == 0, EscrowError::FirstTierThreshold);
    for pair in tiers.windows(2) {
        require!(
            pair[0].threshold < pair[1].threshold,
            EscrowError::TierOrder
        );
    }
    for tier in tiers {
        require!(tier.bps <= BPS_DENOMINATOR, EscrowError::BpsTooHigh);
        require!(tier.bps <= max_bps, EscrowError::FeeTooHigh);
    }
    Ok(())
}

/// The fee split of `gross` with rates fixed when the deal opened
/// (docs/rules.md, fee rates fixed at open): `fee_bps` of the merchant,
/// `agent_share_bps` of the fee for the agent (`None` without agent) and
/// `reward_bps` of the fee for the trader (0 unless a Trade).
pub fn split_with_rates(
    gross: u64,
    fee_bps: u16,
    agent_share_bps: Option<u16>,
    reward_bps: u16,
) -> Result<FeeSplit> {
    let fee = apply_bps(gross, fee_bps)?;
    let agent_cut = match agent_share_bps {
        Some(bps) => apply_bps(fee, bps)?,
        None => 0,
    };
    let reward = apply_bps(fee, reward_bps)?;
    let platform = fee
        .checked_sub(agent_cut)
        .and_then(|rest| rest.checked_sub(reward))
        .ok_or(EscrowError::Overflow)?;
    let buyer_net = gross.checked_sub(fee).ok_or(EscrowError::Overflow)?;
    Ok(FeeSplit {
        gross,
        fee_bps,
        fee,
        agent_cut,
        reward,
        platform,
        buyer_net,
    })
}

/// floor(amount * bps / 10000) without overflow.
pub fn apply_bps(amount: u64, bps: u16) -> Result<u64> {
    let product = u128::from(amount)
        .checked_mul(u128::from(bps))
        .ok_or(EscrowError::Overflow)?;
    u64::try_from(product / u128::from(BPS_DENOMINATOR)).map_err(|_| error!(EscrowError::Overflow))
}

impl FeeSchedule {
    /// Validates `args` (1..=8 tiers, first threshold 0, strictly increasing,
    /// merchant fees <= [`MAX_FEE_BPS`], shares <= 10000, every agent share +
    /// trader reward <= 10000) and builds the stored schedule.
    pub fn from_args(args: &FeeScheduleArgs) -> Result<Self> {
        validate_table(&args.merchant_tiers, MAX_FEE_BPS)?;
        validate_table(&args.agent_tiers, BPS_DENOMINATOR)?;
        require!(
            args.trader_reward_bps <= BPS_DENOMINATOR,
            EscrowError::BpsTooHigh
        );
        for tier in &args.agent_tiers {
            let total = u32::from(tier.bps) + u32::from(args.trader_reward_bps);
            require!(
                total <= u32::from(BPS_DENOMINATOR),
                EscrowError::ShareAndRewardTooHigh
            );
        }
        let mut schedule = FeeSchedule {
            trader_reward_bps: args.trader_reward_bps,
            ..FeeSchedule::default()
        };
        schedule.merchant_tiers[..args.merchant_tiers.len()].copy_from_slice(&args.merchant_tiers);
        schedule.agent_tiers[..args.agent_tiers.len()].copy_from_slice(&args.agent_tiers);
        // Lengths are at most MAX_TIERS (checked above), so they fit a u8.
        schedule.merchant_tier_count = args.merchant_tiers.len() as u8;
        schedule.agent_tier_count = args.agent_tiers.len() as u8;
        Ok(schedule)
    }

    fn tier_bps(tiers: &[FeeTier], count: u8, volume: u64) -> u16 {
        tiers
            .iter()
            .take(usize::from(count))
            .rev()
            .find(|tier| tier.threshold <= volume)
            .map_or(0, |tier| tier.bps)
    }

    /// Fee bps of the highest merchant tier whose threshold <= `merchant_volume`.
    pub fn merchant_fee_bps(&self, merchant_volume: u64) -> u16 {
        Self::tier_bps(
            &self.merchant_tiers,
            self.merchant_tier_count,
            merchant_volume,
        )
    }

    /// Share bps of the highest agent tier whose threshold <= `agent_volume`.
    pub fn agent_share_bps(&self, agent_volume: u64) -> u16 {
        Self::tier_bps(&self.agent_tiers, self.agent_tier_count, agent_volume)
    }

    /// The exact fee split of tests/vectors/README.md for a gross amount
    /// settled for a merchant with settled volume `merchant_volume`, whose
    /// agent (if any) has referred volume `agent_volume`.
    pub fn split(
        &self,
        gross: u64,
        merchant_volume: u64,
        agent_volume: Option<u64>,
        is_trade: bool,
    ) -> Result<FeeSplit> {
        let fee_bps = self.merchant_fee_bps(merchant_volume);
        let agent_share = agent_volume.map(|volume| self.agent_share_bps(volume));
        let reward_bps = if is_trade { self.trader_reward_bps } else { 0 };
        split_with_rates(gross, fee_bps, agent_share, reward_bps)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // Tests fail loudly on purpose.
mod tests {
    use super::*;

    fn schedule(merchant: &[(u64, u16)], agent: &[(u64, u16)], reward: u16) -> Result<FeeSchedule> {
        let tiers = |t: &[(u64, u16)]| {
            t.iter()
                .map(|&(threshold, bps)| FeeTier { threshold, bps })
                .collect()
        };
        FeeSchedule::from_args(&FeeScheduleArgs {
            merchant_tiers: tiers(merchant),
            agent_tiers: tiers(agent),
            trader_reward_bps: reward,
        })
    }

    #[test]
    fn rounding_matches_vectors() {
        let s = schedule(&[(0, 37)], &[(0, 2500)], 1000).unwrap();
        let split = s.split(1_234_567, 0, Some(0), true).unwrap();
        assert_eq!(split.fee, 4567);
        assert_eq!(split.agent_cut, 1141);
        assert_eq!(split.reward, 456);
        assert_eq!(split.platform, 2970);
        assert_eq!(split.buyer_net, 1_230_000);
        let split = s.split(1_234_567, 0, Some(0), false).unwrap();
        assert_eq!(split.platform, 3426);
        assert_eq!(split.reward, 0);
    }

    #[test]
    fn tier_lookup_uses_highest_reached_threshold() {
        let s = schedule(&[(0, 100), (500, 60), (5000, 40)], &[(0, 1)], 0).unwrap();
        assert_eq!(s.merchant_fee_bps(0), 100);
        assert_eq!(s.merchant_fee_bps(499), 100);
        assert_eq!(s.merchant_fee_bps(500), 60);
        assert_eq!(s.merchant_fee_bps(u64::MAX), 40);
    }

    #[test]
    fn invalid_tables_are_rejected() {
        let code = |r: Result<FeeSchedule>| match r {
            Err(Error::AnchorError(e)) => e.error_code_number,
            other => panic!("expected an error, got {other:?}"),
        };
        let base = 6000;
        assert_eq!(
            code(schedule(&[], &[(0, 1)], 0)),
            base + EscrowError::TierCount as u32
        );
        let nine: Vec<(u64, u16)> = (0..9).map(|i| (i, 1)).collect();
        assert_eq!(
            code(schedule(&nine, &[(0, 1)], 0)),
            base + EscrowError::TierCount as u32
        );
        assert_eq!(
            code(schedule(&[(1, 1)], &[(0, 1)], 0)),
            base + EscrowError::FirstTierThreshold as u32
        );
        assert_eq!(
            code(schedule(&[(0, 1), (0, 2)], &[(0, 1)], 0)),
            base + EscrowError::TierOrder as u32
        );
        assert_eq!(
            code(schedule(&[(0, 10_001)], &[(0, 1)], 0)),
            base + EscrowError::BpsTooHigh as u32
        );
        assert_eq!(
            code(schedule(&[(0, MAX_FEE_BPS + 1)], &[(0, 1)], 0)),
            base + EscrowError::FeeTooHigh as u32
        );
        assert_eq!(
            code(schedule(&[(0, 1)], &[(0, 10_001)], 0)),
            base + EscrowError::BpsTooHigh as u32
        );
        assert_eq!(
            code(schedule(&[(0, 1)], &[(0, 9_001)], 1000)),
            base + EscrowError::ShareAndRewardTooHigh as u32
        );
        assert!(schedule(&[(0, MAX_FEE_BPS)], &[(0, 9_000)], 1000).is_ok());
    }

    /// `tests/vectors/fee_schedules.json`: the same error, by name, as the contracts
    /// and the SDK (docs/rules.md, the order of the fee schedule checks).
    #[test]
    fn fee_schedule_vectors() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../../tests/vectors/fee_schedules.json"))
                .unwrap();
        let tiers = |v: &serde_json::Value| -> Vec<(u64, u16)> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    (
                        t["threshold"].as_u64().unwrap(),
                        u16::try_from(t["bps"].as_u64().unwrap()).unwrap(),
                    )
                })
                .collect()
        };
        let cases = doc["cases"].as_array().unwrap();
        assert!(cases.len() > 10);
        for c in cases {
            let got = schedule(
                &tiers(&c["merchant_tiers"]),
                &tiers(&c["agent_tiers"]),
                u16::try_from(c["trader_reward_bps"].as_u64().unwrap()).unwrap(),
            );
            let name = match got {
                Ok(_) => None,
                Err(Error::AnchorError(e)) => Some(e.error_name),
                Err(other) => panic!("{}: {other:?}", c["name"]),
            };
            assert_eq!(name.as_deref(), c["error"].as_str(), "{}", c["name"]);
        }
    }

    #[test]
    fn extreme_amounts_do_not_overflow() {
        let s = schedule(&[(0, MAX_FEE_BPS)], &[(0, 5_000)], 5_000).unwrap();
        let split = s.split(u64::MAX, u64::MAX, Some(u64::MAX), true).unwrap();
        assert_eq!(split.fee, u64::MAX / 10);
        assert_eq!(split.buyer_net, u64::MAX - u64::MAX / 10);
        assert_eq!(split.agent_cut + split.reward + split.platform, split.fee);
    }
}
