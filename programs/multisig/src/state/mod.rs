//! Account types of the program and their PDA seeds.
// With `idl-build`, Anchor's macros add undocumented IDL functions.
#![cfg_attr(not(feature = "idl-build"), warn(missing_docs))]

mod multisig;
mod proposal;
pub mod seeds;
mod spending_limit;

pub use multisig::*;
pub use proposal::*;
pub use seeds::*;
pub use spending_limit::*;
