//! The pieces behind `make demo`, shared with the workspace's end-to-end tests:
//! starting the pinned local node, deploying stablerail's contracts on it, and
//! acting as the platform through its multisig.

mod deploy;
mod devnet;
mod error;
mod platform;

pub use deploy::{Deployment, MockUSDTEthereum, OperatorKeys, PlatformConfig, deploy_platform};
pub use devnet::{Devnet, anvil_path};
pub use error::{Error, Result};
pub use platform::MultisigAdmin;
