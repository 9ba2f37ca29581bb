//! The ledger of REAL Solana transactions recorded from the test bank: the types
//! and the recorder live in the demo crate (`stablerail_demo::solana_ledger`,
//! feature `solana-node`), shared with its runtime node; re-exported here for the
//! tests that name them through `common`.

#[allow(unused_imports)]
pub(crate) use stablerail_demo::solana_ledger::*;
