//! Signing a sign-in message with a wallet's key, for the wallets that have no
//! browser extension (demo wallets, scripts, hardware-less servers):
//! `stablerail-gateway sign-message --kind evm --key-env VAR < message.txt` prints
//! the signature to paste into the sign-in page. The same schemes `verify.rs` checks.

use alloy::signers::{SignerSync, local::PrivateKeySigner};
use ed25519_dalek::{Signer, SigningKey};
use stablerail_sdk::tron::Address as TronAddress;

use super::{message::WalletKind, verify::tron_digest};

/// The key is not a key of the wallet family.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the key must be 32 bytes of hex (a secp256k1 private key, or an ed25519 seed for Solana)")]
pub struct KeyError;

/// Signs `message` with `key_hex`; returns (address as the message writes it,
/// signature as the sign-in page takes it).
pub fn sign(kind: WalletKind, key_hex: &str, message: &str) -> Result<(String, String), KeyError> {
    let key = key_hex.trim();
    let bytes: [u8; 32] = hex::decode(key.strip_prefix("0x").unwrap_or(key))
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or(KeyError)?;
    match kind {
        WalletKind::Evm | WalletKind::Tron => {
            let signer = PrivateKeySigner::from_bytes(&bytes.into()).map_err(|_| KeyError)?;
            if kind == WalletKind::Evm {
                let sig = signer
                    .sign_message_sync(message.as_bytes())
                    .map_err(|_| KeyError)?;
                Ok((
                    signer.address().to_checksum(None),
                    format!("0x{}", hex::encode(sig.as_bytes())),
                ))
            } else {
                let sig = signer
                    .sign_hash_sync(&tron_digest(message.as_bytes()).into())
                    .map_err(|_| KeyError)?;
                Ok((
                    TronAddress::from_evm_bytes(signer.address().into_array()).to_base58(),
                    hex::encode(sig.as_bytes()),
                ))
            }
        }
        WalletKind::Solana => {
            let key = SigningKey::from_bytes(&bytes);
            Ok((
                bs58::encode(key.verifying_key().to_bytes()).into_string(),
                bs58::encode(key.sign(message.as_bytes()).to_bytes()).into_string(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::session::verify::{normalize, verify};

    #[test]
    fn signatures_verify_for_each_wallet() {
        let key = hex::encode(rand::random::<[u8; 32]>());
        for kind in [WalletKind::Evm, WalletKind::Tron, WalletKind::Solana] {
            let (addr, sig) = sign(kind, &key, "a message").unwrap();
            let stored = normalize(kind, &addr).unwrap();
            assert_eq!(verify(kind, &stored, "a message", &sig), Ok(()), "{kind:?}");
            assert!(verify(kind, &stored, "another", &sig).is_err(), "{kind:?}");
        }
        assert_eq!(sign(WalletKind::Evm, "12", "m"), Err(KeyError));
    }
}
