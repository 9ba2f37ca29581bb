//! PDA seeds of every account of the program.
//!
//! | account        | seeds                                                        |
//! |----------------|--------------------------------------------------------------|
//! | Multisig       | `["multisig", create_key]`                                   |
//! | vault          | `["multisig", multisig, "vault"]`                            |
//! | Proposal       | `["multisig", multisig, "proposal", index as u64 LE]`        |
//! | SpendingLimit  | `["multisig", multisig, "spending_limit", create_key]`       |

/// First seed of every PDA of the program.
pub const SEED_PREFIX: &[u8] = b"multisig";
/// Seed of the vault PDA that signs executed instructions and spends.
pub const SEED_VAULT: &[u8] = b"vault";
/// Seed of proposal accounts.
pub const SEED_PROPOSAL: &[u8] = b"proposal";
/// Seed of spending-limit accounts.
pub const SEED_SPENDING_LIMIT: &[u8] = b"spending_limit";
