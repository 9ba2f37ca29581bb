//! In-process counters, rendered with the store's cursors as Prometheus text.

use std::{collections::BTreeMap, fmt::Write, sync::Mutex};

use crate::store::Cursor;

/// Counters of one chain.
#[derive(Debug, Clone, Default)]
struct ChainCounters {
    transfers: u64,
    escrow_events: u64,
    multisig_events: u64,
    batches: u64,
    reorgs: u64,
    reorg_blocks: u64,
    errors: u64,
    head: u64,
}

/// Name, help text and getter of one counter family.
type Counter = (&'static str, &'static str, fn(&ChainCounters) -> u64);

/// Counters shared by the pipelines and the API of one process.
#[derive(Debug, Default)]
pub struct Metrics {
    chains: Mutex<BTreeMap<String, ChainCounters>>,
    requests: Mutex<BTreeMap<(String, u16), u64>>,
}

impl Metrics {
    fn with(&self, chain: &str, f: impl FnOnce(&mut ChainCounters)) {
        if let Ok(mut m) = self.chains.lock() {
            f(m.entry(chain.to_owned()).or_default());
        }
    }

    /// A committed range.
    pub fn record_batch(&self, chain: &str, transfers: u64, _to: u64, head: u64) {
        self.with(chain, |c| {
            c.transfers += transfers;
            c.batches += 1;
            c.head = head;
        });
    }

    /// Escrow and multisig events of a committed range.
    pub fn record_events(&self, chain: &str, escrow: u64, multisig: u64) {
        self.with(chain, |c| {
            c.escrow_events += escrow;
            c.multisig_events += multisig;
        });
    }

    /// Escrow and multisig events stored by this process on a chain.
    pub fn events(&self, chain: &str) -> (u64, u64) {
        self.chains
            .lock()
            .ok()
            .and_then(|m| m.get(chain).map(|c| (c.escrow_events, c.multisig_events)))
            .unwrap_or((0, 0))
    }

    /// A rollback of `depth` blocks.
    pub fn record_reorg(&self, chain: &str, depth: u64) {
        self.with(chain, |c| {
            c.reorgs += 1;
            c.reorg_blocks += depth;
        });
    }

    /// Rollbacks seen by this process on a chain.
    pub fn reorgs(&self, chain: &str) -> u64 {
        self.chains
            .lock()
            .ok()
            .and_then(|m| m.get(chain).map(|c| c.reorgs))
            .unwrap_or(0)
    }

    /// Blocks rolled back by this process on a chain (sum of the reorgs' depths).
    pub fn reorg_blocks(&self, chain: &str) -> u64 {
        self.chains
            .lock()
            .ok()
            .and_then(|m| m.get(chain).map(|c| c.reorg_blocks))
            .unwrap_or(0)
    }

    /// A failed step.
    pub fn record_error(&self, chain: &str) {
        self.with(chain, |c| c.errors += 1);
    }

    /// An API response.
    pub fn record_request(&self, route: &str, status: u16) {
        if let Ok(mut m) = self.requests.lock() {
            *m.entry((route.to_owned(), status)).or_default() += 1;
        }
    }

    /// Prometheus text exposition of the counters and the stored cursors.
    pub fn render(&self, cursors: &[Cursor]) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP stablerail_indexer_cursor_block Last block whose rows are all stored."
        );
        let _ = writeln!(out, "# TYPE stablerail_indexer_cursor_block gauge");
        for c in cursors {
            let _ = writeln!(
                out,
                "stablerail_indexer_cursor_block{{chain=\"{}\"}} {}",
                c.chain, c.block_number
            );
        }
        let _ = writeln!(
            out,
            "# HELP stablerail_indexer_head_block Node head at the last poll."
        );
        let _ = writeln!(out, "# TYPE stablerail_indexer_head_block gauge");
        for c in cursors {
            let _ = writeln!(
                out,
                "stablerail_indexer_head_block{{chain=\"{}\"}} {}",
                c.chain, c.head_number
            );
        }
        let _ = writeln!(
            out,
            "# HELP stablerail_indexer_lag_blocks Head minus cursor."
        );
        let _ = writeln!(out, "# TYPE stablerail_indexer_lag_blocks gauge");
        for c in cursors {
            let _ = writeln!(
                out,
                "stablerail_indexer_lag_blocks{{chain=\"{}\"}} {}",
                c.chain,
                c.head_number.saturating_sub(c.block_number)
            );
        }
        let _ = writeln!(
            out,
            "# HELP stablerail_indexer_finalized_block Finality line at the last poll."
        );
        let _ = writeln!(out, "# TYPE stablerail_indexer_finalized_block gauge");
        for c in cursors {
            let _ = writeln!(
                out,
                "stablerail_indexer_finalized_block{{chain=\"{}\"}} {}",
                c.chain, c.finalized_number
            );
        }
        let chains = self.chains.lock().map(|m| m.clone()).unwrap_or_default();
        let counters: [Counter; 7] = [
            (
                "transfers_stored_total",
                "Transfers stored by this process.",
                |c| c.transfers,
            ),
            (
                "escrow_events_stored_total",
                "Escrow events stored by this process.",
                |c| c.escrow_events,
            ),
            (
                "multisig_events_stored_total",
                "Multisig events stored by this process.",
                |c| c.multisig_events,
            ),
            (
                "batches_total",
                "Block ranges committed by this process.",
                |c| c.batches,
            ),
            ("reorgs_total", "Rollbacks after a reorg.", |c| c.reorgs),
            ("reorg_blocks_total", "Blocks rolled back.", |c| {
                c.reorg_blocks
            }),
            ("errors_total", "Failed pipeline steps (retried).", |c| {
                c.errors
            }),
        ];
        for (name, help, get) in counters {
            let _ = writeln!(out, "# HELP stablerail_indexer_{name} {help}");
            let _ = writeln!(out, "# TYPE stablerail_indexer_{name} counter");
            for (chain, c) in &chains {
                let _ = writeln!(
                    out,
                    "stablerail_indexer_{name}{{chain=\"{chain}\"}} {}",
                    get(c)
                );
            }
        }
        let _ = writeln!(
            out,
            "# HELP stablerail_indexer_http_requests_total API responses by route and status."
        );
        let _ = writeln!(out, "# TYPE stablerail_indexer_http_requests_total counter");
        if let Ok(m) = self.requests.lock() {
            for ((route, status), n) in m.iter() {
                let _ = writeln!(
                    out,
                    "stablerail_indexer_http_requests_total{{route=\"{route}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out
    }
}
