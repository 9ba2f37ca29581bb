//! The pieces behind `make demo`, shared with the workspace's end-to-end tests:
//! starting the pinned local node, deploying stablerail's contracts on it, and
//! acting as the platform through its multisig.

pub mod dashboard;
mod day;
mod deploy;
mod devnet;
mod error;
mod indexing;
mod local;
mod platform;
mod shop;
#[cfg(feature = "solana-node")]
pub mod solana_blocks;
#[cfg(feature = "solana-node")]
pub mod solana_ledger;
#[cfg(feature = "solana-node")]
pub mod solana_node;

pub use day::{DAY_STEPS, DayReport, lowered_fees, play_day};
pub use deploy::{Deployment, MockUSDTEthereum, OperatorKeys, PlatformConfig, deploy_platform};
pub use devnet::{Devnet, anvil_path};
pub use error::{Error, Result};
pub use indexing::{DEMO_CHAIN, DemoIndexer};
pub use local::{LocalPlatform, role};
pub use platform::MultisigAdmin;
pub use shop::{
    COLLECTIONS, Customer, Delivery, Shop, ShopAcceptor, ShopGateway, ShopInvoice, ShopMerchant,
    ShopOrder, WebhookReceiver,
};
