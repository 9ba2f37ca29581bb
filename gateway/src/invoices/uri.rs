//! The payment URI of an invoice's chain (from the SDK) and its QR code.

use std::fmt::Write;

use qrcode::{Color, EcLevel, canvas::MaskPattern};
use stablerail_indexer::ChainKind;
use stablerail_sdk::{Amount, SolanaPayRequest, evm_transfer_uri, tron_uri};

use crate::config::Config;

/// The URI a wallet scans: EIP-681 on EVM chains, `tron:` on TRON, a Solana Pay
/// transfer request on Solana. `None` if the chain is not configured or an address does
/// not fit (logged).
pub fn payment_uri(config: &Config, chain: &str, to: &str, amount: Amount) -> Option<String> {
    let c = config.indexer.chains.get(chain)?;
    let uri = match c.kind {
        ChainKind::Evm => {
            let chain_id = config.chains.get(chain)?.chain_id?;
            evm_transfer_uri(&c.usdt, chain_id, to, amount)
        }
        ChainKind::Tron => tron_uri(to, Some(amount), Some(&c.usdt)),
        ChainKind::Solana => SolanaPayRequest {
            recipient: to.to_owned(),
            amount: Some(amount),
            spl_token: Some(c.usdt.clone()),
            ..SolanaPayRequest::default()
        }
        .to_uri(),
    };
    match uri {
        Ok(u) => Some(u),
        Err(e) => {
            tracing::warn!(chain, error = %e, "no payment URI");
            None
        }
    }
}

/// Side of the QR code's image in CSS pixels (the SVG scales without loss).
const QR_PIXELS: u32 = 240;
/// Light modules around the code (ISO/IEC 18004: four for a normal QR code).
const QUIET_ZONE: usize = 4;
/// The eight masks in the order `qrcode`'s `Canvas::apply_best_mask` tries them.
const MASKS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// The QR code of `text` (error correction M) as a standalone SVG document.
///
/// The `qrcode` crate does the encoding: segments and version, error correction
/// codewords, function patterns, data placement and each mask. Choosing the mask is
/// done here: the crate scores the eight candidates with a boxed closure per module
/// and position, which made up some 40 % of an invoice create's CPU time; [`penalty`]
/// computes the same four scores over a plain grid, so the same mask wins (the first
/// with the lowest score, as in `apply_best_mask`). The SVG draws each row's runs of
/// dark modules as one path segment, one unit per module, scaled by the `viewBox`.
pub fn qr_svg(text: &str) -> Option<String> {
    let ec_level = EcLevel::M;
    let bits = qrcode::bits::encode_auto(text.as_bytes(), ec_level).ok()?;
    let version = bits.version();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, ec_level).ok()?;
    let mut canvas = qrcode::canvas::Canvas::new(version, ec_level);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&data, &ec);
    let width = usize::try_from(version.width()).ok()?;
    if width > 128 {
        // Longer than any payment URI: the library chooses the mask and draws.
        let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
        return Some(
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(QR_PIXELS, QR_PIXELS)
                .build(),
        );
    }
    let rows = MASKS
        .iter()
        .map(|&mask| {
            let mut masked = canvas.clone();
            masked.apply_mask(mask);
            let rows = rows_of(&masked.into_colors(), width);
            (penalty(&rows, width), rows)
        })
        .min_by_key(|(score, _)| *score)?
        .1;
    Some(svg(&rows, width))
}

/// The dark modules of a `width` × `width` code (row-major colors), one `u128` per
/// row: bit k is module k.
fn rows_of(colors: &[Color], width: usize) -> Vec<u128> {
    colors
        .chunks(width)
        .map(|row| {
            row.iter()
                .enumerate()
                .filter(|(_, c)| **c == Color::Dark)
                .fold(0u128, |bits, (x, _)| bits | 1 << x)
        })
        .collect()
}

/// `n` low bits set.
fn below(n: usize) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

/// ISO/IEC 18004 mask penalty, scored exactly as `qrcode`'s
/// `Canvas::compute_total_penalty_scores` does for normal QR codes (its constant
/// offset left out): runs of five or more in a line, 2×2 blocks, finder-like
/// `#.###.#` patterns without four light modules on one side, and the dark/light
/// balance. `rows` are the code's rows ([`rows_of`]), `width` ≤ 128; the columns are
/// transposed from them, so every rule is a few bit operations per line.
fn penalty(rows: &[u128], width: usize) -> u32 {
    let mut cols = vec![0u128; width];
    for (y, row) in rows.iter().enumerate() {
        let mut bits = *row;
        while bits != 0 {
            let x = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            cols[x] |= 1 << y;
        }
    }
    let mut score = 0u32;
    for line in rows.iter().chain(cols.iter()).copied() {
        // Runs of the same color: between consecutive changes of color.
        let mut changes = (line ^ (line >> 1)) & below(width - 1);
        let mut start = 0usize;
        loop {
            let end = if changes == 0 {
                width
            } else {
                changes.trailing_zeros() as usize + 1
            };
            let run = end - start;
            if run >= 5 {
                score += u32::try_from(run).unwrap_or(u32::MAX) - 2;
            }
            if changes == 0 {
                break;
            }
            changes &= changes - 1;
            start = end;
        }
        // Finder-like patterns: dark, light, dark ×3, light, dark from bit j.
        let mut found = line
            & !(line >> 1)
            & (line >> 2)
            & (line >> 3)
            & (line >> 4)
            & !(line >> 5)
            & (line >> 6)
            & below(width.saturating_sub(6));
        while found != 0 {
            let j = found.trailing_zeros() as usize;
            found &= found - 1;
            let span = |from: usize, to: usize| below(to.min(width)) & !below(from);
            let dark_before = line & span(j.saturating_sub(4), j) != 0;
            let dark_after = line & span(j + 7, j + 11) != 0;
            if !dark_before || !dark_after {
                score += 40;
            }
        }
    }
    // 2×2 blocks of one color.
    for pair in rows.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        let same = !(a ^ (a >> 1)) & !(b ^ (b >> 1)) & !(a ^ b) & below(width - 1);
        score += 3 * same.count_ones();
    }
    // Balance.
    let dark_modules: u32 = rows.iter().map(|r| r.count_ones()).sum();
    let total = u32::try_from(width * width).unwrap_or(u32::MAX).max(1);
    let ratio = dark_modules * 200 / total;
    score + ratio.abs_diff(100)
}

/// The SVG of a code ([`rows_of`]): a white square and one path of the dark runs.
fn svg(rows: &[u128], width: usize) -> String {
    let side = width + 2 * QUIET_ZONE;
    let mut svg = String::with_capacity(8 * 1024);
    // Writing to a String cannot fail.
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{QR_PIXELS}" height="{QR_PIXELS}" viewBox="0 0 {side} {side}" shape-rendering="crispEdges"><rect width="{side}" height="{side}" fill="#fff"/><path fill="#000" d=""##
    );
    // Numbers by `itoa`: `write!` per run was a tenth of a create's time.
    let (mut num, mut run) = (itoa::Buffer::new(), itoa::Buffer::new());
    for (y, row) in rows.iter().enumerate() {
        let mut rest = *row & below(width);
        while rest != 0 {
            let start = rest.trailing_zeros() as usize;
            // The run ends at the first light module after `start`.
            let len = (!(rest >> start)).trailing_zeros() as usize;
            rest &= !(below(len) << start);
            let len = run.format(len);
            svg.push('M');
            svg.push_str(num.format(start + QUIET_ZONE));
            svg.push(' ');
            svg.push_str(num.format(y + QUIET_ZONE));
            svg.push('h');
            svg.push_str(len);
            svg.push_str("v1h-");
            svg.push_str(len);
            svg.push('z');
        }
    }
    svg.push_str(r#""/></svg>"#);
    svg
}

#[cfg(test)]
mod tests {
    use qrcode::{Color, QrCode};

    /// The runs cover exactly the dark modules of the library's own code (same
    /// encoding, same mask chosen).
    #[test]
    fn runs_cover_every_dark_module() {
        for text in [
            "ethereum:0xdAC17F958D2ee523a2206206994597C13D831ec7@1/transfer?address=0x14dc79964da2c08b23698b3d3cc7ca32193d9955&uint256=10000001",
            "ethereum:0x5fbdb2315678afecb367f032d93f642f64180aa3@31337/transfer?address=0xbcd4042de499d14e55001ccbb24a551f3b954096&uint256=12500000",
            "tron:TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t?amount=25.000001&token=TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
            "short",
        ] {
            same_as_the_library(text);
        }
    }

    /// Longer than a 128-module code: the library's own mask and drawing.
    #[test]
    fn long_text_is_drawn_by_the_library() {
        let svg = super::qr_svg(&"x".repeat(1500)).unwrap();
        let n = QrCode::new("x".repeat(1500).as_bytes()).unwrap().width();
        assert!(n > 128, "{n}");
        assert!(
            svg.contains("<svg") && svg.trim_end().ends_with("</svg>"),
            "{svg:.200}"
        );
    }

    fn same_as_the_library(text: &str) {
        let code = QrCode::new(text.as_bytes()).unwrap();
        let n = code.width();
        let svg = super::qr_svg(text).unwrap();
        let d = svg
            .split(" d=\"")
            .nth(1)
            .unwrap()
            .trim_end_matches("\"/></svg>");
        let mut dark = vec![false; (n + 8) * (n + 8)];
        for seg in d.split('z').filter(|s| !s.is_empty()) {
            let seg = seg.strip_prefix('M').unwrap();
            let (xy, rest) = seg.split_once('h').unwrap();
            let (x, y) = xy.split_once(' ').unwrap();
            let w = rest.split_once('v').unwrap().0;
            let (x, y, w): (usize, usize, usize) =
                (x.parse().unwrap(), y.parse().unwrap(), w.parse().unwrap());
            for i in x..x + w {
                assert!(!dark[y * (n + 8) + i], "module drawn twice");
                dark[y * (n + 8) + i] = true;
            }
        }
        let colors = code.to_colors();
        for y in 0..n + 8 {
            for x in 0..n + 8 {
                let inside = (4..n + 4).contains(&x) && (4..n + 4).contains(&y);
                let want = inside && colors[(y - 4) * n + (x - 4)] == Color::Dark;
                assert_eq!(dark[y * (n + 8) + x], want, "module {x},{y}");
            }
        }
        assert!(svg.contains(&format!("viewBox=\"0 0 {} {}\"", n + 8, n + 8)));
    }
}
