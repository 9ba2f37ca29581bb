//! The payment URI of an invoice's chain (from the SDK) and its QR code.

use std::{fmt::Write, sync::OnceLock};

use qrcode::{
    Color, EcLevel, Version,
    canvas::{Canvas, MaskPattern, Module},
};
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
/// Versions whose codes fit a `u128` per row and column (17 + 4·27 = 125 modules).
const VERSIONS: usize = 27;

/// What a code of one version looks like before its data: the function patterns
/// drawn (the canvas `draw_data` fills), and for each mask the rows and columns
/// (one `u128` each, bit k = module k) of the code with every data module light,
/// masked: function patterns, that mask's format information (error correction M)
/// and the mask's own dark modules over the data area. A masked code is these bits
/// XOR its data's dark modules, since a mask inverts data modules only.
struct Blank {
    canvas: Canvas,
    rows: [Vec<u128>; 8],
    cols: [Vec<u128>; 8],
}

/// The [`Blank`] of each version, computed once per version (with the crate's own
/// `apply_mask`, so the format information is the crate's).
static BLANKS: [OnceLock<Blank>; VERSIONS] = [const { OnceLock::new() }; VERSIONS];

fn blank(version: i16) -> Option<&'static Blank> {
    let slot = BLANKS.get(usize::try_from(version).ok()?.checked_sub(1)?)?;
    Some(slot.get_or_init(|| {
        let mut canvas = Canvas::new(Version::Normal(version), EcLevel::M);
        canvas.draw_all_functional_patterns();
        let width = usize::try_from(Version::Normal(version).width()).unwrap_or(0);
        let lines = |mask: MaskPattern| {
            let mut masked = canvas.clone();
            masked.apply_mask(mask);
            let rows = rows_of(&masked.into_colors(), width);
            let cols = transpose(&rows, width);
            (rows, cols)
        };
        let all = MASKS.map(lines);
        Blank {
            rows: all.clone().map(|(r, _)| r),
            cols: all.map(|(_, c)| c),
            canvas,
        }
    }))
}

/// The QR code of `text` (error correction M) as a standalone SVG document.
///
/// The `qrcode` crate does the encoding: segments and version, error correction
/// codewords, function patterns and data placement. Masking and choosing the mask
/// are done here on bit rows: the crate clones the canvas and rewrites every module
/// for each of the eight masks, then scores each with a boxed closure per module,
/// which made up most of an invoice create's CPU time. Here a masked code is the
/// version's [`Blank`] for that mask XOR the data's dark modules, and [`penalty`]
/// computes the crate's four scores on its rows and columns, so the same mask wins
/// (the first with the lowest score, as in `apply_best_mask`). The SVG draws each
/// row's runs of dark modules as one path segment, one unit per module, scaled by
/// the `viewBox`.
pub fn qr_svg(text: &str) -> Option<String> {
    let ec_level = EcLevel::M;
    let bits = qrcode::bits::encode_auto(text.as_bytes(), ec_level).ok()?;
    let version = bits.version();
    let (data, ec) = qrcode::ec::construct_codewords(&bits.into_bytes(), version, ec_level).ok()?;
    let blank = match version {
        Version::Normal(v) => blank(v),
        Version::Micro(_) => None,
    };
    let Some(blank) = blank else {
        // Longer than any payment URI: the library chooses the mask and draws.
        let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
        return Some(
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(QR_PIXELS, QR_PIXELS)
                .build(),
        );
    };
    let width = usize::try_from(version.width()).ok()?;
    let mut canvas = blank.canvas.clone();
    canvas.draw_data(&data, &ec);
    // The data's dark modules (function patterns are `Masked`, data `Unmasked`).
    let mut data_rows = vec![0u128; width];
    let mut data_cols = vec![0u128; width];
    for (y, row) in data_rows.iter_mut().enumerate() {
        for (x, col) in data_cols.iter_mut().enumerate() {
            let (cx, cy) = (i16::try_from(x).ok()?, i16::try_from(y).ok()?);
            if canvas.get(cx, cy) == Module::Unmasked(Color::Dark) {
                *row |= 1 << x;
                *col |= 1 << y;
            }
        }
    }
    let mut rows = vec![0u128; width];
    let mut cols = vec![0u128; width];
    let mut best: Option<(u32, usize)> = None;
    for k in 0..MASKS.len() {
        xor_into(&mut rows, &blank.rows[k], &data_rows);
        xor_into(&mut cols, &blank.cols[k], &data_cols);
        let score = penalty(&rows, &cols, width);
        if best.is_none_or(|(s, _)| score < s) {
            best = Some((score, k));
        }
    }
    let (_, k) = best?;
    xor_into(&mut rows, &blank.rows[k], &data_rows);
    Some(svg(&rows, width))
}

/// `out[i] = a[i] ^ b[i]`.
fn xor_into(out: &mut [u128], a: &[u128], b: &[u128]) {
    for ((o, a), b) in out.iter_mut().zip(a).zip(b) {
        *o = a ^ b;
    }
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

/// The columns of `rows` (bit k of column x is module (x, k)).
fn transpose(rows: &[u128], width: usize) -> Vec<u128> {
    let mut cols = vec![0u128; width];
    for (y, row) in rows.iter().enumerate() {
        let mut bits = *row;
        while bits != 0 {
            let x = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            cols[x] |= 1 << y;
        }
    }
    cols
}

/// `n` low bits set.
fn below(n: usize) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

/// Penalty of the runs of five or more modules of one color in `line`: a run of n
/// scores n − 2. Bit i of `five` is set where modules i..i+4 have one color, so a
/// run of n ≥ 5 sets n − 4 consecutive bits of it, and runs never touch (a color
/// change between them leaves four clear bits).
fn runs_penalty(line: u128, width: usize) -> u32 {
    let same = !(line ^ (line >> 1)) & below(width.saturating_sub(1));
    let five = same & (same >> 1) & (same >> 2) & (same >> 3);
    let starts = five & !(five << 1);
    five.count_ones() + 2 * starts.count_ones()
}

/// ISO/IEC 18004 mask penalty, scored exactly as `qrcode`'s
/// `Canvas::compute_total_penalty_scores` does for normal QR codes (its constant
/// offset left out): runs of five or more in a line, 2×2 blocks, finder-like
/// `#.###.#` patterns without four light modules on one side, and the dark/light
/// balance. `rows` and `cols` are the code's rows and columns (`width` ≤ 128), so
/// every rule is a few bit operations per line.
fn penalty(rows: &[u128], cols: &[u128], width: usize) -> u32 {
    let mut score = 0u32;
    for line in rows.iter().chain(cols.iter()).copied() {
        score += runs_penalty(line, width);
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

    /// Many payment URIs of several versions (EVM, TRON, Solana lengths): the same
    /// modules as the library's code, so the same mask wins.
    #[test]
    fn same_mask_as_the_library_for_many_uris() {
        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for i in 0..300 {
            let addr = format!("{:016x}{:016x}{:08x}", next(), next(), next() as u32);
            let text = match i % 3 {
                0 => format!(
                    "ethereum:0x5fbdb2315678afecb367f032d93f642f64180aa3@31337/transfer?address=0x{addr}&uint256={}",
                    next() % 10_000_000_000
                ),
                1 => format!(
                    "tron:T{}?amount={}.{:06}",
                    &addr[..33],
                    next() % 100_000,
                    next() % 1_000_000
                ),
                _ => format!(
                    "solana:{addr}{addr}?amount={}&spl-token=Es9vMFrzaCERmJfrF4H2FYD4KCoNkY11McCe8BenwNYB{}",
                    next() % 1000,
                    "x".repeat(i % 40)
                ),
            };
            same_as_the_library(&text);
        }
    }

    /// Every mask of a code: the blank's bits XOR the data's dark modules are the
    /// crate's own `apply_mask` of the whole canvas, format information included.
    #[test]
    fn every_mask_matches_the_crate() {
        use qrcode::{
            EcLevel, Version,
            canvas::{Canvas, Module},
        };
        for text in [
            "short",
            &"ethereum:0xabc/transfer?uint256=1".repeat(3),
            &"y".repeat(700),
        ] {
            let bits = qrcode::bits::encode_auto(text.as_bytes(), EcLevel::M).unwrap();
            let version = bits.version();
            let Version::Normal(v) = version else {
                panic!()
            };
            let (data, ec) =
                qrcode::ec::construct_codewords(&bits.into_bytes(), version, EcLevel::M).unwrap();
            let mut canvas = Canvas::new(version, EcLevel::M);
            canvas.draw_all_functional_patterns();
            canvas.draw_data(&data, &ec);
            let n = version.width() as usize;
            let blank = super::blank(v).unwrap();
            for (k, mask) in super::MASKS.iter().enumerate() {
                let mut masked = canvas.clone();
                masked.apply_mask(*mask);
                let want = super::rows_of(&masked.into_colors(), n);
                let mut data_rows = vec![0u128; n];
                for (y, row) in data_rows.iter_mut().enumerate() {
                    for x in 0..n {
                        if canvas.get(x as i16, y as i16) == Module::Unmasked(Color::Dark) {
                            *row |= 1 << x;
                        }
                    }
                }
                let mut got = vec![0u128; n];
                super::xor_into(&mut got, &blank.rows[k], &data_rows);
                assert_eq!(got, want, "{text}: mask {k}");
                assert_eq!(super::transpose(&got, n), {
                    let mut c = vec![0u128; n];
                    super::xor_into(&mut c, &blank.cols[k], &super::transpose(&data_rows, n));
                    c
                });
            }
        }
    }

    /// The bit-parallel run score is the crate's loop (a run of n ≥ 5 scores n − 2).
    #[test]
    fn runs_score_as_the_crate_counts_them() {
        let reference = |line: u128, width: usize| {
            let mut score = 0;
            let mut run = 1;
            for x in 1..=width {
                if x < width && (line >> x) & 1 == (line >> (x - 1)) & 1 {
                    run += 1;
                } else {
                    if run >= 5 {
                        score += run - 2;
                    }
                    run = 1;
                }
            }
            score
        };
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for i in 0..20_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let width = 21 + (i % 105);
            // Long runs as well as noise: OR/AND of two draws.
            let a = u128::from(seed) << 64 | u128::from(seed.rotate_left(29));
            let line = match i % 3 {
                0 => a,
                1 => a | (a >> 3),
                _ => a & (a >> 5),
            } & super::below(width);
            assert_eq!(
                super::runs_penalty(line, width),
                reference(line, width),
                "{line:b} {width}"
            );
        }
        assert_eq!(super::runs_penalty(super::below(21), 21), 19);
        assert_eq!(super::runs_penalty(0, 21), 19);
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
