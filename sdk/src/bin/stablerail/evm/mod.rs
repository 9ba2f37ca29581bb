//! `stablerail evm`: escrow actions and multisig proposals on Ethereum (any EVM chain).

mod escrow;
pub(crate) mod rpc;
mod transfer;

use clap::Subcommand;

use crate::output::Output;

/// `stablerail evm` subcommands.
#[derive(Debug, Subcommand)]
pub(crate) enum EvmCommand {
    /// Escrow actions of merchants, acceptors, traders and agents, and escrow reads.
    Escrow(escrow::EscrowArgs),
    /// Multisig proposals: propose, sign (one owner per invocation), execute, show.
    Multisig(crate::multisig::MultisigArgs),
    /// Send USDT (or another ERC-20 token) from the key's account.
    Transfer(Box<transfer::TransferArgs>),
}

/// Runs a `stablerail evm` subcommand.
pub(crate) fn run(out: &Output, cmd: EvmCommand) -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    match cmd {
        EvmCommand::Escrow(args) => rt.block_on(escrow::run(out, args)),
        EvmCommand::Transfer(args) => rt.block_on(transfer::run(out, *args)),
        EvmCommand::Multisig(args) => rt.block_on(crate::multisig::run(
            out,
            args,
            stablerail_sdk::evm::Chain::Evm,
        )),
    }
}
