//! The monitor: incremental evaluation of the rules as the embedded indexer commits.
//!
//! Per chain it keeps a cursor (`gw_risk_cursors`: the last evaluated block and its
//! hash) and reads only what the indexer committed above it, in steps of at most
//! `risk.batch_blocks`; the transfer rules keep the recent transfers in memory
//! (`rules::flows::FlowWindow`, seeded once from the indexer at start-up), so history
//! is never rescanned. A reorg shows as the indexer's hash at our cursor differing
//! from ours (or the indexer's cursor behind ours): the common ancestor is the highest
//! block whose hash we recorded (`gw_risk_blocks`) that the indexer still has; alerts
//! with evidence above it are withdrawn, and the new branch is evaluated.
//!
//! New alerts, withdrawals, the cursor and the recorded block hashes commit in one
//! transaction, so a crash re-evaluates a range rather than losing or doubling its
//! alerts (a live alert with the same rule, chain and subject absorbs a repeat).
//!
//! Gateways sharing a PostgreSQL database run one monitor between them: the holder of
//! its leader lock (`store::leader`) evaluates, the others stand by and take over,
//! from the committed cursor, when it stops.

use std::{
    collections::{BTreeMap, BTreeSet, HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant},
};

use alloy::providers::{Provider, ProviderBuilder};
use serde_json::json;
use sqlx::{Row, any::AnyRow};
use stablerail_indexer::ChainKind;
use stablerail_sdk::tron::TronClient;
use tokio::sync::watch;

use crate::{
    error::Result,
    risk::{
        BlacklistEvent, Finding, Flow, alerts,
        breaker::{self, Guardian},
        escrow_solana,
        reader::Reader,
        rules::{
            blacklist::TokenBlacklist,
            escrow::{self as escrow_rules, DealRow},
            flows::{FlowWindow, new_address_findings},
            health::{self, Conservation},
            rings,
            screening::screen,
            treasury::{self as treasury_rule, plan},
        },
        screening::normalise,
        treasury::{self, At},
    },
    state::AppState,
    store::{
        Backend,
        leader::{Leadership, Leading},
        now_ms,
    },
};

/// The zero address: mints and burns, not a party.
const ZERO: &str = "0x0000000000000000000000000000000000000000";

/// What one pass did (the benchmark reads it).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassStats {
    /// Transfers evaluated.
    pub transfers: u64,
    /// Findings the rules produced (before de-duplication).
    pub findings: u64,
    /// Alerts opened.
    pub opened: u64,
    /// Alerts withdrawn after a reorg.
    pub withdrawn: u64,
    /// This process did not lead, so it evaluated nothing: another gateway's
    /// monitor on the same database does (`store::leader`).
    pub standby: bool,
}

/// The monitor's leader lock (`store::leader`): one monitor per database, since the
/// cursor, the recorded block hashes and the breaker are the platform's, not a
/// process's.
const MONITOR_LOCK: &str = "stablerail-gateway-risk-monitor";

/// The indexer's cursor of a chain, with the escrow's indexed state at that block
/// (read in one snapshot).
#[derive(Debug, Clone)]
struct Indexed {
    block: u64,
    hash: String,
    head: u64,
    finalized: u64,
    liabilities: Option<u128>,
    paused: bool,
}

/// Per-chain state kept between passes.
#[derive(Debug)]
struct ChainState {
    window: FlowWindow,
    /// The USDT contract's blacklist events up to our cursor.
    blacklist: TokenBlacklist,
    /// Our cursor (None until loaded from the database).
    cursor: Option<(u64, String)>,
    /// The block at which conservation was last measured.
    measured: Option<u64>,
    /// The block at which the treasury was last measured.
    treasury_measured: Option<u64>,
    /// When the escrow rules last ran.
    escrow_at: Option<Instant>,
    /// Where the monitor reads this chain's contracts (EVM and TRON) or accounts
    /// (Solana).
    reader: Option<Reader>,
    /// The escrow in the form the transfers name it (the drain rule's subject).
    escrow: Option<String>,
}

/// The monitor of every configured chain.
#[derive(Debug)]
pub struct Monitor {
    app: AppState,
    /// Only the leader evaluates; the state below is loaded again from the database
    /// whenever this process starts leading.
    leadership: Leadership,
    chains: BTreeMap<String, ChainState>,
    exempt: HashMap<String, BTreeSet<String>>,
    exempt_at: Option<Instant>,
    webhooks_at: Option<Instant>,
}

fn parse_amount(s: &str) -> u128 {
    s.parse::<u128>().unwrap_or(u128::MAX)
}

fn flow_from(r: &AnyRow) -> Result<Flow> {
    Ok(Flow {
        block_number: u64::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
        log_index: u64::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
        block_hash: r.try_get(2)?,
        block_time: r.try_get(3)?,
        tx_hash: r.try_get(4)?,
        from: normalise(&r.try_get::<String, _>(5)?),
        to: normalise(&r.try_get::<String, _>(6)?),
        amount: parse_amount(&r.try_get::<String, _>(7)?),
    })
}

fn blacklist_from(r: &AnyRow) -> Result<BlacklistEvent> {
    Ok(BlacklistEvent {
        block_number: u64::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
        log_index: u64::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
        block_hash: r.try_get(2)?,
        block_time: r.try_get(3)?,
        tx_hash: r.try_get(4)?,
        token: normalise(&r.try_get::<String, _>(5)?),
        address: normalise(&r.try_get::<String, _>(6)?),
        event: r.try_get(7)?,
        blacklisted: r.try_get::<i64, _>(8)? == 1,
    })
}

const BLACKLIST_COLUMNS: &str = "block_number, log_index, block_hash, block_time, tx_hash, token, address, event, CAST(CASE WHEN blacklisted THEN 1 ELSE 0 END AS BIGINT)";

const FLOW_COLUMNS: &str = "block_number, log_index, block_hash, block_time, tx_hash, from_addr, to_addr, CAST(amount AS TEXT)";

/// Fresh per-chain state for `app`'s chains: no cursor yet, empty windows, a reader
/// per chain.
fn fresh_chains(app: &AppState) -> BTreeMap<String, ChainState> {
    app.config
        .indexer
        .chains
        .iter()
        .map(|(name, c)| {
            let reader = match c.kind {
                ChainKind::Evm => c
                    .rpc_urls
                    .first()
                    .and_then(|u| u.parse().ok())
                    .map(|url| Reader::Evm(ProviderBuilder::new().connect_http(url).erased())),
                ChainKind::Tron => c
                    .rpc_urls
                    .first()
                    .and_then(|u| TronClient::new(u).ok())
                    .map(Reader::Tron),
                ChainKind::Solana => c
                    .rpc_urls
                    .first()
                    .and_then(|u| stablerail_sdk::solana::SolanaRpc::new(u).ok())
                    .map(Reader::Solana),
            };
            (
                name.clone(),
                ChainState {
                    window: FlowWindow::new(app.config.risk.flow_span_secs()),
                    blacklist: TokenBlacklist::new(),
                    cursor: None,
                    measured: None,
                    treasury_measured: None,
                    escrow_at: None,
                    reader,
                    escrow: c.escrow.as_deref().map(normalise),
                },
            )
        })
        .collect()
}

impl Monitor {
    /// A monitor over `app`'s chains (state is loaded on the first pass).
    pub fn new(app: AppState) -> Self {
        Self {
            chains: fresh_chains(&app),
            app,
            leadership: Leadership::new(MONITOR_LOCK),
            exempt: HashMap::new(),
            exempt_at: None,
            webhooks_at: None,
        }
    }

    /// Forgets what is kept between passes: the next pass loads the cursor from the
    /// database and seeds the windows from the indexer again.
    fn reset(&mut self) {
        self.chains = fresh_chains(&self.app);
        self.exempt_at = None;
        self.webhooks_at = None;
    }

    /// The last block evaluated on `chain` (None before the first pass).
    pub fn cursor(&self, chain: &str) -> Option<u64> {
        self.chains.get(chain)?.cursor.as_ref().map(|c| c.0)
    }

    /// Passes until `chain` has caught up with block `block` (which the indexer has
    /// committed), 100,000 passes went by, or a pass found another process leading.
    pub async fn catch_up(&mut self, chain: &str, block: u64) -> Result<PassStats> {
        let mut total = PassStats::default();
        for _ in 0..100_000 {
            let s = self.pass().await?;
            total.transfers += s.transfers;
            total.findings += s.findings;
            total.opened += s.opened;
            total.withdrawn += s.withdrawn;
            total.standby = s.standby;
            if s.standby || self.cursor(chain).is_some_and(|c| c >= block) {
                break;
            }
        }
        Ok(total)
    }

    /// One pass over every chain, if this process leads the monitor; otherwise
    /// nothing (`standby`). A process that starts leading (first, after another's
    /// stop, or again after an error) loads its state from the database, where the
    /// last leader committed it, so no range is evaluated twice or skipped.
    pub async fn pass(&mut self) -> Result<PassStats> {
        match self.leadership.lead(&self.app.db).await {
            Leading::No => {
                return Ok(PassStats {
                    standby: true,
                    ..PassStats::default()
                });
            }
            Leading::Started => self.reset(),
            Leading::Continued => {}
        }
        let stats = self.evaluate().await;
        if stats.is_err() {
            // The lock's connection may be broken, and a pass that failed half-way
            // may have left the windows ahead of the committed cursor.
            self.leadership.resign();
        }
        stats
    }

    async fn evaluate(&mut self) -> Result<PassStats> {
        self.refresh_exempt().await?;
        let mut stats = PassStats::default();
        let names: Vec<String> = self.chains.keys().cloned().collect();
        for chain in names {
            let s = self.chain_pass(&chain).await?;
            stats.transfers += s.transfers;
            stats.findings += s.findings;
            stats.opened += s.opened;
            stats.withdrawn += s.withdrawn;
        }
        stats.opened += self.webhook_health().await?;
        Ok(stats)
    }

    /// Merchants' receiving addresses, the escrows, the zero address and
    /// `risk.exempt`, per chain (refreshed every few seconds).
    async fn refresh_exempt(&mut self) -> Result<()> {
        if self
            .exempt_at
            .is_some_and(|t| t.elapsed() < Duration::from_secs(5))
        {
            return Ok(());
        }
        let config = &self.app.config;
        let mut exempt: HashMap<String, BTreeSet<String>> = HashMap::new();
        for (name, c) in &config.indexer.chains {
            let set = exempt.entry(name.clone()).or_default();
            set.insert(ZERO.to_owned());
            if let Some(e) = &c.escrow {
                set.insert(normalise(e));
            }
            set.extend(config.risk.exempt.iter().map(|a| normalise(a)));
        }
        for r in sqlx::query("SELECT chain, receiving FROM gw_merchant_chains")
            .fetch_all(&self.app.db.pool)
            .await?
        {
            let chain: String = r.try_get(0)?;
            exempt
                .entry(chain)
                .or_default()
                .insert(normalise(&r.try_get::<String, _>(1)?));
        }
        self.exempt = exempt;
        self.exempt_at = Some(Instant::now());
        Ok(())
    }

    /// The indexer's cursor and escrow state of `chain`, in one snapshot.
    async fn indexed(&self, chain: &str) -> Result<Option<Indexed>> {
        let db = &self.app.db;
        let mut tx = db.pool.begin().await?;
        if db.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                .execute(&mut *tx)
                .await?;
        }
        let cursor = sqlx::query(
            "SELECT block_number, block_hash, head_number, finalized_number FROM cursors WHERE chain = $1",
        )
        .bind(chain)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(c) = cursor else {
            tx.commit().await?;
            return Ok(None);
        };
        let settings = sqlx::query(
            "SELECT CAST(liabilities AS TEXT), CAST(CASE WHEN paused THEN 1 ELSE 0 END AS BIGINT) FROM escrow_settings WHERE chain = $1",
        )
        .bind(chain)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        let (liabilities, paused) = match settings {
            Some(s) => (
                Some(parse_amount(&s.try_get::<String, _>(0)?)),
                s.try_get::<i64, _>(1)? == 1,
            ),
            None => (None, false),
        };
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        Ok(Some(Indexed {
            block: n(c.try_get(0)?),
            hash: c.try_get(1)?,
            head: n(c.try_get(2)?),
            finalized: n(c.try_get(3)?),
            liabilities,
            paused,
        }))
    }

    /// Our cursor from the database (None: nothing evaluated yet).
    async fn load_cursor(&self, chain: &str) -> Result<Option<(u64, String)>> {
        let row =
            sqlx::query("SELECT block_number, block_hash FROM gw_risk_cursors WHERE chain = $1")
                .bind(chain)
                .fetch_optional(&self.app.db.pool)
                .await?;
        Ok(match row {
            Some(r) => Some((
                u64::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
                r.try_get(1)?,
            )),
            None => None,
        })
    }

    /// Feeds the USDT blacklist events of blocks `(from, to]` to `chain`'s list.
    async fn read_blacklist(&mut self, chain: &str, from: u64, to: u64) -> Result<()> {
        let q = format!(
            "SELECT {BLACKLIST_COLUMNS} FROM token_blacklist WHERE chain = $1 AND block_number > $2 AND block_number <= $3 ORDER BY block_number, log_index"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(chain)
            .bind(from as i64)
            .bind(to as i64)
            .fetch_all(&self.app.db.pool)
            .await?;
        if let Some(state) = self.chains.get_mut(chain) {
            for r in &rows {
                state.blacklist.apply(blacklist_from(r)?);
            }
        }
        Ok(())
    }

    /// Seeds the transfer window with what precedes `cursor`, and the blacklist
    /// with every event up to it (once per process).
    async fn seed(&mut self, chain: &str, cursor: u64) -> Result<()> {
        self.read_blacklist(chain, 0, cursor).await?;
        let db = &self.app.db;
        let last = sqlx::query(
            "SELECT block_time FROM transfers WHERE chain = $1 AND block_number <= $2 ORDER BY block_number DESC, log_index DESC LIMIT 1",
        )
        .bind(chain)
        .bind(cursor as i64)
        .fetch_optional(&db.pool)
        .await?;
        let Some(last) = last else { return Ok(()) };
        let since = last.try_get::<i64, _>(0)? - self.app.config.risk.flow_span_secs();
        let q = format!(
            "SELECT {FLOW_COLUMNS} FROM transfers WHERE chain = $1 AND block_time >= $2 AND block_number <= $3 ORDER BY block_number, log_index"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(chain)
            .bind(since)
            .bind(cursor as i64)
            .fetch_all(&db.pool)
            .await?;
        if let Some(state) = self.chains.get_mut(chain) {
            for r in &rows {
                state.window.seed(flow_from(r)?);
            }
        }
        Ok(())
    }

    async fn chain_pass(&mut self, chain: &str) -> Result<PassStats> {
        let mut stats = PassStats::default();
        let Some(indexed) = self.indexed(chain).await? else {
            return Ok(stats);
        };
        if self.chains.get(chain).is_some_and(|s| s.cursor.is_none()) {
            let loaded = self.load_cursor(chain).await?;
            if let Some((b, _)) = &loaded {
                self.seed(chain, *b).await?;
            }
            if let Some(s) = self.chains.get_mut(chain) {
                s.cursor = Some(loaded.unwrap_or((0, String::new())));
            }
        }
        let (mut from, hash) = self
            .chains
            .get(chain)
            .and_then(|s| s.cursor.clone())
            .unwrap_or((0, String::new()));
        if from > 0 && self.reorged(chain, from, &hash, &indexed).await? {
            let (ancestor, withdrawn) = self.roll_back(chain, from, &indexed).await?;
            stats.withdrawn = withdrawn;
            from = ancestor;
        }
        let mut findings = Vec::new();
        if let Some(f) = health::indexer_lag(
            chain,
            indexed.block,
            indexed.head,
            self.app.config.risk.health.max_lag_blocks,
        ) {
            findings.push(f);
        }
        let target = indexed.block.min(from + self.app.config.risk.batch_blocks);
        let mut target_hash = String::new();
        if target > from {
            let (f, n) = self.evaluate_range(chain, from, target).await?;
            stats.transfers = n;
            findings.extend(f);
            target_hash = if target == indexed.block {
                indexed.hash.clone()
            } else {
                sqlx::query("SELECT hash FROM blocks WHERE chain = $1 AND number = $2")
                    .bind(chain)
                    .bind(target as i64)
                    .fetch_optional(&self.app.db.pool)
                    .await?
                    .map(|r| r.try_get::<String, _>(0))
                    .transpose()?
                    .unwrap_or_default()
            };
        }
        // Deadlines pass with chain time: the escrow rules also run without new blocks.
        findings.extend(self.escrow_findings(chain, from, target).await?);
        if target == indexed.block
            && let Some(f) = self.conservation(chain, &indexed).await
        {
            findings.push(f);
        }
        if target == indexed.block
            && let Some(f) = self.treasury(chain, &indexed).await?
        {
            findings.push(f);
        }
        stats.findings = findings.len() as u64;
        stats.opened = self
            .commit(chain, findings, (from, target, target_hash), &indexed)
            .await?;
        Ok(stats)
    }

    /// Whether the indexer's chain no longer contains our cursor's block.
    async fn reorged(&self, chain: &str, at: u64, hash: &str, indexed: &Indexed) -> Result<bool> {
        if indexed.block < at {
            return Ok(true);
        }
        let theirs = sqlx::query("SELECT hash FROM blocks WHERE chain = $1 AND number = $2")
            .bind(chain)
            .bind(at as i64)
            .fetch_optional(&self.app.db.pool)
            .await?
            .map(|r| r.try_get::<String, _>(0))
            .transpose()?;
        Ok(matches!(theirs, Some(h) if !hash.is_empty() && h != hash))
    }

    /// Moves our cursor back to the common ancestor, withdrawing the alerts whose
    /// evidence lies above it. Returns the ancestor and how many were withdrawn.
    async fn roll_back(&mut self, chain: &str, at: u64, indexed: &Indexed) -> Result<(u64, u64)> {
        let db = &self.app.db;
        let common = sqlx::query(
            "SELECT r.number, r.hash FROM gw_risk_blocks r JOIN blocks b ON b.chain = r.chain AND b.number = r.number AND b.hash = r.hash WHERE r.chain = $1 AND r.number <= $2 ORDER BY r.number DESC LIMIT 1",
        )
        .bind(chain)
        .bind(indexed.block.min(at) as i64)
        .fetch_optional(&db.pool)
        .await?;
        let (ancestor, hash) = match common {
            Some(r) => (
                u64::try_from(r.try_get::<i64, _>(0)?).unwrap_or(0),
                r.try_get::<String, _>(1)?,
            ),
            // Nothing recorded matches: fall back to the finality line.
            None => (indexed.finalized.min(at), String::new()),
        };
        let mut tx = db.begin().await?;
        // The proposal files of a treasury measurement that is rolled back go stale
        // before the withdrawal's event carries the alert (`treasury::withdraw_files`).
        alerts::update_details_above(
            &mut tx,
            chain,
            ancestor,
            treasury_rule::RULE,
            treasury::withdraw_files,
        )
        .await?;
        let ids = alerts::withdraw_above(&mut tx, chain, ancestor).await?;
        sqlx::query("DELETE FROM gw_risk_blocks WHERE chain = $1 AND number > $2")
            .bind(chain)
            .bind(ancestor as i64)
            .execute(&mut *tx)
            .await?;
        write_cursor(&mut tx, chain, ancestor, &hash).await?;
        tx.commit().await?;
        if !ids.is_empty() {
            self.app.outbox.notify_one();
        }
        tracing::warn!(
            chain,
            from = at,
            ancestor,
            withdrawn = ids.len(),
            "risk monitor: reorg, evidence above the ancestor withdrawn"
        );
        if let Some(s) = self.chains.get_mut(chain) {
            s.window.truncate_above(ancestor);
            s.blacklist.truncate_above(ancestor);
            s.cursor = Some((ancestor, hash));
            if s.measured.is_some_and(|m| m > ancestor) {
                s.measured = None;
            }
            if s.treasury_measured.is_some_and(|m| m > ancestor) {
                s.treasury_measured = None;
            }
        }
        Ok((ancestor, ids.len() as u64))
    }

    /// Evaluates the transfers of blocks `(from, to]`; returns the findings and how
    /// many transfers were read.
    async fn evaluate_range(
        &mut self,
        chain: &str,
        from: u64,
        to: u64,
    ) -> Result<(Vec<Finding>, u64)> {
        let q = format!(
            "SELECT {FLOW_COLUMNS} FROM transfers WHERE chain = $1 AND block_number > $2 AND block_number <= $3 ORDER BY block_number, log_index"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(q))
            .bind(chain)
            .bind(from as i64)
            .bind(to as i64)
            .fetch_all(&self.app.db.pool)
            .await?;
        let flows = rows.iter().map(flow_from).collect::<Result<Vec<_>>>()?;
        let n = flows.len() as u64;
        self.read_blacklist(chain, from, to).await?;
        let config = &self.app.config.risk;
        let mut findings = self
            .app
            .risk
            .screening
            .with(|list| screen(list, config.screening.severity, chain, &flows));
        if config.usdt_blacklist.enabled
            && let Some(state) = self.chains.get(chain)
        {
            findings.extend(
                state
                    .blacklist
                    .screen(config.usdt_blacklist.severity, chain, &flows),
            );
        }
        let empty = BTreeSet::new();
        let exempt = self.exempt.get(chain).unwrap_or(&empty);
        let Some(state) = self.chains.get_mut(chain) else {
            return Ok((findings, n));
        };
        let (flow_findings, candidates) =
            state
                .window
                .evaluate(config, chain, exempt, state.escrow.as_deref(), flows);
        findings.extend(flow_findings);
        if !candidates.is_empty() {
            let mut first_seen = HashMap::new();
            let mut seen = HashSet::new();
            for c in &candidates {
                if seen.insert(c.address.clone())
                    && let Some(t) = self.first_seen(chain, &c.address).await?
                {
                    first_seen.insert(c.address.clone(), t);
                }
            }
            findings.extend(new_address_findings(config, candidates, &first_seen));
        }
        Ok((findings, n))
    }

    /// Time of `address`'s first indexed transfer on `chain` (two index lookups).
    async fn first_seen(&self, chain: &str, address: &str) -> Result<Option<i64>> {
        let mut first: Option<i64> = None;
        for q in [
            "SELECT block_time FROM transfers WHERE chain = $1 AND from_addr = $2 ORDER BY block_number, log_index LIMIT 1",
            "SELECT block_time FROM transfers WHERE chain = $1 AND to_addr = $2 ORDER BY block_number, log_index LIMIT 1",
        ] {
            if let Some(r) = sqlx::query(q)
                .bind(chain)
                .bind(address)
                .fetch_optional(&self.app.db.pool)
                .await?
            {
                let t: i64 = r.try_get(0)?;
                first = Some(first.map_or(t, |f| f.min(t)));
            }
        }
        Ok(first)
    }

    /// The escrow rules, when the range carried escrow events or 10 s passed.
    async fn escrow_findings(&mut self, chain: &str, from: u64, to: u64) -> Result<Vec<Finding>> {
        let app_config = self.app.config.clone();
        let config = &app_config.risk.escrow;
        let ring = &app_config.risk.self_dealing;
        if !(config.enabled || ring.enabled)
            || self
                .app
                .config
                .indexer
                .chains
                .get(chain)
                .and_then(|c| c.escrow.as_ref())
                .is_none()
        {
            return Ok(Vec::new());
        }
        let db = &self.app.db;
        let events: i64 = sqlx::query(
            "SELECT COUNT(*) FROM escrow_events WHERE chain = $1 AND block_number > $2 AND block_number <= $3",
        )
        .bind(chain)
        .bind(from as i64)
        .bind(to as i64)
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
        let due = self
            .chains
            .get(chain)
            .and_then(|s| s.escrow_at)
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(10));
        if events == 0 && !due {
            return Ok(Vec::new());
        }
        if let Some(s) = self.chains.get_mut(chain) {
            s.escrow_at = Some(Instant::now());
        }
        // Chain time: the newest indexed block's time.
        let now: i64 = sqlx::query(
            "SELECT block_time FROM blocks WHERE chain = $1 ORDER BY number DESC LIMIT 1",
        )
        .bind(chain)
        .fetch_optional(&db.pool)
        .await?
        .map(|r| r.try_get::<i64, _>(0))
        .transpose()?
        .unwrap_or(0);
        const DEAL: &str = "deal_id, kind, seller, buyer, merchant, CAST(amount AS TEXT), state, deadline, opened_time, disputed_at, COALESCE(closed_block, opened_block)";
        let secs = |s: u64| i64::try_from(s).unwrap_or(i64::MAX);
        let window = secs(config.window_secs);
        let ring_window = if ring.enabled {
            secs(ring.window_secs)
        } else {
            0
        };
        let recent = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DEAL} FROM deals WHERE chain = $1 AND opened_time >= $2 ORDER BY deal_id"
        )))
        .bind(chain)
        .bind(now.saturating_sub(window.max(ring_window)))
        .fetch_all(&db.pool)
        .await?;
        let live = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT {DEAL} FROM deals WHERE chain = $1 AND state IN ('paid', 'disputed') ORDER BY deal_id"
        )))
        .bind(chain)
        .fetch_all(&db.pool)
        .await?;
        let deal = |r: &AnyRow| -> Result<DealRow> {
            let n = |v: i64| u64::try_from(v).unwrap_or(0);
            Ok(DealRow {
                deal_id: n(r.try_get(0)?),
                kind: r.try_get(1)?,
                seller: normalise(&r.try_get::<String, _>(2)?),
                buyer: r.try_get::<Option<String>, _>(3)?.map(|b| normalise(&b)),
                merchant: normalise(&r.try_get::<String, _>(4)?),
                amount: parse_amount(&r.try_get::<String, _>(5)?),
                state: r.try_get(6)?,
                deadline: r.try_get(7)?,
                opened_time: r.try_get(8)?,
                disputed_at: r.try_get(9)?,
                last_block: n(r.try_get(10)?),
            })
        };
        let recent = recent.iter().map(deal).collect::<Result<Vec<_>>>()?;
        let live = live.iter().map(deal).collect::<Result<Vec<_>>>()?;
        let mut out = Vec::new();
        if config.enabled {
            let since = now.saturating_sub(window);
            let in_window: Vec<DealRow> = recent
                .iter()
                .filter(|d| d.opened_time >= since)
                .cloned()
                .collect();
            out.extend(escrow_rules::rates(config, chain, &in_window));
            out.extend(escrow_rules::deadlines(config, chain, &live, now));
        }
        if ring.enabled {
            out.extend(self.ring_findings(chain, ring, &recent, now).await?);
        }
        Ok(out)
    }

    /// Self-dealing rings among `deals`: the incoming transfers within the window of
    /// the pairs that dealt enough together (an index lookup per address), then the
    /// pure rule.
    async fn ring_findings(
        &self,
        chain: &str,
        ring: &crate::risk::config::SelfDealing,
        deals: &[DealRow],
        now: i64,
    ) -> Result<Vec<Finding>> {
        let since = now.saturating_sub(i64::try_from(ring.window_secs).unwrap_or(i64::MAX));
        let mut addresses = BTreeSet::new();
        for ((merchant, party), ds) in rings::pairs(deals, since) {
            let volume = ds.iter().fold(0u128, |a, d| a.saturating_add(d.amount));
            if ds.len() as u64 >= ring.min_deals.max(1)
                && volume >= u128::from(ring.min_volume.units())
            {
                addresses.insert(merchant);
                addresses.insert(party);
            }
        }
        if addresses.is_empty() {
            return Ok(Vec::new());
        }
        let q = format!(
            "SELECT {FLOW_COLUMNS} FROM transfers WHERE chain = $1 AND to_addr = $2 AND block_time >= $3 ORDER BY block_number, log_index LIMIT 10000"
        );
        let mut funding = HashMap::new();
        for a in addresses {
            let rows = sqlx::query(sqlx::AssertSqlSafe(q.clone()))
                .bind(chain)
                .bind(&a)
                .bind(since)
                .fetch_all(&self.app.db.pool)
                .await?;
            funding.insert(a, rows.iter().map(flow_from).collect::<Result<Vec<_>>>()?);
        }
        let empty = BTreeSet::new();
        let exempt = self.exempt.get(chain).unwrap_or(&empty);
        Ok(rings::rings(ring, chain, deals, &funding, exempt, now))
    }

    /// Conservation at the indexer's block (once per new block): the token balance
    /// of the escrow there against the liabilities indexed there.
    async fn conservation(&mut self, chain: &str, indexed: &Indexed) -> Option<Finding> {
        if !self.app.config.risk.health.conservation {
            return None;
        }
        let c = self.app.config.indexer.chains.get(chain)?;
        let liabilities = indexed.liabilities?;
        let state = self.chains.get_mut(chain)?;
        if state.measured == Some(indexed.block) {
            return None;
        }
        let reader = state.reader.clone()?;
        let escrow_text = c.escrow.as_deref()?;
        let read = match &reader {
            // Solana: the vault token account of the escrow's config.
            Reader::Solana(rpc) => {
                escrow_solana::vault_balance_at(rpc, escrow_text, &c.usdt, indexed.block)
                    .await
                    .map(|v| v.map(|v| (escrow_text.to_owned(), v.balance)))
            }
            _ => {
                let escrow = reader.address(escrow_text).ok()?;
                let token = reader.address(&c.usdt).ok()?;
                reader
                    .balance_at(token, escrow, (indexed.block, &indexed.hash))
                    .await
                    .map(|b| b.map(|b| (reader.show(escrow), b)))
            }
        };
        let (escrow, balance) = match read {
            Ok(Some(b)) => b,
            // A TRON or Solana node that cannot answer for the indexed block:
            // measured at a later block.
            Ok(None) => return None,
            Err(e) => {
                tracing::warn!(chain, error = %e, "risk monitor: escrow balance unavailable");
                return None;
            }
        };
        state.measured = Some(indexed.block);
        health::conservation(
            chain,
            &Conservation {
                block_number: indexed.block,
                block_hash: indexed.hash.clone(),
                escrow,
                balance,
                liabilities,
            },
        )
    }

    /// The treasury watch at the indexer's block (once per new block): the share of
    /// platform funds outside the vault; above the line, a finding whose details
    /// name the proposal files that move the excess back (written only when no
    /// live alert already carries them).
    async fn treasury(&mut self, chain: &str, indexed: &Indexed) -> Result<Option<Finding>> {
        let config = self.app.config.clone();
        let watch = &config.risk.treasury;
        let Some(t) = watch.chains.get(chain).filter(|_| watch.enabled) else {
            return Ok(None);
        };
        let Some(state) = self.chains.get(chain) else {
            return Ok(None);
        };
        if state.treasury_measured == Some(indexed.block) {
            return Ok(None);
        }
        let Some(reader) = state.reader.clone() else {
            return Ok(None);
        };
        let Some(token) = config.indexer.chains.get(chain).map(|c| c.usdt.clone()) else {
            return Ok(None);
        };
        let time = self.block_time(chain, indexed.block).await?;
        let at = At {
            number: indexed.block,
            hash: indexed.hash.clone(),
            time: time.unwrap_or(0),
            finalized: indexed.finalized,
        };
        let mut m = match treasury::measure(&reader, &token, t, &at).await {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(chain, error = %e, "risk monitor: treasury unavailable");
                return Ok(None);
            }
        };
        // Solana reads finalized state: it names a slot at or below the indexed one
        // (its hash and time are the indexer's), else it is measured again at a
        // later indexed block.
        if matches!(reader, Reader::Solana(_)) && m.block_number != indexed.block {
            let known = if m.block_number < indexed.block {
                self.block_header(chain, m.block_number).await?
            } else {
                None
            };
            let Some((hash, time)) = known else {
                return Ok(None);
            };
            m.block_hash = hash;
            m.block_time = time;
        }
        if let Some(s) = self.chains.get_mut(chain) {
            s.treasury_measured = Some(indexed.block);
        }
        let max = watch.max_share_bps;
        if let Ok(mut views) = self.app.risk.treasury.lock() {
            views.insert(chain.to_owned(), m.view(max));
        }
        let Some(mut f) = treasury_rule::watch(chain, &m, max, watch.severity) else {
            return Ok(None);
        };
        if alerts::live_keys(&self.app.db)
            .await?
            .contains(&f.dedup_key())
        {
            return Ok(Some(f));
        }
        let multisigs = treasury::hot_multisigs(&reader, &m).await;
        let planned = plan(&m, max, |a| multisigs.contains(a));
        let target = treasury::Target {
            chain,
            token: &token,
            measurement: &m,
        };
        let actions = match treasury::write_actions(&reader, watch, &target, &planned).await {
            Ok(actions) => actions,
            Err(e) => {
                tracing::warn!(chain, error = %e, "risk monitor: treasury proposal not written");
                f.details["proposal_error"] = json!(e.to_string());
                Vec::new()
            }
        };
        let (covered, uncovered) = if actions.len() == planned.actions.len() {
            (
                planned.actions.iter().map(|a| a.covers()).sum::<u128>(),
                planned.uncovered,
            )
        } else {
            (0, m.excess(max))
        };
        // The evidence says which action covers how much, as the details do.
        for v in
            std::iter::once(&mut f.details).chain(f.evidence.iter_mut().filter_map(|e| match e {
                crate::risk::Evidence::Metric { data, .. } => Some(data),
                _ => None,
            }))
        {
            v["actions"] = json!(actions);
            v["covered"] = json!(covered.to_string());
            v["uncovered"] = json!(uncovered.to_string());
        }
        Ok(Some(f))
    }

    /// The indexed time of block `number` of `chain`.
    async fn block_time(&self, chain: &str, number: u64) -> Result<Option<u64>> {
        Ok(self
            .block_header(chain, number)
            .await?
            .map(|(_, time)| time))
    }

    /// The indexed hash and time of block `number` of `chain`.
    async fn block_header(&self, chain: &str, number: u64) -> Result<Option<(String, u64)>> {
        let row =
            sqlx::query("SELECT hash, block_time FROM blocks WHERE chain = $1 AND number = $2")
                .bind(chain)
                .bind(i64::try_from(number).unwrap_or(i64::MAX))
                .fetch_optional(&self.app.db.pool)
                .await?;
        Ok(match row {
            Some(r) => Some((
                r.try_get::<String, _>(0)?,
                u64::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0),
            )),
            None => None,
        })
    }

    /// The webhook failure rate (platform-wide, every 30 s).
    async fn webhook_health(&mut self) -> Result<u64> {
        if self
            .webhooks_at
            .is_some_and(|t| t.elapsed() < Duration::from_secs(30))
        {
            return Ok(0);
        }
        self.webhooks_at = Some(Instant::now());
        let h = &self.app.config.risk.health;
        let since = now_ms()
            - i64::try_from(h.webhook_window_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
        // Attempted deliveries per endpoint; one whose last attempt failed counts
        // whether it is given up ('failed') or awaiting a retry ('pending').
        let rows = sqlx::query(
            "SELECT endpoint_id, merchant_id, COUNT(*), CAST(SUM(CASE WHEN status = 'delivered' THEN 0 ELSE 1 END) AS BIGINT) FROM gw_deliveries WHERE created_at >= $1 AND attempts > 0 GROUP BY endpoint_id, merchant_id",
        )
        .bind(since)
        .fetch_all(&self.app.db.pool)
        .await?;
        let n = |v: i64| u64::try_from(v).unwrap_or(0);
        let endpoints = rows
            .iter()
            .map(|r| {
                Ok(health::EndpointDeliveries {
                    endpoint_id: r.try_get(0)?,
                    merchant_id: r.try_get(1)?,
                    total: n(r.try_get(2)?),
                    failed: n(r.try_get(3)?),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let Some(f) = health::webhook_failures(
            &endpoints,
            h.min_deliveries,
            h.max_webhook_failure_bps,
            h.webhook_window_secs,
        ) else {
            return Ok(0);
        };
        let mut tx = self.app.db.begin().await?;
        let opened = alerts::record(&mut tx, &f).await?.is_some();
        tx.commit().await?;
        if opened {
            self.app.outbox.notify_one();
        }
        Ok(u64::from(opened))
    }

    /// Trips the breaker where a new finding asks for it, then commits the findings
    /// as alerts with the cursor. Returns how many alerts opened.
    async fn commit(
        &mut self,
        chain: &str,
        mut findings: Vec<Finding>,
        (from, to, to_hash): (u64, u64, String),
        indexed: &Indexed,
    ) -> Result<u64> {
        let live = alerts::live_keys(&self.app.db).await?;
        let mut keys = HashSet::new();
        findings.retain(|f| {
            let k = f.dedup_key();
            !live.contains(&k) && keys.insert(k)
        });
        let mut actions = Vec::new();
        let mut paused = indexed.paused;
        for f in &mut findings {
            if !self
                .app
                .config
                .risk
                .breaker
                .rules
                .iter()
                .any(|r| r == f.rule)
            {
                continue;
            }
            let (action, outcome) = trip(&self.app.config, chain, paused, &f.summary).await;
            paused |= outcome
                .get("paused")
                .and_then(|p| p.as_bool())
                .unwrap_or(false);
            f.details["breaker"] = outcome;
            actions.push((f.dedup_key(), action));
        }
        if findings.is_empty() && to <= from {
            return Ok(0);
        }
        let mut tx = self.app.db.begin().await?;
        let mut opened = 0;
        for f in &findings {
            let Some(id) = alerts::record(&mut tx, f).await? else {
                continue;
            };
            opened += 1;
            for (key, a) in &actions {
                if *key == f.dedup_key() {
                    a.write(&mut tx, chain, Some(&id)).await?;
                }
            }
        }
        if to > from {
            sqlx::query(
                "INSERT INTO gw_risk_blocks (chain, number, hash) SELECT chain, number, hash FROM blocks WHERE chain = $1 AND number > $2 AND number <= $3",
            )
            .bind(chain)
            .bind(from as i64)
            .bind(to as i64)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM gw_risk_blocks WHERE chain = $1 AND number < $2")
                .bind(chain)
                .bind(indexed.finalized.min(to) as i64)
                .execute(&mut *tx)
                .await?;
            write_cursor(&mut tx, chain, to, &to_hash).await?;
        }
        tx.commit().await?;
        if opened > 0 {
            self.app.outbox.notify_one();
        }
        if to > from
            && let Some(s) = self.chains.get_mut(chain)
        {
            s.cursor = Some((to, to_hash));
        }
        Ok(opened)
    }
}

/// A breaker action to record with its alert.
#[derive(Debug)]
struct Action {
    reason: String,
    tx_hash: Option<String>,
    error: Option<String>,
}

impl Action {
    async fn write(
        &self,
        tx: &mut crate::store::Tx,
        chain: &str,
        alert: Option<&str>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO gw_risk_actions (chain, action, alert_id, reason, tx_hash, error, created_at) VALUES ($1, 'pause', $2, $3, $4, $5, $6)",
        )
        .bind(chain)
        .bind(alert)
        .bind(&self.reason)
        .bind(&self.tx_hash)
        .bind(&self.error)
        .bind(now_ms())
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}

/// Pauses `chain`'s escrow with the guardian's key unless it already is; returns
/// the action to record and the outcome for the alert's details.
async fn trip(
    config: &Arc<crate::Config>,
    chain: &str,
    already_paused: bool,
    reason: &str,
) -> (Action, serde_json::Value) {
    let action = |tx_hash: Option<String>, error: Option<String>| Action {
        reason: reason.to_owned(),
        tx_hash,
        error,
    };
    if already_paused {
        return (
            action(None, Some("already paused".into())),
            json!({ "action": "pause", "paused": true, "note": "the escrow was already paused" }),
        );
    }
    if !breaker::configured(config, chain) {
        return (
            action(None, Some("no guardian key configured".into())),
            json!({ "action": "pause", "paused": false, "error": "no guardian key configured" }),
        );
    }
    let result = match Guardian::connect(config, chain) {
        Ok(g) => g.pause().await,
        Err(e) => Err(e),
    };
    match result {
        Ok((hash, block)) => {
            tracing::warn!(chain, tx = %hash, block, reason, "circuit breaker: escrow paused by the guardian");
            (
                action(Some(hash.clone()), None),
                json!({ "action": "pause", "paused": true, "tx_hash": hash, "block_number": block }),
            )
        }
        Err(e) => {
            tracing::error!(chain, error = %e, reason, "circuit breaker: pause failed");
            (
                action(None, Some(e.to_string())),
                json!({ "action": "pause", "paused": false, "error": e.to_string() }),
            )
        }
    }
}

async fn write_cursor(
    tx: &mut crate::store::Tx,
    chain: &str,
    block: u64,
    hash: &str,
) -> Result<()> {
    let now = now_ms();
    let updated = sqlx::query(
        "UPDATE gw_risk_cursors SET block_number = $1, block_hash = $2, updated_at = $3 WHERE chain = $4",
    )
    .bind(block as i64)
    .bind(hash)
    .bind(now)
    .bind(chain)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO gw_risk_cursors (chain, block_number, block_hash, updated_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(chain)
        .bind(block as i64)
        .bind(hash)
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Runs passes until `shutdown` turns true. With several gateways on one database,
/// one of them evaluates and the others stand by to take over (`Monitor::pass`).
pub async fn run(app: AppState, mut shutdown: watch::Receiver<bool>) {
    let every = Duration::from_millis(app.config.risk.interval_ms.max(10));
    let poll = Duration::from_millis(app.config.risk.screening.poll_ms.max(100));
    let mut monitor = Monitor::new(app.clone());
    let mut polled = Instant::now();
    // Whether the last pass stood by (None before the first), to log changes only.
    let mut standby: Option<bool> = None;
    loop {
        if polled.elapsed() >= poll {
            polled = Instant::now();
            if let Some(r) = app.risk.screening.reload_if_changed() {
                tracing::info!(
                    loaded = r.loaded,
                    refused = r.errors.len(),
                    "screening list reloaded"
                );
            }
        }
        match monitor.pass().await {
            Ok(s) => {
                if standby != Some(s.standby) {
                    standby = Some(s.standby);
                    if s.standby {
                        tracing::info!("risk monitor standing by: another gateway leads it");
                    } else {
                        tracing::info!("risk monitor leading");
                    }
                }
                if s.opened > 0 || s.withdrawn > 0 {
                    tracing::info!(opened = s.opened, withdrawn = s.withdrawn, "risk alerts");
                }
            }
            Err(e) => tracing::warn!(error = %e, "risk pass failed; retrying"),
        }
        // Keep going through a backlog without waiting.
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = shutdown.changed() => return,
        }
    }
}
