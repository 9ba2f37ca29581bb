//! The OpenAPI document (`GET /openapi.json`): every route with its parameters,
//! request body shape (`schemas.rs`) and answers.

use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

use super::schemas::{
    AcceptorCreate, AlertAcknowledge, AlertClose, BankAccountCreate, CollectionCreate,
    InvoiceCreate, KeyCreate, MerchantChainCreate, MerchantCreate, PayoutCreate, WebhookCreate,
};

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
