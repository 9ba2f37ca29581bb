//! `[dashboard]` in `gateway.toml`: sign-in and session settings.
//!
//! ```toml
//! [dashboard]
//! session_secs = 28800      # a session lasts 8 hours
//! nonce_secs = 300          # a sign-in nonce must be used within 5 minutes
//! secure_cookies = true     # false only when the public URL is http://localhost
//! operators = []            # wallets that see the operator's page
//! secret_key_file = "/etc/stablerail/totp.key"   # 64 hex digits; seals TOTP secrets
//! ```

use serde::Deserialize;

use crate::error::{Error, Result};

/// Sign-in and session settings of the dashboards.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardConfig {
    /// Lifetime of a session, in seconds.
    #[serde(default = "default_session")]
    pub session_secs: u64,
    /// Lifetime of a sign-in nonce, in seconds.
    #[serde(default = "default_nonce")]
    pub nonce_secs: u64,
    /// Cookies carry `Secure` (and the session cookie the `__Host-` prefix). May be
    /// turned off only when the gateway is reached at `http://localhost` or
    /// `http://127.0.0.1` (browsers do not send Secure cookies over plain HTTP
    /// elsewhere).
    #[serde(default = "default_secure")]
    pub secure_cookies: bool,
    /// How far a signed message's `Issued At` may be from the gateway's clock.
    #[serde(default = "default_skew")]
    pub clock_skew_secs: u64,
    /// Wallets (EVM, TRON or Solana addresses) that see the operator's page.
    #[serde(default)]
    pub operators: Vec<String>,
    /// A file holding the key (64 hex digits) that seals TOTP secrets at rest.
    #[serde(default)]
    pub secret_key_file: Option<std::path::PathBuf>,
    /// Else the environment variable holding that key.
    #[serde(default = "default_key_env")]
    pub secret_key_env: String,
    /// A file holding the gateway's co-signer key (secp256k1, hex): owners may name
    /// its address as their account's co-signer (`cosigner`). None: no co-signing.
    #[serde(default)]
    pub co_signer_key_file: Option<std::path::PathBuf>,
    /// A file holding the gateway's Solana co-signer keypair (ed25519, solana-keygen
    /// JSON or base58): Solana owners may name its address as their account's
    /// co-signer (`cosigner::SolanaCoSigner`). None: no co-signing on Solana.
    #[serde(default)]
    pub co_signer_solana_key_file: Option<std::path::PathBuf>,
}

impl Default for DashboardConfig {
    fn default() -> Self {
        Self {
            session_secs: default_session(),
            nonce_secs: default_nonce(),
            secure_cookies: default_secure(),
            clock_skew_secs: default_skew(),
            operators: Vec::new(),
            secret_key_file: None,
            secret_key_env: default_key_env(),
            co_signer_key_file: None,
            co_signer_solana_key_file: None,
        }
    }
}

fn default_session() -> u64 {
    8 * 3600
}
fn default_nonce() -> u64 {
    300
}
fn default_secure() -> bool {
    true
}
fn default_key_env() -> String {
    "STABLERAIL_GATEWAY_SECRET_KEY".to_owned()
}
fn default_skew() -> u64 {
    600
}

/// Whether `url` (a public URL, or `http://` + the listen address) is a local,
/// plain-HTTP origin where cookies without `Secure` are acceptable.
pub fn is_local_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

impl DashboardConfig {
    /// The stored form of an operator's address (see `session::verify::normalize`).
    pub fn operator_address(&self, o: &str) -> Option<String> {
        use super::{message::WalletKind, verify::normalize};
        [WalletKind::Evm, WalletKind::Tron, WalletKind::Solana]
            .into_iter()
            .find_map(|k| normalize(k, o))
    }

    /// Whether the wallet at `address` (stored form) is an operator.
    pub fn is_operator(&self, address: &str) -> bool {
        self.operators
            .iter()
            .any(|o| self.operator_address(o).as_deref() == Some(address))
    }

    /// The sealer of TOTP secrets with the configured key (file first, then the
    /// environment variable), or none.
    pub fn sealer(&self) -> Result<crate::totp::seal::Sealer> {
        crate::totp::seal::Sealer::load(self.secret_key_file.as_deref(), &self.secret_key_env)
    }

    /// Checks the settings against the gateway's public URL (or, when none is set,
    /// `http://` + its listen address).
    pub fn validate(&self, public_url: &str) -> Result<()> {
        if !self.secure_cookies && !is_local_http(public_url) {
            return Err(Error::Config(
                "dashboard.secure_cookies = false is allowed only for an http://localhost or http://127.0.0.1 gateway".into(),
            ));
        }
        for o in &self.operators {
            if self.operator_address(o).is_none() {
                return Err(Error::Config(format!(
                    "dashboard.operators: {o:?} is not an EVM, TRON or Solana address"
                )));
            }
        }
        // A key that is configured must load (fail at start, not at sign-in).
        self.sealer()?;
        if self.session_secs == 0 || self.nonce_secs == 0 {
            return Err(Error::Config(
                "dashboard.session_secs and dashboard.nonce_secs must be positive".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insecure_cookies_only_on_localhost() {
        let insecure = DashboardConfig {
            secure_cookies: false,
            ..Default::default()
        };
        assert!(insecure.validate("http://127.0.0.1:8000").is_ok());
        assert!(insecure.validate("http://localhost").is_ok());
        assert!(insecure.validate("https://pay.example.com").is_err());
        assert!(insecure.validate("http://pay.example.com").is_err());
        assert!(insecure.validate("http://127.0.0.1.example.com").is_err());
        assert!(
            DashboardConfig::default()
                .validate("https://pay.example.com")
                .is_ok()
        );
    }
}
