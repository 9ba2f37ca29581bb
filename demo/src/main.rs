//! `stablerail-demo`: the main job of `make demo`.

use clap::Parser;

/// Starts a local chain and deploys stablerail on it.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Cli {
    /// Exit after the report instead of serving until Ctrl-C.
    #[arg(long)]
    once: bool,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let devnet = stablerail_demo::Devnet::start()?;
    println!("local chain: anvil at {}", devnet.rpc_url());
    if !cli.once {
        println!("serving until Ctrl-C");
    }
    Ok(())
}
