//! The rules, one file per family. Every function here is pure (no I/O): the monitor
//! reads the rows and passes them in, so each rule is unit-tested on plain values.

pub mod blacklist;
pub mod escrow;
pub mod flows;
pub mod health;
pub mod rings;
pub mod screening;
pub mod treasury;
