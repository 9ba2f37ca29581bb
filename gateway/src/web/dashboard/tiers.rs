//! Fee-tier progress: where a volume stands in the escrow's tier table (the last
//! `FeeScheduleSet` as the indexer keeps it in `escrow_settings.fee_schedule`), the
//! next tier and the volume still needed to reach it, and a small server-rendered
//! SVG bar of the way between the two. Exact integers throughout (docs/rules.md
//! "Fee rates": the tier of a volume V is the one with the highest threshold <= V).

use stablerail_indexer::events::{EscrowEvent, TierFields, escrow_from_json};

use super::html::{self, escape};

/// Where `volume` stands in a tier table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TierProgress {
    /// The tier that applies now (highest threshold <= volume).
    pub(super) current: TierFields,
    /// The next tier, if any, and the volume still needed to reach it.
    pub(super) next: Option<(TierFields, u64)>,
    /// The volume (smallest units).
    pub(super) volume: u64,
}

/// The agent share tiers of the stored `FeeScheduleSet` JSON, or `None` when it is
/// not one (no schedule indexed yet, or a row the indexer did not write).
pub(super) fn agent_tiers(fee_schedule_json: &str) -> Option<Vec<TierFields>> {
    match escrow_from_json(fee_schedule_json).ok()? {
        EscrowEvent::FeeScheduleSet { agent_tiers, .. } => Some(agent_tiers),
        _ => None,
    }
}

/// The progress of `volume` in `tiers` (thresholds strictly increasing from 0, as
/// the escrow enforces); `None` for an empty table.
pub(super) fn progress(tiers: &[TierFields], volume: u64) -> Option<TierProgress> {
    let i = tiers.iter().rposition(|t| t.threshold <= volume)?;
    let next = tiers
        .get(i + 1)
        .map(|n| (n.clone(), n.threshold.saturating_sub(volume)));
    Some(TierProgress {
        current: tiers[i].clone(),
        next,
        volume,
    })
}

/// Basis points as a percentage with two decimals (`2000` → `20.00 %`).
pub(super) fn percent(bps: u16) -> String {
    format!("{}.{:02} %", bps / 100, bps % 100)
}

/// The progress as text and an SVG bar (what share of the way from the current
/// tier's threshold to the next one the volume has covered). `what` names the rate
/// (e.g. "share of the fee").
pub(super) fn render(id: &str, p: &TierProgress, what: &str) -> String {
    const WIDTH: u64 = 300;
    let (filled, next_text, label) = match &p.next {
        Some((next, needed)) => {
            let span = next.threshold.saturating_sub(p.current.threshold).max(1);
            let done = p.volume.saturating_sub(p.current.threshold);
            // u128: `done * WIDTH` cannot overflow; `done < span` so the bar stays inside.
            let filled = u128::from(done) * u128::from(WIDTH) / u128::from(span);
            (
                u64::try_from(filled).unwrap_or(WIDTH).min(WIDTH),
                format!(
                    r#"<dt>Next tier</dt><dd id="{id}-next">{rate} {what} from {thr} USDT</dd><dt>Volume still needed</dt><dd id="{id}-needed">{need} USDT</dd>"#,
                    rate = percent(next.bps),
                    thr = html::usdt(u128::from(next.threshold)),
                    need = html::usdt(u128::from(*needed)),
                ),
                format!(
                    "{} of {} USDT from this tier to the next",
                    html::usdt(u128::from(done)),
                    html::usdt(u128::from(span))
                ),
            )
        }
        None => (
            WIDTH,
            format!(r#"<dt>Next tier</dt><dd id="{id}-next">none: this is the highest tier</dd>"#),
            "the highest tier".to_owned(),
        ),
    };
    let label = escape(&label);
    format!(
        r#"<dl class="facts" id="{id}"><dt>Current tier</dt><dd id="{id}-current">{rate} {what} (from {thr} USDT)</dd><dt>Volume</dt><dd id="{id}-volume">{vol} USDT</dd>{next_text}</dl>
<svg class="tier-bar" role="img" aria-label="Tier progress: {label}" viewBox="0 0 {WIDTH} 16" width="100%" height="16" preserveAspectRatio="none"><rect x="0" y="0" width="{WIDTH}" height="16" class="track"/><rect x="0" y="0" width="{filled}" height="16" class="bar"><title>{label}</title></rect></svg>"#,
        rate = percent(p.current.bps),
        thr = html::usdt(u128::from(p.current.threshold)),
        vol = html::usdt(u128::from(p.volume)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(threshold: u64, bps: u16) -> TierFields {
        TierFields { threshold, bps }
    }

    #[test]
    fn tiers_by_highest_threshold_at_or_below() {
        let tiers = [t(0, 2000), t(50_000_000_000, 3000)];
        let p = progress(&tiers, 4_200_000_000).unwrap();
        assert_eq!(p.current, t(0, 2000));
        assert_eq!(p.next, Some((t(50_000_000_000, 3000), 45_800_000_000)));
        // Exactly at a threshold: that tier, the next one ahead.
        let p = progress(&tiers, 50_000_000_000).unwrap();
        assert_eq!(p.current, t(50_000_000_000, 3000));
        assert_eq!(p.next, None);
        assert_eq!(progress(&[], 5), None);
        let p = progress(&[t(0, 100), t(10, 80), t(20, 60)], 19).unwrap();
        assert_eq!(p.current, t(10, 80));
        assert_eq!(p.next, Some((t(20, 60), 1)));
    }

    #[test]
    fn bar_width_is_the_share_covered() {
        let tiers = [t(0, 2000), t(400, 3000)];
        let html = render("x", &progress(&tiers, 100).unwrap(), "of the fee");
        assert!(
            html.contains(r#"width="75" height="16" class="bar""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<dd id="x-needed">0.000300 USDT</dd>"#),
            "{html}"
        );
        assert!(html.contains("20.00 % of the fee"), "{html}");
        let top = render("x", &progress(&tiers, 500).unwrap(), "of the fee");
        assert!(
            top.contains(r#"width="300" height="16" class="bar""#),
            "{top}"
        );
        assert!(top.contains("highest tier"), "{top}");
        assert_eq!(percent(2050), "20.50 %");
    }

    #[test]
    fn reads_the_indexed_schedule() {
        let json = r#"{"event":"FeeScheduleSet","merchant_tiers":[{"threshold":0,"bps":100}],"agent_tiers":[{"threshold":0,"bps":2000},{"threshold":7,"bps":3000}],"trader_reward_bps":1000}"#;
        assert_eq!(agent_tiers(json), Some(vec![t(0, 2000), t(7, 3000)]));
        assert_eq!(agent_tiers("{}"), None);
    }
}
