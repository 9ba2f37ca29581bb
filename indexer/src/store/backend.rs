//! The store's SQL, written once and instantiated per backend.
//!
//! Each concern keeps its statements in its own file as a macro body:
//! `chain_write.rs` (commit, confirm, rollback, the reorg window and the cursor),
//! `escrow_write.rs` (escrow and multisig events and the derived tables),
//! `transfer_read.rs`, `escrow_read.rs` and `blacklist.rs` (reads and the blacklist's
//! writes), `api_keys.rs`. The macro below expands them once for SQLite and once for
//! PostgreSQL, so the two cannot drift apart. Statements use `$n` placeholders (both
//! drivers bind them by number) or `QueryBuilder::push_bind`. What a backend does
//! its own way is in `native.rs`; the remaining differences are marked `if PG`:
//! amounts are NUMERIC in PostgreSQL (bound as text and cast in, read back as text)
//! and TEXT in SQLite (exact sums are done in Rust there).

macro_rules! backend {
    ($module:ident, $DB:ty, $pg:expr) => {
        /// The store's SQL for this backend.
        pub(super) mod $module {
            use sqlx::{QueryBuilder, Row};

            use crate::{amount::Amount, error::Result};

            /// The sqlx database.
            pub(crate) type Db = $DB;
            /// One connection (a transaction derefs to it).
            pub(crate) type Conn = <Db as sqlx::Database>::Connection;
            /// The pool.
            pub(crate) type Pool = sqlx::Pool<Db>;
            /// A row read back.
            pub(crate) type DbRow = <Db as sqlx::Database>::Row;
            /// A write transaction.
            pub(crate) type Tx = sqlx::Transaction<'static, Db>;
            /// PostgreSQL (NUMERIC amounts, row locks), else SQLite.
            pub(crate) const PG: bool = $pg;
            /// ` FOR UPDATE` where rows can be locked (SQLite's write transaction
            /// already excludes other writers).
            pub(crate) const LOCK_ROW: &str = if PG { " FOR UPDATE" } else { "" };

            pub(crate) use crate::store::native::$module as native;

            /// An amount column read back (text in both backends), parsed once here.
            pub(crate) fn amount(r: &DbRow, col: &str, table: &'static str) -> Result<Amount> {
                let v: String = r.try_get(col)?;
                Amount::parse(&v, table)
            }

            /// A nullable amount column read back.
            pub(crate) fn opt_amount(
                r: &DbRow,
                col: &str,
                table: &'static str,
            ) -> Result<Option<Amount>> {
                r.try_get::<Option<String>, _>(col)?
                    .map(|v| Amount::parse(&v, table))
                    .transpose()
            }

            /// Cast appended to an amount parameter.
            pub(crate) fn num() -> &'static str {
                if PG { "::numeric" } else { "" }
            }

            /// A select list with amount columns read back as text.
            pub(crate) fn select(cols: &[&str], amounts: &[&str]) -> String {
                cols.iter()
                    .map(|c| {
                        if PG && amounts.contains(c) {
                            format!("{c}::text AS {c}")
                        } else {
                            (*c).to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            }

            /// `SELECT <cols> FROM <table> WHERE chain = <chain>`, for more conditions.
            pub(crate) fn select_chain(
                table: &str,
                cols: &[&str],
                amounts: &[&str],
                chain: &str,
            ) -> QueryBuilder<Db> {
                let mut qb = QueryBuilder::new(format!(
                    "SELECT {} FROM {table} WHERE chain = ",
                    select(cols, amounts)
                ));
                qb.push_bind(chain.to_owned());
                qb
            }

            /// `INSERT INTO <table> (<cols>) `, for `push_values`.
            pub(crate) fn insert_into(table: &str, cols: &[&str]) -> QueryBuilder<Db> {
                QueryBuilder::new(format!("INSERT INTO {table} ({}) ", cols.join(", ")))
            }

            /// ` AND <col> IN (<vals>)`.
            pub(crate) fn push_in<T>(qb: &mut QueryBuilder<Db>, col: &str, vals: &[T])
            where
                T: Clone + for<'q> sqlx::Encode<'q, Db> + sqlx::Type<Db> + Send + 'static,
            {
                qb.push(format!(" AND {col} IN ("));
                let mut sep = qb.separated(", ");
                for v in vals {
                    sep.push_bind(v.clone());
                }
                qb.push(")");
            }

            /// Commit, confirm, rollback, the reorg window and the cursor.
            pub(crate) mod chain_write {
                crate::store::chain_write::sql!();
            }
            /// Transfers: lists, an address's totals, daily volume.
            pub(crate) mod transfer_read {
                crate::store::transfer_read::sql!();
            }
            /// Derived escrow rows: columns and row mapping, shared by writes and reads.
            pub(crate) mod escrow_rows {
                crate::store::escrow_rows::sql!();
            }
            /// Escrow and multisig events and the derived tables they update.
            pub(crate) mod escrow_write {
                crate::store::escrow_write::sql!();
            }
            /// Deals, accounts, orders, settings, commissions and volumes.
            pub(crate) mod escrow_read {
                crate::store::escrow_read::sql!();
            }
            /// The token's blacklist events.
            pub(crate) mod blacklist {
                crate::store::blacklist::sql!();
            }
            /// API keys of the indexer's HTTP API.
            pub(crate) mod api_keys {
                crate::store::api_keys::sql!();
            }
        }
    };
}

backend!(sqlite, sqlx::Sqlite, false);
backend!(postgres, sqlx::Postgres, true);
