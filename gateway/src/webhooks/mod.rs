//! Webhooks (Standard Webhooks 1.0): endpoints per merchant with their own `whsec_`
//! secrets and event filters, the outbox written with each state change, and the
//! sender that delivers at least once with retries, a per-attempt log and
//! redelivery on request.

pub mod endpoints;
pub mod outbox;
pub mod sender;
pub mod target;
