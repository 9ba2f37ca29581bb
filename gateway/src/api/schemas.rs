//! The request bodies as the OpenAPI document (`openapi.rs`) declares them. Requests
//! are read field by field (`input.rs`), so these types exist for the document only;
//! handlers name them in their `request_body`. Kept apart from the document, which
//! names the handlers, so neither imports the other's importers.

use serde::Deserialize;
use utoipa::ToSchema;

/// `POST /v1/invoices`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct InvoiceCreate {
    /// A configured chain name.
    chain: String,
    /// Exact decimal USDT amount, at most 6 decimals (`"12.50"`).
    #[schema(pattern = r"^[0-9]+(\.[0-9]{1,6})?$")]
    amount: String,
    /// Lifetime in seconds (1..=2592000).
    expiry_secs: Option<u64>,
    /// Free text (at most 500 characters).
    description: Option<String>,
    /// The merchant's JSON object (at most 4096 bytes).
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Value>,
    /// Where the checkout page sends the customer once paid.
    redirect_url: Option<String>,
}

/// `POST /v1/collections`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CollectionCreate {
    /// A configured chain with an escrow.
    chain: String,
    /// Exact decimal USDT amount.
    amount: String,
    /// Seconds the fiat side has (60..=86400).
    payment_window_secs: Option<u64>,
}

/// `POST /v1/payouts`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct PayoutCreate {
    /// A configured chain with an escrow.
    chain: String,
    /// An unassigned Payout deal opened by the merchant's escrow account.
    deal_id: u64,
}

/// `POST /v1/webhooks`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct WebhookCreate {
    /// http(s) URL on a public address.
    url: String,
    /// Event types, `invoice.*`, `collection.*`, `payout.*` or `*`; empty = all.
    events: Option<Vec<String>>,
}

/// One chain of a new merchant.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct MerchantChainCreate {
    /// A configured chain.
    chain: String,
    /// Where invoices are paid.
    receiving: String,
    /// The merchant's escrow account.
    escrow_account: Option<String>,
}

/// One bank account of a new merchant.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct BankAccountCreate {
    /// The merchant's name for it.
    label: String,
    /// Holder.
    holder: String,
    /// Number or IBAN.
    account: String,
    /// ISO 4217.
    currency: String,
    /// Exactly one account has `true`.
    payout: Option<bool>,
}

/// `POST /admin/merchants`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct MerchantCreate {
    /// Display name.
    name: String,
    /// At least one chain.
    chains: Vec<MerchantChainCreate>,
    /// Bank accounts.
    bank_accounts: Option<Vec<BankAccountCreate>>,
}

/// `POST /admin/merchants/{id}/api-keys`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct KeyCreate {
    /// A label.
    name: Option<String>,
}

/// `POST /admin/acceptors`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct AcceptorCreate {
    /// A configured chain.
    chain: String,
    /// The acceptor's escrow address on that chain.
    address: String,
    /// Display name.
    name: Option<String>,
    /// Fiat currencies it serves (ISO 4217); empty or absent: all.
    currencies: Option<Vec<String>>,
    /// Smallest order it takes (decimal USDT).
    min_amount: Option<String>,
    /// Largest order it takes (decimal USDT; absent: no limit besides its own on chain).
    max_amount: Option<String>,
    /// Static priority, lower first (strategy `priority`).
    priority: Option<u32>,
    /// Target share of volume in bps, 0..=10000 (strategy `volume_split`).
    target_share_bps: Option<u32>,
    /// Target volume per period (decimal USDT; strategy `contract`).
    target_volume: Option<String>,
}

/// `POST /admin/risk/alerts/{id}/acknowledge`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct AlertAcknowledge {
    /// Who acknowledges (an operator's name or wallet).
    by: String,
    /// Optional remark (at most 2000 characters).
    note: Option<String>,
}

/// `POST /admin/risk/alerts/{id}/close`.
#[derive(Debug, Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct AlertClose {
    /// Who closes it.
    by: String,
    /// Why (required, at most 2000 characters).
    note: String,
}
