#![doc = include_str!("../README.md")]
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used))]

pub mod api;
pub mod auth;
pub mod config;
pub mod cosigner;
pub mod dispatch;
mod error;
pub mod input;
pub mod invoices;
pub mod merchants;
pub mod orders;
pub mod problem;
pub mod risk;
mod service;
pub mod session;
pub mod state;
pub mod store;
pub mod totp;
pub mod web;
pub mod webhooks;

pub use config::Config;
pub use error::{Error, Result};
pub use service::{Gateway, GatewayOptions};
