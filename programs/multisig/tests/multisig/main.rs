//! Integration tests of the multisig program, executed natively in a real
//! bank (solana-program-test) with the real SPL Token program.
//!
//! Run: `cargo test -p stablerail-multisig --test multisig`.

// Tests may unwrap; the test binary has no public API, so `pub` in its
// modules only shares helpers between them; agave 3.1 marks solana-program-test
// `deprecated` to announce its move to the unstable-API feature in 4.0.
#![allow(clippy::unwrap_used, clippy::expect_used, unreachable_pub, deprecated)]

mod config;
mod escrow;
mod harness;
mod proposals;
mod protected;
mod spending_limits;
