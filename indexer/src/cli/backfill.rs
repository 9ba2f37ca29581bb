//! `backfill --chain --from --to` with a progress bar.

use std::sync::Arc;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use stablerail_indexer::{ChainIndexer, Config, metrics::Metrics};

/// Arguments of `backfill`.
#[derive(Debug, clap::Args)]
pub(super) struct Args {
    /// Chain section name.
    #[arg(long)]
    chain: String,
    /// First block (ignored when the chain's cursor is already past it; a gap is refused).
    #[arg(long)]
    from: u64,
    /// Last block (inclusive).
    #[arg(long)]
    to: u64,
    /// No progress bar (logs only).
    #[arg(long)]
    no_progress: bool,
}

pub(super) async fn run(config: Config, args: Args) -> anyhow::Result<()> {
    if args.to < args.from {
        anyhow::bail!("--to ({}) is below --from ({})", args.to, args.from);
    }
    let chain_cfg = config.chain(&args.chain)?;
    let store = super::open_store(&config).await?;
    let _lock = store.lock_chain(&args.chain).await?;
    let indexer = ChainIndexer::new(&args.chain, chain_cfg, store, Arc::new(Metrics::default()))?;
    let bar = if args.no_progress {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(args.to - args.from + 1)
    };
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} blocks ({per_sec}, eta {eta})",
        )
        .context("progress bar template")?,
    );
    let from = args.from;
    indexer
        .backfill(args.from, args.to, |at| {
            bar.set_position(at.saturating_sub(from) + 1);
        })
        .await?;
    bar.finish();
    println!("{}: indexed blocks {}..={}", args.chain, args.from, args.to);
    Ok(())
}
