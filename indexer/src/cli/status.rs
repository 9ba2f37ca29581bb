//! `status`: cursor, head and lag per chain.

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
            Some(c) => println!(
                "{name}: cursor {} head {} finalized {} lag {} (updated {})",
                c.block_number,
                c.head_number,
                c.finalized_number,
                c.head_number.saturating_sub(c.block_number),
                c.updated_at
            ),
            None => println!("{name}: not started"),
        }
    }
    Ok(())
}
