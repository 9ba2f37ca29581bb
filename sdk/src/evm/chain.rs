//! The chain family a `MultiSig` (and its proposal file) lives on: Ethereum or any
//! EVM chain, or TRON, which runs the same Solidity. It decides how addresses are
//! written and read.

use alloy::primitives::Address;

use super::error::ProposalError;
use crate::tron;

/// Which chain family a multisig lives on; decides how addresses are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chain {
    /// Ethereum or any EVM chain: `0x` checksummed hex.
    Evm,
    /// TRON: base58check `T…` (41-hex accepted on input).
    Tron,
}

impl Chain {
    /// `evm` or `tron`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Evm => "evm",
            Self::Tron => "tron",
        }
    }

    /// `address` in this chain's text form.
    pub fn render(self, address: Address) -> String {
        match self {
            Self::Evm => address.to_checksum(None),
            Self::Tron => tron::Address::from_evm_bytes(address.into_array()).to_base58(),
        }
    }

    /// Parses an address in this chain's form. EVM: `0x` + 40 hex digits, and a
    /// mixed-case address must carry a valid EIP-55 checksum. TRON: base58 or 41-hex.
    pub fn parse_address(self, text: &str) -> Result<Address, ProposalError> {
        let bad = || ProposalError::Field {
            field: "address",
            value: text.to_owned(),
        };
        match self {
            Self::Evm => parse_evm_address(text).ok_or_else(bad),
            Self::Tron => text
                .parse::<tron::Address>()
                .map(|a| Address::from(a.evm_bytes()))
                .map_err(|_| bad()),
        }
    }
}

impl core::str::FromStr for Chain {
    type Err = ProposalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "evm" => Ok(Self::Evm),
            "tron" => Ok(Self::Tron),
            other => Err(ProposalError::Field {
                field: "chain",
                value: other.to_owned(),
            }),
        }
    }
}

/// Parses `0x` + 40 hex digits; all-lower or all-upper hex is taken as is, mixed
/// case must be a valid EIP-55 checksum (a typo in a checksummed address is caught).
pub fn parse_evm_address(text: &str) -> Option<Address> {
    let digits = text.strip_prefix("0x")?;
    if digits.len() != 40 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let address: Address = text.parse().ok()?;
    let has_lower = digits.bytes().any(|b| b.is_ascii_lowercase());
    let has_upper = digits.bytes().any(|b| b.is_ascii_uppercase());
    if has_lower && has_upper && address.to_checksum(None) != text {
        return None;
    }
    Some(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evm_addresses_need_a_valid_checksum_when_mixed_case() {
        let a = Address::repeat_byte(0xab);
        let checksummed = a.to_checksum(None);
        assert_eq!(parse_evm_address(&checksummed), Some(a));
        assert_eq!(
            parse_evm_address(&checksummed.to_lowercase().replacen("0X", "0x", 1)),
            Some(a)
        );
        let mut broken: Vec<char> = checksummed.chars().collect();
        let i = broken
            .iter()
            .rposition(|c| c.is_ascii_alphabetic() && *c != 'x')
            .unwrap();
        broken[i] = if broken[i].is_ascii_uppercase() {
            broken[i].to_ascii_lowercase()
        } else {
            broken[i].to_ascii_uppercase()
        };
        assert_eq!(
            parse_evm_address(&broken.into_iter().collect::<String>()),
            None
        );
        for bad in [
            "0x12",
            "abababababababababababababababababababab",
            "0xzz00000000000000000000000000000000000000",
        ] {
            assert_eq!(parse_evm_address(bad), None, "{bad}");
        }
    }
}
