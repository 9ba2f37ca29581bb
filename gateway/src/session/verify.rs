//! Signature checks of a sign-in message, one per wallet family, and the address
//! form the gateway stores for each (the indexer's: EVM lowercase `0x` hex, TRON
//! base58check; Solana base58).
//!
//! - EVM: EIP-191 personal message (`"\x19Ethereum Signed Message:\n" + len`),
//!   secp256k1 recovery (alloy), the recovered address must be the message's.
//! - TRON: signMessageV2: keccak256(`"\x19TRON Signed Message:\n"` + decimal byte
//!   length + message), secp256k1 recovery, address `0x41` + the last 20 bytes of
//!   keccak(public key), base58check (the SDK's `tron::Address`).
//! - Solana: ed25519 over the message bytes with the public key the address is.

use alloy::primitives::{Address as EvmAddress, Signature, keccak256};
use ed25519_dalek::{Signature as EdSignature, VerifyingKey};
use stablerail_sdk::tron::Address as TronAddress;

use super::message::WalletKind;

/// Why a signature is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// Not hex / base58 of the right length.
    #[error("the signature is not well formed")]
    Malformed,
    /// The address in the message is not an address of its wallet family.
    #[error("the address is not a valid {0} address")]
    Address(&'static str),
    /// A valid signature, but by another key (or over another text).
    #[error("the signature was not made by the message's address")]
    Mismatch,
}

/// The stored form of an address of `kind`, or `None` when it is not one. EVM
/// addresses may be all-lowercase or EIP-55 checksummed (a mixed-case address with
/// a wrong checksum is refused).
pub fn normalize(kind: WalletKind, address: &str) -> Option<String> {
    match kind {
        WalletKind::Evm => {
            let digits = address.strip_prefix("0x")?;
            if digits.len() != 40 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            let lower = digits.to_ascii_lowercase();
            let upper = digits.to_ascii_uppercase();
            if digits != lower && digits != upper {
                EvmAddress::parse_checksummed(address, None).ok()?;
            }
            Some(format!("0x{lower}"))
        }
        WalletKind::Tron => TronAddress::from_base58(address)
            .ok()
            .map(|a| a.to_base58()),
        WalletKind::Solana => {
            let bytes = bs58::decode(address).into_vec().ok()?;
            (bytes.len() == 32).then(|| address.to_owned())
        }
    }
}

/// How an address of `kind` is written in a sign-in message (EVM: EIP-55).
pub fn display_form(kind: WalletKind, stored: &str) -> String {
    match kind {
        WalletKind::Evm => stored
            .parse::<EvmAddress>()
            .map(|a| a.to_checksum(None))
            .unwrap_or_else(|_| stored.to_owned()),
        _ => stored.to_owned(),
    }
}

fn hex_bytes(s: &str) -> Option<Vec<u8>> {
    hex::decode(s.trim().strip_prefix("0x").unwrap_or(s.trim())).ok()
}

/// TRON signMessageV2's digest of `message`.
pub fn tron_digest(message: &[u8]) -> [u8; 32] {
    let mut data = format!("\x19TRON Signed Message:\n{}", message.len()).into_bytes();
    data.extend_from_slice(message);
    keccak256(&data).0
}

/// Checks that `signature` over `message` was made by `address` (stored form of
/// [`normalize`]).
pub fn verify(
    kind: WalletKind,
    address: &str,
    message: &str,
    signature: &str,
) -> Result<(), SignatureError> {
    match kind {
        WalletKind::Evm => {
            let bytes = hex_bytes(signature).ok_or(SignatureError::Malformed)?;
            let sig = Signature::from_raw(&bytes).map_err(|_| SignatureError::Malformed)?;
            let want: EvmAddress = address
                .parse()
                .map_err(|_| SignatureError::Address("EVM"))?;
            let got = sig
                .recover_address_from_msg(message.as_bytes())
                .map_err(|_| SignatureError::Mismatch)?;
            if got == want {
                Ok(())
            } else {
                Err(SignatureError::Mismatch)
            }
        }
        WalletKind::Tron => {
            let bytes = hex_bytes(signature).ok_or(SignatureError::Malformed)?;
            let sig = Signature::from_raw(&bytes).map_err(|_| SignatureError::Malformed)?;
            let want =
                TronAddress::from_base58(address).map_err(|_| SignatureError::Address("TRON"))?;
            let digest = tron_digest(message.as_bytes());
            let got = sig
                .recover_address_from_prehash(&digest.into())
                .map_err(|_| SignatureError::Mismatch)?;
            if TronAddress::from_evm_bytes(got.into_array()) == want {
                Ok(())
            } else {
                Err(SignatureError::Mismatch)
            }
        }
        WalletKind::Solana => {
            let key: [u8; 32] = bs58::decode(address)
                .into_vec()
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or(SignatureError::Address("Solana"))?;
            let key =
                VerifyingKey::from_bytes(&key).map_err(|_| SignatureError::Address("Solana"))?;
            let raw = match signature.trim().strip_prefix("0x") {
                Some(h) => hex::decode(h).ok(),
                None => bs58::decode(signature.trim()).into_vec().ok(),
            };
            let raw: [u8; 64] = raw
                .and_then(|b| b.try_into().ok())
                .ok_or(SignatureError::Malformed)?;
            key.verify_strict(message.as_bytes(), &EdSignature::from_bytes(&raw))
                .map_err(|_| SignatureError::Mismatch)
        }
    }
}

#[cfg(test)]
mod tests {
    use alloy::signers::{SignerSync, local::PrivateKeySigner};
    use ed25519_dalek::{Signer, SigningKey};

    use super::*;

    #[test]
    fn evm_personal_sign_recovers_the_address() {
        let key = PrivateKeySigner::random();
        let addr = normalize(WalletKind::Evm, &key.address().to_checksum(None)).unwrap();
        let msg = "hello";
        let sig = key.sign_message_sync(msg.as_bytes()).unwrap();
        let hexsig = format!("0x{}", hex::encode(sig.as_bytes()));
        assert_eq!(verify(WalletKind::Evm, &addr, msg, &hexsig), Ok(()));
        assert_eq!(
            verify(WalletKind::Evm, &addr, "hello!", &hexsig),
            Err(SignatureError::Mismatch)
        );
        let other = PrivateKeySigner::random();
        let other_addr = format!("{:#x}", other.address());
        assert_eq!(
            verify(WalletKind::Evm, &other_addr, msg, &hexsig),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(WalletKind::Evm, &addr, msg, "0x1234"),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn evm_checksum_is_enforced_on_mixed_case() {
        let good = "0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2";
        assert_eq!(
            normalize(WalletKind::Evm, good).as_deref(),
            Some("0xc02aaa39b223fe8d0a0e5c4f27ead9083c756cc2")
        );
        assert!(normalize(WalletKind::Evm, &good.to_lowercase()).is_some());
        assert!(
            normalize(
                WalletKind::Evm,
                "0xc02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2"
            )
            .is_none()
        );
        assert!(normalize(WalletKind::Evm, "0x1234").is_none());
    }

    #[test]
    fn tron_sign_message_v2_recovers_the_base58_address() {
        let key = PrivateKeySigner::random();
        let tron = TronAddress::from_evm_bytes(key.address().into_array()).to_base58();
        let msg = "sign me";
        let digest = tron_digest(msg.as_bytes());
        let sig = key.sign_hash_sync(&digest.into()).unwrap();
        let hexsig = hex::encode(sig.as_bytes());
        assert_eq!(verify(WalletKind::Tron, &tron, msg, &hexsig), Ok(()));
        // An EIP-191 signature of the same text is not a TRON signature.
        let eth = key.sign_message_sync(msg.as_bytes()).unwrap();
        assert_eq!(
            verify(WalletKind::Tron, &tron, msg, &hex::encode(eth.as_bytes())),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            normalize(WalletKind::Tron, &tron).as_deref(),
            Some(tron.as_str())
        );
        assert!(normalize(WalletKind::Tron, "TXYZ").is_none());
    }

    #[test]
    fn tron_digest_matches_tronweb_prefix() {
        // keccak256("\x19TRON Signed Message:\n5hello"), computed independently.
        let mut data = b"\x19TRON Signed Message:\n5".to_vec();
        data.extend_from_slice(b"hello");
        assert_eq!(tron_digest(b"hello"), keccak256(&data).0);
    }

    #[test]
    fn solana_ed25519() {
        let key = SigningKey::from_bytes(&rand::random());
        let addr = bs58::encode(key.verifying_key().to_bytes()).into_string();
        let msg = "solana sign in";
        let sig = key.sign(msg.as_bytes());
        let b58 = bs58::encode(sig.to_bytes()).into_string();
        assert_eq!(verify(WalletKind::Solana, &addr, msg, &b58), Ok(()));
        let hexsig = format!("0x{}", hex::encode(sig.to_bytes()));
        assert_eq!(verify(WalletKind::Solana, &addr, msg, &hexsig), Ok(()));
        assert_eq!(
            verify(WalletKind::Solana, &addr, "other", &b58),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(normalize(WalletKind::Solana, &addr), Some(addr.clone()));
    }
}
