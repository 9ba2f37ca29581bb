//! The chains the indexer knows, in one place: what a chain's addresses and hashes look
//! like as text (parse, format, normalise, and the patterns the OpenAPI document
//! declares). Adding a kind of chain starts here; every `match` on [`ChainKind`] outside
//! this file picks the chain's source (`source/mod.rs`) and nothing else.
//!
//! Text forms the store keeps: EVM addresses and hashes as lowercase `0x` hex, TRON
//! addresses as base58check (`T...`) and TRON hashes as 64 lowercase hex digits (the
//! node's own form), Solana public keys, block hashes and transaction signatures as the
//! node's base58 (case matters).

use alloy::primitives::{Address, B256};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Which kind of node a chain section talks to, and so which text forms its addresses
/// and hashes take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChainKind {
    /// Ethereum-compatible JSON-RPC (`eth_getLogs`, `eth_getBlockByNumber`).
    Evm,
    /// TRON full-node HTTP API (`/wallet/...`).
    Tron,
    /// Solana JSON-RPC (`getSlot`, `getBlocks`, `getBlock`).
    Solana,
}

impl ChainKind {
    /// Every kind, in a fixed order.
    pub const ALL: [ChainKind; 3] = [ChainKind::Evm, ChainKind::Tron, ChainKind::Solana];

    /// Parses an address of a 20-byte chain into its 20 bytes (TRON: without the 0x41
    /// prefix). Solana keys are 32 bytes: [`ChainKind::normalize_address`] takes them.
    pub fn parse_address(self, input: &str) -> Result<Address> {
        match self {
            Self::Evm => parse_evm_address(input),
            Self::Tron => parse_tron_address(input),
            Self::Solana => Err(Error::InvalidAddress {
                kind: "solana",
                input: input.to_owned(),
                reason: "a Solana key is 32 bytes, not a 20-byte address",
            }),
        }
    }

    /// The text form the store keeps for a 20-byte address (EVM and TRON).
    pub fn format_address(self, addr: &Address) -> String {
        format_address(self, addr)
    }

    /// Parses a query or config address into the form the store keeps.
    pub fn normalize_address(self, input: &str) -> Result<String> {
        match self {
            Self::Solana => parse_solana_key(input).map(|k| bs58::encode(k).into_string()),
            _ => self.parse_address(input).map(|a| self.format_address(&a)),
        }
    }

    /// The text form the store keeps for a block or transaction hash of a 32-byte-hash
    /// chain (EVM and TRON; Solana's come from the node already in base58).
    pub fn format_hash(self, hash: &B256) -> String {
        format_hash(self, hash)
    }

    /// Parses a query transaction hash into the form the store keeps (EVM: `0x` + 64 hex
    /// digits; TRON: 64 hex digits, `0x` optional; Solana: a base58 signature of 64
    /// bytes); `param` names the parameter in the error.
    pub fn normalize_hash(self, input: &str, param: &'static str) -> Result<String> {
        let digits = match self {
            Self::Evm => input.strip_prefix("0x").ok_or_else(|| Error::BadParam {
                param,
                reason: "EVM hashes start with 0x".into(),
            })?,
            Self::Tron => input.strip_prefix("0x").unwrap_or(input),
            Self::Solana => {
                return match bs58::decode(input).into_vec() {
                    Ok(bytes) if bytes.len() == 64 => Ok(input.to_owned()),
                    _ => Err(Error::BadParam {
                        param,
                        reason: "must be a base58 transaction signature (64 bytes)".into(),
                    }),
                };
            }
        };
        if digits.len() != 64 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(Error::BadParam {
                param,
                reason: "must be 64 hex digits".into(),
            });
        }
        let digits = digits.to_ascii_lowercase();
        Ok(match self {
            Self::Tron => digits,
            _ => format!("0x{digits}"),
        })
    }

    /// A regular expression (without anchors) for every address form
    /// [`ChainKind::parse_address`] accepts (a TRON base58 address also carries a
    /// checksum, which no pattern can express).
    pub fn address_pattern(self) -> &'static str {
        match self {
            Self::Evm => "0x[0-9a-fA-F]{40}",
            Self::Tron => "T[1-9A-HJ-NP-Za-km-z]{33}|41[0-9a-fA-F]{40}",
            Self::Solana => "[1-9A-HJ-NP-Za-km-z]{32,44}",
        }
    }

    /// A regular expression (without anchors) for the hashes
    /// [`ChainKind::normalize_hash`] accepts.
    pub fn hash_pattern(self) -> &'static str {
        match self {
            Self::Evm => "0x[0-9a-fA-F]{64}",
            Self::Tron => "(0x)?[0-9a-fA-F]{64}",
            Self::Solana => "[1-9A-HJ-NP-Za-km-z]{64,88}",
        }
    }
}

/// Text form of a 20-byte address on a chain (Solana has none: its keys are 32 bytes,
/// kept in base58 as the node gives them; a 20-byte value is shown as hex there).
pub fn format_address(kind: ChainKind, addr: &Address) -> String {
    match kind {
        ChainKind::Evm | ChainKind::Solana => format!("{addr:#x}"),
        ChainKind::Tron => tron_base58(addr),
    }
}

/// Text form of a 32-byte hash on a chain (Solana: base58, the node's form).
pub fn format_hash(kind: ChainKind, hash: &B256) -> String {
    match kind {
        ChainKind::Evm => format!("{hash:#x}"),
        ChainKind::Tron => hex::encode(hash),
        ChainKind::Solana => bs58::encode(hash).into_string(),
    }
}

/// Parses a query address into the form the store keeps for `kind`.
pub fn normalize_address(kind: ChainKind, input: &str) -> Result<String> {
    kind.normalize_address(input)
}

/// Parses a Solana public key: base58 decoding to exactly 32 bytes.
pub fn parse_solana_key(input: &str) -> Result<[u8; 32]> {
    let bad = |reason| Error::InvalidAddress {
        kind: "solana",
        input: input.to_owned(),
        reason,
    };
    let raw = bs58::decode(input)
        .into_vec()
        .map_err(|_| bad("not base58"))?;
    raw.try_into().map_err(|_| bad("must decode to 32 bytes"))
}

/// Parses `0x` + 40 hex digits (any case; the checksum is not required).
pub fn parse_evm_address(input: &str) -> Result<Address> {
    let bad = |reason| Error::InvalidAddress {
        kind: "evm",
        input: input.to_owned(),
        reason,
    };
    let hex_part = input
        .strip_prefix("0x")
        .or_else(|| input.strip_prefix("0X"))
        .ok_or_else(|| bad("must start with 0x"))?;
    if hex_part.len() != 40 {
        return Err(bad("must be 40 hex digits"));
    }
    let bytes = hex::decode(hex_part).map_err(|_| bad("not hex"))?;
    Ok(Address::from_slice(&bytes))
}

/// Parses a TRON address: base58check `T...` or hex `41` + 40 digits. Returns the 20 bytes.
pub fn parse_tron_address(input: &str) -> Result<Address> {
    let bad = |reason| Error::InvalidAddress {
        kind: "tron",
        input: input.to_owned(),
        reason,
    };
    if input.len() == 42 && input.starts_with("41") {
        let bytes = hex::decode(input).map_err(|_| bad("not hex"))?;
        return Ok(Address::from_slice(&bytes[1..]));
    }
    let raw = bs58::decode(input)
        .into_vec()
        .map_err(|_| bad("not base58"))?;
    if raw.len() != 25 {
        return Err(bad("must decode to 25 bytes"));
    }
    if raw[0] != 0x41 {
        return Err(bad("prefix byte is not 0x41"));
    }
    let check = double_sha256(&raw[..21]);
    if raw[21..] != check[..4] {
        return Err(bad("bad checksum"));
    }
    Ok(Address::from_slice(&raw[1..21]))
}

/// Base58check of `0x41 ‖ addr`.
pub fn tron_base58(addr: &Address) -> String {
    let mut raw = Vec::with_capacity(25);
    raw.push(0x41);
    raw.extend_from_slice(addr.as_slice());
    let check = double_sha256(&raw);
    raw.extend_from_slice(&check[..4]);
    bs58::encode(raw).into_string()
}

fn double_sha256(data: &[u8]) -> [u8; 32] {
    let once = Sha256::digest(data);
    Sha256::digest(once).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::address;

    #[test]
    fn tron_vectors() {
        let a = parse_tron_address("417e5f4552091a69125d5dfcb7b8c2659029395bdf").unwrap();
        assert_eq!(tron_base58(&a), "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC");
        let b = parse_tron_address("TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1").unwrap();
        assert_eq!(b, address!("94a15629b2b2bbd3a5453e6d6696b2875278633b"));
        assert_eq!(
            tron_base58(&Address::ZERO),
            "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb"
        );
        assert!(parse_tron_address("TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUG").is_ok());
        assert!(parse_tron_address("TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUs").is_err());
        assert!(parse_tron_address("0x7e5f4552091a69125d5dfcb7b8c2659029395bdf").is_err());
    }

    #[test]
    fn evm_address_forms() {
        let a = parse_evm_address("0xdAC17F958D2ee523a2206206994597C13D831ec7").unwrap();
        assert_eq!(
            format_address(ChainKind::Evm, &a),
            "0xdac17f958d2ee523a2206206994597c13d831ec7"
        );
        assert!(parse_evm_address("dAC17F958D2ee523a2206206994597C13D831ec7").is_err());
        assert!(parse_evm_address("0xdAC17F958D2ee523a2206206994597C13D831ec").is_err());
        assert!(parse_evm_address("0xgAC17F958D2ee523a2206206994597C13D831ec7").is_err());
    }

    #[test]
    fn hash_forms() {
        let h = "AB".repeat(32);
        assert_eq!(
            ChainKind::Evm
                .normalize_hash(&format!("0x{h}"), "tx")
                .unwrap(),
            format!("0x{}", h.to_lowercase())
        );
        assert!(ChainKind::Evm.normalize_hash(&h, "tx").is_err());
        assert_eq!(
            ChainKind::Tron
                .normalize_hash(&format!("0x{h}"), "tx")
                .unwrap(),
            h.to_lowercase()
        );
        assert!(ChainKind::Tron.normalize_hash(&h[2..], "tx").is_err());
        let sig = bs58::encode([7u8; 64]).into_string();
        assert_eq!(ChainKind::Solana.normalize_hash(&sig, "tx").unwrap(), sig);
        let short = bs58::encode([7u8; 32]).into_string();
        assert!(ChainKind::Solana.normalize_hash(&short, "tx").is_err());
    }

    #[test]
    fn solana_key_forms() {
        // The SPL Token program id and the all-zero system program.
        let token = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA";
        assert_eq!(ChainKind::Solana.normalize_address(token).unwrap(), token);
        assert_eq!(
            ChainKind::Solana
                .normalize_address("11111111111111111111111111111111")
                .unwrap(),
            "11111111111111111111111111111111"
        );
        assert!(ChainKind::Solana.normalize_address("0OIl").is_err());
        assert!(ChainKind::Solana.normalize_address("1111").is_err());
        assert!(ChainKind::Solana.parse_address(token).is_err());
    }
}
