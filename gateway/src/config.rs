//! `gateway.toml`: the gateway's own settings plus the embedded indexer's chains.
//!
//! ```toml
//! database_url = "sqlite:stablerail-gateway.db"   # shared with the indexer
//! listen = "127.0.0.1:8000"
//! public_url = "http://127.0.0.1:8000"            # base of checkout links
//! admin_token_env = "STABLERAIL_GATEWAY_ADMIN_TOKEN"
//!
//! [invoices]
//! expiry_secs = 900
//! monitoring_secs = 3600
//!
//! [webhooks]
//! schedule_secs = [10, 60, 600, 600, 600, 600, 600, 600]
//! allow_private_targets = false
//!
//! [chains.ethereum]          # what the gateway needs beyond the indexer's section
//! chain_id = 1
//!
//! [indexer.chains.ethereum]  # the indexer's chain section (see the indexer README)
//! kind = "evm"
//! rpc_urls = ["https://rpc.example/eth"]
//! usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
//! finality_depth = 64
//! ```

use std::{collections::BTreeMap, path::Path, time::Duration};

use serde::Deserialize;
use stablerail_indexer::ChainKind;

use crate::error::{Error, Result};

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite:PATH` or `postgres://...`: the gateway's and the indexer's database.
    #[serde(default = "default_database_url")]
    pub database_url: String,
    /// PostgreSQL: the most connections this process opens (default: twice the
    /// cores here plus one, at least 4; set it from the database server's cores when
    /// that is another machine). More than the server can run at once only queue
    /// inside it: on 2 cores, 16 connections made invoice creates slower than 4.
    #[serde(default)]
    pub database_max_connections: Option<u32>,
    /// Address the HTTP API binds to (port 0 picks a free one).
    #[serde(default = "default_listen")]
    pub listen: String,
    /// Public base URL of the gateway (checkout links); defaults to `http://<listen>`.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Name of the environment variable holding the admin token; admin routes answer
    /// 401 while it is unset.
    #[serde(default = "default_admin_env")]
    pub admin_token_env: String,
    /// How often the watcher looks for committed block ranges and due timers.
    #[serde(default = "default_watch_ms")]
    pub watch_interval_ms: u64,
    /// Invoice timers and matching.
    #[serde(default)]
    pub invoices: InvoiceConfig,
    /// Webhook delivery.
    #[serde(default)]
    pub webhooks: WebhookConfig,
    /// Dashboards: sign-in and sessions.
    #[serde(default)]
    pub dashboard: crate::session::config::DashboardConfig,
    /// The dispatcher of collections and payouts.
    #[serde(default)]
    pub dispatcher: DispatcherConfig,
    /// How the dispatcher chooses acceptors (`[dispatch]`, see `orders::settings`).
    #[serde(default)]
    pub dispatch: crate::orders::settings::DispatchSettings,
    /// The risk and AML monitor (`[risk]`, see `risk::config`).
    #[serde(default)]
    pub risk: crate::risk::RiskConfig,
    /// Gateway facts per chain (the chain must also be in `indexer.chains`).
    #[serde(default)]
    pub chains: BTreeMap<String, GatewayChain>,
    /// The embedded indexer (its `database_url` is this file's).
    pub indexer: stablerail_indexer::Config,
}

/// The platform's dispatcher key (it can only assign deals) and order defaults.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatcherConfig {
    /// Environment variable holding the dispatcher's private key (hex); collections
    /// and payouts are refused while it is unset.
    #[serde(default = "default_dispatcher_env")]
    pub key_env: String,
    /// A file holding the key (hex) instead; wins over `key_env`.
    #[serde(default)]
    pub key_file: Option<std::path::PathBuf>,
    /// Default payment window of a deal, in seconds.
    #[serde(default = "default_window")]
    pub payment_window_secs: u64,
}

impl Default for DispatcherConfig {
    fn default() -> Self {
        Self {
            key_env: default_dispatcher_env(),
            key_file: None,
            payment_window_secs: default_window(),
        }
    }
}

fn default_dispatcher_env() -> String {
    "STABLERAIL_DISPATCHER_KEY".to_owned()
}
fn default_window() -> u64 {
    1800
}

/// What the gateway needs about a chain beyond the indexer's section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayChain {
    /// EIP-155 chain id (EVM chains: written into EIP-681 payment URIs).
    #[serde(default)]
    pub chain_id: Option<u64>,
}

/// Invoice timers and matching.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceConfig {
    /// Default lifetime of an invoice (the API may ask for another).
    #[serde(default = "default_expiry")]
    pub expiry_secs: u64,
    /// How long after expiry payments are still watched (late, second payments).
    #[serde(default = "default_monitoring")]
    pub monitoring_secs: u64,
    /// How many smallest units may be added to make an amount unique.
    #[serde(default = "default_offsets")]
    pub max_unique_offset: u64,
    /// A transfer that matches no amount exactly is attributed to the nearest open
    /// invoice of the address if it is within this share of its amount (basis points).
    #[serde(default = "default_tolerance")]
    pub match_tolerance_bps: u64,
}

impl Default for InvoiceConfig {
    fn default() -> Self {
        Self {
            expiry_secs: default_expiry(),
            monitoring_secs: default_monitoring(),
            max_unique_offset: default_offsets(),
            match_tolerance_bps: default_tolerance(),
        }
    }
}

/// Webhook delivery settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookConfig {
    /// Waits before each retry, in seconds (BTCPay's: 10 s, 1 min, then six times
    /// 10 min). After the last one fails the delivery is `failed` (redeliverable).
    #[serde(default = "default_schedule")]
    pub schedule_secs: Vec<f64>,
    /// Random share added to each wait, in percent.
    #[serde(default = "default_jitter")]
    pub jitter_percent: u64,
    /// Timeout of one delivery attempt.
    #[serde(default = "default_timeout")]
    pub timeout_ms: u64,
    /// Lease on a claimed delivery; longer than the timeout so that another sender
    /// never takes a delivery that is still in flight.
    #[serde(default = "default_lease")]
    pub lease_secs: u64,
    /// Deliveries in flight at once per sender.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// How often the sender looks for due deliveries when not woken.
    #[serde(default = "default_poll")]
    pub poll_ms: u64,
    /// Allow endpoints on loopback, private, link-local and other non-public
    /// addresses (tests and local setups only).
    #[serde(default)]
    pub allow_private_targets: bool,
    /// How long the previous secret still signs after a rotation.
    #[serde(default = "default_overlap")]
    pub rotation_overlap_secs: u64,
}

impl Default for WebhookConfig {
    fn default() -> Self {
        Self {
            schedule_secs: default_schedule(),
            jitter_percent: default_jitter(),
            timeout_ms: default_timeout(),
            lease_secs: default_lease(),
            concurrency: default_concurrency(),
            poll_ms: default_poll(),
            allow_private_targets: false,
            rotation_overlap_secs: default_overlap(),
        }
    }
}

impl WebhookConfig {
    /// The wait before retry number `retry` (0-based), without jitter; `None` once the
    /// schedule is exhausted.
    pub fn retry_wait(&self, retry: usize) -> Option<Duration> {
        self.schedule_secs
            .get(retry)
            .map(|s| Duration::from_secs_f64(s.max(0.0)))
    }
}

fn default_database_url() -> String {
    "sqlite:stablerail-gateway.db".to_owned()
}
fn default_listen() -> String {
    "127.0.0.1:8000".to_owned()
}
fn default_admin_env() -> String {
    "STABLERAIL_GATEWAY_ADMIN_TOKEN".to_owned()
}
fn default_watch_ms() -> u64 {
    200
}
fn default_expiry() -> u64 {
    900
}
fn default_monitoring() -> u64 {
    3600
}
fn default_offsets() -> u64 {
    100
}
fn default_tolerance() -> u64 {
    5_000
}
fn default_schedule() -> Vec<f64> {
    vec![10.0, 60.0, 600.0, 600.0, 600.0, 600.0, 600.0, 600.0]
}
fn default_jitter() -> u64 {
    10
}
fn default_timeout() -> u64 {
    15_000
}
fn default_lease() -> u64 {
    60
}
fn default_concurrency() -> usize {
    64
}
fn default_poll() -> u64 {
    250
}
fn default_overlap() -> u64 {
    86_400
}

impl Config {
    /// Reads and checks a TOML file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("reading {}: {e}", path.display())))?;
        Self::parse(&text)
    }

    /// Parses and checks TOML text.
    pub fn parse(text: &str) -> Result<Self> {
        let mut config: Self = toml::from_str(text).map_err(|e| Error::Config(e.to_string()))?;
        config.indexer.database_url = config.database_url.clone();
        config.validate()?;
        Ok(config)
    }

    /// Checks what parsing cannot.
    pub fn validate(&self) -> Result<()> {
        self.indexer.validate()?;
        self.risk.validate().map_err(Error::Config)?;
        for name in self.risk.breaker.guardian_key_files.keys() {
            if !self.indexer.chains.contains_key(name) {
                return Err(Error::Config(format!(
                    "risk.breaker.guardian_key_files.{name}: not an indexed chain"
                )));
            }
        }
        for (name, t) in &self.risk.treasury.chains {
            let Some(kind) = self.indexer.chains.get(name).map(|c| c.kind) else {
                return Err(Error::Config(format!(
                    "risk.treasury.chains.{name}: not an indexed chain"
                )));
            };
            // Solana's limits are accounts (`spending_limits`); EVM/TRON's are keyed
            // by spender (`spenders`).
            let misplaced = match kind {
                ChainKind::Solana => (!t.spenders.is_empty()).then_some("spenders"),
                _ => (!t.spending_limits.is_empty()).then_some("spending_limits"),
            };
            if let Some(field) = misplaced {
                return Err(Error::Config(format!(
                    "risk.treasury.chains.{name}.{field}: not a setting of a {kind:?} chain"
                )));
            }
            let addresses = std::iter::once(("vault", &t.vault))
                .chain(t.spenders.iter().map(|a| ("spenders", a)))
                .chain(t.spending_limits.iter().map(|a| ("spending_limits", a)))
                .chain(t.hot_wallets.iter().map(|a| ("hot_wallets", a)));
            for (what, a) in addresses {
                let ok = match kind {
                    ChainKind::Tron => a.parse::<stablerail_sdk::tron::Address>().is_ok(),
                    ChainKind::Solana => a.parse::<stablerail_sdk::solana::sdk::Pubkey>().is_ok(),
                    ChainKind::Evm => stablerail_sdk::evm::parse_evm_address(a).is_some(),
                };
                if !ok {
                    return Err(Error::Config(format!(
                        "risk.treasury.chains.{name}.{what}: {a:?} is not an address of this chain"
                    )));
                }
            }
        }
        crate::cosigner::CoSigner::from_key_file(self.dashboard.co_signer_key_file.as_deref())
            .map_err(|e| Error::Config(e.to_string()))?;
        crate::cosigner::SolanaCoSigner::from_key_file(
            self.dashboard.co_signer_solana_key_file.as_deref(),
        )
        .map_err(|e| Error::Config(e.to_string()))?;
        self.dashboard.validate(
            &self
                .public_url
                .clone()
                .unwrap_or_else(|| format!("http://{}", self.listen)),
        )?;
        for (name, chain) in &self.indexer.chains {
            if chain.kind == ChainKind::Evm
                && self.chains.get(name).and_then(|c| c.chain_id).is_none()
            {
                return Err(Error::Config(format!(
                    "chains.{name}.chain_id is required for an EVM chain (EIP-681 payment URIs)"
                )));
            }
        }
        for name in self.chains.keys() {
            if !self.indexer.chains.contains_key(name) {
                return Err(Error::Config(format!(
                    "chains.{name} has no indexer.chains.{name} section"
                )));
            }
        }
        if self.webhooks.lease_secs * 1000 <= self.webhooks.timeout_ms {
            return Err(Error::Config(
                "webhooks.lease_secs must exceed webhooks.timeout_ms".into(),
            ));
        }
        if self.dispatch.heartbeat_timeout_secs == 0 || self.dispatch.window_secs == 0 {
            return Err(Error::Config(
                "dispatch.heartbeat_timeout_secs and dispatch.window_secs must be at least 1"
                    .into(),
            ));
        }
        if self.dispatch.max_attempts == 0 {
            return Err(Error::Config(
                "dispatch.max_attempts must be at least 1".into(),
            ));
        }
        if self.webhooks.concurrency == 0 {
            return Err(Error::Config(
                "webhooks.concurrency must be at least 1".into(),
            ));
        }
        Ok(())
    }

    /// The kind of a configured chain.
    pub fn chain_kind(&self, chain: &str) -> Option<ChainKind> {
        self.indexer.chains.get(chain).map(|c| c.kind)
    }
}
