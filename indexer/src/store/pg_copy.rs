//! PostgreSQL's binary COPY format, for the bulk rows of a batch (transfers): one
//! `COPY ... FROM STDIN (FORMAT binary)` per batch, no SQL to parse per row and no text
//! to convert on the server. Only the column types the indexer writes are encoded:
//! TEXT, BIGINT, BOOLEAN and NUMERIC (integers).
//!
//! Format: a signature and two zero words, then per row the field count (i16) and per
//! field its length (i32) and bytes, then -1 (i16).

use crate::error::{Error, Result};

/// Signature, flags (no OIDs), header extension length.
const HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

/// A COPY body being written.
#[derive(Debug)]
pub(super) struct CopyBinary {
    buf: Vec<u8>,
}

impl CopyBinary {
    /// An empty body (header only), with room for `rows` rows of about `row_bytes`.
    pub(super) fn with_capacity(rows: usize, row_bytes: usize) -> Self {
        let mut buf = Vec::with_capacity(HEADER.len() + rows * row_bytes + 2);
        buf.extend_from_slice(HEADER);
        Self { buf }
    }

    /// Starts a row of `fields` fields.
    pub(super) fn row(&mut self, fields: i16) {
        self.buf.extend_from_slice(&fields.to_be_bytes());
    }

    fn field(&mut self, bytes: &[u8]) -> Result<()> {
        let len = i32::try_from(bytes.len()).map_err(|_| Error::CorruptRow {
            table: "copy",
            reason: format!("a field of {} bytes", bytes.len()),
        })?;
        self.buf.extend_from_slice(&len.to_be_bytes());
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// A TEXT field.
    pub(super) fn text(&mut self, v: &str) -> Result<()> {
        self.field(v.as_bytes())
    }

    /// A BIGINT field.
    pub(super) fn int8(&mut self, v: i64) -> Result<()> {
        self.field(&v.to_be_bytes())
    }

    /// A BOOLEAN field.
    pub(super) fn boolean(&mut self, v: bool) -> Result<()> {
        self.field(&[u8::from(v)])
    }

    /// A NUMERIC field holding the non-negative integer `decimal` (decimal digits).
    /// NUMERIC's binary form: digit count, weight, sign, display scale (i16 each), then
    /// base-10000 digits, most significant first, without trailing zero digits.
    pub(super) fn numeric(&mut self, decimal: &str, table: &'static str) -> Result<()> {
        if decimal.is_empty() || !decimal.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::CorruptRow {
                table,
                reason: format!("amount `{decimal}` is not a non-negative integer"),
            });
        }
        let digits = decimal.trim_start_matches('0').as_bytes();
        // Base-10000 groups from the most significant, the first one possibly short.
        let mut groups: Vec<i16> = Vec::with_capacity(digits.len() / 4 + 1);
        let head = digits.len() % 4;
        let mut at = 0;
        if head > 0 {
            groups.push(group(&digits[..head]));
            at = head;
        }
        while at < digits.len() {
            groups.push(group(&digits[at..at + 4]));
            at += 4;
        }
        let weight = groups.len() as i16 - 1;
        while groups.last() == Some(&0) {
            groups.pop();
        }
        let n = groups.len() as i16;
        let len = 8 + 2 * groups.len();
        self.buf.extend_from_slice(&(len as i32).to_be_bytes());
        self.buf.extend_from_slice(&n.to_be_bytes());
        self.buf
            .extend_from_slice(&(if n == 0 { 0 } else { weight }).to_be_bytes());
        self.buf.extend_from_slice(&0i16.to_be_bytes()); // positive
        self.buf.extend_from_slice(&0i16.to_be_bytes()); // scale 0
        for g in groups {
            self.buf.extend_from_slice(&g.to_be_bytes());
        }
        Ok(())
    }

    /// The finished body (trailer appended).
    pub(super) fn finish(mut self) -> Vec<u8> {
        self.buf.extend_from_slice(&(-1i16).to_be_bytes());
        self.buf
    }
}

/// Up to four ASCII digits as a number below 10000.
fn group(d: &[u8]) -> i16 {
    d.iter().fold(0i16, |acc, b| acc * 10 + i16::from(b - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric_bytes(v: &str) -> Vec<u8> {
        let mut c = CopyBinary::with_capacity(0, 0);
        c.numeric(v, "t").unwrap();
        c.buf[HEADER.len()..].to_vec()
    }

    fn words(b: &[u8]) -> Vec<i16> {
        b[4..]
            .chunks(2)
            .map(|w| i16::from_be_bytes([w[0], w[1]]))
            .collect()
    }

    #[test]
    fn numeric_encoding() {
        // ndigits, weight, sign, dscale, digits...
        assert_eq!(words(&numeric_bytes("0")), [0, 0, 0, 0]);
        assert_eq!(words(&numeric_bytes("0000")), [0, 0, 0, 0]);
        assert_eq!(words(&numeric_bytes("7")), [1, 0, 0, 0, 7]);
        assert_eq!(words(&numeric_bytes("12345678")), [2, 1, 0, 0, 1234, 5678]);
        assert_eq!(words(&numeric_bytes("100000000")), [1, 2, 0, 0, 1]);
        assert_eq!(words(&numeric_bytes("1000000001")), [3, 2, 0, 0, 10, 0, 1]);
        let b = numeric_bytes("12345");
        assert_eq!(i32::from_be_bytes([b[0], b[1], b[2], b[3]]), 8 + 4);
        let mut c = CopyBinary::with_capacity(0, 0);
        assert!(c.numeric("-1", "t").is_err());
        assert!(c.numeric("1.5", "t").is_err());
        assert!(c.numeric("", "t").is_err());
    }
}
