//! Compliance reports (DESIGN §11): per merchant and period (volume, fees,
//! settlements, counterparties, alerts) and per platform day, as JSON or CSV with a
//! checksum. Reproducible: rows are ordered by stable keys, times are chain times
//! (block times of the payments and deals), nothing depends on when the report is
//! made, so the same period over the same data gives the same bytes.
//!
//! JSON carries `"checksum": "sha256:<hex>"` over the document without that field;
//! CSV ends with the line `# sha256:<hex>` over every byte before it.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::{error::Result, risk::screening::normalise, store::Db};

/// One settlement of a merchant: a settled invoice or order.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settlement {
    time: i64,
    chain: String,
    id: String,
    kind: &'static str,
    amount: u128,
    fee: u128,
    counterparty: String,
}

/// A report ready to serialise.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// The document (without checksum).
    pub body: Value,
    /// CSV rows: `record,chain,id,kind,amount,fee,time,party,detail`.
    pub rows: Vec<[String; 9]>,
}

fn parse(s: &str) -> u128 {
    s.parse().unwrap_or(0)
}

fn sha(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

impl Report {
    /// The JSON document with its checksum field.
    pub fn json(&self) -> String {
        let text = self.body.to_string();
        let mut v = self.body.clone();
        v["checksum"] = Value::String(sha(text.as_bytes()));
        format!("{v}\n")
    }

    /// The CSV with its checksum line.
    pub fn csv(&self) -> String {
        let mut out = String::from("record,chain,id,kind,amount,fee,time,party,detail\n");
        for r in &self.rows {
            let cells: Vec<String> = r.iter().map(|c| csv_cell(c)).collect();
            out.push_str(&cells.join(","));
            out.push('\n');
        }
        let sum = sha(out.as_bytes());
        out.push_str(&format!("# {sum}\n"));
        out
    }
}

/// A CSV cell, quoted when needed; a leading `=`, `+`, `-` or `@` is prefixed with
/// `'` so a spreadsheet never runs it as a formula.
fn csv_cell(c: &str) -> String {
    let c = if c.starts_with(['=', '+', '-', '@']) {
        format!("'{c}")
    } else {
        c.to_owned()
    };
    if c.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", c.replace('"', "\"\""))
    } else {
        c
    }
}

/// Merchant `merchant_id`'s report for chain times `[from, to)` (Unix seconds).
/// `None` if there is no such merchant.
pub async fn merchant(db: &Db, merchant_id: &str, from: i64, to: i64) -> Result<Option<Report>> {
    let exists = sqlx::query("SELECT name FROM gw_merchants WHERE id = $1")
        .bind(merchant_id)
        .fetch_optional(&db.pool)
        .await?;
    let Some(exists) = exists else {
        return Ok(None);
    };
    let name: String = exists.try_get(0)?;
    let mut settlements = Vec::new();
    // Invoices: settled when their last payment's block was; paid by its senders.
    let invoices = sqlx::query(
        "SELECT i.id, i.chain, i.paid, MAX(p.block_time), MIN(t.from_addr) FROM gw_invoices i JOIN gw_payments p ON p.invoice_id = i.id LEFT JOIN transfers t ON t.chain = p.chain AND t.block_number = p.block_number AND t.log_index = p.log_index WHERE i.merchant_id = $1 AND i.status = 'settled' GROUP BY i.id, i.chain, i.paid",
    )
    .bind(merchant_id)
    .fetch_all(&db.pool)
    .await?;
    for r in &invoices {
        let time: i64 = r.try_get(3)?;
        if time < from || time >= to {
            continue;
        }
        settlements.push(Settlement {
            time,
            chain: r.try_get(1)?,
            id: r.try_get(0)?,
            kind: "invoice",
            amount: u128::try_from(r.try_get::<i64, _>(2)?).unwrap_or(0),
            fee: 0,
            counterparty: r
                .try_get::<Option<String>, _>(4)?
                .map(|a| normalise(&a))
                .unwrap_or_default(),
        });
    }
    // Orders: the settled deal's gross and fee, the acceptor as counterparty.
    let orders = sqlx::query(
        "SELECT o.id, o.chain, o.kind, CAST(d.settled_amount AS TEXT), CAST(d.fee AS TEXT), d.closed_time, o.acceptor FROM gw_orders o JOIN deals d ON d.chain = o.chain AND d.deal_id = o.deal_id WHERE o.merchant_id = $1 AND o.status = 'settled' AND d.closed_time >= $2 AND d.closed_time < $3",
    )
    .bind(merchant_id)
    .bind(from)
    .bind(to)
    .fetch_all(&db.pool)
    .await?;
    for r in &orders {
        let kind: String = r.try_get(2)?;
        settlements.push(Settlement {
            time: r.try_get::<Option<i64>, _>(5)?.unwrap_or(0),
            chain: r.try_get(1)?,
            id: r.try_get(0)?,
            kind: if kind == "payout" {
                "payout"
            } else {
                "collection"
            },
            amount: parse(&r.try_get::<Option<String>, _>(3)?.unwrap_or_default()),
            fee: parse(&r.try_get::<Option<String>, _>(4)?.unwrap_or_default()),
            counterparty: r
                .try_get::<Option<String>, _>(6)?
                .map(|a| normalise(&a))
                .unwrap_or_default(),
        });
    }
    settlements.sort_by(|a, b| (a.time, &a.chain, &a.id).cmp(&(b.time, &b.chain, &b.id)));

    let mut totals: BTreeMap<String, (u128, u128, u64)> = BTreeMap::new();
    let mut parties: BTreeMap<(String, String), (u128, u64)> = BTreeMap::new();
    for s in &settlements {
        let t = totals.entry(s.chain.clone()).or_default();
        t.0 += s.amount;
        t.1 += s.fee;
        t.2 += 1;
        if !s.counterparty.is_empty() {
            let p = parties
                .entry((s.chain.clone(), s.counterparty.clone()))
                .or_default();
            p.0 += s.amount;
            p.1 += 1;
        }
    }
    // Alerts about the merchant's addresses or its counterparties, raised in the
    // period (alerts carry wall-clock times; the period's seconds are compared).
    let mut subjects: Vec<(String, String)> = parties.keys().cloned().collect();
    for r in sqlx::query(
        "SELECT chain, receiving, escrow_account FROM gw_merchant_chains WHERE merchant_id = $1",
    )
    .bind(merchant_id)
    .fetch_all(&db.pool)
    .await?
    {
        let chain: String = r.try_get(0)?;
        subjects.push((chain.clone(), normalise(&r.try_get::<String, _>(1)?)));
        if let Some(e) = r.try_get::<Option<String>, _>(2)? {
            subjects.push((chain, normalise(&e)));
        }
    }
    let mut alerts = Vec::new();
    for (chain, subject) in &subjects {
        for r in sqlx::query(
            "SELECT id, rule, severity, state, created_at, summary FROM gw_risk_alerts WHERE chain = $1 AND subject = $2 AND created_at >= $3 AND created_at < $4 ORDER BY seq",
        )
        .bind(chain)
        .bind(subject)
        .bind(from.saturating_mul(1000))
        .bind(to.saturating_mul(1000))
        .fetch_all(&db.pool)
        .await?
        {
            alerts.push((
                r.try_get::<i64, _>(4)?,
                r.try_get::<String, _>(0)?,
                chain.clone(),
                subject.clone(),
                r.try_get::<String, _>(1)?,
                r.try_get::<String, _>(2)?,
                r.try_get::<String, _>(3)?,
                r.try_get::<String, _>(5)?,
            ));
        }
    }
    alerts.sort();
    alerts.dedup();

    let mut rows = Vec::new();
    for (chain, (volume, fees, n)) in &totals {
        rows.push([
            "total".into(),
            chain.clone(),
            String::new(),
            String::new(),
            volume.to_string(),
            fees.to_string(),
            String::new(),
            String::new(),
            format!("{n} settlements"),
        ]);
    }
    for s in &settlements {
        rows.push([
            "settlement".into(),
            s.chain.clone(),
            s.id.clone(),
            s.kind.into(),
            s.amount.to_string(),
            s.fee.to_string(),
            s.time.to_string(),
            s.counterparty.clone(),
            String::new(),
        ]);
    }
    for ((chain, party), (amount, n)) in &parties {
        rows.push([
            "counterparty".into(),
            chain.clone(),
            String::new(),
            String::new(),
            amount.to_string(),
            String::new(),
            String::new(),
            party.clone(),
            format!("{n} settlements"),
        ]);
    }
    for a in &alerts {
        rows.push([
            "alert".into(),
            a.2.clone(),
            a.1.clone(),
            a.4.clone(),
            String::new(),
            String::new(),
            (a.0 / 1000).to_string(),
            a.3.clone(),
            format!("{} {}: {}", a.5, a.6, a.7),
        ]);
    }
    let body = json!({
        "report": "merchant",
        "merchant_id": merchant_id,
        "merchant_name": name,
        "from": from,
        "to": to,
        "totals": totals.iter().map(|(c, (v, f, n))| json!({ "chain": c, "volume": v.to_string(), "fees": f.to_string(), "settlements": n })).collect::<Vec<_>>(),
        "settlements": settlements.iter().map(|s| json!({ "time": s.time, "chain": s.chain, "id": s.id, "kind": s.kind, "amount": s.amount.to_string(), "fee": s.fee.to_string(), "counterparty": s.counterparty })).collect::<Vec<_>>(),
        "counterparties": parties.iter().map(|((c, p), (a, n))| json!({ "chain": c, "address": p, "amount": a.to_string(), "settlements": n })).collect::<Vec<_>>(),
        "alerts": alerts.iter().map(|a| json!({ "created_at": a.0, "id": a.1, "chain": a.2, "subject": a.3, "rule": a.4, "severity": a.5, "state": a.6, "summary": a.7 })).collect::<Vec<_>>(),
    });
    Ok(Some(Report { body, rows }))
}

/// The platform's report for the UTC day starting at `day_start` (Unix seconds):
/// per chain the transfers indexed, the deals settled (volume, fees, the platform's
/// part), the invoices settled; the alerts raised by rule and severity.
pub async fn platform_day(db: &Db, day_start: i64) -> Result<Report> {
    let end = day_start + 86_400;
    let mut chains: BTreeMap<String, BTreeMap<&'static str, u128>> = BTreeMap::new();
    let transfers = sqlx::query(
        "SELECT chain, CAST(amount AS TEXT) FROM transfers WHERE block_time >= $1 AND block_time < $2",
    )
    .bind(day_start)
    .bind(end)
    .fetch_all(&db.pool)
    .await?;
    for r in &transfers {
        let c = chains.entry(r.try_get(0)?).or_default();
        *c.entry("transfers").or_default() += 1;
        *c.entry("transfer_volume").or_default() += parse(&r.try_get::<String, _>(1)?);
    }
    let deals = sqlx::query(
        "SELECT chain, CAST(COALESCE(settled_amount, 0) AS TEXT), CAST(COALESCE(fee, 0) AS TEXT), CAST(COALESCE(platform, 0) AS TEXT), state FROM deals WHERE closed_time >= $1 AND closed_time < $2",
    )
    .bind(day_start)
    .bind(end)
    .fetch_all(&db.pool)
    .await?;
    for r in &deals {
        let c = chains.entry(r.try_get(0)?).or_default();
        let state: String = r.try_get(4)?;
        *c.entry(if state == "cancelled" {
            "deals_cancelled"
        } else {
            "deals_settled"
        })
        .or_default() += 1;
        *c.entry("settled_volume").or_default() += parse(&r.try_get::<String, _>(1)?);
        *c.entry("fees").or_default() += parse(&r.try_get::<String, _>(2)?);
        *c.entry("platform_fees").or_default() += parse(&r.try_get::<String, _>(3)?);
    }
    let invoices = sqlx::query(
        "SELECT i.chain, i.paid, MAX(p.block_time) FROM gw_invoices i JOIN gw_payments p ON p.invoice_id = i.id WHERE i.status = 'settled' GROUP BY i.id, i.chain, i.paid",
    )
    .fetch_all(&db.pool)
    .await?;
    for r in &invoices {
        let t: i64 = r.try_get(2)?;
        if t < day_start || t >= end {
            continue;
        }
        let c = chains.entry(r.try_get(0)?).or_default();
        *c.entry("invoices_settled").or_default() += 1;
        *c.entry("invoice_volume").or_default() +=
            u128::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0);
    }
    let mut alerts: BTreeMap<(String, String, String), u64> = BTreeMap::new();
    for r in sqlx::query(
        "SELECT chain, rule, severity FROM gw_risk_alerts WHERE created_at >= $1 AND created_at < $2",
    )
    .bind(day_start * 1000)
    .bind(end * 1000)
    .fetch_all(&db.pool)
    .await?
    {
        *alerts
            .entry((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))
            .or_default() += 1;
    }
    let mut rows = Vec::new();
    for (chain, figures) in &chains {
        for (k, v) in figures {
            rows.push([
                "figure".into(),
                chain.clone(),
                (*k).into(),
                String::new(),
                v.to_string(),
                String::new(),
                day_start.to_string(),
                String::new(),
                String::new(),
            ]);
        }
    }
    for ((chain, rule, severity), n) in &alerts {
        rows.push([
            "alerts".into(),
            chain.clone(),
            rule.clone(),
            severity.clone(),
            n.to_string(),
            String::new(),
            day_start.to_string(),
            String::new(),
            String::new(),
        ]);
    }
    let body = json!({
        "report": "platform_day",
        "day_start": day_start,
        "chains": chains.iter().map(|(c, f)| {
            let mut o = serde_json::Map::new();
            o.insert("chain".into(), json!(c));
            for (k, v) in f {
                o.insert((*k).into(), json!(v.to_string()));
            }
            Value::Object(o)
        }).collect::<Vec<_>>(),
        "alerts": alerts.iter().map(|((c, r, s), n)| json!({ "chain": c, "rule": r, "severity": s, "count": n })).collect::<Vec<_>>(),
    });
    Ok(Report { body, rows })
}

/// `YYYY-MM-DD` → Unix seconds of 00:00 UTC.
pub fn parse_day(s: &str) -> Option<i64> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let d = time::Date::parse(s, format).ok()?;
    Some(d.midnight().assume_utc().unix_timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_cover_the_bytes() {
        let r = Report {
            body: json!({ "b": 1, "a": "x" }),
            rows: vec![[
                "total".into(),
                "c".into(),
                String::new(),
                String::new(),
                "5".into(),
                "0".into(),
                String::new(),
                "=cmd".into(),
                "a, b".into(),
            ]],
        };
        let csv = r.csv();
        let (body, last) = csv.trim_end().rsplit_once('\n').unwrap();
        assert_eq!(last, format!("# {}", sha(format!("{body}\n").as_bytes())));
        assert!(csv.contains(",'=cmd,\"a, b\""));
        let j: Value = serde_json::from_str(&r.json()).unwrap();
        assert_eq!(j["checksum"], sha(r#"{"a":"x","b":1}"#.as_bytes()));
        assert_eq!(r.json(), r.json());
        assert_eq!(parse_day("2026-12-03"), Some(1_796_256_000));
        assert_eq!(parse_day("2026-13-03"), None);
    }
}
