//! Integration tests of stablerail-sdk: conformance vectors, the TRON client against
//! a local HTTP node, and the `stablerail` binary end to end.

mod cli;
mod conformance;
mod node;
mod tron_client;
