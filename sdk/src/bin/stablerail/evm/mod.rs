//! `stablerail evm`: escrow actions and multisig proposals on Ethereum (any EVM chain).

mod escrow;

use alloy::{
    network::EthereumWallet,
    primitives::Address,
    providers::{DynProvider, Provider, ProviderBuilder},
    signers::local::PrivateKeySigner,
};
use anyhow::Context as _;
use clap::Subcommand;
use stablerail_sdk::evm::{Eip1559Fees, FeeLevel, estimate_fees};

use crate::output::Output;

/// `stablerail evm` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum EvmCommand {
    /// Escrow actions of merchants, acceptors, traders and agents, and escrow reads.
    Escrow(escrow::EscrowArgs),
    /// Multisig proposals: propose, sign (one owner per invocation), execute, show.
    Multisig(crate::multisig::MultisigArgs),
}

/// Runs a `stablerail evm` subcommand.
pub(crate) fn run(out: &Output, cmd: EvmCommand) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match cmd {
        EvmCommand::Escrow(args) => rt.block_on(escrow::run(out, args)),
        EvmCommand::Multisig(args) => rt.block_on(crate::multisig::run(
            out,
            args,
            stablerail_sdk::evm::Chain::Evm,
        )),
    }
}

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
