//! Parsing of command-line values shared by the escrow and multisig commands:
//! every one fails with the flag's name before a key is read or anything is signed.

use anyhow::{Context as _, bail};
use stablerail_sdk::Amount;
use stablerail_sdk::evm::{FeeLevel, parse_evm_address};

/// An EVM address: `0x` + 40 hex digits, EIP-55 checksum checked when mixed case.
pub(crate) fn evm_address(flag: &str, text: &str) -> anyhow::Result<alloy::primitives::Address> {
    parse_evm_address(text).with_context(|| {
        format!(
            "{flag}: {text:?} is not an EVM address (0x + 40 hex digits, valid EIP-55 checksum)"
        )
    })
}

/// A TRON address: base58 `T…` or 41-hex.
pub(crate) fn tron_address(
    flag: &str,
    text: &str,
) -> anyhow::Result<stablerail_sdk::tron::Address> {
    text.parse().with_context(|| format!("{flag}: {text:?}"))
}

/// A USDT amount above zero (at most 6 decimals).
pub(crate) fn amount(flag: &str, text: &str) -> anyhow::Result<Amount> {
    let a: Amount = text.parse().with_context(|| flag.to_owned())?;
    if a.is_zero() {
        bail!("{flag} must be above zero");
    }
    Ok(a)
}

/// A deal or order id (decimal).
pub(crate) fn id(flag: &str, text: &str) -> anyhow::Result<alloy::primitives::U256> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        bail!("{flag}: {text:?} is not a decimal id");
    }
    text.parse()
        .with_context(|| format!("{flag}: {text:?} is too large"))
}

/// The 32-byte order reference: `0x` + 64 hex digits as is, any other text hashed
/// with keccak256 (so an off-chain order number maps to a fixed reference); none = zero.
pub(crate) fn order_ref(text: Option<&str>) -> anyhow::Result<alloy::primitives::B256> {
    match text {
        None => Ok(alloy::primitives::B256::ZERO),
        Some(t) if t.starts_with("0x") => t
            .parse()
            .with_context(|| format!("--ref: {t:?} is not 0x + 64 hex digits")),
        Some(t) => Ok(alloy::primitives::keccak256(t.as_bytes())),
    }
}

/// `--priority`: `low`, `normal`, `high`, or a tip in gwei (up to 9 decimals).
pub(crate) fn priority(text: &str) -> anyhow::Result<FeeLevel> {
    Ok(match text {
        "low" => FeeLevel::Low,
        "normal" => FeeLevel::Normal,
        "high" => FeeLevel::High,
        gwei => FeeLevel::Explicit(gwei_to_wei(gwei).with_context(|| {
            format!("--priority: {gwei:?} is not low, normal, high or a tip in gwei")
        })?),
    })
}

/// Decimal gwei to wei, exactly.
fn gwei_to_wei(text: &str) -> Option<u128> {
    let (int, frac) = text.split_once('.').unwrap_or((text, ""));
    if int.is_empty()
        || frac.len() > 9
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
        || (text.contains('.') && frac.is_empty())
    {
        return None;
    }
    let int: u128 = int.parse().ok()?;
    let frac_wei: u128 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    int.checked_mul(1_000_000_000)?.checked_add(frac_wei)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gwei() {
        assert_eq!(gwei_to_wei("1"), Some(1_000_000_000));
        assert_eq!(gwei_to_wei("0.5"), Some(500_000_000));
        assert_eq!(gwei_to_wei("2.000000001"), Some(2_000_000_001));
        for bad in ["", "1.", ".5", "1.0000000001", "-1", "x"] {
            assert_eq!(gwei_to_wei(bad), None, "{bad}");
        }
    }
}
