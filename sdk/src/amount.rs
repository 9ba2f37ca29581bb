//! Exact USDT amounts: integer smallest units, 6 decimals.

use core::fmt;
use core::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::AmountError;

/// Number of decimals of USDT on Ethereum, TRON and Solana (and of TRX).
pub const DECIMALS: u32 = 6;

/// Smallest units in one whole token.
const UNIT: u64 = 10u64.pow(DECIMALS);

/// Basis points in one whole (100 %).
pub const BPS_DENOMINATOR: u32 = 10_000;

/// An exact amount of USDT (or any 6-decimal token such as TRX), held as u64 smallest units.
///
/// Parsed from and printed as a decimal string; serialized with serde as that string.
///
/// ```
/// use stablerail_sdk::Amount;
/// let a: Amount = "12.5".parse()?;
/// assert_eq!(a.units(), 12_500_000);
/// assert_eq!(a.to_string(), "12.5");
/// # Ok::<(), stablerail_sdk::AmountError>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Amount(u64);

impl Amount {
    /// Zero.
    pub const ZERO: Self = Self(0);
    /// The largest amount, 18446744073709.551615.
    pub const MAX: Self = Self(u64::MAX);

    /// An amount of `units` smallest units (1 unit = 0.000001).
    pub const fn from_units(units: u64) -> Self {
        Self(units)
    }

    /// The amount in smallest units.
    pub const fn units(self) -> u64 {
        self.0
    }

    /// Whether the amount is zero.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + rhs`, or `None` on overflow.
    pub const fn checked_add(self, rhs: Self) -> Option<Self> {
        match self.0.checked_add(rhs.0) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// `self - rhs`, or `None` if `rhs` is larger.
    pub const fn checked_sub(self, rhs: Self) -> Option<Self> {
        match self.0.checked_sub(rhs.0) {
            Some(v) => Some(Self(v)),
            None => None,
        }
    }

    /// `floor(self * bps / 10000)`, or `None` if the result exceeds u64 (only possible for bps > 10000).
    pub fn checked_mul_bps(self, bps: u32) -> Option<Self> {
        let product = u128::from(self.0) * u128::from(bps) / u128::from(BPS_DENOMINATOR);
        u64::try_from(product).ok().map(Self)
    }

    /// Parses a decimal string such as `"12.345678"`, `"12"` or `"0.5"`.
    ///
    /// Rejects empty input, a sign, more than 6 decimals, any character other than
    /// digits and one `.`, a `.` without digits on both sides, and values above [`Amount::MAX`].
    pub fn parse(input: &str) -> Result<Self, AmountError> {
        if input.is_empty() {
            return Err(AmountError::Empty);
        }
        if input.starts_with('-') {
            return Err(AmountError::Negative {
                input: input.to_owned(),
            });
        }
        if let Some((position, found)) = input
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_digit() || c == '.'))
        {
            return Err(AmountError::InvalidCharacter {
                input: input.to_owned(),
                found,
                position,
            });
        }
        let (whole, frac) = match input.split_once('.') {
            Some((w, f)) => {
                if let Some(pos) = f.find('.') {
                    return Err(AmountError::InvalidCharacter {
                        input: input.to_owned(),
                        found: '.',
                        position: w.len() + 1 + pos,
                    });
                }
                if w.is_empty() || f.is_empty() {
                    return Err(AmountError::MissingDigits {
                        input: input.to_owned(),
                    });
                }
                (w, f)
            }
            None => (input, ""),
        };
        if frac.len() > DECIMALS as usize {
            return Err(AmountError::TooManyDecimals {
                input: input.to_owned(),
                decimals: frac.len(),
            });
        }
        let overflow = || AmountError::Overflow {
            input: input.to_owned(),
        };
        // Only ASCII digits remain, so every fold step is a digit.
        let mut units: u64 = 0;
        for b in whole.bytes() {
            units = units
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(b - b'0')))
                .ok_or_else(overflow)?;
        }
        units = units.checked_mul(UNIT).ok_or_else(overflow)?;
        let mut frac_units: u64 = 0;
        for b in frac.bytes() {
            frac_units = frac_units * 10 + u64::from(b - b'0');
        }
        frac_units *= 10u64.pow(DECIMALS - frac.len() as u32);
        units = units.checked_add(frac_units).ok_or_else(overflow)?;
        Ok(Self(units))
    }
}

impl FromStr for Amount {
    type Err = AmountError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for Amount {
    /// Canonical form: no trailing fractional zeros, no `.` for whole amounts.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let whole = self.0 / UNIT;
        let frac = self.0 % UNIT;
        if frac == 0 {
            return write!(f, "{whole}");
        }
        let digits = format!("{frac:06}");
        write!(f, "{whole}.{}", digits.trim_end_matches('0'))
    }
}

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_and_prints() {
        let cases = [
            ("12.345678", 12_345_678, "12.345678"),
            ("12", 12_000_000, "12"),
            ("0.5", 500_000, "0.5"),
            ("0.000001", 1, "0.000001"),
            ("0", 0, "0"),
            ("007.100", 7_100_000, "7.1"),
            ("18446744073709.551615", u64::MAX, "18446744073709.551615"),
        ];
        for (input, units, printed) in cases {
            let a = Amount::parse(input).unwrap();
            assert_eq!(a.units(), units, "{input}");
            assert_eq!(a.to_string(), printed, "{input}");
        }
    }

    #[test]
    fn rejects_bad_input_with_distinct_errors() {
        assert_eq!(Amount::parse(""), Err(AmountError::Empty));
        assert!(matches!(
            Amount::parse("-1"),
            Err(AmountError::Negative { .. })
        ));
        assert!(matches!(
            Amount::parse("1.1234567"),
            Err(AmountError::TooManyDecimals { decimals: 7, .. })
        ));
        assert!(matches!(
            Amount::parse("1,5"),
            Err(AmountError::InvalidCharacter {
                found: ',',
                position: 1,
                ..
            })
        ));
        assert!(matches!(
            Amount::parse(" 1"),
            Err(AmountError::InvalidCharacter { found: ' ', .. })
        ));
        assert!(matches!(
            Amount::parse("+1"),
            Err(AmountError::InvalidCharacter { found: '+', .. })
        ));
        assert!(matches!(
            Amount::parse("1e6"),
            Err(AmountError::InvalidCharacter { found: 'e', .. })
        ));
        assert!(matches!(
            Amount::parse("1.2.3"),
            Err(AmountError::InvalidCharacter {
                found: '.',
                position: 3,
                ..
            })
        ));
        for s in ["1.", ".5", "."] {
            assert!(
                matches!(Amount::parse(s), Err(AmountError::MissingDigits { .. })),
                "{s}"
            );
        }
        assert!(matches!(
            Amount::parse("18446744073709.551616"),
            Err(AmountError::Overflow { .. })
        ));
        assert!(matches!(
            Amount::parse("99999999999999999999"),
            Err(AmountError::Overflow { .. })
        ));
    }

    #[test]
    fn checked_arithmetic() {
        let a = Amount::from_units(10);
        assert_eq!(
            a.checked_add(Amount::from_units(5)),
            Some(Amount::from_units(15))
        );
        assert_eq!(Amount::MAX.checked_add(Amount::from_units(1)), None);
        assert_eq!(a.checked_sub(Amount::from_units(11)), None);
        assert_eq!(
            Amount::from_units(999).checked_mul_bps(100),
            Some(Amount::from_units(9))
        );
        assert_eq!(Amount::MAX.checked_mul_bps(10_000), Some(Amount::MAX));
        assert_eq!(Amount::MAX.checked_mul_bps(10_001), None);
    }

    #[test]
    fn serde_uses_decimal_strings() {
        let a = Amount::from_units(1_500_000);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"1.5\"");
        assert_eq!(serde_json::from_str::<Amount>("\"1.5\"").unwrap(), a);
        assert!(serde_json::from_str::<Amount>("\"1.1234567\"").is_err());
        assert!(serde_json::from_str::<Amount>("1.5").is_err());
    }

    proptest! {
        #[test]
        fn print_then_parse_round_trips(units in any::<u64>()) {
            let a = Amount::from_units(units);
            prop_assert_eq!(Amount::parse(&a.to_string()), Ok(a));
        }

        #[test]
        fn parse_accepts_every_padded_form(whole in 0u64..18_446_744_073_709, frac in 0u64..1_000_000, pad in 0usize..3) {
            let s = format!("{whole}.{frac:06}");
            let trimmed = s.trim_end_matches('0').trim_end_matches('.');
            let a = Amount::parse(&s).unwrap();
            prop_assert_eq!(a.units(), whole * 1_000_000 + frac);
            prop_assert_eq!(Amount::parse(trimmed).unwrap(), a);
            let padded = format!("{}{s}", "0".repeat(pad));
            prop_assert_eq!(Amount::parse(&padded).unwrap(), a);
        }

        #[test]
        fn mul_bps_never_exceeds_self(units in any::<u64>(), bps in 0u32..=10_000) {
            let r = Amount::from_units(units).checked_mul_bps(bps).unwrap();
            prop_assert!(r <= Amount::from_units(units));
        }
    }
}
