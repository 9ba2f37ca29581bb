//! The derived escrow tables' rows: their columns, which of them are amounts, and
//! how a row reads back into the replay's structs (`derived.rs`). Shared by the
//! escrow writes (which load the rows a batch touches) and the reads.
//!
//! Written once for both backends (`backend.rs`).

use crate::{
    error::{Error, Result},
    events::{EscrowEventRow, EventRow, escrow_from_json},
};

/// `v` narrowed to the struct's integer type, or a corrupt-row error.
pub(crate) fn narrow<T: TryFrom<i64>>(v: i64, table: &'static str) -> Result<T> {
    T::try_from(v).map_err(|_| Error::CorruptRow {
        table,
        reason: format!("{v} is out of range"),
    })
}

/// Builds the escrow event row of a stored `fields` column.
pub(crate) fn event_row(
    block_number: i64,
    log_index: i64,
    block_hash: String,
    block_time: i64,
    tx_hash: String,
    contract: String,
    fields: &str,
) -> Result<EscrowEventRow> {
    Ok(EventRow {
        block_number: super::to_u64(block_number, "escrow_events")?,
        log_index: super::to_u64(log_index, "escrow_events")?,
        block_hash,
        block_time,
        tx_hash,
        contract,
        event: escrow_from_json(fields)?,
    })
}

macro_rules! sql {
    () => {
        use sqlx::{QueryBuilder, Row};

        use super::*;
        use crate::{
            error::Result,
            store::{
                derived::{
                    AgentCommission, BuyOrder, Deal, EscrowAccount, EscrowSettings, MerchantDay,
                },
                escrow_rows::narrow,
                to_u64,
            },
        };

        pub(crate) const SETTINGS: [&str; 11] = [
            "owner",
            "guardian",
            "arbiter",
            "dispatcher",
            "compliance",
            "treasury",
            "paused",
            "fee_schedule",
            "limits",
            "liabilities",
            "swept",
        ];
        pub(crate) const SETTINGS_AMOUNTS: [&str; 2] = ["liabilities", "swept"];

        pub(crate) async fn load_settings(conn: &mut Conn, chain: &str) -> Result<EscrowSettings> {
            let mut qb: QueryBuilder<Db> = QueryBuilder::new(format!(
                "SELECT {} FROM escrow_settings WHERE chain = ",
                select(&SETTINGS, &SETTINGS_AMOUNTS)
            ));
            qb.push_bind(chain.to_owned());
            let Some(r) = qb.build().fetch_optional(&mut *conn).await? else {
                return Ok(EscrowSettings::default());
            };
            Ok(EscrowSettings {
                owner: r.try_get("owner")?,
                guardian: r.try_get("guardian")?,
                arbiter: r.try_get("arbiter")?,
                dispatcher: r.try_get("dispatcher")?,
                compliance: r.try_get("compliance")?,
                treasury: r.try_get("treasury")?,
                paused: r.try_get("paused")?,
                fee_schedule: r.try_get("fee_schedule")?,
                limits: r.try_get("limits")?,
                liabilities: amount(&r, "liabilities", "escrow_settings")?,
                swept: amount(&r, "swept", "escrow_settings")?,
            })
        }

        pub(crate) const ACCOUNT_COLS: [&str; 19] = [
            "chain",
            "address",
            "available",
            "locked",
            "roles",
            "agent",
            "merchant_volume",
            "agent_volume",
            "kyc_level",
            "region",
            "deposited",
            "withdrawn",
            "co_signer",
            "daily_allowance",
            "outflow_day",
            "outflow_today",
            "online",
            "max_per_deal",
            "max_locked",
        ];
        pub(crate) const ACCOUNT_AMOUNTS: [&str; 10] = [
            "available",
            "locked",
            "merchant_volume",
            "agent_volume",
            "deposited",
            "withdrawn",
            "daily_allowance",
            "outflow_today",
            "max_per_deal",
            "max_locked",
        ];

        pub(crate) fn account_from(r: &DbRow) -> Result<EscrowAccount> {
            const T: &str = "escrow_accounts";
            Ok(EscrowAccount {
                chain: r.try_get("chain")?,
                address: r.try_get("address")?,
                available: amount(r, "available", T)?,
                locked: amount(r, "locked", T)?,
                roles: narrow(r.try_get::<i64, _>("roles")?, T)?,
                agent: r.try_get("agent")?,
                merchant_volume: amount(r, "merchant_volume", T)?,
                agent_volume: amount(r, "agent_volume", T)?,
                kyc_level: narrow(r.try_get::<i64, _>("kyc_level")?, T)?,
                region: narrow(r.try_get::<i64, _>("region")?, T)?,
                deposited: amount(r, "deposited", T)?,
                withdrawn: amount(r, "withdrawn", T)?,
                co_signer: r.try_get("co_signer")?,
                daily_allowance: amount(r, "daily_allowance", T)?,
                outflow_day: narrow(r.try_get::<i64, _>("outflow_day")?, T)?,
                outflow_today: amount(r, "outflow_today", T)?,
                online: r.try_get("online")?,
                max_per_deal: amount(r, "max_per_deal", T)?,
                max_locked: amount(r, "max_locked", T)?,
            })
        }

        pub(crate) const DEAL_COLS: [&str; 29] = [
            "chain",
            "deal_id",
            "kind",
            "seller",
            "buyer",
            "merchant",
            "amount",
            "state",
            "payment_window",
            "deadline",
            "order_ref",
            "order_id",
            "opened_block",
            "opened_time",
            "closed_block",
            "closed_time",
            "buyer_share_bps",
            "agent",
            "settled_amount",
            "buyer_net",
            "fee",
            "agent_cut",
            "reward",
            "platform",
            "seller_refund",
            "fee_bps",
            "agent_share_bps",
            "reward_bps",
            "disputed_at",
        ];
        pub(crate) const DEAL_AMOUNTS: [&str; 8] = [
            "amount",
            "settled_amount",
            "buyer_net",
            "fee",
            "agent_cut",
            "reward",
            "platform",
            "seller_refund",
        ];

        pub(crate) fn deal_from(r: &DbRow) -> Result<Deal> {
            const T: &str = "deals";
            let opt_u64 = |v: Option<i64>| v.map(|v| to_u64(v, T)).transpose();
            Ok(Deal {
                chain: r.try_get("chain")?,
                deal_id: to_u64(r.try_get("deal_id")?, T)?,
                kind: r.try_get("kind")?,
                seller: r.try_get("seller")?,
                buyer: r.try_get("buyer")?,
                merchant: r.try_get("merchant")?,
                amount: amount(r, "amount", T)?,
                state: r.try_get("state")?,
                payment_window: narrow(r.try_get::<i64, _>("payment_window")?, T)?,
                deadline: to_u64(r.try_get("deadline")?, T)?,
                order_ref: r.try_get("order_ref")?,
                order_id: opt_u64(r.try_get("order_id")?)?,
                opened_block: to_u64(r.try_get("opened_block")?, T)?,
                opened_time: r.try_get("opened_time")?,
                closed_block: opt_u64(r.try_get("closed_block")?)?,
                closed_time: r.try_get("closed_time")?,
                buyer_share_bps: r
                    .try_get::<Option<i64>, _>("buyer_share_bps")?
                    .map(|v| narrow(v, T))
                    .transpose()?,
                agent: r.try_get("agent")?,
                settled_amount: opt_amount(r, "settled_amount", T)?,
                buyer_net: opt_amount(r, "buyer_net", T)?,
                fee: opt_amount(r, "fee", T)?,
                agent_cut: opt_amount(r, "agent_cut", T)?,
                reward: opt_amount(r, "reward", T)?,
                platform: opt_amount(r, "platform", T)?,
                seller_refund: opt_amount(r, "seller_refund", T)?,
                fee_bps: narrow(r.try_get::<i64, _>("fee_bps")?, T)?,
                agent_share_bps: narrow(r.try_get::<i64, _>("agent_share_bps")?, T)?,
                reward_bps: narrow(r.try_get::<i64, _>("reward_bps")?, T)?,
                disputed_at: opt_u64(r.try_get("disputed_at")?)?,
            })
        }

        pub(crate) const ORDER_COLS: [&str; 13] = [
            "chain",
            "order_id",
            "merchant",
            "price",
            "currency",
            "amount",
            "remaining",
            "min_fill",
            "max_fill",
            "expiry",
            "payment_window",
            "open",
            "posted_block",
        ];
        pub(crate) const ORDER_AMOUNTS: [&str; 4] = ["amount", "remaining", "min_fill", "max_fill"];

        pub(crate) fn order_from(r: &DbRow) -> Result<BuyOrder> {
            const T: &str = "buy_orders";
            Ok(BuyOrder {
                chain: r.try_get("chain")?,
                order_id: to_u64(r.try_get("order_id")?, T)?,
                merchant: r.try_get("merchant")?,
                price: to_u64(r.try_get("price")?, T)?,
                currency: r.try_get("currency")?,
                amount: amount(r, "amount", T)?,
                remaining: amount(r, "remaining", T)?,
                min_fill: amount(r, "min_fill", T)?,
                max_fill: amount(r, "max_fill", T)?,
                expiry: to_u64(r.try_get("expiry")?, T)?,
                payment_window: narrow(r.try_get::<i64, _>("payment_window")?, T)?,
                open: r.try_get("open")?,
                posted_block: to_u64(r.try_get("posted_block")?, T)?,
            })
        }

        pub(crate) const VOLUME_COLS: [&str; 6] =
            ["chain", "address", "day", "amount", "count", "fees"];
        pub(crate) const VOLUME_AMOUNTS: [&str; 2] = ["amount", "fees"];

        pub(crate) fn volume_from(r: &DbRow) -> Result<MerchantDay> {
            Ok(MerchantDay {
                chain: r.try_get("chain")?,
                address: r.try_get("address")?,
                day: r.try_get("day")?,
                amount: amount(r, "amount", "daily_volume")?,
                count: to_u64(r.try_get("count")?, "daily_volume")?,
                fees: amount(r, "fees", "daily_volume")?,
            })
        }

        pub(crate) const COMMISSION_COLS: [&str; 9] = [
            "chain",
            "block_number",
            "log_index",
            "block_time",
            "deal_id",
            "agent",
            "merchant",
            "gross",
            "amount",
        ];
        pub(crate) const COMMISSION_AMOUNTS: [&str; 2] = ["gross", "amount"];

        pub(crate) fn commission_from(r: &DbRow) -> Result<AgentCommission> {
            const T: &str = "agent_commissions";
            Ok(AgentCommission {
                chain: r.try_get("chain")?,
                block_number: to_u64(r.try_get("block_number")?, T)?,
                log_index: to_u64(r.try_get("log_index")?, T)?,
                block_time: r.try_get("block_time")?,
                deal_id: to_u64(r.try_get("deal_id")?, T)?,
                agent: r.try_get("agent")?,
                merchant: r.try_get("merchant")?,
                gross: amount(r, "gross", T)?,
                amount: amount(r, "amount", T)?,
            })
        }
    };
}

pub(super) use sql;
