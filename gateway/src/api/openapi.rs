//! The OpenAPI document (`GET /openapi.json`): every route with its parameters,
//! request body shape and answers. Request bodies are read field by field
//! (`input.rs`), so these schemas exist for the document only.

use serde::Deserialize;
use utoipa::{
    Modify, OpenApi, ToSchema,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

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

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "acceptor_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "stablerail-gateway", description = "Invoices paid by a plain USDT transfer, collections and payouts through acceptors, Standard Webhooks."),
    paths(
        super::merchants::me,
        super::merchants::create,
        super::merchants::create_key,
        super::keys::list_merchant_keys,
        super::keys::revoke_merchant_key,
        super::invoices::create,
        super::invoices::list,
        super::invoices::get,
        super::invoices::cancel,
        super::orders::create_collection,
        super::orders::list_collections,
        super::orders::get_collection,
        super::orders::cancel_collection,
        super::orders::create_payout,
        super::orders::list_payouts,
        super::orders::get_payout,
        super::orders::cancel_payout,
        super::webhooks::create,
        super::webhooks::list,
        super::webhooks::get,
        super::webhooks::disable,
        super::webhooks::rotate,
        super::webhooks::test,
        super::webhooks::deliveries,
        super::webhooks::delivery,
        super::webhooks::redeliver,
        super::dispatch::collection_decisions,
        super::dispatch::payout_decisions,
        super::dispatch::admin_decisions,
        super::dispatch::create_acceptor,
        super::dispatch::create_acceptor_key,
        super::keys::list_acceptor_keys,
        super::keys::revoke_acceptor_key,
        super::acceptor::get_me,
        super::acceptor::online,
        super::acceptor::offline,
        super::acceptor::heartbeat,
        super::acceptor::orders,
        super::acceptor::accept,
        super::acceptor::decline,
        super::risk::list,
        super::risk::get,
        super::risk::acknowledge,
        super::risk::close,
        super::risk::reload_screening,
        super::risk::treasury,
        super::risk::create_webhook,
        super::risk::list_webhooks,
        super::risk::webhook_deliveries,
        super::risk::merchant_report,
        super::risk::platform_report,
    ),
    components(schemas(InvoiceCreate, CollectionCreate, PayoutCreate, WebhookCreate, MerchantCreate, MerchantChainCreate, BankAccountCreate, KeyCreate, AcceptorCreate, AlertAcknowledge, AlertClose)),
    modifiers(&Security)
)]
struct ApiDoc;

/// The OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
