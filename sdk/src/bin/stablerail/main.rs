//! `stablerail`: the command line over the stablerail SDK.

mod amount;
mod escrow;
mod evm;
mod fees;
mod inputs;
mod keys;
mod multisig;
mod output;
mod pay_uri;
mod proposal_call;
mod solana;
mod tron;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Build and sign stablerail transactions; exact USDT amounts and fee quotes.
#[derive(Debug, Parser)]
#[command(name = "stablerail", version, about)]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse a USDT amount and print its canonical form and smallest units.
    Amount(amount::AmountArgs),
    /// Fee quotes with the reference fee math.
    #[command(subcommand)]
    Fees(fees::FeesCommand),
    /// Payment request URIs (EIP-681, Solana Pay, TRON) for a wallet to scan.
    #[command(subcommand)]
    PayUri(pay_uri::PayUriCommand),
    /// TRON addresses, transactions and transfers.
    #[command(subcommand)]
    Tron(tron::TronCommand),
    /// Ethereum (EVM): escrow actions and multisig proposals.
    #[command(subcommand)]
    Evm(evm::EvmCommand),
    /// Solana: the escrow and multisig programs.
    #[command(subcommand)]
    Solana(solana::SolanaCommand),
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let out = output::Output { json: cli.json };
    let result = match cli.command {
        Command::Amount(args) => amount::run(&out, &args),
        Command::Fees(cmd) => fees::run(&out, cmd),
        Command::PayUri(cmd) => pay_uri::run(&out, cmd),
        Command::Tron(cmd) => tron::run(&out, cmd),
        Command::Evm(cmd) => evm::run(&out, cmd),
        Command::Solana(cmd) => solana::run(&out, cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
