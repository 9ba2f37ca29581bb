//! Reading a Solana keypair from text: the `solana-keygen` JSON array of 64
//! bytes, or base58 of those 64 bytes (as wallets export it). Errors never
//! contain key material.

use solana_keypair::Keypair;
use zeroize::Zeroizing;

use super::error::SolanaError;

/// Bytes of a keypair: 32 secret, then 32 public.
pub const KEYPAIR_LEN: usize = 64;

/// Parses a keypair from a JSON byte array or base58 text, and checks that its
/// public half belongs to its secret half.
pub fn keypair_from_text(text: &str) -> Result<Keypair, SolanaError> {
    let text = text.trim();
    let bytes = if text.starts_with('[') {
        let parsed: Zeroizing<Vec<u8>> = Zeroizing::new(serde_json::from_str(text).map_err(
            |_| SolanaError::Keypair {
                reason: "not a JSON array of bytes",
            },
        )?);
        parsed
    } else {
        Zeroizing::new(
            bs58::decode(text)
                .into_vec()
                .map_err(|_| SolanaError::Keypair {
                    reason: "neither a JSON byte array nor base58",
                })?,
        )
    };
    if bytes.len() != KEYPAIR_LEN {
        return Err(SolanaError::Keypair {
            reason: "a keypair has 64 bytes (secret and public key)",
        });
    }
    // Rejects a public half that does not match the secret half.
    Keypair::try_from(bytes.as_slice()).map_err(|_| SolanaError::Keypair {
        reason: "the public key does not match the secret key",
    })
}

#[cfg(test)]
mod tests {
    use solana_signer::Signer;

    use super::*;

    #[test]
    fn json_and_base58_forms() {
        let kp = Keypair::new_from_array([7; 32]);
        let bytes = kp.to_bytes();
        let json = serde_json::to_string(&bytes.to_vec()).unwrap();
        assert_eq!(keypair_from_text(&json).unwrap().pubkey(), kp.pubkey());
        let b58 = bs58::encode(bytes).into_string();
        assert_eq!(
            keypair_from_text(&format!(" {b58}\n")).unwrap().pubkey(),
            kp.pubkey()
        );
        let mut wrong = bytes;
        wrong[40] ^= 1;
        let err = keypair_from_text(&bs58::encode(wrong).into_string()).unwrap_err();
        assert!(err.to_string().contains("does not match"), "{err}");
        assert!(keypair_from_text("[1,2,3]").is_err());
        assert!(keypair_from_text("0OIl").is_err());
        // The message never echoes the input.
        assert!(!err.to_string().contains(&b58[..10]));
    }
}
