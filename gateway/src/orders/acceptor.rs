//! Which acceptor gets an order. The dispatcher (a later part) implements
//! [`AcceptorSelector`] with scoring, limits and exploration; until then
//! [`MostCollateral`] picks an eligible acceptor from the indexer's derived accounts.

use std::future::Future;

use sqlx::Row;

use crate::{error::Result, store::Db};

/// The acceptor role bit of an escrow account (the SDK's `Roles::ACCEPTOR`).
const ROLE_ACCEPTOR: i64 = 2;

/// What the choice is about.
#[derive(Debug, Clone)]
pub struct OrderAsk<'a> {
    /// `collection` or `payout`.
    pub kind: &'a str,
    /// Chain name.
    pub chain: &'a str,
    /// Smallest units.
    pub amount: u64,
}

/// Chooses an acceptor for an order.
pub trait AcceptorSelector: Send + Sync {
    /// The chosen acceptor's address, or `None` if nobody is eligible now.
    fn choose(
        &self,
        db: &Db,
        ask: &OrderAsk<'_>,
    ) -> impl Future<Output = Result<Option<String>>> + Send;
}

/// The eligible acceptor (acceptor role, KYC recorded, enough free collateral for a
/// collection) with the most available collateral.
#[derive(Debug, Clone, Copy, Default)]
pub struct MostCollateral;

impl AcceptorSelector for MostCollateral {
    async fn choose(&self, db: &Db, ask: &OrderAsk<'_>) -> Result<Option<String>> {
        let rows = sqlx::query(
            "SELECT address, CAST(available AS TEXT), CAST(roles AS BIGINT), CAST(kyc_level AS BIGINT) FROM escrow_accounts WHERE chain = $1",
        )
        .bind(ask.chain)
        .fetch_all(&db.pool)
        .await?;
        let mut best: Option<(u128, String)> = None;
        for r in &rows {
            let roles: i64 = r.try_get(2)?;
            let kyc: i64 = r.try_get(3)?;
            if roles & ROLE_ACCEPTOR == 0 || kyc == 0 {
                continue;
            }
            let available: u128 = r.try_get::<String, _>(1)?.parse().unwrap_or(0);
            if ask.kind == "collection" && available < u128::from(ask.amount) {
                continue;
            }
            if best.as_ref().is_none_or(|(b, _)| available > *b) {
                best = Some((available, r.try_get(0)?));
            }
        }
        Ok(best.map(|(_, a)| a))
    }
}
