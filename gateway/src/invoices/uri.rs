//! The payment URI of an invoice's chain (from the SDK) and its QR code.

use qrcode::{QrCode, render::svg};
use stablerail_indexer::ChainKind;
use stablerail_sdk::{Amount, evm_transfer_uri, tron_uri};

use crate::config::Config;

/// The URI a wallet scans: EIP-681 on EVM chains, `tron:` on TRON. `None` if the
/// chain is not configured or an address does not fit (logged).
pub fn payment_uri(config: &Config, chain: &str, to: &str, amount: Amount) -> Option<String> {
    let c = config.indexer.chains.get(chain)?;
    let uri = match c.kind {
        ChainKind::Evm => {
            let chain_id = config.chains.get(chain)?.chain_id?;
            evm_transfer_uri(&c.usdt, chain_id, to, amount)
        }
        ChainKind::Tron => tron_uri(to, Some(amount), Some(&c.usdt)),
    };
    match uri {
        Ok(u) => Some(u),
        Err(e) => {
            tracing::warn!(chain, error = %e, "no payment URI");
            None
        }
    }
}

/// The QR code of `text` as a standalone SVG document.
pub fn qr_svg(text: &str) -> Option<String> {
    let code = QrCode::new(text.as_bytes()).ok()?;
    Some(
        code.render::<svg::Color<'_>>()
            .min_dimensions(240, 240)
            .quiet_zone(true)
            .build(),
    )
}
