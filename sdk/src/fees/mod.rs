//! The reference fee math of DESIGN §4: tier tables and the settlement split.

use serde::{Deserialize, Serialize};

use crate::amount::{Amount, BPS_DENOMINATOR};
use crate::vocabulary::DealKind;
pub(crate) mod error;

use self::error::{BpsAt, FeeScheduleError, TierTable};

/// Most tiers a table may hold.
pub const MAX_TIERS: usize = 8;

/// Highest merchant fee a tier may charge: 1000 bps (10 %). `docs/rules.md`, "Fee rates".
pub const MAX_FEE_BPS: u32 = 1_000;

/// One row of a tier table: from `threshold` of volume on, `bps` apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    /// Volume (smallest units) from which this tier applies.
    pub threshold: u64,
    /// Basis points: the merchant fee, or the agent's share of the fee.
    pub bps: u32,
}

impl Tier {
    /// A tier applying `bps` from `threshold` units of volume on.
    pub const fn new(threshold: u64, bps: u32) -> Self {
        Self { threshold, bps }
    }
}

/// A validated fee schedule: merchant fee tiers, agent share tiers and the trader reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeeSchedule {
    merchant_tiers: Vec<Tier>,
    agent_tiers: Vec<Tier>,
    trader_reward_bps: u32,
}

/// How a settled gross amount is divided. `buyer_net + fee == gross` and
/// `agent_cut + reward + platform == fee` always hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Split {
    /// The amount settled.
    pub gross: Amount,
    /// The merchant fee rate that applied.
    pub fee_bps: u32,
    /// What the buyer receives: `gross - fee`.
    pub buyer_net: Amount,
    /// The whole fee.
    pub fee: Amount,
    /// The merchant's agent's commission (0 without an agent).
    pub agent_cut: Amount,
    /// The trader's reward (Trade deals only), credited to the seller.
    pub reward: Amount,
    /// The rest of the fee, credited to the treasury.
    pub platform: Amount,
}

impl FeeSchedule {
    /// Validates and builds a schedule.
    ///
    /// Each table has 1..=8 tiers, thresholds strictly increasing from 0, bps <= 10000,
    /// merchant fees <= [`MAX_FEE_BPS`], the trader reward <= 10000 bps,
    /// and every agent share plus `trader_reward_bps` <= 10000. The checks run in the
    /// order the contracts and the program run them (docs/rules.md, fee schedule), so
    /// a bad schedule gets the same error name on every chain.
    pub fn new(
        merchant_tiers: Vec<Tier>,
        agent_tiers: Vec<Tier>,
        trader_reward_bps: u32,
    ) -> Result<Self, FeeScheduleError> {
        validate_table(TierTable::Merchant, &merchant_tiers, MAX_FEE_BPS)?;
        validate_table(TierTable::Agent, &agent_tiers, BPS_DENOMINATOR)?;
        if trader_reward_bps > BPS_DENOMINATOR {
            return Err(FeeScheduleError::BpsTooHigh {
                at: BpsAt::TraderReward,
                bps: trader_reward_bps,
            });
        }
        for (index, tier) in agent_tiers.iter().enumerate() {
            if tier.bps.saturating_add(trader_reward_bps) > BPS_DENOMINATOR {
                return Err(FeeScheduleError::ShareAndRewardTooHigh {
                    index,
                    share_bps: tier.bps,
                    reward_bps: trader_reward_bps,
                });
            }
        }
        Ok(Self {
            merchant_tiers,
            agent_tiers,
            trader_reward_bps,
        })
    }

    /// The merchant fee tiers.
    pub fn merchant_tiers(&self) -> &[Tier] {
        &self.merchant_tiers
    }

    /// The agent share tiers.
    pub fn agent_tiers(&self) -> &[Tier] {
        &self.agent_tiers
    }

    /// The trader's share of the fee on Trade deals, in bps.
    pub fn trader_reward_bps(&self) -> u32 {
        self.trader_reward_bps
    }

    /// The merchant fee for settled volume `volume`.
    pub fn merchant_fee_bps(&self, volume: Amount) -> u32 {
        tier_bps(&self.merchant_tiers, volume)
    }

    /// The agent's share of the fee for referred volume `volume`.
    pub fn agent_share_bps(&self, volume: Amount) -> u32 {
        tier_bps(&self.agent_tiers, volume)
    }

    /// Splits the settlement of `gross` for a merchant with settled volume
    /// `merchant_volume` and, if it has an agent, the agent's referred volume:
    /// the rates of [`FeeSchedule::rates`] applied at once.
    pub fn settle(
        &self,
        kind: DealKind,
        gross: Amount,
        merchant_volume: Amount,
        agent_volume: Option<Amount>,
    ) -> Split {
        self.rates(kind, merchant_volume, agent_volume).split(gross)
    }

    /// The rates a deal records when it opens (`docs/rules.md`, "Fee rates are fixed
    /// when a deal opens"): the merchant's tier for its volume, the agent's share for
    /// its referred volume (`None` when the merchant has no agent holding the agent
    /// role), and the trader reward for a Trade.
    pub fn rates(
        &self,
        kind: DealKind,
        merchant_volume: Amount,
        agent_volume: Option<Amount>,
    ) -> DealRates {
        DealRates {
            fee_bps: self.merchant_fee_bps(merchant_volume),
            agent_share_bps: agent_volume.map(|r| self.agent_share_bps(r)),
            reward_bps: match kind {
                DealKind::Trade => self.trader_reward_bps,
                DealKind::Collection | DealKind::Payout => 0,
            },
        }
    }
}

/// The fee rates a deal fixed when it opened; settlement uses only these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DealRates {
    /// The merchant's fee in bps (its tier at open).
    pub fee_bps: u32,
    /// The agent's share of the fee in bps; `None` when the deal has no agent.
    pub agent_share_bps: Option<u32>,
    /// The trader's share of the fee in bps (Trade only, else 0).
    pub reward_bps: u32,
}

impl DealRates {
    /// Splits a settlement of `gross` with these rates.
    ///
    /// Rates come from a validated [`FeeSchedule`] (fee <= 10000 bps, share + reward
    /// <= 10000 bps); out-of-range rates are clamped to 10000 bps so the split still
    /// sums to `gross`.
    pub fn split(&self, gross: Amount) -> Split {
        // mul by bps <= 10000 never exceeds the operand, so these cannot fail.
        let fee = mul_bps_le(gross, self.fee_bps);
        let agent_cut = self
            .agent_share_bps
            .map_or(Amount::ZERO, |share| mul_bps_le(fee, share));
        // floor(f*s/N) + floor(f*r/N) <= floor(f*(s+r)/N) <= f because s + r <= N
        // (checked in `FeeSchedule::new`); the `min` only matters for hand-made rates.
        let reward = mul_bps_le(fee, self.reward_bps)
            .min(Amount::from_units(fee.units() - agent_cut.units()));
        let platform = Amount::from_units(fee.units() - agent_cut.units() - reward.units());
        Split {
            gross,
            fee_bps: self.fee_bps.min(BPS_DENOMINATOR),
            buyer_net: Amount::from_units(gross.units() - fee.units()),
            fee,
            agent_cut,
            reward,
            platform,
        }
    }
}

/// `floor(a * bps / 10000)` with `bps` clamped to 10000, so never above `a`.
fn mul_bps_le(a: Amount, bps: u32) -> Amount {
    let product = u128::from(a.units()) * u128::from(bps.min(BPS_DENOMINATOR));
    // product / 10000 <= a.units() <= u64::MAX, so the narrowing is lossless.
    Amount::from_units((product / u128::from(BPS_DENOMINATOR)) as u64)
}

fn tier_bps(tiers: &[Tier], volume: Amount) -> u32 {
    tiers
        .iter()
        .rev()
        .find(|t| t.threshold <= volume.units())
        .map_or(0, |t| t.bps)
}

/// 1..=8 tiers, first threshold 0, thresholds strictly increasing over the whole
/// table, then each tier's bps at most 10000 and at most `max_bps`.
fn validate_table(table: TierTable, tiers: &[Tier], max_bps: u32) -> Result<(), FeeScheduleError> {
    if tiers.is_empty() || tiers.len() > MAX_TIERS {
        return Err(FeeScheduleError::TierCount {
            table,
            count: tiers.len(),
        });
    }
    if tiers[0].threshold != 0 {
        return Err(FeeScheduleError::FirstTierThreshold {
            table,
            threshold: tiers[0].threshold,
        });
    }
    for (index, pair) in tiers.windows(2).enumerate() {
        if pair[1].threshold <= pair[0].threshold {
            return Err(FeeScheduleError::TierOrder {
                table,
                index: index + 1,
                threshold: pair[1].threshold,
                previous: pair[0].threshold,
            });
        }
    }
    for (index, tier) in tiers.iter().enumerate() {
        if tier.bps > BPS_DENOMINATOR {
            return Err(FeeScheduleError::BpsTooHigh {
                at: BpsAt::Tier { table, index },
                bps: tier.bps,
            });
        }
        if tier.bps > max_bps {
            return Err(FeeScheduleError::FeeTooHigh {
                index,
                bps: tier.bps,
            });
        }
    }
    Ok(())
}

/// A fee schedule as the settlement vectors write it (a scenario's `fees`), and as
/// `stablerail fees quote --schedule` reads it.
#[derive(Debug, Clone, Deserialize)]
pub struct ScenarioFees {
    /// Merchant fee tiers.
    pub merchant_tiers: Vec<Tier>,
    /// Agent share tiers.
    pub agent_tiers: Vec<Tier>,
    /// Trader reward on Trade deals.
    pub trader_reward_bps: u32,
}

impl ScenarioFees {
    /// The validated schedule.
    pub fn schedule(&self) -> Result<FeeSchedule, FeeScheduleError> {
        FeeSchedule::new(
            self.merchant_tiers.clone(),
            self.agent_tiers.clone(),
            self.trader_reward_bps,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn schedule() -> FeeSchedule {
        FeeSchedule::new(
            vec![
                Tier::new(0, 100),
                Tier::new(1_000_000_000, 80),
                Tier::new(10_000_000_000, 50),
            ],
            vec![Tier::new(0, 2000), Tier::new(5_000_000_000, 3000)],
            1000,
        )
        .unwrap()
    }

    #[test]
    fn settles_a_trade_with_agent() {
        let s = schedule().settle(
            DealKind::Trade,
            Amount::from_units(250_000_000),
            Amount::ZERO,
            Some(Amount::ZERO),
        );
        assert_eq!(s.fee_bps, 100);
        assert_eq!(s.fee.units(), 2_500_000);
        assert_eq!(s.buyer_net.units(), 247_500_000);
        assert_eq!(s.agent_cut.units(), 500_000);
        assert_eq!(s.reward.units(), 250_000);
        assert_eq!(s.platform.units(), 1_750_000);
    }

    #[test]
    fn tier_boundaries_use_highest_threshold_at_or_below() {
        let f = schedule();
        assert_eq!(f.merchant_fee_bps(Amount::from_units(999_999_999)), 100);
        assert_eq!(f.merchant_fee_bps(Amount::from_units(1_000_000_000)), 80);
        assert_eq!(f.merchant_fee_bps(Amount::MAX), 50);
        assert_eq!(f.agent_share_bps(Amount::from_units(5_000_000_000)), 3000);
    }

    #[test]
    fn collection_pays_no_reward_and_floors() {
        let s = schedule().settle(
            DealKind::Collection,
            Amount::from_units(199),
            Amount::ZERO,
            None,
        );
        assert_eq!(
            (s.fee.units(), s.reward.units(), s.agent_cut.units()),
            (1, 0, 0)
        );
        assert_eq!(s.platform.units(), 1);
        assert_eq!(s.buyer_net.units(), 198);
    }

    #[test]
    fn rejects_invalid_tables() {
        let ok = vec![Tier::new(0, 100)];
        assert!(matches!(
            FeeSchedule::new(vec![], ok.clone(), 0),
            Err(FeeScheduleError::TierCount {
                table: TierTable::Merchant,
                count: 0
            })
        ));
        let nine: Vec<_> = (0..9).map(|i| Tier::new(i, 1)).collect();
        assert!(matches!(
            FeeSchedule::new(ok.clone(), nine, 0),
            Err(FeeScheduleError::TierCount {
                table: TierTable::Agent,
                count: 9
            })
        ));
        assert!(matches!(
            FeeSchedule::new(vec![Tier::new(1, 100)], ok.clone(), 0),
            Err(FeeScheduleError::FirstTierThreshold { threshold: 1, .. })
        ));
        assert!(matches!(
            FeeSchedule::new(
                vec![Tier::new(0, 1), Tier::new(5, 1), Tier::new(5, 1)],
                ok.clone(),
                0
            ),
            Err(FeeScheduleError::TierOrder { index: 2, .. })
        ));
        assert!(matches!(
            FeeSchedule::new(vec![Tier::new(0, 10_001)], ok.clone(), 0),
            Err(FeeScheduleError::BpsTooHigh { bps: 10_001, .. })
        ));
        // Thresholds over the whole table before any tier's bps, as on chain.
        assert!(matches!(
            FeeSchedule::new(
                vec![Tier::new(0, 10_001), Tier::new(5, 1), Tier::new(5, 1)],
                ok.clone(),
                0
            ),
            Err(FeeScheduleError::TierOrder { index: 2, .. })
        ));
        assert!(matches!(
            FeeSchedule::new(ok.clone(), vec![Tier::new(0, 9000)], 1001),
            Err(FeeScheduleError::ShareAndRewardTooHigh {
                share_bps: 9000,
                reward_bps: 1001,
                ..
            })
        ));
        assert!(FeeSchedule::new(ok.clone(), vec![Tier::new(0, 9000)], 1000).is_ok());
        assert!(matches!(
            FeeSchedule::new(ok.clone(), vec![Tier::new(0, 0)], u32::MAX),
            Err(FeeScheduleError::BpsTooHigh {
                at: BpsAt::TraderReward,
                bps: u32::MAX,
            })
        ));
        assert!(FeeSchedule::new((0..8).map(|i| Tier::new(i, 1)).collect(), ok, 0).is_ok());
    }

    /// `tests/vectors/fee_schedules.json`: the same error, by name, as the contracts
    /// and the program (docs/rules.md, the order of the fee schedule checks).
    #[test]
    fn fee_schedule_vectors() {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("../../../tests/vectors/fee_schedules.json"))
                .unwrap();
        let tiers = |v: &serde_json::Value| -> Vec<Tier> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    Tier::new(
                        t["threshold"].as_u64().unwrap(),
                        u32::try_from(t["bps"].as_u64().unwrap()).unwrap(),
                    )
                })
                .collect()
        };
        let cases = doc["cases"].as_array().unwrap();
        assert!(cases.len() > 10);
        for c in cases {
            let got = FeeSchedule::new(
                tiers(&c["merchant_tiers"]),
                tiers(&c["agent_tiers"]),
                u32::try_from(c["trader_reward_bps"].as_u64().unwrap()).unwrap(),
            );
            let name = got.err().map(|e| e.name());
            assert_eq!(name, c["error"].as_str(), "{}", c["name"]);
        }
    }

    fn arb_schedule() -> impl Strategy<Value = FeeSchedule> {
        (
            prop::collection::vec((1u64..u64::MAX / 16, 0u32..=10_000), 0..8),
            prop::collection::vec((1u64..u64::MAX / 16, 0u32..=10_000), 0..8),
            0u32..=10_000,
        )
            .prop_map(|(m, a, reward)| {
                let table = |rows: Vec<(u64, u32)>, cap: u32| {
                    let mut threshold = 0u64;
                    let mut out = vec![Tier::new(0, rows.first().map_or(0, |r| r.1.min(cap)))];
                    for (step, bps) in rows.into_iter().skip(1) {
                        threshold = threshold.saturating_add(step);
                        if threshold == out.last().map_or(0, |t| t.threshold) {
                            break;
                        }
                        out.push(Tier::new(threshold, bps.min(cap)));
                    }
                    out
                };
                FeeSchedule::new(table(m, MAX_FEE_BPS), table(a, 10_000 - reward), reward).unwrap()
            })
    }

    fn arb_kind() -> impl Strategy<Value = DealKind> {
        prop_oneof![
            Just(DealKind::Trade),
            Just(DealKind::Collection),
            Just(DealKind::Payout)
        ]
    }

    proptest! {
        #[test]
        fn settle_conserves_units(
            f in arb_schedule(),
            kind in arb_kind(),
            gross in any::<u64>(),
            v in any::<u64>(),
            r in prop::option::of(any::<u64>()),
        ) {
            let s = f.settle(kind, Amount::from_units(gross), Amount::from_units(v), r.map(Amount::from_units));
            prop_assert_eq!(u128::from(s.buyer_net.units()) + u128::from(s.fee.units()), u128::from(gross));
            prop_assert_eq!(
                u128::from(s.agent_cut.units()) + u128::from(s.reward.units()) + u128::from(s.platform.units()),
                u128::from(s.fee.units())
            );
            prop_assert_eq!(s.fee.units(), ((u128::from(gross) * u128::from(s.fee_bps)) / 10_000) as u64);
            if r.is_none() { prop_assert!(s.agent_cut.is_zero()); }
            if kind != DealKind::Trade { prop_assert!(s.reward.is_zero()); }
        }
    }
}
