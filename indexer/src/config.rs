//! The indexer's configuration: one TOML file, one section per chain.
//!
//! ```toml
//! database_url = "sqlite:stablerail-indexer.db"   # default; postgres://... for production
//! api_listen = "127.0.0.1:8080"
//!
//! [chains.ethereum]
//! kind = "evm"
//! rpc_urls = ["http://127.0.0.1:8545"]
//! finality_depth = 64
//! start_block = 0
//! usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
//! watched = []                 # empty: every transfer of the token
//! poll_interval_ms = 2000
//!
//! [chains.tron]
//! kind = "tron"
//! rpc_urls = ["http://127.0.0.1:8090"]
//! usdt = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
//!
//! [chains.solana]
//! kind = "solana"
//! rpc_urls = ["https://api.mainnet-beta.solana.com"]
//! usdt = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"   # the USDT mint
//! escrow = "..."              # the escrow's config account (one per deployment)
//! multisig = "..."            # the multisig account
//! ```

use std::{collections::BTreeMap, path::Path};

use alloy::primitives::Address;
use serde::Deserialize;

use crate::{
    chain::ChainKind,
    error::{Error, Result},
};

/// Default database: a SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite:stablerail-indexer.db";
/// Default listen address of the query API.
pub const DEFAULT_API_LISTEN: &str = "127.0.0.1:8080";

/// The whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// `sqlite:PATH` (created if missing) or `postgres://user@host/db`.
    #[serde(default = "default_database_url")]
    pub database_url: String,
    /// Address the query API binds to in `run`.
    #[serde(default = "default_api_listen")]
    pub api_listen: String,
    /// One section per chain, keyed by the chain's name (stored in every row).
    #[serde(default)]
    pub chains: BTreeMap<String, ChainConfig>,
}

fn default_database_url() -> String {
    DEFAULT_DATABASE_URL.to_owned()
}
fn default_api_listen() -> String {
    DEFAULT_API_LISTEN.to_owned()
}

/// One `[chains.NAME]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChainConfig {
    /// `evm`, `tron` or `solana`.
    pub kind: ChainKind,
    /// Node endpoints; the first is used, the others are fallbacks tried in turn on errors.
    pub rpc_urls: Vec<String>,
    /// Blocks behind the head after which a block is final and its rows `confirmed`
    /// (EVM). On TRON the node's solid block and on Solana the `finalized` commitment
    /// are the finality line and this is ignored.
    #[serde(default = "default_finality_depth")]
    pub finality_depth: u64,
    /// First block to index when the store has no cursor for this chain.
    #[serde(default)]
    pub start_block: u64,
    /// The USDT token contract (EVM hex or TRON base58; Solana: the mint).
    pub usdt: String,
    /// The stablerail escrow contract: its events and derived tables are indexed
    /// (Solana: the escrow program's config account of the deployment).
    #[serde(default)]
    pub escrow: Option<String>,
    /// The stablerail multisig contract: its events are indexed (Solana: the multisig
    /// program's multisig account).
    #[serde(default)]
    pub multisig: Option<String>,
    /// If non-empty, only transfers from or to one of these addresses are stored
    /// (Solana: wallets, i.e. token account owners).
    #[serde(default)]
    pub watched: Vec<String>,
    /// Sleep between polls once caught up with the head, in milliseconds.
    #[serde(default = "default_poll_interval_ms")]
    pub poll_interval_ms: u64,
    /// Blocks to stay behind the head (providers that return no logs for the newest block).
    #[serde(default = "default_head_lag")]
    pub head_lag: u64,
    /// First `eth_getLogs` range size in blocks (TRON: blocks fetched per batch).
    #[serde(default = "default_initial_range")]
    pub initial_range: u64,
    /// Largest `eth_getLogs` range size in blocks.
    #[serde(default = "default_max_range")]
    pub max_range: u64,
    /// Requests in flight at once per chain.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Per-request timeout in milliseconds.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
    /// Attempts per request before the batch is given up and retried from the loop.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: u32,
}

fn default_finality_depth() -> u64 {
    64
}
fn default_poll_interval_ms() -> u64 {
    2000
}
fn default_head_lag() -> u64 {
    1
}
fn default_initial_range() -> u64 {
    100
}
fn default_max_range() -> u64 {
    10_000
}
fn default_concurrency() -> usize {
    4
}
fn default_request_timeout_ms() -> u64 {
    30_000
}
fn default_max_attempts() -> u32 {
    8
}

/// The largest finality depth accepted: the store keeps this many block hashes.
pub const MAX_FINALITY_DEPTH: u64 = 10_000;

impl Config {
    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::ConfigRead {
            path: path.to_owned(),
            source,
        })?;
        let config: Config = toml::from_str(&text).map_err(|source| Error::ConfigParse {
            path: path.to_owned(),
            source: Box::new(source),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Parses a config from TOML text (tests, embedded configs) and validates it.
    pub fn parse(text: &str) -> Result<Self> {
        let config: Config = toml::from_str(text).map_err(|source| Error::ConfigParse {
            path: "<inline>".into(),
            source: Box::new(source),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every section; the first problem found is returned.
    pub fn validate(&self) -> Result<()> {
        for (name, chain) in &self.chains {
            chain.validate(name)?;
        }
        Ok(())
    }

    /// The section of one chain.
    pub fn chain(&self, name: &str) -> Result<&ChainConfig> {
        self.chains.get(name).ok_or_else(|| Error::UnknownChain {
            chain: name.to_owned(),
        })
    }
}

impl ChainConfig {
    fn validate(&self, name: &str) -> Result<()> {
        let bad = |field: &'static str, reason: String| Error::ConfigInvalid {
            chain: name.to_owned(),
            field,
            reason,
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(bad("name", "use letters, digits, '-' and '_' only".into()));
        }
        if self.rpc_urls.is_empty() {
            return Err(bad("rpc_urls", "at least one URL is required".into()));
        }
        for url in &self.rpc_urls {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(bad("rpc_urls", format!("`{url}` is not an http(s) URL")));
            }
        }
        if self.finality_depth == 0 || self.finality_depth > MAX_FINALITY_DEPTH {
            return Err(bad(
                "finality_depth",
                format!("must be in 1..={MAX_FINALITY_DEPTH}"),
            ));
        }
        if self.initial_range == 0 || self.max_range == 0 || self.initial_range > self.max_range {
            return Err(bad(
                "initial_range",
                "need 1 <= initial_range <= max_range".into(),
            ));
        }
        if self.concurrency == 0 || self.concurrency > 64 {
            return Err(bad("concurrency", "must be in 1..=64".into()));
        }
        if self.max_attempts == 0 {
            return Err(bad("max_attempts", "must be at least 1".into()));
        }
        if self.request_timeout_ms == 0 {
            return Err(bad("request_timeout_ms", "must be positive".into()));
        }
        let check = |field: &'static str, addr: &str| -> Result<()> {
            self.kind
                .normalize_address(addr)
                .map(|_| ())
                .map_err(|e| bad(field, e.to_string()))
        };
        check("usdt", &self.usdt)?;
        if let Some(a) = &self.escrow {
            check("escrow", a)?;
        }
        if let Some(a) = &self.multisig {
            check("multisig", a)?;
        }
        for a in &self.watched {
            check("watched", a)?;
        }
        Ok(())
    }

    /// The token contract as 20 bytes (TRON: without the 0x41 prefix; an error on
    /// Solana, whose source reads [`ChainConfig::normalized`] instead).
    pub fn usdt_address(&self) -> Result<Address> {
        self.kind.parse_address(&self.usdt)
    }

    /// The escrow and multisig contracts whose events are decoded.
    pub fn contracts(&self) -> Result<crate::events::Contracts> {
        let parse =
            |a: &Option<String>| a.as_deref().map(|a| self.kind.parse_address(a)).transpose();
        Ok(crate::events::Contracts {
            escrow: parse(&self.escrow)?,
            multisig: parse(&self.multisig)?,
        })
    }

    /// The watched addresses as 20 bytes each.
    pub fn watched_addresses(&self) -> Result<Vec<Address>> {
        self.watched
            .iter()
            .map(|a| self.kind.parse_address(a))
            .collect()
    }

    /// `(usdt, escrow, multisig, watched)` in the text forms the store keeps.
    pub fn normalized(&self) -> Result<NormalizedAddresses> {
        let n = |a: &str| self.kind.normalize_address(a);
        Ok(NormalizedAddresses {
            usdt: n(&self.usdt)?,
            escrow: self.escrow.as_deref().map(n).transpose()?,
            multisig: self.multisig.as_deref().map(n).transpose()?,
            watched: self.watched.iter().map(|a| n(a)).collect::<Result<_>>()?,
        })
    }
}

/// A chain section's addresses in the store's text forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedAddresses {
    /// The token (Solana: the mint).
    pub usdt: String,
    /// The escrow (Solana: its config account).
    pub escrow: Option<String>,
    /// The multisig (Solana: its multisig account).
    pub multisig: Option<String>,
    /// Watched addresses (Solana: wallets).
    pub watched: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_validation() {
        let c = Config::parse(
            r#"
            [chains.eth]
            kind = "evm"
            rpc_urls = ["http://127.0.0.1:8545"]
            usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
            "#,
        )
        .unwrap();
        assert_eq!(c.database_url, DEFAULT_DATABASE_URL);
        let eth = c.chain("eth").unwrap();
        assert_eq!(eth.finality_depth, 64);
        assert_eq!(eth.head_lag, 1);
        assert!(c.chain("tron").is_err());

        let bad_addr = Config::parse(
            r#"
            [chains.tron]
            kind = "tron"
            rpc_urls = ["http://127.0.0.1:8090"]
            usdt = "TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUs"
            "#,
        );
        assert!(matches!(
            bad_addr,
            Err(Error::ConfigInvalid { field: "usdt", .. })
        ));
        let solana = Config::parse(
            r#"
            [chains.sol]
            kind = "solana"
            rpc_urls = ["http://127.0.0.1:8899"]
            usdt = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB"
            watched = ["TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"]
            "#,
        )
        .unwrap();
        let n = solana.chain("sol").unwrap().normalized().unwrap();
        assert_eq!(n.usdt, "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB");
        let bad_key = Config::parse(
            r#"
            [chains.sol]
            kind = "solana"
            rpc_urls = ["http://127.0.0.1:8899"]
            usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
            "#,
        );
        assert!(matches!(
            bad_key,
            Err(Error::ConfigInvalid { field: "usdt", .. })
        ));
        let unknown_field = Config::parse("databse_url = \"x\"");
        assert!(matches!(unknown_field, Err(Error::ConfigParse { .. })));
        let bad_range = Config::parse(
            r#"
            [chains.eth]
            kind = "evm"
            rpc_urls = ["http://x"]
            usdt = "0xdAC17F958D2ee523a2206206994597C13D831ec7"
            initial_range = 10
            max_range = 5
            "#,
        );
        assert!(matches!(
            bad_range,
            Err(Error::ConfigInvalid {
                field: "initial_range",
                ..
            })
        ));
    }
}
