//! The escrow contract's currency codes as the Solidity encodes them. Deal kinds
//! and role bits are the chain-neutral [`crate::DealKind`] and [`crate::Roles`]
//! (`DealKind::code` is the contract's `uint8`).

use alloy::primitives::FixedBytes;

use super::error::EvmError;

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
}
