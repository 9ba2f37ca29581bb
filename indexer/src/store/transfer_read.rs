//! Reads of the transfers table: keyset-paginated lists, one address's totals and
//! volume per UTC day. Sums are exact: NUMERIC in PostgreSQL; in SQLite, which has
//! no exact 256-bit arithmetic, the amounts are summed in Rust (`add_decimal`).
//!
//! Written once for both backends (`backend.rs`).

macro_rules! sql {
    () => {
        use std::collections::{BTreeMap, HashSet};

        use alloy::primitives::U512;
        use sqlx::{QueryBuilder, Row};

        use super::*;
        use crate::{
            error::Result,
            store::{
                AddressSummary, DailyVolume, TransferQuery, TransferRecord, add_decimal, to_i64,
                to_u64,
            },
        };

        const COLUMNS: [&str; 11] = [
            "chain",
            "block_number",
            "log_index",
            "block_hash",
            "block_time",
            "tx_hash",
            "token",
            "from_addr",
            "to_addr",
            "amount",
            "confirmed",
        ];

        fn record_from_row(r: &DbRow) -> Result<TransferRecord> {
            Ok(TransferRecord {
                chain: r.try_get("chain")?,
                block_number: to_u64(r.try_get("block_number")?, "transfers")?,
                log_index: to_u64(r.try_get("log_index")?, "transfers")?,
                block_hash: r.try_get("block_hash")?,
                block_time: r.try_get("block_time")?,
                tx_hash: r.try_get("tx_hash")?,
                token: r.try_get("token")?,
                from: r.try_get("from_addr")?,
                to: r.try_get("to_addr")?,
                amount: r.try_get("amount")?,
                confirmed: r.try_get("confirmed")?,
            })
        }

        /// Appends the non-address filters (each preceded by AND).
        fn push_filters(qb: &mut QueryBuilder<Db>, q: &TransferQuery) -> Result<()> {
            if let Some(tx) = &q.tx_hash {
                qb.push(" AND tx_hash = ").push_bind(tx.clone());
            }
            if let Some(v) = q.from_block {
                qb.push(" AND block_number >= ")
                    .push_bind(to_i64(v, "transfers")?);
            }
            if let Some(v) = q.to_block {
                qb.push(" AND block_number <= ")
                    .push_bind(to_i64(v, "transfers")?);
            }
            if let Some(v) = q.from_time {
                qb.push(" AND block_time >= ").push_bind(v);
            }
            if let Some(v) = q.to_time {
                qb.push(" AND block_time <= ").push_bind(v);
            }
            if let Some((b, l)) = q.after {
                qb.push(" AND (block_number, log_index) > (")
                    .push_bind(to_i64(b, "transfers")?)
                    .push(", ")
                    .push_bind(to_i64(l, "transfers")?)
                    .push(")");
            }
            Ok(())
        }

        /// Lists transfers in (block, log index) order.
        pub(crate) async fn transfers(p: &Pool, q: &TransferQuery) -> Result<Vec<TransferRecord>> {
            let limit = i64::from(q.limit);
            let columns = select(&COLUMNS, &["amount"]);
            let mut qb: QueryBuilder<Db> = QueryBuilder::new("");
            match &q.address {
                // Two index-ordered halves, each limited, merged: uses the from/to indexes.
                Some(addr) => {
                    for (i, (col, index)) in [("from_addr", "transfers_from"), ("to_addr", "transfers_to")]
                        .iter()
                        .enumerate()
                    {
                        if i > 0 {
                            qb.push(" UNION ");
                        }
                        if PG {
                            qb.push(format!("(SELECT {columns} FROM transfers WHERE chain = "));
                        } else {
                            // Without statistics SQLite prefers the primary key (no sort
                            // needed) and scans the whole chain; the address index is the
                            // right one.
                            qb.push(format!(
                                "SELECT * FROM (SELECT {columns} FROM transfers INDEXED BY {index} WHERE chain = "
                            ));
                        }
                        qb.push_bind(q.chain.clone())
                            .push(format!(" AND {col} = "))
                            .push_bind(addr.clone());
                        push_filters(&mut qb, q)?;
                        qb.push(" ORDER BY block_number, log_index LIMIT ")
                            .push_bind(limit)
                            .push(")");
                    }
                    qb.push(" ORDER BY block_number, log_index LIMIT ")
                        .push_bind(limit);
                }
                None => {
                    qb.push(format!("SELECT {columns} FROM transfers WHERE chain = "))
                        .push_bind(q.chain.clone());
                    push_filters(&mut qb, q)?;
                    qb.push(" ORDER BY block_number, log_index LIMIT ")
                        .push_bind(limit);
                }
            }
            let rows = qb.build().fetch_all(p).await?;
            rows.iter().map(record_from_row).collect()
        }

        /// In/out totals of one address (a self-transfer counts once each way).
        pub(crate) async fn address_summary(
            p: &Pool,
            chain: &str,
            address: &str,
        ) -> Result<AddressSummary> {
            // The address's rows: what it sent, then what others sent it.
            const ROWS: &str = "SELECT from_addr, to_addr, amount, block_time FROM transfers WHERE chain = $1 AND from_addr = $2
               UNION ALL
               SELECT from_addr, to_addr, amount, block_time FROM transfers
               WHERE chain = $1 AND to_addr = $2 AND from_addr <> $2";
            let mut s = AddressSummary {
                chain: chain.to_owned(),
                address: address.to_owned(),
                in_count: 0,
                in_amount: String::new(),
                out_count: 0,
                out_amount: String::new(),
                counterparties: 0,
                first_seen: None,
                last_seen: None,
            };
            if PG {
                let sql = format!(
                    "WITH t AS ({ROWS})
                     SELECT
                       COUNT(*) FILTER (WHERE to_addr = $2) AS in_count,
                       COALESCE(SUM(amount) FILTER (WHERE to_addr = $2), 0)::text AS in_amount,
                       COUNT(*) FILTER (WHERE from_addr = $2) AS out_count,
                       COALESCE(SUM(amount) FILTER (WHERE from_addr = $2), 0)::text AS out_amount,
                       COUNT(DISTINCT CASE WHEN from_addr = $2 THEN to_addr ELSE from_addr END) AS parties,
                       MIN(block_time) AS first_seen, MAX(block_time) AS last_seen
                     FROM t"
                );
                let r = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(chain)
                    .bind(address)
                    .fetch_one(p)
                    .await?;
                s.in_count = to_u64(r.try_get("in_count")?, "transfers")?;
                s.in_amount = r.try_get("in_amount")?;
                s.out_count = to_u64(r.try_get("out_count")?, "transfers")?;
                s.out_amount = r.try_get("out_amount")?;
                s.counterparties = to_u64(r.try_get("parties")?, "transfers")?;
                s.first_seen = r.try_get("first_seen")?;
                s.last_seen = r.try_get("last_seen")?;
                return Ok(s);
            }
            let rows = sqlx::query(ROWS)
                .bind(chain)
                .bind(address)
                .fetch_all(p)
                .await?;
            let (mut in_amount, mut out_amount) = (U512::ZERO, U512::ZERO);
            let mut parties = HashSet::new();
            for r in &rows {
                let from: String = r.try_get("from_addr")?;
                let to: String = r.try_get("to_addr")?;
                let amount: String = r.try_get("amount")?;
                let time: i64 = r.try_get("block_time")?;
                if to == address {
                    s.in_count += 1;
                    add_decimal(&mut in_amount, &amount)?;
                }
                if from == address {
                    s.out_count += 1;
                    add_decimal(&mut out_amount, &amount)?;
                }
                parties.insert(if from == address { to } else { from });
                s.first_seen = Some(s.first_seen.map_or(time, |f| f.min(time)));
                s.last_seen = Some(s.last_seen.map_or(time, |l| l.max(time)));
            }
            s.in_amount = in_amount.to_string();
            s.out_amount = out_amount.to_string();
            s.counterparties = parties.len() as u64;
            Ok(s)
        }

        /// Volume per UTC day, optionally of one address, within a time range.
        pub(crate) async fn daily_volume(
            p: &Pool,
            chain: &str,
            address: Option<&str>,
            from_time: Option<i64>,
            to_time: Option<i64>,
        ) -> Result<Vec<DailyVolume>> {
            let mut qb: QueryBuilder<Db> = QueryBuilder::new(if PG {
                "SELECT (floor(block_time / 86400.0) * 86400)::bigint AS day, COUNT(*) AS n, SUM(amount)::text AS total
                 FROM transfers WHERE chain = "
            } else {
                "SELECT block_time, amount FROM transfers WHERE chain = "
            });
            qb.push_bind(chain.to_owned());
            if let Some(a) = address {
                qb.push(" AND (from_addr = ")
                    .push_bind(a.to_owned())
                    .push(" OR to_addr = ")
                    .push_bind(a.to_owned())
                    .push(")");
            }
            if let Some(t) = from_time {
                qb.push(" AND block_time >= ").push_bind(t);
            }
            if let Some(t) = to_time {
                qb.push(" AND block_time <= ").push_bind(t);
            }
            if PG {
                qb.push(" GROUP BY 1 ORDER BY 1");
            }
            let rows = qb.build().fetch_all(p).await?;
            if PG {
                return rows
                    .iter()
                    .map(|r| {
                        Ok(DailyVolume {
                            day: r.try_get("day")?,
                            count: to_u64(r.try_get("n")?, "transfers")?,
                            amount: r.try_get("total")?,
                        })
                    })
                    .collect();
            }
            let mut days: BTreeMap<i64, (u64, U512)> = BTreeMap::new();
            for r in &rows {
                let time: i64 = r.try_get("block_time")?;
                let amount: String = r.try_get("amount")?;
                let e = days
                    .entry(time.div_euclid(86_400) * 86_400)
                    .or_insert((0, U512::ZERO));
                e.0 += 1;
                add_decimal(&mut e.1, &amount)?;
            }
            Ok(days
                .into_iter()
                .map(|(day, (count, amount))| DailyVolume {
                    day,
                    count,
                    amount: amount.to_string(),
                })
                .collect())
        }
    };
}

pub(super) use sql;
