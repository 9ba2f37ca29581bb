//! `status`: cursor, head and lag per chain, and its escrow/multisig event counts.

use stablerail_indexer::Config;

pub(super) async fn run(config: Config) -> anyhow::Result<()> {
    let store = super::open_store(&config).await?;
    let cursors = store.cursors().await?;
    println!("database: {}", store.backend());
    let mut names: Vec<&String> = config.chains.keys().collect();
    for c in &cursors {
        if !names.contains(&&c.chain) {
            names.push(&c.chain);
        }
    }
    for name in names {
        match cursors.iter().find(|c| &c.chain == name) {
            Some(c) => {
                let (escrow, multisig) = store.event_counts(name).await?;
                println!(
                    "{name}: cursor {} head {} finalized {} lag {} (updated {}); {escrow} escrow and {multisig} multisig events",
                    c.block_number,
                    c.head_number,
                    c.finalized_number,
                    c.head_number.saturating_sub(c.block_number),
                    c.updated_at
                )
            }
            None => println!("{name}: not started"),
        }
    }
    Ok(())
}
