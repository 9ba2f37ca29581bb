//! Adaptive `eth_getLogs` block ranges: grow on success, halve on "too large", jump to
//! the size a provider suggests in its error text.

/// The current range size, between 1 and a maximum.
#[derive(Debug, Clone)]
pub struct RangeSizer {
    size: u64,
    max: u64,
    /// A size the provider refused recently: growth stops below it until
    /// [`PROBE_AFTER`] successes in a row (result density changes along the chain).
    ceiling: Option<u64>,
    streak: u32,
}

/// Successes in a row after which growth past a learned ceiling is tried again.
const PROBE_AFTER: u32 = 100;

/// Above this many logs in one response the range stops growing.
const GROW_BELOW_LOGS: usize = 5_000;

impl RangeSizer {
    /// Starts at `initial` (clamped to `1..=max`).
    pub fn new(initial: u64, max: u64) -> Self {
        let max = max.max(1);
        Self {
            size: initial.clamp(1, max),
            max,
            ceiling: None,
            streak: 0,
        }
    }

    /// Blocks per request now.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// A request of `size` blocks returned `logs` logs.
    pub fn on_success(&mut self, logs: usize) {
        self.streak = self.streak.saturating_add(1);
        if self.streak >= PROBE_AFTER {
            self.ceiling = None;
        }
        if logs < GROW_BELOW_LOGS {
            let cap = self.ceiling.map_or(self.max, |c| c.min(self.max));
            self.size = self.size.saturating_mul(2).min(cap).max(1);
        }
    }

    /// The provider refused the range (too many results, range limit, timeout); `hint`
    /// is the size it suggested, if any.
    pub fn on_too_large(&mut self, hint: Option<u64>) {
        let refused = self.size;
        self.size = match hint {
            Some(h) if h >= 1 && h < refused => h,
            _ => (refused / 2).max(1),
        };
        self.ceiling = Some(match hint {
            Some(h) if h >= 1 && h < refused => h,
            _ => (refused - 1).max(1),
        });
        self.streak = 0;
    }
}

/// Extracts a suggested range size from a provider's error text:
/// `[0xA, 0xB]` (Alchemy, Infura: B - A + 1), or a number next to "range"/"block(s)"
/// such as "limited to a 10,000 range", "up to a 2K block range", "max range: 5000".
pub fn parse_range_hint(message: &str) -> Option<u64> {
    if let Some(open) = message.find("[0x") {
        let rest = &message[open + 1..];
        if let Some(close) = rest.find(']') {
            let mut parts = rest[..close].split(',').map(|s| s.trim());
            let a = parts.next().and_then(parse_hex)?;
            let b = parts.next().and_then(parse_hex)?;
            if b >= a {
                return Some(b - a + 1);
            }
        }
    }
    let lower = message.to_ascii_lowercase();
    let words: Vec<&str> = lower.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        let Some(n) = parse_count(w) else { continue };
        let near = words[i.saturating_sub(2)..(i + 3).min(words.len())]
            .iter()
            .any(|x| x.starts_with("range") || x.starts_with("block"));
        let results = words
            .get(i + 1)
            .is_some_and(|x| x.starts_with("result") || x.starts_with("log"));
        if near && !results && n > 0 {
            return Some(n);
        }
    }
    None
}

fn parse_hex(s: &str) -> Option<u64> {
    u64::from_str_radix(s.strip_prefix("0x")?, 16).ok()
}

/// "10,000" → 10000, "2k" → 2000, "5000." → 5000.
fn parse_count(word: &str) -> Option<u64> {
    let w = word.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let (digits, mult) = match w.strip_suffix('k') {
        Some(d) => (d, 1000),
        None => (w, 1),
    };
    let digits: String = digits.chars().filter(|c| *c != ',').collect();
    if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    digits.parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints() {
        assert_eq!(
            parse_range_hint("this block range should work: [0x3c56a0, 0x3c56f4]"),
            Some(0x55)
        );
        assert_eq!(
            parse_range_hint("eth_getLogs is limited to a 10,000 range"),
            Some(10_000)
        );
        assert_eq!(
            parse_range_hint("You can make eth_getLogs requests with up to a 2K block range"),
            Some(2000)
        );
        assert_eq!(
            parse_range_hint("exceed maximum block range: 5000"),
            Some(5000)
        );
        assert_eq!(
            parse_range_hint("query returned more than 10000 results"),
            None
        );
        assert_eq!(parse_range_hint("connection reset"), None);
    }

    #[test]
    fn grows_and_shrinks() {
        let mut r = RangeSizer::new(100, 1000);
        r.on_success(10);
        assert_eq!(r.size(), 200);
        r.on_success(10_000);
        assert_eq!(r.size(), 200);
        r.on_too_large(None);
        assert_eq!(r.size(), 100);
        r.on_too_large(Some(7));
        assert_eq!(r.size(), 7);
        r.on_too_large(Some(5000));
        assert_eq!(r.size(), 3);
        for _ in 0..10 {
            r.on_too_large(None);
        }
        assert_eq!(r.size(), 1);
        // Learned ceiling: no growth past the refused size for a while...
        for _ in 0..20 {
            r.on_success(0);
        }
        assert!(r.size() < 3, "stays below the refused size: {}", r.size());
        // ...then probing again.
        for _ in 0..120 {
            r.on_success(0);
        }
        assert_eq!(r.size(), 1000);
    }
}
