//! TOTP secrets at rest: sealed with ChaCha20-Poly1305 under the gateway's secret key
//! (`dashboard.secret_key_file`, else the environment variable
//! `dashboard.secret_key_env`: 64 hex digits), bound to the wallet (the associated
//! data is `<kind>:<address>`, so a sealed secret copied to another wallet's row
//! does not open). Stored as `enc:v1:<hex of nonce ‖ ciphertext>`. Without a key the
//! secret is stored as base32 text (a warning is logged at each enrolment).

use chacha20poly1305::{
    ChaCha20Poly1305, Key, KeyInit, Nonce,
    aead::{Aead, Payload},
};

use crate::error::{Error, Result};

const PREFIX: &str = "enc:v1:";

/// Seals and opens TOTP secrets.
#[derive(Clone)]
pub struct Sealer {
    key: Option<[u8; 32]>,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealer")
            .field("key", &self.key.map(|_| "<set>"))
            .finish()
    }
}

fn parse_key(text: &str, whence: &str) -> Result<[u8; 32]> {
    let bytes = hex::decode(text.trim())
        .map_err(|_| Error::Config(format!("{whence}: the secret key must be 64 hex digits")))?;
    bytes.try_into().map_err(|_| {
        Error::Config(format!(
            "{whence}: the secret key must be 32 bytes (64 hex digits)"
        ))
    })
}

impl Sealer {
    /// The key the configuration names (file first, then the environment variable),
    /// or none.
    pub fn load(secret_key_file: Option<&std::path::Path>, secret_key_env: &str) -> Result<Self> {
        if let Some(path) = secret_key_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::Config(format!("dashboard.secret_key_file {}: {e}", path.display()))
            })?;
            return Ok(Self {
                key: Some(parse_key(&text, "dashboard.secret_key_file")?),
            });
        }
        match std::env::var(secret_key_env) {
            Ok(v) if !v.trim().is_empty() => Ok(Self {
                key: Some(parse_key(&v, secret_key_env)?),
            }),
            _ => Ok(Self { key: None }),
        }
    }

    /// Whether secrets are sealed.
    pub fn has_key(&self) -> bool {
        self.key.is_some()
    }

    /// The stored form of `secret` for the wallet `aad`.
    pub fn seal(&self, aad: &str, secret: &str) -> Result<String> {
        let Some(key) = &self.key else {
            return Ok(secret.to_owned());
        };
        let nonce: [u8; 12] = rand::random();
        let sealed = ChaCha20Poly1305::new(Key::from_slice(key))
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| Error::Config("sealing a TOTP secret failed".into()))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        Ok(format!("{PREFIX}{}", hex::encode(out)))
    }

    /// The secret of a stored value (sealed or, from before a key was set, plain).
    pub fn open(&self, aad: &str, stored: &str) -> Result<String> {
        let Some(hexed) = stored.strip_prefix(PREFIX) else {
            return Ok(stored.to_owned());
        };
        let key = self.key.as_ref().ok_or_else(|| {
            Error::Config(
                "a TOTP secret is sealed but no dashboard secret key is configured".into(),
            )
        })?;
        let bytes = hex::decode(hexed)
            .map_err(|_| Error::Config("a sealed TOTP secret is not hex".into()))?;
        if bytes.len() < 12 {
            return Err(Error::Config("a sealed TOTP secret is too short".into()));
        }
        let (nonce, sealed) = bytes.split_at(12);
        let plain = ChaCha20Poly1305::new(Key::from_slice(key))
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .map_err(|_| {
                Error::Config("a sealed TOTP secret does not open with this key".into())
            })?;
        String::from_utf8(plain)
            .map_err(|_| Error::Config("a sealed TOTP secret is not text".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_bound_to_the_wallet() {
        let s = Sealer {
            key: Some(rand::random()),
        };
        let sealed = s.seal("evm:0xabc", "JBSWY3DPEHPK3PXP").unwrap();
        assert!(sealed.starts_with(PREFIX));
        assert!(!sealed.contains("JBSWY3DPEHPK3PXP"));
        assert_ne!(sealed, s.seal("evm:0xabc", "JBSWY3DPEHPK3PXP").unwrap());
        assert_eq!(s.open("evm:0xabc", &sealed).unwrap(), "JBSWY3DPEHPK3PXP");
        assert!(s.open("evm:0xdef", &sealed).is_err());
        let other = Sealer {
            key: Some(rand::random()),
        };
        assert!(other.open("evm:0xabc", &sealed).is_err());
        assert!(Sealer { key: None }.open("evm:0xabc", &sealed).is_err());
        // Plain values (no key when enrolled) still open.
        assert_eq!(
            s.open("evm:0xabc", "JBSWY3DPEHPK3PXP").unwrap(),
            "JBSWY3DPEHPK3PXP"
        );
        assert_eq!(Sealer { key: None }.seal("a", "X").unwrap(), "X");
        assert!(parse_key("12", "t").is_err());
        assert!(parse_key(&"ab".repeat(32), "t").is_ok());
    }
}
