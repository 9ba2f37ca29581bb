//! Account types of the program and their PDA seeds.
#![warn(missing_docs)]

mod multisig;
mod proposal;
pub mod seeds;
mod spending_limit;

pub use multisig::*;
pub use proposal::*;
pub use seeds::*;
pub use spending_limit::*;
