//! Native integration tests of the escrow program in solana-program-test,
//! with the real SPL Token program.

// solana-program-test 3.1 marks its whole API deprecated ahead of the
// `agave-unstable-api` feature of 4.x; it is the supported test runtime here.
#![allow(deprecated)]
// A failed setup step should abort the test with its message.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod conformance;
mod flows;
mod harness;
mod props;
mod v2;
