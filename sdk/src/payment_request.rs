//! Payment request URIs a payer's wallet can scan: EIP-681 (ERC20 USDT on EVM chains),
//! Solana Pay transfer requests and a `tron:` URI.

use core::fmt::Write as _;

use alloy::primitives::Address as EvmAddress;

use crate::amount::Amount;
use crate::error::PaymentRequestError;
use crate::tron::Address as TronAddress;

/// Parses an EVM address: `0x` and 40 hex digits, any letter case (the EIP-55
/// checksum is not required, since many systems store addresses lowercase).
fn evm_address(input: &str) -> Result<EvmAddress, PaymentRequestError> {
    let err = || PaymentRequestError::EvmAddress {
        input: input.to_owned(),
    };
    let digits = input.strip_prefix("0x").ok_or_else(err)?;
    let mut bytes = [0u8; 20];
    if digits.len() != 40 {
        return Err(err());
    }
    hex::decode_to_slice(digits, &mut bytes).map_err(|_| err())?;
    Ok(EvmAddress::from(bytes))
}

/// Checks a Solana address: base58 of 32 bytes.
fn solana_address(input: &str) -> Result<&str, PaymentRequestError> {
    match bs58::decode(input).into_vec() {
        Ok(b) if b.len() == 32 => Ok(input),
        _ => Err(PaymentRequestError::SolanaAddress {
            input: input.to_owned(),
        }),
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// An EIP-681 URI for an ERC20 `transfer(to, amount)`:
/// `ethereum:<token>@<chainId>/transfer?address=<to>&uint256=<units>`.
///
/// Addresses are written with their EIP-55 checksum; the amount in smallest units.
pub fn evm_transfer_uri(
    token: &str,
    chain_id: u64,
    to: &str,
    amount: Amount,
) -> Result<String, PaymentRequestError> {
    let token = evm_address(token)?;
    let to = evm_address(to)?;
    if chain_id == 0 {
        return Err(PaymentRequestError::ChainId);
    }
    Ok(format!(
        "ethereum:{}@{chain_id}/transfer?address={}&uint256={}",
        token.to_checksum(None),
        to.to_checksum(None),
        amount.units()
    ))
}

/// A Solana Pay transfer request
/// (`solana:<recipient>?amount=..&spl-token=..&reference=..&label=..&message=..&memo=..`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SolanaPayRequest {
    /// The wallet receiving the payment (not a token account).
    pub recipient: String,
    /// The amount in tokens (decimal); `None` lets the payer choose.
    pub amount: Option<Amount>,
    /// The SPL token mint (USDT's for USDT); `None` means SOL.
    pub spl_token: Option<String>,
    /// Reference keys the merchant finds the payment by.
    pub references: Vec<String>,
    /// Who requests (shown by the wallet).
    pub label: Option<String>,
    /// What for (shown by the wallet).
    pub message: Option<String>,
    /// A memo the wallet adds to the transaction.
    pub memo: Option<String>,
}

impl SolanaPayRequest {
    /// The URI, with every address checked and text fields percent-encoded.
    pub fn to_uri(&self) -> Result<String, PaymentRequestError> {
        let mut uri = format!("solana:{}", solana_address(&self.recipient)?);
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(a) = self.amount {
            params.push(("amount", a.to_string()));
        }
        if let Some(mint) = &self.spl_token {
            params.push(("spl-token", solana_address(mint)?.to_owned()));
        }
        for r in &self.references {
            params.push(("reference", solana_address(r)?.to_owned()));
        }
        for (key, value) in [
            ("label", &self.label),
            ("message", &self.message),
            ("memo", &self.memo),
        ] {
            if let Some(v) = value {
                params.push((key, percent_encode(v)));
            }
        }
        for (i, (k, v)) in params.iter().enumerate() {
            uri.push(if i == 0 { '?' } else { '&' });
            uri.push_str(k);
            uri.push('=');
            uri.push_str(v);
        }
        Ok(uri)
    }
}

/// A TRON payment URI `tron:<address>?amount=<decimal>&token=<contract>`.
///
/// TRON has no standardized payment URI. This form follows BIP-21/EIP-681 and is the
/// one TronLink-style QR scanners parse; wallets that only read a bare address
/// (the common case) take the address and let the payer type the amount, so show
/// the amount next to the QR code too. Leave `token` out for TRX.
pub fn tron_uri(
    to: &str,
    amount: Option<Amount>,
    token: Option<&str>,
) -> Result<String, PaymentRequestError> {
    let to = TronAddress::from_base58(to)?;
    let mut uri = format!("tron:{to}");
    let mut sep = '?';
    if let Some(a) = amount {
        let _ = write!(uri, "{sep}amount={a}");
        sep = '&';
    }
    if let Some(t) = token {
        let t = TronAddress::from_base58(t)?;
        let _ = write!(uri, "{sep}token={t}");
    }
    Ok(uri)
}

#[cfg(test)]
mod tests {
    use super::*;

    const USDT_ETH: &str = "0xdac17f958d2ee523a2206206994597c13d831ec7";
    const USDT_SOL: &str = "Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB";

    #[test]
    fn eip681() {
        let uri = evm_transfer_uri(
            USDT_ETH,
            1,
            "0xFB6916095CA1DF60BB79CE92CE3EA74C37C5D359",
            "12.5".parse().unwrap(),
        )
        .unwrap();
        assert_eq!(
            uri,
            "ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer?address=0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359&uint256=12500000"
        );
        assert!(evm_transfer_uri("0x12", 1, USDT_ETH, Amount::ZERO).is_err());
        assert!(
            evm_transfer_uri(
                USDT_ETH,
                1,
                "dac17f958d2ee523a2206206994597c13d831ec7",
                Amount::ZERO
            )
            .is_err()
        );
        assert!(
            evm_transfer_uri(
                USDT_ETH,
                1,
                "0xzac17f958d2ee523a2206206994597c13d831ec7",
                Amount::ZERO
            )
            .is_err()
        );
        assert_eq!(
            evm_transfer_uri(USDT_ETH, 0, USDT_ETH, Amount::ZERO),
            Err(PaymentRequestError::ChainId)
        );
    }

    #[test]
    fn solana_pay() {
        let req = SolanaPayRequest {
            recipient: "mvines9iiHiQTysrwkJjGf2gb9Ex9jXJX8ns3qwf2kN".into(),
            amount: Some("0.01".parse().unwrap()),
            spl_token: Some(USDT_SOL.into()),
            references: vec!["82ZJ7nbGpixjeDCmEhUcmwXYfvurzAgGdtSMuHnUgyny".into()],
            label: Some("Michael's shop".into()),
            message: Some("Order #42 — thanks".into()),
            memo: None,
        };
        assert_eq!(
            req.to_uri().unwrap(),
            "solana:mvines9iiHiQTysrwkJjGf2gb9Ex9jXJX8ns3qwf2kN?amount=0.01&spl-token=Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB&reference=82ZJ7nbGpixjeDCmEhUcmwXYfvurzAgGdtSMuHnUgyny&label=Michael%27s%20shop&message=Order%20%2342%20%E2%80%94%20thanks"
        );
        let bad = SolanaPayRequest {
            recipient: "0OIl".into(),
            ..Default::default()
        };
        assert!(matches!(
            bad.to_uri(),
            Err(PaymentRequestError::SolanaAddress { .. })
        ));
        let short = SolanaPayRequest {
            recipient: "3yZe7d".into(),
            ..Default::default()
        };
        assert!(short.to_uri().is_err());
    }

    #[test]
    fn tron() {
        assert_eq!(
            tron_uri(
                "TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1",
                Some("100".parse().unwrap()),
                Some("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
            )
            .unwrap(),
            "tron:TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1?amount=100&token=TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
        );
        assert_eq!(
            tron_uri("TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1", None, None).unwrap(),
            "tron:TPX6HK2NRN4XKRX1JAhbC827bm7gMmy5w1"
        );
        assert!(tron_uri("TYPG8VeuoVAh2hP7Vfw6ww7vK98nvXXXUs", None, None).is_err());
    }
}
