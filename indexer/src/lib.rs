#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod amount;
pub mod api;
pub mod chain;
pub mod config;
pub mod decode;
mod error;
pub mod events;
pub mod metrics;
pub mod pipeline;
mod service;
pub mod source;
pub mod store;

pub use amount::Amount;
pub use chain::ChainKind;
pub use config::{ChainConfig, Config};
pub use error::{Error, Result};
pub use pipeline::{ChainIndexer, Step};
pub use service::{Service, ServiceOptions, create_api_key};
pub use store::Store;
