//! Program ids and every PDA of the two programs, derived with the seeds the
//! programs document in `state/seeds.rs`.
//!
//! | program  | account        | seeds                                                  |
//! |----------|----------------|--------------------------------------------------------|
//! | escrow   | `Config`       | `["config", creator]`                                  |
//! | escrow   | vault (token)  | `["vault", config]`                                    |
//! | escrow   | `EscrowAccount`| `["account", config, wallet]`                          |
//! | escrow   | `BuyOrder`     | `["buy_order", config, order_id u64 LE]`               |
//! | escrow   | `Deal`         | `["deal", config, deal_id u64 LE]`                     |
//! | multisig | `Multisig`     | `["multisig", create_key]`                             |
//! | multisig | vault          | `["multisig", multisig, "vault"]`                      |
//! | multisig | `Proposal`     | `["multisig", multisig, "proposal", index u64 LE]`     |
//! | multisig | `SpendingLimit`| `["multisig", multisig, "spending_limit", create_key]` |
//! | both     | event authority| `["__event_authority"]` (Anchor's `#[event_cpi]`)      |

use solana_pubkey::{Pubkey, pubkey};

/// The escrow program (`programs/escrow`, `declare_id!`).
pub const ESCROW_PROGRAM_ID: Pubkey = pubkey!("8mgp8omxyW1PuTtT22v9Jez8UjKvKZXeZMUAxVUEE2Q1");
/// The multisig program (`programs/multisig`, `declare_id!`).
pub const MULTISIG_PROGRAM_ID: Pubkey = pubkey!("GfRUg2EM6tEfLnvNojDykxKsiMKWSsKVDeopNjoo6F3Y");
/// The system program.
pub const SYSTEM_PROGRAM_ID: Pubkey = pubkey!("11111111111111111111111111111111");
/// The SPL Token program.
pub const TOKEN_PROGRAM_ID: Pubkey = pubkey!("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
/// The Token-2022 program.
pub const TOKEN_2022_PROGRAM_ID: Pubkey = pubkey!("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb");
/// The associated token account program.
pub const ASSOCIATED_TOKEN_PROGRAM_ID: Pubkey =
    pubkey!("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL");
/// USDT's mint on Solana mainnet.
pub const USDT_MINT_MAINNET: Pubkey = pubkey!("Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB");

/// Escrow seed: the config, followed by its creator.
pub const SEED_CONFIG: &[u8] = b"config";
/// Escrow seed: the vault token account, followed by the config.
pub const SEED_VAULT: &[u8] = b"vault";
/// Escrow seed: an escrow account, followed by the config and the wallet.
pub const SEED_ACCOUNT: &[u8] = b"account";
/// Escrow seed: a buy order, followed by the config and the order id (u64 LE).
pub const SEED_BUY_ORDER: &[u8] = b"buy_order";
/// Escrow seed: a deal, followed by the config and the deal id (u64 LE).
pub const SEED_DEAL: &[u8] = b"deal";
/// Multisig seed: first seed of every multisig PDA.
pub const SEED_MULTISIG: &[u8] = b"multisig";
/// Multisig seed: the vault.
pub const SEED_MULTISIG_VAULT: &[u8] = b"vault";
/// Multisig seed: a proposal.
pub const SEED_PROPOSAL: &[u8] = b"proposal";
/// Multisig seed: a spending limit.
pub const SEED_SPENDING_LIMIT: &[u8] = b"spending_limit";
/// Seed of each program's event authority, the PDA that signs the program's
/// self-CPI carrying an event (Anchor's `emit_cpi!`; docs/rules.md, "Events").
pub const SEED_EVENT_AUTHORITY: &[u8] = b"__event_authority";

/// The escrow config created by `creator`.
pub fn escrow_config(creator: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[SEED_CONFIG, creator.as_ref()], &ESCROW_PROGRAM_ID).0
}

/// The escrow's vault token account of `config`.
pub fn escrow_vault(config: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[SEED_VAULT, config.as_ref()], &ESCROW_PROGRAM_ID).0
}

/// The escrow account of `wallet` under `config`.
pub fn escrow_account(config: &Pubkey, wallet: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[SEED_ACCOUNT, config.as_ref(), wallet.as_ref()],
        &ESCROW_PROGRAM_ID,
    )
    .0
}

/// Buy order `id` under `config`.
pub fn buy_order(config: &Pubkey, id: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[SEED_BUY_ORDER, config.as_ref(), &id.to_le_bytes()],
        &ESCROW_PROGRAM_ID,
    )
    .0
}

/// Deal `id` under `config`.
pub fn deal(config: &Pubkey, id: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[SEED_DEAL, config.as_ref(), &id.to_le_bytes()],
        &ESCROW_PROGRAM_ID,
    )
    .0
}

/// The multisig created with `create_key`.
pub fn multisig(create_key: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[SEED_MULTISIG, create_key.as_ref()], &MULTISIG_PROGRAM_ID).0
}

/// The vault of `multisig`: it signs executed proposals and is the escrow's admin,
/// arbiter and treasury.
pub fn multisig_vault(multisig: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[SEED_MULTISIG, multisig.as_ref(), SEED_MULTISIG_VAULT],
        &MULTISIG_PROGRAM_ID,
    )
    .0
}

/// Proposal `index` (1, 2, ...) of `multisig`.
pub fn proposal(multisig: &Pubkey, index: u64) -> Pubkey {
    Pubkey::find_program_address(
        &[
            SEED_MULTISIG,
            multisig.as_ref(),
            SEED_PROPOSAL,
            &index.to_le_bytes(),
        ],
        &MULTISIG_PROGRAM_ID,
    )
    .0
}

/// The spending limit of `multisig` created with `create_key`.
pub fn spending_limit(multisig: &Pubkey, create_key: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[
            SEED_MULTISIG,
            multisig.as_ref(),
            SEED_SPENDING_LIMIT,
            create_key.as_ref(),
        ],
        &MULTISIG_PROGRAM_ID,
    )
    .0
}

/// The event authority of `program`: every instruction of the escrow and the
/// multisig takes it, then the program itself, as its last two accounts.
pub fn event_authority(program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(&[SEED_EVENT_AUTHORITY], program).0
}

/// The associated token account of `owner` for `mint` under `token_program`.
pub fn associated_token_account(owner: &Pubkey, mint: &Pubkey, token_program: &Pubkey) -> Pubkey {
    Pubkey::find_program_address(
        &[owner.as_ref(), token_program.as_ref(), mint.as_ref()],
        &ASSOCIATED_TOKEN_PROGRAM_ID,
    )
    .0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn associated_token_account_is_off_curve_and_per_program() {
        // A PDA never lies on the curve, and the token program is part of the seeds.
        let owner = Pubkey::new_from_array([7; 32]);
        let ata = associated_token_account(&owner, &USDT_MINT_MAINNET, &TOKEN_PROGRAM_ID);
        assert!(!ata.is_on_curve());
        assert_ne!(
            ata,
            associated_token_account(&owner, &USDT_MINT_MAINNET, &TOKEN_2022_PROGRAM_ID)
        );
    }

    #[test]
    fn distinct_ids_give_distinct_addresses() {
        let config = escrow_config(&Pubkey::new_from_array([1; 32]));
        assert_ne!(deal(&config, 0), deal(&config, 1));
        assert_ne!(deal(&config, 0), buy_order(&config, 0));
        let m = multisig(&Pubkey::new_from_array([2; 32]));
        assert_ne!(proposal(&m, 1), multisig_vault(&m));
        assert_ne!(
            event_authority(&ESCROW_PROGRAM_ID),
            event_authority(&MULTISIG_PROGRAM_ID)
        );
    }
}
