//! Loading a private key from a file or an environment variable; never from argv.

use std::path::Path;

use anyhow::{Context as _, bail};
use stablerail_sdk::solana::keypair_from_text;
use stablerail_sdk::solana::sdk::Keypair;
use stablerail_sdk::tron::PrivateKey;
use zeroize::Zeroizing;

/// The environment variable that may hold a TRON private key (64 hex digits).
pub(crate) const KEY_ENV: &str = "STABLERAIL_TRON_KEY";

/// The environment variable that may hold a Solana keypair (JSON byte array or base58).
pub(crate) const SOLANA_KEY_ENV: &str = "STABLERAIL_SOLANA_KEY";

/// Loads the key from `key_file`, else from [`KEY_ENV`]. The text is zeroized after
/// parsing and never appears in messages.
pub(crate) fn load(key_file: Option<&Path>) -> anyhow::Result<PrivateKey> {
    let Secret { text, source } = read_secret(key_file, KEY_ENV)?;
    PrivateKey::from_hex(&text).with_context(|| format!("key from {source}"))
}

/// Loads a Solana keypair from `key_file` (as `solana-keygen` writes it), else from
/// [`SOLANA_KEY_ENV`]. The text is zeroized after parsing and never appears in messages.
pub(crate) fn load_solana(key_file: Option<&Path>) -> anyhow::Result<Keypair> {
    let Secret { text, source } = read_secret(key_file, SOLANA_KEY_ENV)?;
    keypair_from_text(&text).with_context(|| format!("key from {source}"))
}

/// A key's text, zeroized on drop, and where it came from (a path or a variable
/// name, never the text) for error messages.
struct Secret {
    text: Zeroizing<String>,
    source: String,
}

/// Reads a key's text from `key_file`, else from the environment variable `env`.
fn read_secret(key_file: Option<&Path>, env: &str) -> anyhow::Result<Secret> {
    let text = match key_file {
        Some(path) => {
            warn_if_shared(path);
            Zeroizing::new(
                std::fs::read_to_string(path)
                    .with_context(|| format!("reading key file {}", path.display()))?,
            )
        }
        None => match std::env::var(env) {
            Ok(v) => Zeroizing::new(v),
            Err(_) => bail!("no key: pass --key-file <path> or set {env}"),
        },
    };
    let source = key_file.map_or_else(|| env.to_owned(), |p| p.display().to_string());
    Ok(Secret { text, source })
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(meta) = std::fs::metadata(path)
        && meta.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "key file is readable by group or others; chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

/// The environment variable that may hold an EVM private key (64 hex digits).
pub(crate) const EVM_KEY_ENV: &str = "STABLERAIL_EVM_KEY";

/// Loads a secp256k1 key as an alloy signer from `key_file`, else from `env`
/// (`STABLERAIL_EVM_KEY`, or `STABLERAIL_TRON_KEY` for a TRON owner signing a
/// multisig proposal: the same curve, the same 20-byte account). The text and the
/// decoded bytes are zeroized; errors never contain key material.
pub(crate) fn load_signer(
    key_file: Option<&Path>,
    env: &str,
) -> anyhow::Result<alloy::signers::local::PrivateKeySigner> {
    let Secret { text, source } = read_secret(key_file, env)?;
    let trimmed = text.trim();
    let digits = trimmed.strip_prefix("0x").unwrap_or(trimmed);
    if digits.len() != 64 {
        bail!(
            "key from {source}: {} hex characters; expected 64 (32 bytes)",
            digits.len()
        );
    }
    let mut bytes = Zeroizing::new([0u8; 32]);
    hex::decode_to_slice(digits, bytes.as_mut_slice())
        .map_err(|_| anyhow::anyhow!("key from {source}: not hex"))?;
    alloy::signers::local::PrivateKeySigner::from_slice(bytes.as_slice())
        .map_err(|_| anyhow::anyhow!("key from {source}: out of range for secp256k1"))
}
