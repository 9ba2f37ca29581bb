//! The pieces behind `make demo`, shared with the workspace's end-to-end tests:
//! starting the pinned local node and deploying stablerail's contracts on it.

mod devnet;
mod error;

pub use devnet::{Devnet, anvil_path};
pub use error::{Error, Result};
