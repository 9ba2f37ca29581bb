//! A local EVM chain: the anvil binary pinned in package-lock.json, spawned on a
//! free port and killed when the [`Devnet`] is dropped.

use std::path::{Path, PathBuf};

use alloy::node_bindings::{Anvil, AnvilInstance};

use crate::error::{Error, Result};

/// Environment variable that overrides where anvil is found (the Makefile sets it).
const ANVIL_ENV: &str = "STABLERAIL_ANVIL";
/// Where `make tools` installs anvil, relative to the workspace root.
const ANVIL_IN_NODE_MODULES: &str = "node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";

/// Path of the pinned anvil: `$STABLERAIL_ANVIL`, else the workspace's node_modules.
pub fn anvil_path() -> Result<PathBuf> {
    let path = match std::env::var_os(ANVIL_ENV) {
        Some(p) => PathBuf::from(p),
        // demo/ sits one level below the workspace root.
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(ANVIL_IN_NODE_MODULES),
    };
    if path.is_file() {
        Ok(path)
    } else {
        Err(Error::AnvilMissing { path })
    }
}

/// A running local chain. Dropping it stops the node.
#[derive(Debug)]
pub struct Devnet {
    anvil: AnvilInstance,
}

impl Devnet {
    /// Starts anvil on a free port with its default ten funded dev accounts.
    pub fn start() -> Result<Self> {
        Self::start_with_args(&[])
    }

    /// Starts anvil with extra command-line arguments (e.g. `--block-time`).
    pub fn start_with_args(args: &[&str]) -> Result<Self> {
        let anvil = Anvil::at(anvil_path()?)
            .port(0u16)
            .args(args.iter().copied())
            .try_spawn()?;
        Ok(Self { anvil })
    }

    /// HTTP JSON-RPC endpoint of the node.
    pub fn rpc_url(&self) -> String {
        self.anvil.endpoint()
    }

    /// The underlying instance: dev keys, addresses, chain id.
    pub fn anvil(&self) -> &AnvilInstance {
        &self.anvil
    }
}

/// The timestamp of the node's latest block: the chain's "now", which deadlines
/// are measured against (it may run ahead of the wall clock after time warps).
pub(crate) async fn chain_time<P: alloy::providers::Provider>(provider: &P) -> Result<u64> {
    let block = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .map_err(|e| {
            Error::Sdk(stablerail_sdk::evm::EvmError::Rpc {
                call: "eth_getBlockByNumber",
                message: e.to_string(),
            })
        })?
        .ok_or(Error::NoBlock)?;
    Ok(block.header.timestamp)
}
