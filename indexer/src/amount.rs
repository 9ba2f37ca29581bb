//! [`Amount`]: an exact token amount in the smallest unit (a uint256, as the contract's),
//! kept as an integer through decoding and the derived replay and turned into decimal
//! text only at the edges: the SQL columns (TEXT in SQLite, NUMERIC in PostgreSQL) and
//! the API's JSON, where it stays an exact decimal string (docs/rules.md, "Money": integer
//! units, no floats).

use std::{borrow::Cow, fmt, str::FromStr};

use alloy::primitives::U256;
use serde::{Deserialize, Deserializer, Serialize, Serializer, de};

use crate::error::{Error, Result};

/// An exact amount of the token's smallest unit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(pub U256);

/// Text that is not an exact decimal amount (digits only, below 2^256).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseAmountError {
    /// Empty text.
    #[error("empty amount")]
    Empty,
    /// A character other than `0`–`9`.
    #[error("invalid digit")]
    InvalidDigit,
    /// 2^256 or more.
    #[error("amount does not fit 256 bits")]
    Overflow,
}

/// An amount too large for the integer type asked for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("amount {amount} does not fit {bits} bits")]
pub struct AmountOutOfRange {
    /// The amount.
    pub amount: Amount,
    /// The width of the type asked for.
    pub bits: u32,
}

/// The largest volume the contract keeps (`_addVolume` saturates a uint64).
const VOLUME_MAX: U256 = U256::from_limbs([u64::MAX, 0, 0, 0]);

impl Amount {
    /// Zero.
    pub const ZERO: Self = Self(U256::ZERO);

    /// Whether the amount is zero.
    pub fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    /// Reads an amount stored as decimal text in `table` (a column, or a `fields` JSON):
    /// [`Error::CorruptRow`] if it is not one.
    pub fn parse(v: &str, table: &'static str) -> Result<Self> {
        v.parse().map_err(|e| Error::CorruptRow {
            table,
            reason: format!("amount `{v}`: {e}"),
        })
    }

    /// `self += v`; [`Error::CorruptRow`] of `table` past 2^256 − 1.
    pub fn add(&mut self, v: Self, table: &'static str) -> Result<()> {
        self.0 = self.0.checked_add(v.0).ok_or_else(|| Error::CorruptRow {
            table,
            reason: "amount overflows 256 bits".into(),
        })?;
        Ok(())
    }

    /// `self -= v`; [`Error::CorruptRow`] of `table` below zero: the events do not replay
    /// from where indexing started.
    pub fn sub(&mut self, v: Self, table: &'static str) -> Result<()> {
        self.0 = self.0.checked_sub(v.0).ok_or_else(|| Error::CorruptRow {
            table,
            reason: format!(
                "{self} - {v} is negative: the events do not replay (indexing started after the escrow's deployment?)"
            ),
        })?;
        Ok(())
    }

    /// `self += v` saturating at 2^64 − 1, as the contract's `_addVolume`.
    pub fn add_volume(&mut self, v: Self) {
        self.0 = self.0.saturating_add(v.0).min(VOLUME_MAX);
    }
}

impl From<u64> for Amount {
    fn from(v: u64) -> Self {
        Self(U256::from(v))
    }
}

impl From<u128> for Amount {
    fn from(v: u128) -> Self {
        Self(U256::from(v))
    }
}

impl From<U256> for Amount {
    fn from(v: U256) -> Self {
        Self(v)
    }
}

impl From<Amount> for U256 {
    fn from(v: Amount) -> Self {
        v.0
    }
}

impl TryFrom<Amount> for u64 {
    type Error = AmountOutOfRange;
    fn try_from(v: Amount) -> Result<Self, AmountOutOfRange> {
        Self::try_from(v.0).map_err(|_| AmountOutOfRange {
            amount: v,
            bits: 64,
        })
    }
}

impl TryFrom<Amount> for u128 {
    type Error = AmountOutOfRange;
    fn try_from(v: Amount) -> Result<Self, AmountOutOfRange> {
        Self::try_from(v.0).map_err(|_| AmountOutOfRange {
            amount: v,
            bits: 128,
        })
    }
}

impl PartialEq<u64> for Amount {
    fn eq(&self, other: &u64) -> bool {
        self.0 == U256::from(*other)
    }
}

impl fmt::Display for Amount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Nearly every amount fits 64 bits, whose formatting is the fast one.
        match u64::try_from(self.0) {
            Ok(v) => fmt::Display::fmt(&v, f),
            Err(_) => fmt::Display::fmt(&self.0, f),
        }
    }
}

impl FromStr for Amount {
    type Err = ParseAmountError;

    /// Digits only (no sign, no separators, no exponent); leading zeros are allowed.
    fn from_str(s: &str) -> Result<Self, ParseAmountError> {
        if s.is_empty() {
            return Err(ParseAmountError::Empty);
        }
        if !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseAmountError::InvalidDigit);
        }
        // 19 digits always fit 64 bits.
        if s.len() <= 19 {
            let v = s
                .bytes()
                .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'));
            return Ok(Self::from(v));
        }
        U256::from_str_radix(s, 10)
            .map(Self)
            .map_err(|_| ParseAmountError::Overflow)
    }
}

/// An exact decimal string, as the API and the `fields` column have always held it.
impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Decimal;
        impl de::Visitor<'_> for Decimal {
            type Value = Amount;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an exact decimal amount as a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Amount, E> {
                v.parse()
                    .map_err(|e| E::custom(format_args!("amount `{v}`: {e}")))
            }
        }
        d.deserialize_str(Decimal)
    }
}

/// A string of digits in the OpenAPI document, exactly what [`Serialize`] writes.
impl utoipa::PartialSchema for Amount {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .pattern(Some("^[0-9]+$"))
            .description(Some(
                "Exact amount in the token's smallest unit, as a decimal string",
            ))
            .into()
    }
}

impl utoipa::ToSchema for Amount {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("Amount")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_text_round_trips_exactly() {
        let max = U256::MAX.to_string();
        for s in [
            "0",
            "1",
            "999999999999999999",
            "18446744073709551615",
            "18446744073709551616",
            &max,
        ] {
            let a: Amount = s.parse().unwrap();
            assert_eq!(a.to_string(), s);
            assert_eq!(serde_json::to_string(&a).unwrap(), format!("\"{s}\""));
            assert_eq!(
                serde_json::from_str::<Amount>(&format!("\"{s}\"")).unwrap(),
                a
            );
        }
        assert_eq!("007".parse::<Amount>().unwrap(), 7u64);
        let two_256 =
            "115792089237316195423570985008687907853269984665640564039457584007913129639936";
        for (s, e) in [
            ("", ParseAmountError::Empty),
            ("-1", ParseAmountError::InvalidDigit),
            ("1_000", ParseAmountError::InvalidDigit),
            ("1e6", ParseAmountError::InvalidDigit),
            (" 1", ParseAmountError::InvalidDigit),
            (two_256, ParseAmountError::Overflow),
        ] {
            assert_eq!(s.parse::<Amount>(), Err(e), "{s:?}");
        }
        // The JSON form is a string, never a number.
        assert!(serde_json::from_str::<Amount>("5").is_err());
        assert!(matches!(
            Amount::parse("x", "t"),
            Err(Error::CorruptRow { table: "t", .. })
        ));
    }

    #[test]
    fn checked_arithmetic_and_saturating_volume() {
        let mut a = Amount::from(5u64);
        a.add(Amount::from(u64::MAX), "t").unwrap();
        assert_eq!(a.to_string(), "18446744073709551620");
        let mut top = Amount(U256::MAX);
        assert!(top.add(Amount::from(1u64), "t").is_err());
        let err = Amount::from(1u64).sub(Amount::from(2u64), "t").unwrap_err();
        assert!(
            err.to_string()
                .contains("1 - 2 is negative: the events do not replay")
        );
        let mut v = Amount::from(7u64);
        v.add_volume(Amount(U256::from(u64::MAX) + U256::from(5u8)));
        assert_eq!(v, u64::MAX);
        assert_eq!(u64::try_from(Amount::from(u128::MAX)).unwrap_err().bits, 64);
    }
}
