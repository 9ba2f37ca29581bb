//! SPL Token and Token-2022 as far as the platform needs them without the SPL
//! crates: `TransferChecked`, the Associated Token program's `CreateIdempotent`,
//! and the base layouts of a token account and a mint (the same first bytes in
//! both programs; Token-2022 extensions come after them).

use solana_instruction::{AccountMeta, Instruction};
use solana_pubkey::Pubkey;

use super::error::SolanaError;
use crate::solana::pda::{
    ASSOCIATED_TOKEN_PROGRAM_ID, SYSTEM_PROGRAM_ID, TOKEN_2022_PROGRAM_ID, TOKEN_PROGRAM_ID,
};

/// `TokenInstruction::TransferChecked`'s tag.
const TRANSFER_CHECKED: u8 = 12;
/// `AssociatedTokenAccountInstruction::CreateIdempotent`'s tag.
const CREATE_IDEMPOTENT: u8 = 1;
/// Length of a token account's base state.
pub const TOKEN_ACCOUNT_LEN: usize = 165;
/// Length of a mint's base state.
pub const MINT_LEN: usize = 82;

/// Whether `program` is SPL Token or Token-2022.
pub fn is_token_program(program: &Pubkey) -> bool {
    *program == TOKEN_PROGRAM_ID || *program == TOKEN_2022_PROGRAM_ID
}

/// `TransferChecked`: `amount` of `mint` (with its `decimals`) from `source` to
/// `destination`, signed by `authority` (the source's owner).
pub fn transfer_checked(
    token_program: &Pubkey,
    source: &Pubkey,
    mint: &Pubkey,
    destination: &Pubkey,
    authority: &Pubkey,
    amount: u64,
    decimals: u8,
) -> Result<Instruction, SolanaError> {
    if amount == 0 {
        return Err(SolanaError::ZeroAmount {
            field: "transfer amount",
        });
    }
    if !is_token_program(token_program) {
        return Err(SolanaError::TokenAccount {
            what: "a token program",
            address: token_program.to_string(),
        });
    }
    let mut data = vec![TRANSFER_CHECKED];
    data.extend_from_slice(&amount.to_le_bytes());
    data.push(decimals);
    Ok(Instruction {
        program_id: *token_program,
        accounts: vec![
            AccountMeta::new(*source, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new(*destination, false),
            AccountMeta::new_readonly(*authority, true),
        ],
        data,
    })
}

/// The Associated Token program's `CreateIdempotent`: `owner`'s associated token
/// account of `mint`, paid by `payer`; nothing happens if it exists.
pub fn create_associated_token_account_idempotent(
    payer: &Pubkey,
    owner: &Pubkey,
    mint: &Pubkey,
    token_program: &Pubkey,
) -> Instruction {
    let ata = crate::solana::pda::associated_token_account(owner, mint, token_program);
    Instruction {
        program_id: ASSOCIATED_TOKEN_PROGRAM_ID,
        accounts: vec![
            AccountMeta::new(*payer, true),
            AccountMeta::new(ata, false),
            AccountMeta::new_readonly(*owner, false),
            AccountMeta::new_readonly(*mint, false),
            AccountMeta::new_readonly(SYSTEM_PROGRAM_ID, false),
            AccountMeta::new_readonly(*token_program, false),
        ],
        data: vec![CREATE_IDEMPOTENT],
    }
}

/// A token account's base state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenAccount {
    /// Its mint.
    pub mint: Pubkey,
    /// Its owner (who signs transfers out of it).
    pub owner: Pubkey,
    /// Its balance in the mint's smallest units.
    pub amount: u64,
}

impl TokenAccount {
    /// Decodes the base state of an SPL Token / Token-2022 account's data (owned
    /// by `program`); `None` if it is not an initialised token account.
    pub fn decode(program: &Pubkey, data: &[u8]) -> Option<Self> {
        if !is_token_program(program) || data.len() < TOKEN_ACCOUNT_LEN {
            return None;
        }
        // A Token-2022 mint with extensions is longer than a token account too; its
        // account type byte (after the base) tells them apart.
        if data.len() > TOKEN_ACCOUNT_LEN && data[TOKEN_ACCOUNT_LEN] != 2 {
            return None;
        }
        // state: 0 uninitialised, 1 initialised, 2 frozen.
        if !matches!(data[108], 1 | 2) {
            return None;
        }
        let key = |at: usize| Pubkey::try_from(&data[at..at + 32]).ok();
        Some(Self {
            mint: key(0)?,
            owner: key(32)?,
            amount: u64::from_le_bytes(data[64..72].try_into().ok()?),
        })
    }
}

/// A mint's decimals from its data (owned by `program`); `None` if it is not an
/// initialised mint.
pub fn mint_decimals(program: &Pubkey, data: &[u8]) -> Option<u8> {
    if !is_token_program(program) || data.len() < MINT_LEN || data.len() == TOKEN_ACCOUNT_LEN {
        return None;
    }
    // Token-2022 with extensions: the account type byte after the base says mint (1).
    if data.len() > TOKEN_ACCOUNT_LEN && data[TOKEN_ACCOUNT_LEN] != 1 {
        return None;
    }
    // is_initialized at 45, decimals at 44.
    (data[45] == 1).then_some(data[44])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transfer_checked_layout_and_refusals() {
        let k = |n: u8| Pubkey::new_from_array([n; 32]);
        let ix = transfer_checked(&TOKEN_PROGRAM_ID, &k(1), &k(2), &k(3), &k(4), 258, 6).unwrap();
        assert_eq!(ix.data, vec![12, 2, 1, 0, 0, 0, 0, 0, 0, 6]);
        assert_eq!(ix.accounts[3], AccountMeta::new_readonly(k(4), true));
        assert!(transfer_checked(&TOKEN_PROGRAM_ID, &k(1), &k(2), &k(3), &k(4), 0, 6).is_err());
        assert!(transfer_checked(&k(9), &k(1), &k(2), &k(3), &k(4), 1, 6).is_err());
    }

    #[test]
    fn token_account_and_mint_decode() {
        let mut data = vec![0u8; TOKEN_ACCOUNT_LEN];
        data[..32].copy_from_slice(&[1; 32]);
        data[32..64].copy_from_slice(&[2; 32]);
        data[64..72].copy_from_slice(&7u64.to_le_bytes());
        assert_eq!(TokenAccount::decode(&TOKEN_PROGRAM_ID, &data), None);
        data[108] = 1;
        let a = TokenAccount::decode(&TOKEN_PROGRAM_ID, &data).unwrap();
        assert_eq!(
            (a.mint, a.owner, a.amount),
            (
                Pubkey::new_from_array([1; 32]),
                Pubkey::new_from_array([2; 32]),
                7
            )
        );
        assert_eq!(TokenAccount::decode(&SYSTEM_PROGRAM_ID, &data), None);
        let mut mint = vec![0u8; MINT_LEN];
        mint[44] = 6;
        assert_eq!(mint_decimals(&TOKEN_PROGRAM_ID, &mint), None);
        mint[45] = 1;
        assert_eq!(mint_decimals(&TOKEN_PROGRAM_ID, &mint), Some(6));
        assert_eq!(mint_decimals(&TOKEN_PROGRAM_ID, &data), None);
    }
}
