//! Escrow and multisig events and the derived tables they update: a batch's events
//! are stored and replayed onto the rows they touch (loaded, changed in memory by
//! `derived.rs`, saved) in the batch's transaction; a reorg deletes the events above
//! the common ancestor and replays the tables from the rest (docs/rules.md).
//!
//! Written once for both backends (`backend.rs`).

/// Rows per multi-row INSERT (at most 25 columns: far below both backends' limits).
pub(crate) const ROWS_PER_INSERT: usize = 500;

macro_rules! sql {
    () => {
        use std::collections::BTreeSet;

        use sqlx::{QueryBuilder, Row};

        use super::*;
        use super::escrow_rows::*;
        use crate::{
            error::Result,
            events::{EscrowEventRow, MultisigEventRow, to_json},
            store::{
                derived::{BuyOrder, Deal, Derived, EscrowAccount, Keys, MerchantDay},
                escrow_rows::event_row,
                escrow_write::ROWS_PER_INSERT,
                to_i64,
            },
        };

        pub(crate) async fn insert_events(
            conn: &mut Conn,
            chain: &str,
            escrow: &[EscrowEventRow],
            multisig: &[MultisigEventRow],
            finalized: i64,
        ) -> Result<()> {
            for chunk in escrow.chunks(ROWS_PER_INSERT) {
                let mut vals = Vec::with_capacity(chunk.len());
                for r in chunk {
                    vals.push((
                        to_i64(r.block_number, "escrow_events")?,
                        to_i64(r.log_index, "escrow_events")?,
                        r.event
                            .deal_id()
                            .map(|d| to_i64(d, "escrow_events"))
                            .transpose()?,
                        to_json(&r.event)?,
                    ));
                }
                let mut qb: QueryBuilder<Db> = QueryBuilder::new(
                    "INSERT INTO escrow_events (chain, block_number, log_index, block_hash, block_time, tx_hash, contract, kind, deal_id, fields, confirmed) ",
                );
                qb.push_values(chunk.iter().zip(vals), |mut s, (r, (n, li, deal, fields))| {
                    s.push_bind(chain.to_owned())
                        .push_bind(n)
                        .push_bind(li)
                        .push_bind(r.block_hash.clone())
                        .push_bind(r.block_time)
                        .push_bind(r.tx_hash.clone())
                        .push_bind(r.contract.clone())
                        .push_bind(r.event.name().to_owned())
                        .push_bind(deal)
                        .push_bind(fields)
                        .push_bind(n <= finalized);
                });
                qb.build().execute(&mut *conn).await?;
            }
            for chunk in multisig.chunks(ROWS_PER_INSERT) {
                let mut vals = Vec::with_capacity(chunk.len());
                for r in chunk {
                    vals.push((
                        to_i64(r.block_number, "multisig_events")?,
                        to_i64(r.log_index, "multisig_events")?,
                        to_json(&r.event)?,
                    ));
                }
                let mut qb: QueryBuilder<Db> = QueryBuilder::new(
                    "INSERT INTO multisig_events (chain, block_number, log_index, block_hash, block_time, tx_hash, contract, kind, fields, confirmed) ",
                );
                qb.push_values(chunk.iter().zip(vals), |mut s, (r, (n, li, fields))| {
                    s.push_bind(chain.to_owned())
                        .push_bind(n)
                        .push_bind(li)
                        .push_bind(r.block_hash.clone())
                        .push_bind(r.block_time)
                        .push_bind(r.tx_hash.clone())
                        .push_bind(r.contract.clone())
                        .push_bind(r.event.name().to_owned())
                        .push_bind(fields)
                        .push_bind(n <= finalized);
                });
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Marks event rows at or below `finalized` confirmed.
        /// Applies a batch's escrow events to the derived tables.
        pub(crate) async fn apply(
            conn: &mut Conn,
            chain: &str,
            events: &[EscrowEventRow],
        ) -> Result<()> {
            if events.is_empty() {
                return Ok(());
            }
            let mut d = Derived::new(chain);
            d.settings = load_settings(conn, chain).await?;
            let keys = Keys::of(events, d.settings.treasury.as_deref());
            load(conn, &mut d, &keys).await?;
            d.apply(events)?;
            save(conn, &d).await
        }

        /// Reorg: deletes events above `ancestor` and replays the derived tables from
        /// the remaining events.
        pub(crate) async fn rollback(conn: &mut Conn, chain: &str, ancestor: i64) -> Result<()> {
            for table in ["escrow_events", "multisig_events"] {
                let mut qb: QueryBuilder<Db> =
                    QueryBuilder::new(format!("DELETE FROM {table} WHERE chain = "));
                qb.push_bind(chain.to_owned())
                    .push(" AND block_number > ")
                    .push_bind(ancestor);
                qb.build().execute(&mut *conn).await?;
            }
            recompute(conn, chain).await
        }

        /// Rebuilds every derived table of `chain` from its stored escrow events.
        pub(crate) async fn recompute(conn: &mut Conn, chain: &str) -> Result<()> {
            for table in [
                "escrow_settings",
                "escrow_accounts",
                "deals",
                "buy_orders",
                "agent_commissions",
                "daily_volume",
            ] {
                let mut qb: QueryBuilder<Db> =
                    QueryBuilder::new(format!("DELETE FROM {table} WHERE chain = "));
                qb.push_bind(chain.to_owned());
                qb.build().execute(&mut *conn).await?;
            }
            let mut qb: QueryBuilder<Db> = QueryBuilder::new(
                "SELECT block_number, log_index, block_hash, block_time, tx_hash, contract, fields FROM escrow_events WHERE chain = ",
            );
            qb.push_bind(chain.to_owned())
                .push(" ORDER BY block_number, log_index");
            let rows = qb.build().fetch_all(&mut *conn).await?;
            let mut events = Vec::with_capacity(rows.len());
            for r in &rows {
                let fields: String = r.try_get("fields")?;
                events.push(event_row(
                    r.try_get("block_number")?,
                    r.try_get("log_index")?,
                    r.try_get("block_hash")?,
                    r.try_get("block_time")?,
                    r.try_get("tx_hash")?,
                    r.try_get("contract")?,
                    &fields,
                )?);
            }
            let mut d = Derived::new(chain);
            d.apply(&events)?;
            if events.is_empty() {
                return Ok(());
            }
            save(conn, &d).await
        }


        fn ids(v: &BTreeSet<u64>, t: &'static str) -> Result<Vec<i64>> {
            v.iter().map(|x| to_i64(*x, t)).collect()
        }

        async fn load(conn: &mut Conn, d: &mut Derived, k: &Keys) -> Result<()> {
            let chain = d.chain.clone();
            if !k.accounts.is_empty() {
                let mut qb =
                    select_chain("escrow_accounts", &ACCOUNT_COLS, &ACCOUNT_AMOUNTS, &chain);
                let vals: Vec<String> = k.accounts.iter().cloned().collect();
                push_in(&mut qb, "address", &vals);
                for r in qb.build().fetch_all(&mut *conn).await? {
                    let a = account_from(&r)?;
                    d.accounts.insert(a.address.clone(), a);
                }
            }
            if !k.deals.is_empty() {
                let mut qb = select_chain("deals", &DEAL_COLS, &DEAL_AMOUNTS, &chain);
                push_in(&mut qb, "deal_id", &ids(&k.deals, "deals")?);
                for r in qb.build().fetch_all(&mut *conn).await? {
                    let x = deal_from(&r)?;
                    d.deals.insert(x.deal_id, x);
                }
            }
            if !k.orders.is_empty() {
                let mut qb = select_chain("buy_orders", &ORDER_COLS, &ORDER_AMOUNTS, &chain);
                push_in(&mut qb, "order_id", &ids(&k.orders, "buy_orders")?);
                for r in qb.build().fetch_all(&mut *conn).await? {
                    let x = order_from(&r)?;
                    d.orders.insert(x.order_id, x);
                }
            }
            if !k.volumes.is_empty() {
                let addrs: Vec<String> = k
                    .volumes
                    .iter()
                    .map(|v| v.0.clone())
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let days: Vec<i64> = k
                    .volumes
                    .iter()
                    .map(|v| v.1)
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let mut qb =
                    select_chain("daily_volume", &VOLUME_COLS, &VOLUME_AMOUNTS, &chain);
                push_in(&mut qb, "address", &addrs);
                push_in(&mut qb, "day", &days);
                for r in qb.build().fetch_all(&mut *conn).await? {
                    let x = volume_from(&r)?;
                    d.volumes.insert((x.address.clone(), x.day), x);
                }
            }
            Ok(())
        }

        async fn delete_keys<T>(
            conn: &mut Conn,
            table: &str,
            col: &str,
            chain: &str,
            keys: &[T],
        ) -> Result<()>
        where
            T: Clone + for<'q> sqlx::Encode<'q, Db> + sqlx::Type<Db> + Send + 'static,
        {
            for chunk in keys.chunks(ROWS_PER_INSERT) {
                let mut qb: QueryBuilder<Db> =
                    QueryBuilder::new(format!("DELETE FROM {table} WHERE chain = "));
                qb.push_bind(chain.to_owned());
                push_in(&mut qb, col, chunk);
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }

        /// Writes the working set back: settings upserted, touched rows replaced,
        /// new commissions inserted.
        async fn save(conn: &mut Conn, d: &Derived) -> Result<()> {
            let chain = d.chain.clone();
            let s = &d.settings;
            let mut qb: QueryBuilder<Db> = QueryBuilder::new(format!(
                "INSERT INTO escrow_settings (chain, {}) VALUES (",
                SETTINGS.join(", ")
            ));
            {
                let mut sep = qb.separated(", ");
                sep.push_bind(chain.clone())
                    .push_bind(s.owner.clone())
                    .push_bind(s.guardian.clone())
                    .push_bind(s.arbiter.clone())
                    .push_bind(s.dispatcher.clone())
                    .push_bind(s.compliance.clone())
                    .push_bind(s.treasury.clone())
                    .push_bind(s.paused)
                    .push_bind(s.fee_schedule.clone())
                    .push_bind(s.limits.clone())
                    .push_bind(s.liabilities.to_string())
                    .push_unseparated(num())
                    .push_bind(s.swept.to_string())
                    .push_unseparated(num());
            }
            qb.push(") ON CONFLICT (chain) DO UPDATE SET ");
            qb.push(
                SETTINGS
                    .iter()
                    .map(|c| format!("{c} = excluded.{c}"))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            qb.build().execute(&mut *conn).await?;

            let accounts: Vec<&EscrowAccount> = d.accounts.values().collect();
            let keys: Vec<String> = accounts.iter().map(|a| a.address.clone()).collect();
            delete_keys(conn, "escrow_accounts", "address", &chain, &keys).await?;
            for chunk in accounts.chunks(ROWS_PER_INSERT) {
                let mut qb = insert_into("escrow_accounts", &ACCOUNT_COLS);
                qb.push_values(chunk, |mut b, a| {
                    b.push_bind(a.chain.clone())
                        .push_bind(a.address.clone())
                        .push_bind(a.available.to_string())
                        .push_unseparated(num())
                        .push_bind(a.locked.to_string())
                        .push_unseparated(num())
                        .push_bind(i64::from(a.roles))
                        .push_bind(a.agent.clone())
                        .push_bind(a.merchant_volume.to_string())
                        .push_unseparated(num())
                        .push_bind(a.agent_volume.to_string())
                        .push_unseparated(num())
                        .push_bind(i64::from(a.kyc_level))
                        .push_bind(i64::from(a.region))
                        .push_bind(a.deposited.to_string())
                        .push_unseparated(num())
                        .push_bind(a.withdrawn.to_string())
                        .push_unseparated(num())
                        .push_bind(a.co_signer.clone())
                        .push_bind(a.daily_allowance.to_string())
                        .push_unseparated(num())
                        .push_bind(i64::from(a.outflow_day))
                        .push_bind(a.outflow_today.to_string())
                        .push_unseparated(num())
                        .push_bind(a.online)
                        .push_bind(a.max_per_deal.to_string())
                        .push_unseparated(num())
                        .push_bind(a.max_locked.to_string())
                        .push_unseparated(num());
                });
                qb.build().execute(&mut *conn).await?;
            }

            let deals: Vec<&Deal> = d.deals.values().collect();
            let keys = deals
                .iter()
                .map(|x| to_i64(x.deal_id, "deals"))
                .collect::<Result<Vec<_>>>()?;
            delete_keys(conn, "deals", "deal_id", &chain, &keys).await?;
            for chunk in deals.chunks(ROWS_PER_INSERT) {
                let mut vals = Vec::with_capacity(chunk.len());
                for x in chunk {
                    let o = |v: Option<u64>| v.map(|v| to_i64(v, "deals")).transpose();
                    vals.push((
                        to_i64(x.deal_id, "deals")?,
                        to_i64(x.deadline, "deals")?,
                        o(x.order_id)?,
                        to_i64(x.opened_block, "deals")?,
                        o(x.closed_block)?,
                        o(x.disputed_at)?,
                    ));
                }
                let mut qb = insert_into("deals", &DEAL_COLS);
                qb.push_values(chunk.iter().zip(vals), |mut b, (x, (id, deadline, order, opened, closed, disputed))| {
                    b.push_bind(x.chain.clone())
                        .push_bind(id)
                        .push_bind(x.kind.clone())
                        .push_bind(x.seller.clone())
                        .push_bind(x.buyer.clone())
                        .push_bind(x.merchant.clone())
                        .push_bind(x.amount.to_string())
                        .push_unseparated(num())
                        .push_bind(x.state.clone())
                        .push_bind(i64::from(x.payment_window))
                        .push_bind(deadline)
                        .push_bind(x.order_ref.clone())
                        .push_bind(order)
                        .push_bind(opened)
                        .push_bind(x.opened_time)
                        .push_bind(closed)
                        .push_bind(x.closed_time)
                        .push_bind(x.buyer_share_bps.map(i64::from))
                        .push_bind(x.agent.clone());
                    for v in [
                        &x.settled_amount,
                        &x.buyer_net,
                        &x.fee,
                        &x.agent_cut,
                        &x.reward,
                        &x.platform,
                        &x.seller_refund,
                    ] {
                        b.push_bind(v.map(|v| v.to_string())).push_unseparated(num());
                    }
                    b.push_bind(i64::from(x.fee_bps))
                        .push_bind(i64::from(x.agent_share_bps))
                        .push_bind(i64::from(x.reward_bps))
                        .push_bind(disputed);
                });
                qb.build().execute(&mut *conn).await?;
            }

            let orders: Vec<&BuyOrder> = d.orders.values().collect();
            let keys = orders
                .iter()
                .map(|x| to_i64(x.order_id, "buy_orders"))
                .collect::<Result<Vec<_>>>()?;
            delete_keys(conn, "buy_orders", "order_id", &chain, &keys).await?;
            for chunk in orders.chunks(ROWS_PER_INSERT) {
                let mut vals = Vec::with_capacity(chunk.len());
                for x in chunk {
                    vals.push((
                        to_i64(x.order_id, "buy_orders")?,
                        to_i64(x.price, "buy_orders")?,
                        to_i64(x.expiry, "buy_orders")?,
                        to_i64(x.posted_block, "buy_orders")?,
                    ));
                }
                let mut qb = insert_into("buy_orders", &ORDER_COLS);
                qb.push_values(chunk.iter().zip(vals), |mut b, (x, (id, price, expiry, posted))| {
                    b.push_bind(x.chain.clone())
                        .push_bind(id)
                        .push_bind(x.merchant.clone())
                        .push_bind(price)
                        .push_bind(x.currency.clone())
                        .push_bind(x.amount.to_string())
                        .push_unseparated(num())
                        .push_bind(x.remaining.to_string())
                        .push_unseparated(num())
                        .push_bind(x.min_fill.to_string())
                        .push_unseparated(num())
                        .push_bind(x.max_fill.to_string())
                        .push_unseparated(num())
                        .push_bind(expiry)
                        .push_bind(i64::from(x.payment_window))
                        .push_bind(x.open)
                        .push_bind(posted);
                });
                qb.build().execute(&mut *conn).await?;
            }

            for chunk in d.commissions.chunks(ROWS_PER_INSERT) {
                let mut vals = Vec::with_capacity(chunk.len());
                for x in chunk {
                    vals.push((
                        to_i64(x.block_number, "agent_commissions")?,
                        to_i64(x.log_index, "agent_commissions")?,
                        to_i64(x.deal_id, "agent_commissions")?,
                    ));
                }
                let mut qb = insert_into("agent_commissions", &COMMISSION_COLS);
                qb.push_values(chunk.iter().zip(vals), |mut b, (x, (n, li, deal))| {
                    b.push_bind(x.chain.clone())
                        .push_bind(n)
                        .push_bind(li)
                        .push_bind(x.block_time)
                        .push_bind(deal)
                        .push_bind(x.agent.clone())
                        .push_bind(x.merchant.clone())
                        .push_bind(x.gross.to_string())
                        .push_unseparated(num())
                        .push_bind(x.amount.to_string())
                        .push_unseparated(num());
                });
                qb.build().execute(&mut *conn).await?;
            }

            let volumes: Vec<&MerchantDay> = d.volumes.values().collect();
            // One statement per chunk of (address, day) keys: a statement per row
            // cost a round trip each, most of PostgreSQL's sink time.
            for chunk in volumes.chunks(ROWS_PER_INSERT) {
                let mut qb: QueryBuilder<Db> =
                    QueryBuilder::new("DELETE FROM daily_volume WHERE chain = ");
                qb.push_bind(chain.clone())
                    .push(" AND (address, day) IN (VALUES ");
                let mut sep = qb.separated(", ");
                for v in chunk {
                    sep.push("(")
                        .push_bind_unseparated(v.address.clone())
                        .push_unseparated(", ")
                        .push_bind_unseparated(v.day)
                        .push_unseparated(")");
                }
                qb.push(")");
                qb.build().execute(&mut *conn).await?;
            }
            for chunk in volumes.chunks(ROWS_PER_INSERT) {
                let mut qb = insert_into("daily_volume", &VOLUME_COLS);
                let mut err = None;
                qb.push_values(chunk, |mut b, v| {
                    let count = to_i64(v.count, "daily_volume").unwrap_or_else(|e| {
                        err = Some(e);
                        0
                    });
                    b.push_bind(v.chain.clone())
                        .push_bind(v.address.clone())
                        .push_bind(v.day)
                        .push_bind(v.amount.to_string())
                        .push_unseparated(num())
                        .push_bind(count)
                        .push_bind(v.fees.to_string())
                        .push_unseparated(num());
                });
                if let Some(e) = err {
                    return Err(e);
                }
                qb.build().execute(&mut *conn).await?;
            }
            Ok(())
        }
    };
}

pub(super) use sql;
