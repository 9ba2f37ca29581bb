//! secp256k1 keys and 65-byte recoverable signatures over a TRON txID.
//!
//! Two implementations sign: libsecp256k1 (the C library of Bitcoin Core, through the
//! `secp256k1` crate) and the pure-Rust `k256`. Both use RFC 6979 nonces and a low s,
//! so they produce the same bytes; the default is the faster on our machines
//! ([`SigningBackend::DEFAULT`], measured by `make bench`).

use core::fmt;
use std::sync::OnceLock;

use k256::ecdsa::{RecoveryId, Signature as EcdsaSignature, SigningKey, VerifyingKey};
use secp256k1::{Message, Secp256k1, SecretKey, SignOnly};
use zeroize::Zeroizing;

use super::error::{TronKeyError, TronSignatureError};
use crate::tron::address::Address;

/// Which secp256k1 implementation signs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningBackend {
    /// libsecp256k1 (C, constant time), through the `secp256k1` crate.
    Libsecp256k1,
    /// `k256` (pure Rust, constant time).
    K256,
}

impl SigningBackend {
    /// The backend [`PrivateKey::sign_digest`] uses: libsecp256k1, which signs a
    /// txID in about half of k256's time on this project's machine (36-38 µs against
    /// 70-72 µs; docs/bench.md, from `make bench`).
    pub const DEFAULT: Self = Self::Libsecp256k1;
}

/// libsecp256k1's signing context, built once (its precomputed tables cost more
/// than a signature).
fn secp_context() -> &'static Secp256k1<SignOnly> {
    static CONTEXT: OnceLock<Secp256k1<SignOnly>> = OnceLock::new();
    CONTEXT.get_or_init(Secp256k1::signing_only)
}

/// A secp256k1 private key.
///
/// The secret is erased on drop (k256's `SigningKey` zeroizes itself; the
/// libsecp256k1 copy is overwritten) and never printed: `Debug` shows only the address.
#[derive(Clone)]
pub struct PrivateKey {
    key: SigningKey,
    secp: SecretKey,
    address: Address,
}

impl Drop for PrivateKey {
    fn drop(&mut self) {
        self.secp.non_secure_erase();
    }
}

impl PrivateKey {
    /// From 64 hex digits (surrounding whitespace and a `0x` prefix are ignored), as a
    /// key file holds it. The decoded bytes are zeroized after use.
    pub fn from_hex(text: &str) -> Result<Self, TronKeyError> {
        let t = text.trim();
        let digits = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(TronKeyError::NotHex);
        }
        if digits.len() != 64 {
            return Err(TronKeyError::HexLength {
                chars: digits.len(),
            });
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(digits, bytes.as_mut_slice()).map_err(|_| TronKeyError::NotHex)?;
        Self::from_bytes(bytes.as_slice())
    }

    /// From the 32 secret bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TronKeyError> {
        if bytes.len() != 32 {
            return Err(TronKeyError::Length { bytes: bytes.len() });
        }
        let key = SigningKey::from_slice(bytes).map_err(|_| TronKeyError::OutOfRange)?;
        let secp = SecretKey::from_byte_array(key.to_bytes().into())
            .map_err(|_| TronKeyError::OutOfRange)?;
        let address = Address::from_public_key(key.verifying_key());
        Ok(Self { key, secp, address })
    }

    /// The key's TRON address.
    pub fn address(&self) -> Address {
        self.address
    }

    /// Signs a 32-byte digest (a txID) with RFC 6979 nonces; the result has a low s
    /// and `v` = recovery id (0 or 1). Uses [`SigningBackend::DEFAULT`].
    pub fn sign_digest(&self, digest: &[u8; 32]) -> Result<Signature, TronKeyError> {
        self.sign_digest_with(SigningBackend::DEFAULT, digest)
    }

    /// As [`Self::sign_digest`], with the given implementation (both give the same bytes).
    pub fn sign_digest_with(
        &self,
        backend: SigningBackend,
        digest: &[u8; 32],
    ) -> Result<Signature, TronKeyError> {
        let mut out = [0u8; 65];
        match backend {
            SigningBackend::Libsecp256k1 => {
                let sig = secp_context()
                    .sign_ecdsa_recoverable(Message::from_digest(*digest), &self.secp);
                let (recid, compact) = sig.serialize_compact();
                out[..64].copy_from_slice(&compact);
                out[64] = u8::try_from(i32::from(recid)).map_err(|_| TronKeyError::Signing)?;
            }
            SigningBackend::K256 => {
                let (sig, recid) = self
                    .key
                    .sign_prehash_recoverable(digest)
                    .map_err(|_| TronKeyError::Signing)?;
                out[..64].copy_from_slice(&sig.to_bytes());
                out[64] = recid.to_byte();
            }
        }
        Ok(Signature(out))
    }
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// A 65-byte recoverable signature r‖s‖v.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; 65]);

impl Signature {
    /// From 65 bytes; `v` may be 0/1 or 27/28 and is checked when recovering.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, TronSignatureError> {
        let arr: [u8; 65] = bytes.try_into().map_err(|_| TronSignatureError::Length {
            actual: bytes.len(),
        })?;
        Ok(Self(arr))
    }

    /// From 130 hex digits.
    pub fn from_hex(text: &str) -> Result<Self, TronSignatureError> {
        let bytes = hex::decode(text.trim()).map_err(|_| TronSignatureError::Invalid)?;
        Self::from_slice(&bytes)
    }

    /// The 65 bytes.
    pub fn to_bytes(&self) -> [u8; 65] {
        self.0
    }

    /// Lowercase hex of the 65 bytes.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Recovers the address that signed `digest`.
    pub fn recover(&self, digest: &[u8; 32]) -> Result<Address, TronSignatureError> {
        let v = self.0[64];
        let id = match v {
            0 | 1 => v,
            27 | 28 => v - 27,
            _ => return Err(TronSignatureError::RecoveryId { v }),
        };
        let recid = RecoveryId::from_byte(id).ok_or(TronSignatureError::RecoveryId { v })?;
        let sig =
            EcdsaSignature::from_slice(&self.0[..64]).map_err(|_| TronSignatureError::Invalid)?;
        let key = VerifyingKey::recover_from_prehash(digest, &sig, recid)
            .map_err(|_| TronSignatureError::Invalid)?;
        Ok(Address::from_public_key(&key))
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR_A_TXID: &str = "17821228a79904c23bd35e566f320c2d43e6940c0d44bc8d70f257f3485459bb";
    const VECTOR_A_SIG: &str = "c4cfe5c76bf89fe004ff59de1a33934a9419301e21fbe1f00ee5b5faf17189797a7292e872a693e7bff145e76c43ea6f26c425be70d0e0d0440331390d0d65a401";

    fn digest(h: &str) -> [u8; 32] {
        let mut d = [0u8; 32];
        hex::decode_to_slice(h, &mut d).unwrap();
        d
    }

    #[test]
    fn key_vectors() {
        let one = PrivateKey::from_hex(&format!("{:064x}", 1)).unwrap();
        assert_eq!(
            one.address().to_base58(),
            "TMVQGm1qAQYVdetCeGRRkTWYYrLXuHK2HC"
        );
        let k = PrivateKey::from_hex(
            " 0x279ff36d9bf9f305af3280034bb4187c6dd299bac6b26a3c20b999c7c0d50e6e\n",
        )
        .unwrap();
        assert_eq!(
            k.address().to_base58(),
            "TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1"
        );
        let dbg = format!("{k:?}");
        assert!(!dbg.contains("279ff36d"), "{dbg}");
    }

    #[test]
    fn vector_a_recovers_signer() {
        let sig = Signature::from_hex(VECTOR_A_SIG).unwrap();
        let d = digest(VECTOR_A_TXID);
        assert_eq!(
            sig.recover(&d).unwrap().to_base58(),
            "TQHAvs2ZFTbsd93ycTfw1Wuf1e4WsPZWCp"
        );
        // v = 28 (27 + 1) recovers the same.
        let mut b = sig.to_bytes();
        b[64] += 27;
        assert_eq!(
            Signature::from_slice(&b)
                .unwrap()
                .recover(&d)
                .unwrap()
                .to_base58(),
            "TQHAvs2ZFTbsd93ycTfw1Wuf1e4WsPZWCp"
        );
        b[64] = 2;
        assert_eq!(
            Signature::from_slice(&b).unwrap().recover(&d),
            Err(TronSignatureError::RecoveryId { v: 2 })
        );
    }

    #[test]
    fn sign_then_recover() {
        let k = PrivateKey::from_hex(
            "279ff36d9bf9f305af3280034bb4187c6dd299bac6b26a3c20b999c7c0d50e6e",
        )
        .unwrap();
        for i in 0u8..20 {
            let d = [i; 32];
            let sig = k.sign_digest(&d).unwrap();
            assert!(sig.to_bytes()[64] <= 1);
            assert_eq!(sig.recover(&d).unwrap(), k.address());
            // Both implementations give the same bytes (RFC 6979, low s).
            for backend in [SigningBackend::Libsecp256k1, SigningBackend::K256] {
                assert_eq!(k.sign_digest_with(backend, &d).unwrap(), sig, "{backend:?}");
            }
            // Deterministic (RFC 6979).
            assert_eq!(k.sign_digest(&d).unwrap(), sig);
        }
    }

    #[test]
    fn rejects_bad_keys() {
        assert_eq!(
            PrivateKey::from_hex("zz").unwrap_err(),
            TronKeyError::NotHex
        );
        assert_eq!(
            PrivateKey::from_hex("abcd").unwrap_err(),
            TronKeyError::HexLength { chars: 4 }
        );
        assert_eq!(
            PrivateKey::from_hex(&"0".repeat(64)).unwrap_err(),
            TronKeyError::OutOfRange
        );
        assert_eq!(
            PrivateKey::from_hex(&"f".repeat(64)).unwrap_err(),
            TronKeyError::OutOfRange
        );
        assert_eq!(
            PrivateKey::from_bytes(&[1u8; 31]).unwrap_err(),
            TronKeyError::Length { bytes: 31 }
        );
        assert_eq!(
            Signature::from_slice(&[0u8; 64]),
            Err(TronSignatureError::Length { actual: 64 })
        );
        assert_eq!(
            Signature::from_slice(&[0u8; 65])
                .unwrap()
                .recover(&[1u8; 32]),
            Err(TronSignatureError::Invalid)
        );
    }
}
