//! What every list route answers: the same items as JSON or, with `format=csv`, as
//! CSV with the next page key in the `x-next-after` header.

use axum::{
    Json,
    http::header,
    response::{IntoResponse, Response},
};
use serde::Serialize;

use crate::store::{
    AgentCommission, BlacklistRecord, DailyVolume, Deal, MerchantDay, TransferRecord, VolumeBucket,
};

/// A record as one CSV row.
pub(super) trait CsvRow {
    /// The header row (column names, comma separated).
    const HEADER: &'static str;
    /// The fields, in [`CsvRow::HEADER`] order.
    fn csv_row(&self) -> Vec<String>;
}

/// The key of the next page: `key` of the last item when the page is full.
pub(super) fn next_key<T>(items: &[T], limit: u32, key: impl Fn(&T) -> String) -> Option<String> {
    (items.len() == limit as usize)
        .then(|| items.last().map(key))
        .flatten()
}

/// One CSV field (RFC 4180 quoting when needed).
fn csv_field(v: &str) -> String {
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

/// `items` as a CSV body, `next` (if any) in the `x-next-after` header.
pub(super) fn csv_response<T: CsvRow>(items: &[T], next: Option<&str>) -> Response {
    let mut body = String::from(T::HEADER);
    body.push('\n');
    for item in items {
        let line: Vec<String> = item.csv_row().iter().map(|f| csv_field(f)).collect();
        body.push_str(&line.join(","));
        body.push('\n');
    }
    let mut resp = ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], body).into_response();
    if let Some(n) = next
        && let Ok(v) = header::HeaderValue::from_str(n)
    {
        resp.headers_mut().insert("x-next-after", v);
    }
    resp
}

/// A page: CSV, or the JSON body `page` builds from the items and the next key.
pub(super) fn page_response<T: CsvRow, P: Serialize>(
    csv: bool,
    items: Vec<T>,
    next: Option<String>,
    page: impl FnOnce(Vec<T>, Option<String>) -> P,
) -> Response {
    if csv {
        return csv_response(&items, next.as_deref());
    }
    Json(page(items, next)).into_response()
}

/// A whole (unpaged) list: CSV, or a JSON array.
pub(super) fn list_response<T: CsvRow + Serialize>(csv: bool, items: Vec<T>) -> Response {
    if csv {
        return csv_response(&items, None);
    }
    Json(items).into_response()
}

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn opt_num<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl CsvRow for TransferRecord {
    const HEADER: &'static str =
        "chain,block_number,log_index,block_hash,block_time,tx_hash,token,from,to,amount,confirmed";
    fn csv_row(&self) -> Vec<String> {
        vec![
            self.chain.clone(),
            self.block_number.to_string(),
            self.log_index.to_string(),
            self.block_hash.clone(),
            self.block_time.to_string(),
            self.tx_hash.clone(),
            self.token.clone(),
            self.from.clone(),
            self.to.clone(),
            self.amount.clone(),
            self.confirmed.to_string(),
        ]
    }
}

impl CsvRow for DailyVolume {
    const HEADER: &'static str = "day,count,amount";
    fn csv_row(&self) -> Vec<String> {
        vec![
            self.day.to_string(),
            self.count.to_string(),
            self.amount.clone(),
        ]
    }
}

impl CsvRow for Deal {
    const HEADER: &'static str = "chain,deal_id,kind,seller,buyer,merchant,amount,state,payment_window,deadline,order_ref,order_id,opened_block,opened_time,closed_block,closed_time,buyer_share_bps,agent,settled_amount,buyer_net,fee,agent_cut,reward,platform,seller_refund";
    fn csv_row(&self) -> Vec<String> {
        vec![
            self.chain.clone(),
            self.deal_id.to_string(),
            self.kind.clone(),
            self.seller.clone(),
            opt(&self.buyer),
            self.merchant.clone(),
            self.amount.to_string(),
            self.state.clone(),
            self.payment_window.to_string(),
            self.deadline.to_string(),
            self.order_ref.clone(),
            opt_num(self.order_id),
            self.opened_block.to_string(),
            self.opened_time.to_string(),
            opt_num(self.closed_block),
            opt_num(self.closed_time),
            opt_num(self.buyer_share_bps),
            opt(&self.agent),
            opt_num(self.settled_amount),
            opt_num(self.buyer_net),
            opt_num(self.fee),
            opt_num(self.agent_cut),
            opt_num(self.reward),
            opt_num(self.platform),
            opt_num(self.seller_refund),
        ]
    }
}

impl CsvRow for AgentCommission {
    const HEADER: &'static str =
        "chain,block_number,log_index,block_time,deal_id,agent,merchant,gross,amount";
    fn csv_row(&self) -> Vec<String> {
        vec![
            self.chain.clone(),
            self.block_number.to_string(),
            self.log_index.to_string(),
            self.block_time.to_string(),
            self.deal_id.to_string(),
            self.agent.clone(),
            self.merchant.clone(),
            self.gross.to_string(),
            self.amount.to_string(),
        ]
    }
}

impl CsvRow for VolumeBucket {
    const HEADER: &'static str = "start,count,amount,fees";
    fn csv_row(&self) -> Vec<String> {
        vec![
            self.start.to_string(),
            self.count.to_string(),
            self.amount.to_string(),
            self.fees.to_string(),
        ]
    }
}

impl CsvRow for MerchantDay {
    const HEADER: &'static str = "day,count,amount,fees";
    fn csv_row(&self) -> Vec<String> {
        vec![
            self.day.to_string(),
            self.count.to_string(),
            self.amount.to_string(),
            self.fees.to_string(),
        ]
    }
}

impl CsvRow for BlacklistRecord {
    const HEADER: &'static str = "chain,block_number,log_index,block_hash,block_time,tx_hash,token,address,event,blacklisted,amount,confirmed";
    fn csv_row(&self) -> Vec<String> {
        vec![
            self.chain.clone(),
            self.block_number.to_string(),
            self.log_index.to_string(),
            self.block_hash.clone(),
            self.block_time.to_string(),
            self.tx_hash.clone(),
            self.token.clone(),
            self.address.clone(),
            self.event.clone(),
            self.blacklisted.to_string(),
            opt(&self.amount),
            self.confirmed.to_string(),
        ]
    }
}
