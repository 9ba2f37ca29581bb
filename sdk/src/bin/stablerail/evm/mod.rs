//! `stablerail evm`: escrow actions and multisig proposals on Ethereum (any EVM chain).

mod escrow;
pub(crate) mod rpc;

use clap::Subcommand;

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
