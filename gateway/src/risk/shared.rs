//! What the risk monitor shares with the API through the gateway's state: the
//! screening list (reloadable) and the latest treasury measurements. Its own file so
//! the shared state (`state.rs`) does not import the monitor, which reads it.

use std::{collections::BTreeMap, sync::Mutex};

use serde_json::json;

use super::screening::Screening;

/// What the monitor shares with the API (the screening list, reloadable; the
/// latest treasury measurements).
#[derive(Debug)]
pub struct Shared {
    /// The screening list.
    pub screening: Screening,
    /// The latest treasury measurement per chain (`rules::treasury` view).
    pub treasury: Mutex<BTreeMap<String, serde_json::Value>>,
}

impl Shared {
    /// From the configuration (loads the screening file).
    pub fn new(config: &crate::Config) -> Self {
        Self {
            screening: Screening::new(config.risk.screening.file.clone()),
            treasury: Mutex::new(BTreeMap::new()),
        }
    }

    /// The latest treasury measurements, by chain.
    pub fn treasury_views(&self) -> Vec<serde_json::Value> {
        self.treasury
            .lock()
            .map(|m| {
                m.iter()
                    .map(|(chain, v)| {
                        let mut v = v.clone();
                        v["chain"] = json!(chain);
                        v
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
