//! TRON addresses: 21 bytes (`0x41` + 20), base58check text form, `41…` hex form.

use core::fmt;
use core::str::FromStr;

use k256::ecdsa::VerifyingKey;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use sha3::Keccak256;

use super::error::TronAddressError;

/// The first byte of every TRON address.
pub const ADDRESS_PREFIX: u8 = 0x41;

/// Byte length of a TRON address.
pub const ADDRESS_LEN: usize = 21;

/// A TRON address: `0x41` followed by the 20-byte account id.
///
/// Displays (and serializes) as base58check, e.g. `TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC`;
/// [`FromStr`] accepts that or the 42-character `41…` hex form.
///
/// ```
/// use stablerail_sdk::tron::Address;
/// let a: Address = "417e5f4552091a69125d5dfcb7b8c2659029395bdf".parse()?;
/// assert_eq!(a.to_string(), "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC");
/// # Ok::<(), stablerail_sdk::tron::TronAddressError>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Address([u8; ADDRESS_LEN]);

impl Address {
    /// From the 21 raw bytes; the first must be `0x41`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TronAddressError> {
        let arr: [u8; ADDRESS_LEN] = bytes.try_into().map_err(|_| TronAddressError::Length {
            expected: ADDRESS_LEN,
            actual: bytes.len(),
        })?;
        if arr[0] != ADDRESS_PREFIX {
            return Err(TronAddressError::Prefix { found: arr[0] });
        }
        Ok(Self(arr))
    }

    /// From the 20-byte account id used inside the VM, in ABI words and in logs.
    pub fn from_evm_bytes(bytes: [u8; 20]) -> Self {
        let mut arr = [0u8; ADDRESS_LEN];
        arr[0] = ADDRESS_PREFIX;
        arr[1..].copy_from_slice(&bytes);
        Self(arr)
    }

    /// The address of a secp256k1 public key: `0x41` + last 20 bytes of keccak256(x‖y).
    pub fn from_public_key(key: &VerifyingKey) -> Self {
        let point = key.to_encoded_point(false);
        // Uncompressed SEC1: 0x04 ‖ x ‖ y; hash the 64 bytes after the tag.
        let hash = Keccak256::digest(&point.as_bytes()[1..]);
        let mut id = [0u8; 20];
        id.copy_from_slice(&hash[12..]);
        Self::from_evm_bytes(id)
    }

    /// Parses the base58check form (34 characters starting with `T`).
    pub fn from_base58(input: &str) -> Result<Self, TronAddressError> {
        let raw = bs58::decode(input)
            .into_vec()
            .map_err(|_| TronAddressError::Base58 {
                input: input.to_owned(),
            })?;
        if raw.len() != ADDRESS_LEN + 4 {
            return Err(TronAddressError::Length {
                expected: ADDRESS_LEN,
                actual: raw.len().saturating_sub(4),
            });
        }
        let (body, checksum) = raw.split_at(ADDRESS_LEN);
        if checksum != &double_sha256(body)[..4] {
            return Err(TronAddressError::Checksum {
                input: input.to_owned(),
            });
        }
        Self::from_bytes(body)
    }

    /// Parses the hex form: 42 hex characters starting with `41` (an optional `0x` is allowed).
    pub fn from_hex(input: &str) -> Result<Self, TronAddressError> {
        let digits = input
            .strip_prefix("0x")
            .or_else(|| input.strip_prefix("0X"))
            .unwrap_or(input);
        let raw = hex::decode(digits).map_err(|_| TronAddressError::Hex {
            input: input.to_owned(),
        })?;
        Self::from_bytes(&raw)
    }

    /// The 21 bytes.
    pub fn as_bytes(&self) -> &[u8; ADDRESS_LEN] {
        &self.0
    }

    /// The 20-byte account id (without `0x41`), as used in ABI words and logs.
    pub fn evm_bytes(&self) -> [u8; 20] {
        let mut out = [0u8; 20];
        out.copy_from_slice(&self.0[1..]);
        out
    }

    /// The `41…` hex form the HTTP API uses without `visible=true`.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// The base58check text form.
    pub fn to_base58(&self) -> String {
        let mut buf = Vec::with_capacity(ADDRESS_LEN + 4);
        buf.extend_from_slice(&self.0);
        buf.extend_from_slice(&double_sha256(&self.0)[..4]);
        bs58::encode(buf).into_string()
    }
}

fn double_sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(Sha256::digest(data)).into()
}

impl FromStr for Address {
    type Err = TronAddressError;

    /// Accepts base58check, or hex when the input is 42 characters (44 with `0x`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hexlen = s.len() - if s.starts_with("0x") { 2 } else { 0 };
        if hexlen == ADDRESS_LEN * 2 {
            Self::from_hex(s)
        } else {
            Self::from_base58(s)
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_base58())
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Address({})", self.to_base58())
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_from_reference() {
        let cases = [
            (
                "417e5f4552091a69125d5dfcb7b8c2659029395bdf",
                "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC",
            ),
            (
                "4194a15629b2b2bbd3a5453e6d6696b2875278633b",
                "TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1",
            ),
            (
                "410000000000000000000000000000000000000000",
                "T9yD14Nj9j7xAB4dbGeiX9h8unkKHxuWwb",
            ),
        ];
        for (hex_form, b58) in cases {
            let a = Address::from_hex(hex_form).unwrap();
            assert_eq!(a.to_base58(), b58);
            assert_eq!(Address::from_base58(b58).unwrap().to_hex(), hex_form);
            assert_eq!(b58.parse::<Address>().unwrap(), a);
            assert_eq!(hex_form.parse::<Address>().unwrap(), a);
            assert_eq!(format!("0x{hex_form}").parse::<Address>().unwrap(), a);
        }
        assert!(Address::from_base58("TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUG").is_ok());
    }

    #[test]
    fn rejects_malformed() {
        assert!(matches!(
            Address::from_base58("TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUs"),
            Err(TronAddressError::Checksum { .. })
        ));
        assert!(matches!(
            Address::from_base58("TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXX0G"),
            Err(TronAddressError::Base58 { .. })
        ));
        assert!(matches!(
            Address::from_base58("TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXX"),
            Err(TronAddressError::Length { .. })
        ));
        assert!(matches!(
            Address::from_hex("427e5f4552091a69125d5dfcb7b8c2659029395bdf"),
            Err(TronAddressError::Prefix { found: 0x42 })
        ));
        assert!(matches!(
            Address::from_hex("417e5f4552091a69125d5dfcb7b8c2659029395b"),
            Err(TronAddressError::Length {
                expected: 21,
                actual: 20
            })
        ));
        assert!(matches!(
            Address::from_hex("41zz"),
            Err(TronAddressError::Hex { .. })
        ));
        assert!("".parse::<Address>().is_err());
        // A valid base58check string of a 21-byte payload with a non-0x41 prefix.
        let mut raw = vec![0x42u8; 21];
        raw.extend_from_slice(&double_sha256(&[0x42u8; 21])[..4]);
        let s = bs58::encode(raw).into_string();
        assert!(matches!(
            Address::from_base58(&s),
            Err(TronAddressError::Prefix { found: 0x42 })
        ));
    }

    #[test]
    fn serde_is_base58() {
        let a = Address::from_hex("417e5f4552091a69125d5dfcb7b8c2659029395bdf").unwrap();
        let json = serde_json::to_string(&a).unwrap();
        assert_eq!(json, "\"TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC\"");
        assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
    }
}
