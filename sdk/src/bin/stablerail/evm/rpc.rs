//! The EVM node as the CLI's commands use it: a provider that signs with the
//! caller's key, EIP-1559 fees, the chain's time, and addresses in checksummed text.
//! Shared by `stablerail evm escrow` and the multisig commands.

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use anyhow::Context as _;
use stablerail_sdk::evm::{Eip1559Fees, FeeLevel, estimate_fees};

/// A provider for `rpc_url` that signs with `signer`, or a read-only one.
pub(crate) fn provider(
    rpc_url: &str,
    signer: Option<PrivateKeySigner>,
) -> anyhow::Result<DynProvider> {
    let url = rpc_url
        .parse()
        .with_context(|| format!("--rpc-url {rpc_url:?} is not a URL"))?;
    Ok(match signer {
        Some(s) => ProviderBuilder::new()
            .wallet(EthereumWallet::from(s))
            .connect_http(url)
            .erased(),
        None => ProviderBuilder::new().connect_http(url).erased(),
    })
}

/// EIP-1559 fees for `level` from the node's fee history.
pub(crate) async fn fees(provider: &DynProvider, level: FeeLevel) -> anyhow::Result<Eip1559Fees> {
    estimate_fees(provider, level)
        .await
        .context("estimating EIP-1559 fees")
}

/// The latest block's timestamp: the chain's "now" for deadlines and expiries.
pub(crate) async fn chain_time(provider: &DynProvider) -> anyhow::Result<u64> {
    let block = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await
        .context("reading the latest block")?
        .context("the node has no latest block")?;
    Ok(block.header.timestamp)
}

/// Checksummed text of an address.
pub(crate) fn show(a: Address) -> String {
    a.to_checksum(None)
}
