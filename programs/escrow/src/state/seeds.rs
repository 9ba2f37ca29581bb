//! Every PDA seed of the program. The SDK mirrors these byte strings.
//!
//! | account        | seeds                                         |
//! |----------------|-----------------------------------------------|
//! | `Config`       | `["config", creator]`                         |
//! | vault (token)  | `["vault", config]` (authority: the config)   |
//! | `EscrowAccount`| `["account", config, wallet]`                 |
//! | `BuyOrder`     | `["buy_order", config, order_id as u64 LE]`   |
//! | `Deal`         | `["deal", config, deal_id as u64 LE]`         |

/// Seed prefix of the [`crate::state::Config`] PDA, followed by the creator's key.
pub const SEED_CONFIG: &[u8] = b"config";
/// Seed prefix of the vault token account, followed by the config key. Its
/// token authority is the config PDA.
pub const SEED_VAULT: &[u8] = b"vault";
/// Seed prefix of an [`crate::state::EscrowAccount`], followed by the config
/// key and the wallet key.
pub const SEED_ACCOUNT: &[u8] = b"account";
/// Seed prefix of a [`crate::state::BuyOrder`], followed by the config key and
/// the order id (u64, little endian).
pub const SEED_BUY_ORDER: &[u8] = b"buy_order";
/// Seed prefix of a [`crate::state::Deal`], followed by the config key and the
/// deal id (u64, little endian).
pub const SEED_DEAL: &[u8] = b"deal";
