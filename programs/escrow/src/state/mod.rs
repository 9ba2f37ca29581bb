//! Program accounts and the logic they own.

mod buy_order;
mod config;
mod deal;
mod escrow_account;
mod fees;
pub mod seeds;

pub use buy_order::*;
pub use config::*;
pub use deal::*;
pub use escrow_account::*;
pub use fees::*;
