//! The screening list: a local file of addresses to watch, one per line,
//!
//! ```text
//! # chain,address,list name,reason
//! ethereum,0x8589427373d6d84e98730d7795d8f6f8731fda16,OFAC SDN,Tornado Cash
//! tron,TXYZ…,internal,chargeback fraud 2026-03
//! ```
//!
//! Blank lines and lines starting with `#` are skipped; the reason may contain commas
//! (everything after the third comma). A malformed line is reported with its line
//! number and the rest still loads. EVM addresses (`0x` + 40 hex digits) compare
//! case-insensitively; other chains' addresses exactly. The monitor reloads the file
//! when its modification time changes, and the operator API can force a reload.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::RwLock,
    time::SystemTime,
};

use serde::Serialize;

/// Why a line was not loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// One listed address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Listed {
    /// The list it is on.
    pub list: String,
    /// Why.
    pub reason: String,
    /// Line of the file.
    pub line: usize,
}

/// The parsed list: (chain, normalised address) → entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScreeningList {
    entries: HashMap<(String, String), Listed>,
}

/// The form an address is compared in (EVM hex lower-cased).
pub fn normalise(address: &str) -> String {
    if address.starts_with("0x") || address.starts_with("0X") {
        address.to_ascii_lowercase()
    } else {
        address.to_owned()
    }
}

fn valid_address(a: &str) -> Result<(), String> {
    if let Some(hex) = a.strip_prefix("0x").or_else(|| a.strip_prefix("0X")) {
        if hex.len() == 40 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(());
        }
        return Err(format!("{a:?} is not a 0x address of 40 hex digits"));
    }
    // TRON base58check and Solana base58: the base58 alphabet, 32..=44 characters.
    let base58 = a
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() && !matches!(b, b'0' | b'O' | b'I' | b'l'));
    if base58 && (25..=44).contains(&a.len()) {
        Ok(())
    } else {
        Err(format!("{a:?} is not an address"))
    }
}

impl ScreeningList {
    /// Parses the file's text; returns the list and the lines it refused.
    pub fn parse(text: &str) -> (Self, Vec<LineError>) {
        let mut list = Self::default();
        let mut errors = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let t = raw.trim();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let mut parts = t.splitn(4, ',').map(str::trim);
            let (Some(chain), Some(address), Some(name), Some(reason)) =
                (parts.next(), parts.next(), parts.next(), parts.next())
            else {
                errors.push(LineError {
                    line,
                    message: "expected 4 fields: chain,address,list name,reason".into(),
                });
                continue;
            };
            let problem = if chain.is_empty() {
                Some("the chain is empty".to_owned())
            } else if name.is_empty() {
                Some("the list name is empty".to_owned())
            } else {
                valid_address(address).err()
            };
            if let Some(message) = problem {
                errors.push(LineError { line, message });
                continue;
            }
            list.entries.insert(
                (chain.to_owned(), normalise(address)),
                Listed {
                    list: name.to_owned(),
                    reason: reason.to_owned(),
                    line,
                },
            );
        }
        (list, errors)
    }

    /// The entry of `address` on `chain`, if listed.
    pub fn get(&self, chain: &str, address: &str) -> Option<&Listed> {
        self.entries.get(&(chain.to_owned(), normalise(address)))
    }

    /// How many addresses are listed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The outcome of a (re)load.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoadReport {
    /// The file.
    pub file: Option<PathBuf>,
    /// Addresses loaded.
    pub loaded: usize,
    /// Lines refused.
    pub errors: Vec<LineError>,
    /// When (Unix ms).
    pub loaded_at: i64,
}

/// The list the monitor screens against, reloadable while running.
#[derive(Debug, Default)]
pub struct Screening {
    file: Option<PathBuf>,
    state: RwLock<(ScreeningList, Option<SystemTime>, LoadReport)>,
}

impl Screening {
    /// A screening list read from `file` (nothing when `None`).
    pub fn new(file: Option<PathBuf>) -> Self {
        let s = Self {
            file,
            state: RwLock::default(),
        };
        let _ = s.reload();
        s
    }

    fn modified(path: &Path) -> Option<SystemTime> {
        std::fs::metadata(path).and_then(|m| m.modified()).ok()
    }

    /// Reads the file again. A missing or unreadable file keeps the previous list
    /// and is reported as line 0.
    pub fn reload(&self) -> LoadReport {
        let Some(path) = &self.file else {
            return LoadReport::default();
        };
        let modified = Self::modified(path);
        let now = crate::store::now_ms();
        let mut state = match self.state.write() {
            Ok(s) => s,
            Err(poisoned) => poisoned.into_inner(),
        };
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let (list, errors) = ScreeningList::parse(&text);
                for e in &errors {
                    tracing::warn!(file = %path.display(), line = e.line, error = %e.message, "screening list line refused");
                }
                let report = LoadReport {
                    file: Some(path.clone()),
                    loaded: list.len(),
                    errors,
                    loaded_at: now,
                };
                *state = (list, modified, report.clone());
                report
            }
            Err(e) => {
                tracing::warn!(file = %path.display(), error = %e, "screening list unreadable; keeping the previous one");
                let report = LoadReport {
                    file: Some(path.clone()),
                    loaded: state.0.len(),
                    errors: vec![LineError {
                        line: 0,
                        message: format!("cannot read the file: {e}"),
                    }],
                    loaded_at: now,
                };
                state.2 = report.clone();
                report
            }
        }
    }

    /// Reloads if the file changed since the last load.
    pub fn reload_if_changed(&self) -> Option<LoadReport> {
        let path = self.file.as_ref()?;
        let modified = Self::modified(path);
        let known = match self.state.read() {
            Ok(s) => s.1,
            Err(poisoned) => poisoned.into_inner().1,
        };
        (modified != known).then(|| self.reload())
    }

    /// The report of the last load.
    pub fn report(&self) -> LoadReport {
        match self.state.read() {
            Ok(s) => s.2.clone(),
            Err(poisoned) => poisoned.into_inner().2.clone(),
        }
    }

    /// Runs `f` over the current list.
    pub fn with<R>(&self, f: impl FnOnce(&ScreeningList) -> R) -> R {
        match self.state.read() {
            Ok(s) => f(&s.0),
            Err(poisoned) => f(&poisoned.into_inner().0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_lines_are_reported_and_the_rest_loads() {
        let text = "# chain,address,list,reason\n\
            anvil,0x00000000000000000000000000000000000000AA,OFAC,mixer, with comma\n\
            anvil,0x1234,OFAC,short\n\
            \n\
            tron,TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy,internal,fraud\n\
            anvil,0x00000000000000000000000000000000000000bb\n\
            ,0x00000000000000000000000000000000000000cc,x,y\n";
        let (list, errors) = ScreeningList::parse(text);
        assert_eq!(list.len(), 2);
        assert_eq!(
            errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![3, 6, 7]
        );
        let hit = list
            .get("anvil", "0x00000000000000000000000000000000000000aa")
            .unwrap();
        assert_eq!(hit.list, "OFAC");
        assert_eq!(hit.reason, "mixer, with comma");
        assert_eq!(hit.line, 2);
        assert!(
            list.get("tron", "TLsV52sRDL79HXGGm9yzwKibb6BeruhUzy")
                .is_some()
        );
        assert!(
            list.get("tron", "tlsv52srdl79hxggm9yzwkibb6beruhuzy")
                .is_none()
        );
    }

    #[test]
    fn reloads_when_the_file_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("list.csv");
        std::fs::write(
            &path,
            "anvil,0x00000000000000000000000000000000000000aa,L,r\n",
        )
        .unwrap();
        let s = Screening::new(Some(path.clone()));
        assert_eq!(s.report().loaded, 1);
        assert!(s.reload_if_changed().is_none());
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(
            &path,
            "anvil,0x00000000000000000000000000000000000000aa,L,r\nbad line\nanvil,0x00000000000000000000000000000000000000bb,L,r\n",
        )
        .unwrap();
        // Same-second mtimes on some file systems: the explicit reload always reads.
        let r = s.reload();
        assert_eq!(r.loaded, 2);
        assert_eq!(r.errors[0].line, 2);
        assert!(s.with(|l| {
            l.get("anvil", "0x00000000000000000000000000000000000000BB")
                .is_some()
        }));
    }
}
