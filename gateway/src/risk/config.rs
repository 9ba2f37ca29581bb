//! `[risk]` in `gateway.toml`: which rules run, their thresholds, windows and
//! severities, the screening file, and the guardian key of the circuit breaker.
//! Amounts are decimal USDT strings (`"10000"`, `"9000.50"`), read exactly.
//!
//! ```toml
//! [risk]
//! exempt = ["0x…hot wallet"]             # besides merchants' receiving addresses
//!
//! [risk.large_transfer]
//! threshold = "10000"
//! severity = "high"
//!
//! [risk.escrow_drain]                    # off until configured; trips the breaker
//! enabled = true
//! window_secs = 600
//! max_outflow = "50000"                   # the escrow's net loss within the window
//!
//! [risk.velocity]
//! window_secs = 3600
//! max_count = 50
//! max_amount = "100000"
//!
//! [risk.treasury]
//! max_share_bps = 1500                    # 15 % outside the vault at most
//! proposal_dir = "treasury-proposals"
//!
//! [risk.treasury.chains.ethereum]
//! vault = "0x…time-locked multisig"
//! spenders = ["0x…hot operator"]          # spending limits on the vault (lowered by proposal)
//! hot_wallets = ["0x…hot multisig", "0x…plain hot account"]  # proposal / CLI command
//!
//! [risk.treasury.chains.tron]             # TRON: the same contracts, base58 addresses
//! vault = "T…time-locked multisig"
//!
//! [risk.treasury.chains.solana]           # Solana: the multisig program's accounts
//! vault = "…multisig account"             # its vault PDA holds the funds
//! spending_limits = ["…SpendingLimit account"]
//! hot_wallets = ["…hot multisig", "…plain wallet"]
//!
//! [risk.screening]
//! file = "screening.csv"                  # chain,address,list,reason
//!
//! [risk.breaker]
//! guardian_key_file = "guardian.key"      # hex; the guardian can only pause
//! rules = ["conservation"]
//! [risk.breaker.guardian_key_files]       # per chain, in place of the file above
//! solana = "guardian-solana.json"         # a Solana keypair
//! ```

use std::{collections::BTreeMap, path::PathBuf};

use serde::Deserialize;
use stablerail_sdk::Amount;

/// How serious an alert is; the circuit breaker only acts on the rules it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look.
    Low,
    /// Review soon.
    Medium,
    /// Review now.
    High,
    /// Funds at risk: may trip the circuit breaker.
    Critical,
}

impl Severity {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "low" => Self::Low,
            "medium" => Self::Medium,
            "high" => Self::High,
            "critical" => Self::Critical,
            _ => return None,
        })
    }
}

/// The whole `[risk]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    /// Run the monitor at all.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// How often the monitor looks for newly committed blocks.
    #[serde(default = "default_interval")]
    pub interval_ms: u64,
    /// Most blocks evaluated in one pass (a first start over a long history goes in
    /// steps of this size).
    #[serde(default = "default_batch")]
    pub batch_blocks: u64,
    /// Addresses left out of the behavioural rules (velocity, structuring,
    /// pass-through, new address), besides the merchants' receiving addresses, the
    /// escrow and the zero address (mints and burns). Large transfers and screening
    /// still apply to them.
    #[serde(default)]
    pub exempt: Vec<String>,
    /// One transfer above a threshold.
    #[serde(default)]
    pub large_transfer: LargeTransfer,
    /// Many transfers, or much value, through one address within a window.
    #[serde(default)]
    pub velocity: Velocity,
    /// Many amounts just under a reporting threshold within a window.
    #[serde(default)]
    pub structuring: Structuring,
    /// Funds in and out of an address within minutes.
    #[serde(default)]
    pub pass_through: PassThrough,
    /// The escrow's balance falling fast: a configured drain pattern.
    #[serde(default)]
    pub escrow_drain: EscrowDrain,
    /// An address first seen recently that moves a lot.
    #[serde(default)]
    pub new_address: NewAddress,
    /// Counterparties on a screening list.
    #[serde(default)]
    pub screening: Screening,
    /// Counterparties blacklisted by the chain's USDT contract itself.
    #[serde(default)]
    pub usdt_blacklist: UsdtBlacklist,
    /// Self-dealing rings: merchant and counterparty sharing funding sources while
    /// dealing volume with each other.
    #[serde(default)]
    pub self_dealing: SelfDealing,
    /// Treasury watch: the share of platform funds outside the time-locked vault.
    #[serde(default)]
    pub treasury: Treasury,
    /// Escrow behaviour: dispute and cancel rates, deadlines, arbitration.
    #[serde(default)]
    pub escrow: EscrowRules,
    /// Platform health: conservation, indexer lag, webhook failures.
    #[serde(default)]
    pub health: Health,
    /// The circuit breaker (guardian pause).
    #[serde(default)]
    pub breaker: Breaker,
}

impl Default for RiskConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            interval_ms: default_interval(),
            batch_blocks: default_batch(),
            exempt: Vec::new(),
            large_transfer: LargeTransfer::default(),
            velocity: Velocity::default(),
            structuring: Structuring::default(),
            pass_through: PassThrough::default(),
            escrow_drain: EscrowDrain::default(),
            new_address: NewAddress::default(),
            screening: Screening::default(),
            usdt_blacklist: UsdtBlacklist::default(),
            treasury: Treasury::default(),
            self_dealing: SelfDealing::default(),
            escrow: EscrowRules::default(),
            health: Health::default(),
            breaker: Breaker::default(),
        }
    }
}

impl RiskConfig {
    /// Checks what parsing cannot.
    pub fn validate(&self) -> Result<(), String> {
        let windows = [
            ("velocity.window_secs", self.velocity.window_secs),
            ("structuring.window_secs", self.structuring.window_secs),
            ("pass_through.window_secs", self.pass_through.window_secs),
            ("escrow_drain.window_secs", self.escrow_drain.window_secs),
            ("new_address.age_secs", self.new_address.age_secs),
            ("escrow.window_secs", self.escrow.window_secs),
            ("self_dealing.window_secs", self.self_dealing.window_secs),
        ];
        for (name, v) in windows {
            if v == 0 {
                return Err(format!("risk.{name} must be at least 1"));
            }
        }
        if self.batch_blocks == 0 {
            return Err("risk.batch_blocks must be at least 1".into());
        }
        if self.structuring.margin_bps == 0 || self.structuring.margin_bps > 10_000 {
            return Err("risk.structuring.margin_bps must be 1..=10000".into());
        }
        if self.treasury.max_share_bps > 10_000 {
            return Err("risk.treasury.max_share_bps must be at most 10000".into());
        }
        if self.treasury.deadline_secs == 0 {
            return Err("risk.treasury.deadline_secs must be at least 1".into());
        }
        if self.pass_through.min_share_bps > 10_000 {
            return Err("risk.pass_through.min_share_bps must be at most 10000".into());
        }
        Ok(())
    }

    /// The longest window a transfer rule looks back over, in seconds.
    pub fn flow_span_secs(&self) -> i64 {
        let longest = self
            .velocity
            .window_secs
            .max(self.structuring.window_secs)
            .max(self.pass_through.window_secs)
            .max(if self.escrow_drain.enabled {
                self.escrow_drain.window_secs
            } else {
                0
            })
            .max(self.new_address.age_secs);
        i64::try_from(longest).unwrap_or(i64::MAX)
    }
}

/// `[risk.large_transfer]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LargeTransfer {
    /// Run this rule.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A transfer of at least this much alerts.
    #[serde(default = "ten_thousand")]
    pub threshold: Amount,
    /// Severity of its alerts.
    #[serde(default = "high")]
    pub severity: Severity,
}

impl Default for LargeTransfer {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold: ten_thousand(),
            severity: Severity::High,
        }
    }
}

/// `[risk.velocity]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Velocity {
    /// Run this rule.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The sliding window.
    #[serde(default = "hour")]
    pub window_secs: u64,
    /// More transfers (in or out) than this within the window alert.
    #[serde(default = "default_velocity_count")]
    pub max_count: u64,
    /// More value (in plus out) than this within the window alerts.
    #[serde(default = "hundred_thousand")]
    pub max_amount: Amount,
    /// Severity of its alerts.
    #[serde(default = "medium")]
    pub severity: Severity,
}

impl Default for Velocity {
    fn default() -> Self {
        Self {
            enabled: true,
            window_secs: hour(),
            max_count: default_velocity_count(),
            max_amount: hundred_thousand(),
            severity: Severity::Medium,
        }
    }
}

/// `[risk.structuring]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Structuring {
    /// Run this rule.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The reporting threshold being avoided.
    #[serde(default = "ten_thousand")]
    pub threshold: Amount,
    /// "Just under": within this share below the threshold (bps; 1000 = the last 10 %).
    #[serde(default = "default_margin")]
    pub margin_bps: u32,
    /// This many such amounts sent by one address within the window alert.
    #[serde(default = "default_structuring_count")]
    pub min_count: u64,
    /// The sliding window.
    #[serde(default = "day")]
    pub window_secs: u64,
    /// Severity of its alerts.
    #[serde(default = "high")]
    pub severity: Severity,
}

impl Default for Structuring {
    fn default() -> Self {
        Self {
            enabled: true,
            threshold: ten_thousand(),
            margin_bps: default_margin(),
            min_count: default_structuring_count(),
            window_secs: day(),
            severity: Severity::High,
        }
    }
}

/// `[risk.escrow_drain]`: the escrow's net outflow (tokens out minus tokens in)
/// within a window above a limit. Off until configured: what is normal depends on
/// the platform's volume. Its alerts trip the breaker by default.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscrowDrain {
    /// Run this rule.
    #[serde(default)]
    pub enabled: bool,
    /// The window, seconds.
    #[serde(default = "hour")]
    pub window_secs: u64,
    /// The most the escrow may lose (out minus in) within the window.
    #[serde(default = "million")]
    pub max_outflow: Amount,
    /// Severity of its alerts.
    #[serde(default = "critical")]
    pub severity: Severity,
}

impl Default for EscrowDrain {
    fn default() -> Self {
        Self {
            enabled: false,
            window_secs: hour(),
            max_outflow: million(),
            severity: Severity::Critical,
        }
    }
}

/// `[risk.pass_through]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PassThrough {
    /// Run this rule.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Out within this long after in.
    #[serde(default = "ten_minutes")]
    pub window_secs: u64,
    /// Outgoing transfers smaller than this are ignored.
    #[serde(default = "thousand")]
    pub min_amount: Amount,
    /// The outgoing amount is at least this share of what came in within the
    /// window (bps).
    #[serde(default = "default_share")]
    pub min_share_bps: u32,
    /// Severity of its alerts.
    #[serde(default = "medium")]
    pub severity: Severity,
}

impl Default for PassThrough {
    fn default() -> Self {
        Self {
            enabled: true,
            window_secs: ten_minutes(),
            min_amount: thousand(),
            min_share_bps: default_share(),
            severity: Severity::Medium,
        }
    }
}

/// `[risk.new_address]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAddress {
    /// Run this rule.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// "New": first seen on chain at most this long ago.
    #[serde(default = "day")]
    pub age_secs: u64,
    /// Volume (in plus out) since first seen that alerts.
    #[serde(default = "fifty_thousand")]
    pub min_volume: Amount,
    /// Severity of its alerts.
    #[serde(default = "medium")]
    pub severity: Severity,
}

impl Default for NewAddress {
    fn default() -> Self {
        Self {
            enabled: true,
            age_secs: day(),
            min_volume: fifty_thousand(),
            severity: Severity::Medium,
        }
    }
}

/// `[risk.screening]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Screening {
    /// The list (`chain,address,list,reason` per line; see the README). Reloaded
    /// when the file changes and on `POST /admin/risk/screening/reload`.
    #[serde(default)]
    pub file: Option<PathBuf>,
    /// How often the file's modification time is checked.
    #[serde(default = "second")]
    pub poll_ms: u64,
    /// Severity of its alerts.
    #[serde(default = "high")]
    pub severity: Severity,
}

impl Default for Screening {
    fn default() -> Self {
        Self {
            file: None,
            poll_ms: second(),
            severity: Severity::High,
        }
    }
}

/// `[risk.usdt_blacklist]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsdtBlacklist {
    /// Run this rule.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Severity of its alerts.
    #[serde(default = "high")]
    pub severity: Severity,
}

impl Default for UsdtBlacklist {
    fn default() -> Self {
        Self {
            enabled: true,
            severity: Severity::High,
        }
    }
}

/// `[risk.self_dealing]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfDealing {
    /// Run this rule (with the escrow rules).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Funding and deals within this window count.
    #[serde(default = "week")]
    pub window_secs: u64,
    /// The pair dealt at least this many deals (trades, collections)...
    #[serde(default = "default_ring_deals")]
    pub min_deals: u64,
    /// ...worth at least this much together.
    #[serde(default = "ten_thousand")]
    pub min_volume: Amount,
    /// Severity of its alerts.
    #[serde(default = "high")]
    pub severity: Severity,
}

impl Default for SelfDealing {
    fn default() -> Self {
        Self {
            enabled: true,
            window_secs: week(),
            min_deals: default_ring_deals(),
            min_volume: ten_thousand(),
            severity: Severity::High,
        }
    }
}

/// `[risk.treasury]`: the rule runs for the chains listed under
/// `[risk.treasury.chains.<name>]` (EVM, TRON or Solana chains).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Treasury {
    /// Run this rule.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// An outside share above this alerts (bps; 1500 = 15 %, the "85 % in cold
    /// storage" promise).
    #[serde(default = "default_treasury_share")]
    pub max_share_bps: u32,
    /// Severity of its alerts.
    #[serde(default = "high")]
    pub severity: Severity,
    /// Where the proposal files that cover an excess are written (transfers from hot
    /// multisigs, lower spending limits on the vault); renamed `….withdrawn` when a
    /// reorg rolls back their measurement.
    #[serde(default = "default_proposal_dir")]
    pub proposal_dir: PathBuf,
    /// A proposal's deadline, counted from the block that showed the excess (a
    /// proposal on the time-locked vault gets one time lock more per step).
    #[serde(default = "week")]
    pub deadline_secs: u64,
    /// The minimum gas a proposal's inner call (a token transfer, a limit change) is
    /// given.
    #[serde(default = "default_proposal_gas")]
    pub min_gas: u64,
    /// The watched treasuries, per chain.
    #[serde(default)]
    pub chains: BTreeMap<String, TreasuryChain>,
}

impl Default for Treasury {
    fn default() -> Self {
        Self {
            enabled: true,
            max_share_bps: default_treasury_share(),
            severity: Severity::High,
            proposal_dir: default_proposal_dir(),
            deadline_secs: week(),
            min_gas: default_proposal_gas(),
            chains: BTreeMap::new(),
        }
    }
}

/// `[risk.treasury.chains.<name>]`: one chain's treasury.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreasuryChain {
    /// The time-locked multisig vault holding the platform's funds.
    pub vault: String,
    /// Spenders with a spending limit on the vault for the chain's USDT (their
    /// remaining allowance counts as outside the vault; what the hot wallets cannot
    /// cover is covered by proposals that lower or remove these limits).
    #[serde(default)]
    pub spenders: Vec<String>,
    /// Solana only: the vault's `SpendingLimit` accounts (their addresses come from
    /// a free create key, so they are listed; what remains of each for the chain's
    /// USDT counts as outside the vault, and a removed one as nothing).
    #[serde(default)]
    pub spending_limits: Vec<String>,
    /// Hot wallets: multisigs (the excess is moved back by a proposal on them) or
    /// plain accounts (moved back by the `stablerail … transfer` command the alert
    /// gives for their key). On Solana a multisig's funds are its vault PDA's token
    /// account, a plain wallet's its associated token account.
    #[serde(default)]
    pub hot_wallets: Vec<String>,
}

/// `[risk.escrow]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EscrowRules {
    /// Run these rules.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// Deals opened within this window count for the rates.
    #[serde(default = "week")]
    pub window_secs: u64,
    /// Rates need at least this many deals of the party.
    #[serde(default = "default_min_deals")]
    pub min_deals: u64,
    /// Share of a party's deals disputed that alerts (bps).
    #[serde(default = "default_dispute_rate")]
    pub max_dispute_rate_bps: u32,
    /// Share of a party's deals cancelled that alerts (bps).
    #[serde(default = "default_cancel_rate")]
    pub max_cancel_rate_bps: u32,
    /// A deal marked paid and still not released this close to its deadline alerts.
    #[serde(default = "five_minutes")]
    pub release_warning_secs: u64,
    /// A dispute unresolved this long after it was opened alerts.
    #[serde(default = "three_days")]
    pub arbitration_secs: u64,
    /// Severity of the rate alerts.
    #[serde(default = "medium")]
    pub rate_severity: Severity,
    /// Severity of the deadline and arbitration alerts.
    #[serde(default = "high")]
    pub deadline_severity: Severity,
}

impl Default for EscrowRules {
    fn default() -> Self {
        Self {
            enabled: true,
            window_secs: week(),
            min_deals: default_min_deals(),
            max_dispute_rate_bps: default_dispute_rate(),
            max_cancel_rate_bps: default_cancel_rate(),
            release_warning_secs: five_minutes(),
            arbitration_secs: three_days(),
            rate_severity: Severity::Medium,
            deadline_severity: Severity::High,
        }
    }
}

/// `[risk.health]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Health {
    /// Compare the escrow's token balance with its counted liabilities.
    #[serde(default = "yes")]
    pub conservation: bool,
    /// Indexer lag (head minus indexed block) above this alerts.
    #[serde(default = "default_lag")]
    pub max_lag_blocks: u64,
    /// Share of failed webhook deliveries within the window that alerts (bps).
    #[serde(default = "default_failure_rate")]
    pub max_webhook_failure_bps: u32,
    /// The failure rate needs at least this many deliveries.
    #[serde(default = "default_min_deliveries")]
    pub min_deliveries: u64,
    /// The failure-rate window.
    #[serde(default = "hour")]
    pub webhook_window_secs: u64,
}

impl Default for Health {
    fn default() -> Self {
        Self {
            conservation: true,
            max_lag_blocks: default_lag(),
            max_webhook_failure_bps: default_failure_rate(),
            min_deliveries: default_min_deliveries(),
            webhook_window_secs: hour(),
        }
    }
}

/// `[risk.breaker]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Breaker {
    /// A file holding the guardian's key: hex of the secp256k1 key (EVM, TRON) or a
    /// Solana keypair. Without it (or a chain's entry in `guardian_key_files`) alerts
    /// still fire but nothing is paused.
    #[serde(default)]
    pub guardian_key_file: Option<PathBuf>,
    /// Per chain, the guardian's key file there, in place of `guardian_key_file`
    /// (an EVM key and a Solana keypair cannot share one file).
    #[serde(default)]
    pub guardian_key_files: BTreeMap<String, PathBuf>,
    /// Rules whose alerts pause the escrow of their chain.
    #[serde(default = "default_breaker_rules")]
    pub rules: Vec<String>,
}

impl Breaker {
    /// The guardian's key file for `chain`: its own entry, else the shared one.
    pub fn key_file(&self, chain: &str) -> Option<&PathBuf> {
        self.guardian_key_files
            .get(chain)
            .or(self.guardian_key_file.as_ref())
    }
}

impl Default for Breaker {
    fn default() -> Self {
        Self {
            guardian_key_file: None,
            guardian_key_files: BTreeMap::new(),
            rules: default_breaker_rules(),
        }
    }
}

fn yes() -> bool {
    true
}
fn usdt(whole: u64) -> Amount {
    Amount::from_units(whole * 1_000_000)
}
fn thousand() -> Amount {
    usdt(1_000)
}
fn ten_thousand() -> Amount {
    usdt(10_000)
}
fn fifty_thousand() -> Amount {
    usdt(50_000)
}
fn hundred_thousand() -> Amount {
    usdt(100_000)
}
fn million() -> Amount {
    usdt(1_000_000)
}
fn critical() -> Severity {
    Severity::Critical
}
fn high() -> Severity {
    Severity::High
}
fn medium() -> Severity {
    Severity::Medium
}
fn second() -> u64 {
    1_000
}
fn five_minutes() -> u64 {
    300
}
fn ten_minutes() -> u64 {
    600
}
fn hour() -> u64 {
    3_600
}
fn day() -> u64 {
    86_400
}
fn three_days() -> u64 {
    3 * 86_400
}
fn week() -> u64 {
    7 * 86_400
}
fn default_interval() -> u64 {
    100
}
fn default_batch() -> u64 {
    2_000
}
fn default_velocity_count() -> u64 {
    50
}
fn default_margin() -> u32 {
    1_000
}
fn default_structuring_count() -> u64 {
    3
}
fn default_share() -> u32 {
    9_000
}
fn default_min_deals() -> u64 {
    10
}
fn default_dispute_rate() -> u32 {
    2_000
}
fn default_cancel_rate() -> u32 {
    3_000
}
fn default_lag() -> u64 {
    100
}
fn default_failure_rate() -> u32 {
    2_000
}
fn default_min_deliveries() -> u64 {
    20
}
fn default_ring_deals() -> u64 {
    3
}
fn default_treasury_share() -> u32 {
    1_500
}
fn default_proposal_dir() -> PathBuf {
    PathBuf::from("treasury-proposals")
}
fn default_proposal_gas() -> u64 {
    100_000
}
fn default_breaker_rules() -> Vec<String> {
    vec!["conservation".to_owned(), "escrow_drain".to_owned()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<RiskConfig, String> {
        let c: RiskConfig = toml::from_str(text).map_err(|e| e.to_string())?;
        c.validate()?;
        Ok(c)
    }

    const VAULT: &str = "0x00000000000000000000000000000000000000aa";

    #[test]
    fn new_rules_have_documented_defaults() {
        let c = parse("").unwrap();
        assert!(c.usdt_blacklist.enabled);
        assert_eq!(c.usdt_blacklist.severity, Severity::High);
        assert_eq!(c.treasury.max_share_bps, 1_500);
        assert!(c.treasury.chains.is_empty());
        assert_eq!(c.self_dealing.min_deals, 3);
        assert_eq!(c.self_dealing.min_volume.units(), 10_000_000_000);
        assert_eq!(c.self_dealing.window_secs, 7 * 86_400);
    }

    // Treasury addresses are checked against their chain's kind by the gateway's
    // `Config::validate` (tests/it/risk_treasury.rs).
    #[test]
    fn treasury_and_ring_settings_are_checked() {
        let c = parse(&format!(
            "[treasury]\nmax_share_bps = 2000\n[treasury.chains.eth]\nvault = \"{VAULT}\"\nhot_wallets = [\"{VAULT}\"]\n"
        ))
        .unwrap();
        assert_eq!(c.treasury.chains["eth"].hot_wallets.len(), 1);
        for (text, says) in [
            (
                "[treasury]\nmax_share_bps = 10001\n".to_owned(),
                "max_share_bps",
            ),
            (
                "[treasury]\ndeadline_secs = 0\n".to_owned(),
                "deadline_secs",
            ),
            (
                format!("[treasury.chains.eth]\nvault = \"{VAULT}\"\nhot = []\n"),
                "unknown field",
            ),
            (
                "[self_dealing]\nwindow_secs = 0\n".to_owned(),
                "self_dealing.window_secs",
            ),
            (
                "[self_dealing]\nmin_volume = \"-1\"\n".to_owned(),
                "min_volume",
            ),
        ] {
            let e = parse(&text).unwrap_err();
            assert!(e.contains(says), "{text:?}: {e}");
        }
    }
}
