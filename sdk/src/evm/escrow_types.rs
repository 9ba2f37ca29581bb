//! The escrow contract's enums and codes as Rust types: deal kinds, role bits and
//! currency codes, numbered and encoded as the Solidity does. Shared by the EVM
//! client, the rules (`rules.rs`) and the chain-neutral actions (`escrow_actions.rs`).

use alloy::primitives::FixedBytes;

use super::error::EvmError;

/// Deal kinds, numbered as in the contract's `DealKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DealKind {
    /// A trader sells into a merchant's buy order.
    Trade = 0,
    /// The dispatcher assigns a customer payment to an acceptor's collateral.
    Collection = 1,
    /// A merchant's USDT goes to an acceptor who pays fiat to the merchant's bank.
    Payout = 2,
}

/// Role bits, as the contract's `ROLE_*` constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Roles(pub u8);

impl Roles {
    /// May post buy orders, open payouts and receive collections.
    pub const MERCHANT: Self = Self(1);
    /// May be assigned collections and payouts.
    pub const ACCEPTOR: Self = Self(2);
    /// May refer merchants and earn a commission.
    pub const AGENT: Self = Self(4);

    /// Both sets of roles.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The name of a single role (`merchant`, `acceptor`, `agent`), else `roles`.
    pub const fn name(self) -> &'static str {
        match self.0 {
            1 => "merchant",
            2 => "acceptor",
            4 => "agent",
            _ => "roles",
        }
    }
}

/// An ISO 4217 code (three uppercase letters) as the contract's `bytes3`.
pub fn currency_code(code: &str) -> Result<FixedBytes<3>, EvmError> {
    let bytes = code.as_bytes();
    if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_uppercase) {
        return Err(EvmError::Currency {
            code: code.to_owned(),
        });
    }
    Ok(FixedBytes([bytes[0], bytes[1], bytes[2]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_codes_are_three_uppercase_letters() {
        assert_eq!(currency_code("CNY").unwrap(), FixedBytes(*b"CNY"));
        for bad in ["cny", "CN", "CNYY", "C1Y", ""] {
            assert!(
                matches!(currency_code(bad), Err(EvmError::Currency { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn role_bits_match_the_contract() {
        assert_eq!(Roles::MERCHANT.union(Roles::AGENT), Roles(5));
        assert_eq!(Roles::ACCEPTOR.0, 2);
    }
}
