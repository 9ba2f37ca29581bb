//! `api-key create|revoke|list`.

use clap::Subcommand;
use stablerail_indexer::{
    Config,
    api::{generate_api_key, hash_api_key},
};

/// API key subcommands.
#[derive(Debug, Subcommand)]
pub(super) enum Command {
    /// Create a key; it is printed once to stdout and only its sha256 is stored.
    Create {
        /// A label (who or what uses the key).
        #[arg(long)]
        name: String,
    },
    /// Revoke a key by id (see `list`).
    Revoke {
        /// The key's id.
        #[arg(long)]
        id: i64,
    },
    /// List keys (ids, names, dates; never the keys).
    List,
}

pub(super) async fn run(config: Config, cmd: Command) -> anyhow::Result<()> {
    let store = super::open_store(&config).await?;
    match cmd {
        Command::Create { name } => {
            if name.trim().is_empty() {
                anyhow::bail!("--name must not be empty");
            }
            let key = generate_api_key();
            let id = store.create_api_key(&name, &hash_api_key(&key)).await?;
            println!("id: {id}");
            println!("key: {key}");
            eprintln!("store this key now: it cannot be shown again");
        }
        Command::Revoke { id } => {
            if !store.revoke_api_key(id).await? {
                anyhow::bail!("no active API key with id {id}");
            }
            println!("revoked key {id}");
        }
        Command::List => {
            for k in store.api_keys().await? {
                let state = k
                    .revoked_at
                    .map_or("active".to_owned(), |t| format!("revoked at {t}"));
                println!("{}\t{}\tcreated at {}\t{state}", k.id, k.name, k.created_at);
            }
        }
    }
    Ok(())
}
