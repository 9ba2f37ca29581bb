//! The pipeline of one chain: fetch (source) → decode (`decode::LogDecoder`, called by the source) →
//! store (one transaction per block range, with the cursor), plus reorg handling.
//!
//! Each [`ChainIndexer::step`] reads the cursor from the store, so the store is the only
//! state: a process killed at any instant resumes exactly where the last committed
//! transaction left it.
//!
//! Reorgs: the first header of every range must name the cursor's hash as its parent,
//! and when caught up the cursor block's canonical hash is re-checked each poll. On a
//! mismatch the stored window is walked down until a block whose hash the node still
//! has: the common ancestor. Everything above it is deleted and the cursor rewound in
//! one transaction; the next steps re-ingest. A node that simply does not have a block
//! (lagging, syncing) is never taken for a reorg: the step waits instead.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use tokio::sync::watch;

use crate::{
    config::ChainConfig,
    error::{Error, Result},
    metrics::Metrics,
    source::{Heads, Source},
    store::{Batch, Store},
};

/// Ranges stored per step at most (the head is re-read between steps).
const MAX_ROUNDS: u32 = 32;

/// What a step did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Stored a range; the cursor is now at this block.
    Advanced {
        /// New cursor.
        to: u64,
        /// Transfers stored.
        transfers: usize,
    },
    /// Rolled back to this common ancestor after a reorg.
    RolledBack {
        /// The ancestor (new cursor).
        to: u64,
    },
    /// Nothing to do now (caught up, or the node is behind the cursor).
    Idle,
}

/// Indexes one chain into a store.
#[derive(Debug)]
pub struct ChainIndexer {
    name: String,
    cfg: ChainConfig,
    source: Source,
    store: Store,
    metrics: Arc<Metrics>,
    last_head: AtomicU64,
}

impl ChainIndexer {
    /// Builds the indexer of chain `name`.
    pub fn new(name: &str, cfg: &ChainConfig, store: Store, metrics: Arc<Metrics>) -> Result<Self> {
        Ok(Self {
            name: name.to_owned(),
            cfg: cfg.clone(),
            source: Source::new(cfg)?,
            store,
            metrics,
            last_head: AtomicU64::new(0),
        })
    }

    /// The chain's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The source (e.g. to read its head).
    pub fn source(&self) -> &Source {
        &self.source
    }

    /// Head seen by the last step.
    pub fn last_head(&self) -> u64 {
        self.last_head.load(Ordering::Relaxed)
    }

    /// One unit of work. `start` is the first block when the store has no cursor;
    /// `limit` caps the blocks indexed (backfill `--to`).
    pub async fn step(&self, start: u64, limit: Option<u64>) -> Result<Step> {
        let Heads { head, finalized } = self.source.heads().await?;
        self.last_head.store(head, Ordering::Relaxed);
        let safe = head.saturating_sub(self.cfg.head_lag);
        let target = limit.map_or(safe, |l| l.min(safe));
        let cursor = self.store.cursor(&self.name).await?;
        let next = cursor.as_ref().map_or(start, |c| c.block_number + 1);

        if next > target {
            if let Some(c) = &cursor {
                // Caught up: re-check the cursor block (same-height reorgs).
                match self.source.header(c.block_number).await? {
                    Some(h) if h.hash != c.block_hash => {
                        return self.handle_reorg(c.block_number).await;
                    }
                    Some(_) => self.store.update_head(&self.name, head, finalized).await?,
                    None => {
                        tracing::warn!(chain = %self.name, cursor = c.block_number, head, "node is behind the cursor; waiting");
                    }
                }
            }
            return Ok(Step::Idle);
        }

        // Fetch the next range while the current one commits (fetch and store overlap);
        // each range still commits in its own transaction, checked against the cursor.
        let mut prev = cursor.map(|c| (c.block_number, c.block_hash));
        let mut fetched = self.source.fetch(next, target, finalized).await?;
        let mut stored = 0usize;
        for round in 1..=MAX_ROUNDS {
            let first = fetched.first().ok_or_else(|| Error::Inconsistent {
                block: fetched.from,
                reason: "fetch returned no header for the first block".into(),
            })?;
            if let Some((number, hash)) = &prev
                && first.parent_hash != *hash
            {
                tracing::warn!(chain = %self.name, block = fetched.from, expected = %hash, got = %first.parent_hash, "parent hash mismatch: reorg");
                if round == 1 {
                    return self.handle_reorg(*number).await;
                }
                // Found by a prefetch: the next step starts from the stored cursor.
                return Ok(Step::Advanced {
                    to: *number,
                    transfers: stored,
                });
            }
            let last = fetched
                .last()
                .ok_or_else(|| Error::Inconsistent {
                    block: fetched.to,
                    reason: "fetch returned no header for the last block".into(),
                })?
                .clone();
            let rows = fetched.rows;
            let (from, to, n) = (fetched.from, fetched.to, rows.transfers.len());
            let (escrow_n, multisig_n) = (
                rows.escrow_events.len() as u64,
                rows.multisig_events.len() as u64,
            );
            let mut batch = Batch {
                chain: self.name.clone(),
                expected_cursor: prev.as_ref().map(|p| p.0),
                blocks: fetched.blocks,
                transfers: rows.transfers,
                escrow_events: rows.escrow_events,
                multisig_events: rows.multisig_events,
                blacklist: rows.blacklist,
                last,
                head,
                finalized,
            };
            let more = to < target && round < MAX_ROUNDS;
            let next_fetch = if more {
                // The commit runs on a task of its own: building its rows and decoding
                // the next range then use both cores (`join!` on one task would
                // interleave them on one thread).
                let store = self.store.clone();
                let commit = tokio::spawn(async move {
                    let committed = store.commit_batch(&batch).await;
                    (batch, committed)
                });
                let next_fetch = self.source.fetch(to + 1, target, finalized).await;
                let (back, committed) = commit.await.map_err(|e| Error::Task {
                    what: "commit",
                    reason: e.to_string(),
                })?;
                batch = back;
                committed?;
                Some(next_fetch)
            } else {
                self.store.commit_batch(&batch).await?;
                None
            };
            stored += n;
            self.metrics.record_batch(&self.name, n as u64, to, head);
            self.metrics.record_events(&self.name, escrow_n, multisig_n);
            tracing::debug!(chain = %self.name, from, to, transfers = n, "stored range");
            prev = Some((to, batch.last.hash));
            match next_fetch {
                Some(Ok(f)) => fetched = f,
                Some(Err(e)) => {
                    tracing::debug!(chain = %self.name, error = %e, "prefetch failed; the next step retries");
                    return Ok(Step::Advanced {
                        to,
                        transfers: stored,
                    });
                }
                None => {
                    return Ok(Step::Advanced {
                        to,
                        transfers: stored,
                    });
                }
            }
        }
        let to = prev.map_or(next, |p| p.0);
        Ok(Step::Advanced {
            to,
            transfers: stored,
        })
    }

    /// Finds the common ancestor below `from` and rolls back to it.
    async fn handle_reorg(&self, from: u64) -> Result<Step> {
        let window = self.store.window(&self.name).await?;
        let mut lowest = from;
        for stored in window.iter().filter(|b| b.number <= from) {
            lowest = stored.number;
            match self.source.header(stored.number).await? {
                None => {
                    tracing::warn!(chain = %self.name, block = stored.number, "node lacks a window block; not rolling back yet");
                    return Ok(Step::Idle);
                }
                Some(h) if h.hash == stored.hash => {
                    self.store.rollback(&self.name, stored).await?;
                    self.metrics.record_reorg(&self.name, from - stored.number);
                    tracing::warn!(chain = %self.name, ancestor = stored.number, depth = from - stored.number, "reorg: rolled back");
                    return Ok(Step::RolledBack { to: stored.number });
                }
                Some(_) => {}
            }
        }
        Err(Error::ReorgTooDeep {
            chain: self.name.clone(),
            lowest,
        })
    }

    /// Follows the chain until `shutdown` turns true. Errors are logged and retried with
    /// a growing pause (at most 30 s); the loop never exits on its own.
    pub async fn run(&self, mut shutdown: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.cfg.poll_interval_ms);
        let mut failures = 0u32;
        loop {
            if *shutdown.borrow() {
                return;
            }
            let pause = match self.step(self.cfg.start_block, None).await {
                Ok(Step::Advanced { .. } | Step::RolledBack { .. }) => {
                    failures = 0;
                    Duration::ZERO
                }
                Ok(Step::Idle) => {
                    failures = 0;
                    poll
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    self.metrics.record_error(&self.name);
                    let pause = Duration::from_millis(200u64.saturating_mul(1 << failures.min(8)))
                        .min(Duration::from_secs(30));
                    tracing::error!(chain = %self.name, error = %e, ?pause, "step failed");
                    pause
                }
            };
            if !pause.is_zero() {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }

    /// Indexes `[from, to]` and returns once the cursor reaches `to`. Resumes from the
    /// cursor if there is one; fails if `from` is above the cursor + 1 (a gap).
    /// `progress` is called with the cursor after each stored range.
    pub async fn backfill(&self, from: u64, to: u64, mut progress: impl FnMut(u64)) -> Result<()> {
        if let Some(c) = self.store.cursor(&self.name).await?
            && from > c.block_number + 1
        {
            return Err(Error::BackfillGap {
                chain: self.name.clone(),
                from,
                cursor: Some(c.block_number),
            });
        }
        let mut failures = 0u32;
        loop {
            if let Some(c) = self.store.cursor(&self.name).await?
                && c.block_number >= to
            {
                progress(c.block_number);
                return Ok(());
            }
            match self.step(from, Some(to)).await {
                Ok(Step::Advanced { to: at, .. }) => {
                    failures = 0;
                    progress(at);
                }
                Ok(Step::RolledBack { .. }) => failures = 0,
                Ok(Step::Idle) => {
                    tokio::time::sleep(Duration::from_millis(self.cfg.poll_interval_ms)).await
                }
                Err(
                    e
                    @ (Error::ReorgTooDeep { .. } | Error::Database(_) | Error::CorruptRow { .. }),
                ) => return Err(e),
                Err(e) => {
                    failures += 1;
                    self.metrics.record_error(&self.name);
                    tracing::warn!(chain = %self.name, error = %e, "backfill step failed; retrying");
                    tokio::time::sleep(Duration::from_millis(
                        200u64.saturating_mul(1 << failures.min(7)),
                    ))
                    .await;
                }
            }
        }
    }
}
