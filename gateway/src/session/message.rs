//! The sign-in message: EIP-4361 (Sign-In with Ethereum) for EVM wallets, Sign-In
//! With Solana for Solana wallets, and the same text with "TRON account" for TRON
//! wallets (signed with TRON's signMessageV2; TRON has no sign-in standard). One
//! strict parser for the three: the header line, the address, an optional
//! statement, then the fields in the order EIP-4361's grammar fixes.
//!
//! The gateway checks every field itself (see `session::signin`): the domain and URI
//! against its public URL, the nonce against its store, the times against its clock.

use std::fmt;

use time::{OffsetDateTime, format_description::well_known::Rfc3339};

/// Which wallet family signed (and so which header line, address form and
/// signature scheme the message uses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WalletKind {
    /// EVM address, EIP-191 personal-message signature (EIP-4361).
    Evm,
    /// TRON base58check address, signMessageV2 signature.
    Tron,
    /// Solana base58 public key, ed25519 signature (Sign-In With Solana).
    Solana,
}

impl WalletKind {
    /// The word of the header line (`... sign in with your <word> account:`).
    pub fn account_word(self) -> &'static str {
        match self {
            Self::Evm => "Ethereum",
            Self::Tron => "TRON",
            Self::Solana => "Solana",
        }
    }

    /// Stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Evm => "evm",
            Self::Tron => "tron",
            Self::Solana => "solana",
        }
    }

    /// From [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "evm" => Some(Self::Evm),
            "tron" => Some(Self::Tron),
            "solana" => Some(Self::Solana),
            _ => None,
        }
    }
}

/// Why a message is not a well-formed sign-in message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MessageError {
    /// The first line is not `<domain> wants you to sign in with your <X> account:`.
    #[error(
        "the first line must be '<domain> wants you to sign in with your Ethereum, TRON or Solana account:'"
    )]
    Header,
    /// The second line is not an address of the wallet family.
    #[error("the second line must be the signing address")]
    Address,
    /// A required field is missing or out of order.
    #[error("the field '{0}' is missing or out of order")]
    Field(&'static str),
    /// A field has a value the grammar does not allow.
    #[error("the field '{0}' is malformed")]
    Value(&'static str),
    /// Lines left over after the last field.
    #[error("unexpected text after the last field")]
    Trailing,
}

/// A parsed sign-in message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignInMessage {
    /// Wallet family (from the header line).
    pub kind: WalletKind,
    /// `host[:port]` the message is for.
    pub domain: String,
    /// The address as written (EVM: EIP-55 or lowercase; TRON: base58check; Solana:
    /// base58).
    pub address: String,
    /// Human-readable statement, if any.
    pub statement: Option<String>,
    /// The RFC 3986 URI of the site.
    pub uri: String,
    /// Always `1`.
    pub version: String,
    /// EIP-155 chain id (EVM; required there) or a Solana cluster name.
    pub chain_id: Option<String>,
    /// The server-issued nonce (at least 8 alphanumeric characters).
    pub nonce: String,
    /// When the wallet signed.
    pub issued_at: OffsetDateTime,
    /// After this the message is no longer valid.
    pub expiration_time: Option<OffsetDateTime>,
    /// Before this the message is not yet valid.
    pub not_before: Option<OffsetDateTime>,
    /// Optional request id.
    pub request_id: Option<String>,
    /// Resources (URIs), if any.
    pub resources: Vec<String>,
}

fn time_field(v: &str, name: &'static str) -> Result<OffsetDateTime, MessageError> {
    OffsetDateTime::parse(v, &Rfc3339).map_err(|_| MessageError::Value(name))
}

fn rfc3339(t: OffsetDateTime) -> String {
    // Formatting an in-range UTC time as RFC 3339 cannot fail; fall back to the
    // Unix time rather than panic.
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Lines in order with a cursor.
struct Lines<'a> {
    lines: Vec<&'a str>,
    at: usize,
}

impl<'a> Lines<'a> {
    fn peek(&self) -> Option<&'a str> {
        self.lines.get(self.at).copied()
    }
    fn next(&mut self) -> Option<&'a str> {
        let l = self.peek();
        self.at += 1;
        l
    }
    /// The value of `label: value` if the next line has that label.
    fn opt(&mut self, label: &'static str) -> Option<&'a str> {
        let v = self.peek()?.strip_prefix(label)?.strip_prefix(": ")?;
        self.at += 1;
        Some(v)
    }
    fn req(&mut self, label: &'static str) -> Result<&'a str, MessageError> {
        self.opt(label).ok_or(MessageError::Field(label))
    }
}

impl SignInMessage {
    /// Parses a message exactly as the wallet signed it (`\n` line ends).
    pub fn parse(text: &str) -> Result<Self, MessageError> {
        let mut l = Lines {
            lines: text.split('\n').collect(),
            at: 0,
        };
        let header = l.next().ok_or(MessageError::Header)?;
        let (domain, rest) = header
            .split_once(" wants you to sign in with your ")
            .ok_or(MessageError::Header)?;
        let kind = match rest {
            "Ethereum account:" => WalletKind::Evm,
            "TRON account:" => WalletKind::Tron,
            "Solana account:" => WalletKind::Solana,
            _ => return Err(MessageError::Header),
        };
        if domain.is_empty()
            || domain.contains("://")
            || !domain
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~:[]@%".contains(c))
        {
            return Err(MessageError::Header);
        }
        let address = l.next().ok_or(MessageError::Address)?;
        if address.is_empty() || !address.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(MessageError::Address);
        }
        // Blank line, then either a statement and another blank line, or directly
        // the fields.
        if l.next() != Some("") {
            return Err(MessageError::Field("statement"));
        }
        let statement = match l.peek() {
            Some(s) if !s.starts_with("URI: ") => {
                l.at += 1;
                if s.is_empty() || l.next() != Some("") {
                    return Err(MessageError::Field("statement"));
                }
                Some(s.to_owned())
            }
            _ => None,
        };
        let uri = l.req("URI")?;
        if uri.is_empty() || !uri.contains(':') || uri.chars().any(char::is_whitespace) {
            return Err(MessageError::Value("URI"));
        }
        let version = l.req("Version")?;
        if version != "1" {
            return Err(MessageError::Value("Version"));
        }
        let chain_id = l.opt("Chain ID");
        match (kind, chain_id) {
            (WalletKind::Evm, None) => return Err(MessageError::Field("Chain ID")),
            (WalletKind::Evm, Some(c))
                if c.is_empty() || !c.chars().all(|c| c.is_ascii_digit()) =>
            {
                return Err(MessageError::Value("Chain ID"));
            }
            (_, Some("")) => return Err(MessageError::Value("Chain ID")),
            _ => {}
        }
        let nonce = l.req("Nonce")?;
        if nonce.len() < 8 || !nonce.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(MessageError::Value("Nonce"));
        }
        let issued_at = time_field(l.req("Issued At")?, "Issued At")?;
        let expiration_time = l
            .opt("Expiration Time")
            .map(|v| time_field(v, "Expiration Time"))
            .transpose()?;
        let not_before = l
            .opt("Not Before")
            .map(|v| time_field(v, "Not Before"))
            .transpose()?;
        let request_id = l.opt("Request ID").map(str::to_owned);
        let mut resources = Vec::new();
        if l.peek() == Some("Resources:") {
            l.at += 1;
            while let Some(r) = l.peek().and_then(|x| x.strip_prefix("- ")) {
                resources.push(r.to_owned());
                l.at += 1;
            }
        }
        if l.peek().is_some() {
            return Err(MessageError::Trailing);
        }
        Ok(Self {
            kind,
            domain: domain.to_owned(),
            address: address.to_owned(),
            statement,
            uri: uri.to_owned(),
            version: version.to_owned(),
            chain_id: chain_id.map(str::to_owned),
            nonce: nonce.to_owned(),
            issued_at,
            expiration_time,
            not_before,
            request_id,
            resources,
        })
    }
}

impl fmt::Display for SignInMessage {
    /// The message text in the grammar's order (what the wallet signs).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} wants you to sign in with your {} account:",
            self.domain,
            self.kind.account_word()
        )?;
        writeln!(f, "{}", self.address)?;
        writeln!(f)?;
        if let Some(s) = &self.statement {
            writeln!(f, "{s}")?;
            writeln!(f)?;
        }
        writeln!(f, "URI: {}", self.uri)?;
        write!(f, "Version: {}", self.version)?;
        if let Some(c) = &self.chain_id {
            write!(f, "\nChain ID: {c}")?;
        }
        write!(f, "\nNonce: {}", self.nonce)?;
        write!(f, "\nIssued At: {}", rfc3339(self.issued_at))?;
        if let Some(t) = self.expiration_time {
            write!(f, "\nExpiration Time: {}", rfc3339(t))?;
        }
        if let Some(t) = self.not_before {
            write!(f, "\nNot Before: {}", rfc3339(t))?;
        }
        if let Some(r) = &self.request_id {
            write!(f, "\nRequest ID: {r}")?;
        }
        if !self.resources.is_empty() {
            write!(f, "\nResources:")?;
            for r in &self.resources {
                write!(f, "\n- {r}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EIP4361_EXAMPLE: &str = "service.org wants you to sign in with your Ethereum account:
0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2

I accept the ServiceOrg Terms of Service: https://service.org/tos

URI: https://service.org/login
Version: 1
Chain ID: 1
Nonce: 32891757
Issued At: 2021-09-30T16:25:24.000Z
Resources:
- ipfs://Qme7ss3ARVgxv6rXqVPiikMJ8u2NLgmgszg13pYrDKEoiu
- https://example.com/my-web2-claim.json";

    #[test]
    fn parses_the_eip4361_example_and_prints_it_back() {
        let m = SignInMessage::parse(EIP4361_EXAMPLE).unwrap();
        assert_eq!(m.kind, WalletKind::Evm);
        assert_eq!(m.domain, "service.org");
        assert_eq!(m.nonce, "32891757");
        assert_eq!(m.chain_id.as_deref(), Some("1"));
        assert_eq!(m.resources.len(), 2);
        assert_eq!(
            m.statement.as_deref(),
            Some("I accept the ServiceOrg Terms of Service: https://service.org/tos")
        );
        let again = SignInMessage::parse(&m.to_string()).unwrap();
        assert_eq!(again, m);
    }

    #[test]
    fn solana_without_statement_or_chain() {
        let text = "example.com wants you to sign in with your Solana account:
9WzDXwBbmkg8ZTbNMqUxvQRAyrZzDsGYdLVL9zYtAWWM

URI: https://example.com
Version: 1
Nonce: abcdefgh1
Issued At: 2026-01-01T00:00:00Z
Expiration Time: 2026-01-01T00:05:00Z";
        let m = SignInMessage::parse(text).unwrap();
        assert_eq!(m.kind, WalletKind::Solana);
        assert_eq!(m.statement, None);
        assert_eq!(m.chain_id, None);
        assert!(m.expiration_time.is_some());
    }

    #[test]
    fn refuses_malformed_messages() {
        let bad = [
            (
                EIP4361_EXAMPLE.replace("Ethereum account", "Bitcoin account"),
                MessageError::Header,
            ),
            (
                EIP4361_EXAMPLE.replace("service.org wants", "https://service.org wants"),
                MessageError::Header,
            ),
            (
                EIP4361_EXAMPLE.replace("Nonce: 32891757", "Nonce: 123"),
                MessageError::Value("Nonce"),
            ),
            (
                EIP4361_EXAMPLE.replace("Version: 1", "Version: 2"),
                MessageError::Value("Version"),
            ),
            (
                EIP4361_EXAMPLE.replace("Chain ID: 1\n", ""),
                MessageError::Field("Chain ID"),
            ),
            (
                EIP4361_EXAMPLE.replace("2021-09-30T16:25:24.000Z", "yesterday"),
                MessageError::Value("Issued At"),
            ),
            (format!("{EIP4361_EXAMPLE}\nextra"), MessageError::Trailing),
            // Fields out of order: Nonce before Chain ID.
            (
                EIP4361_EXAMPLE.replace(
                    "Chain ID: 1\nNonce: 32891757",
                    "Nonce: 32891757\nChain ID: 1",
                ),
                MessageError::Field("Chain ID"),
            ),
        ];
        for (text, want) in bad {
            assert_eq!(SignInMessage::parse(&text), Err(want), "{text}");
        }
    }
}
