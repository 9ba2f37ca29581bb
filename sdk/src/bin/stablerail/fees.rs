//! `stablerail fees`: quotes with the reference fee math.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde::Serialize;
use stablerail_sdk::{Amount, DealKind, FeeSchedule, ScenarioFees, Split, Tier};

use crate::output::Output;

/// `stablerail fees` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum FeesCommand {
    /// Split a settlement into buyer net, fee, agent cut, trader reward and platform share.
    Quote(QuoteArgs),
}

/// Deal kinds on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
enum Kind {
    Trade,
    Collection,
    Payout,
}

/// Arguments of `stablerail fees quote`.
#[derive(Debug, Args)]
pub(crate) struct QuoteArgs {
    /// The deal kind.
    #[arg(long, value_enum)]
    kind: Kind,
    /// The gross amount settled (USDT, decimal).
    #[arg(long)]
    amount: String,
    /// The merchant's settled volume before this deal (USDT).
    #[arg(long, default_value = "0")]
    merchant_volume: String,
    /// The agent's referred volume before this deal (USDT); omit if the merchant has no agent.
    #[arg(long)]
    agent_volume: Option<String>,
    /// A fee schedule JSON file shaped like a `fees` object of tests/vectors/settlement.json.
    #[arg(long, conflicts_with_all = ["tiers", "agent_tiers", "reward_bps"])]
    schedule: Option<PathBuf>,
    /// Merchant tiers as `threshold:bps` pairs, thresholds in USDT: `0:100,1000:80`.
    #[arg(long, required_unless_present = "schedule")]
    tiers: Option<String>,
    /// Agent share tiers as `threshold:bps` pairs, thresholds in USDT.
    #[arg(long, default_value = "0:0")]
    agent_tiers: String,
    /// The trader's share of the fee on Trade deals, in bps.
    #[arg(long, default_value_t = 0)]
    reward_bps: u32,
}

/// Parses `threshold:bps` pairs (thresholds in USDT), e.g. `0:100,1000:80`.
pub(crate) fn parse_tiers(flag: &str, spec: &str) -> anyhow::Result<Vec<Tier>> {
    spec.split(',')
        .map(|pair| {
            let Some((threshold, bps)) = pair.split_once(':') else {
                bail!("{flag}: {pair:?} is not threshold:bps");
            };
            let threshold: Amount = threshold
                .trim()
                .parse()
                .with_context(|| format!("{flag}: threshold of {pair:?}"))?;
            let bps: u32 = bps
                .trim()
                .parse()
                .with_context(|| format!("{flag}: bps of {pair:?} is not an integer"))?;
            Ok(Tier::new(threshold.units(), bps))
        })
        .collect()
}

fn parse_amount(flag: &str, value: &str) -> anyhow::Result<Amount> {
    value.parse::<Amount>().with_context(|| flag.to_owned())
}

#[derive(Serialize)]
struct QuoteView {
    kind: DealKind,
    #[serde(flatten)]
    split: Split,
}

/// Runs a `stablerail fees` subcommand.
pub(crate) fn run(out: &Output, cmd: FeesCommand) -> anyhow::Result<()> {
    let FeesCommand::Quote(args) = cmd;
    let gross = parse_amount("--amount", &args.amount)?;
    let v = parse_amount("--merchant-volume", &args.merchant_volume)?;
    let r = args
        .agent_volume
        .as_deref()
        .map(|s| parse_amount("--agent-volume", s))
        .transpose()?;
    let schedule = match (&args.schedule, &args.tiers) {
        (Some(path), _) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?;
            let f: ScenarioFees = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", path.display()))?;
            FeeSchedule::new(f.merchant_tiers, f.agent_tiers, f.trader_reward_bps)?
        }
        (None, Some(tiers)) => FeeSchedule::new(
            parse_tiers("--tiers", tiers)?,
            parse_tiers("--agent-tiers", &args.agent_tiers)?,
            args.reward_bps,
        )?,
        (None, None) => bail!("give --tiers or --schedule"),
    };
    let kind = match args.kind {
        Kind::Trade => DealKind::Trade,
        Kind::Collection => DealKind::Collection,
        Kind::Payout => DealKind::Payout,
    };
    let split = schedule.settle(kind, gross, v, r);
    out.emit(&QuoteView { kind, split }, |q| {
        let s = &q.split;
        format!(
            "gross      {}\nfee        {} ({} bps)\nbuyer net  {}\nagent cut  {}\nreward     {}\nplatform   {}",
            s.gross, s.fee, s.fee_bps, s.buyer_net, s.agent_cut, s.reward, s.platform
        )
    })
}
