//! What a signed-in wallet may act as: the merchants registered in the gateway that
//! name the address (receiving address or escrow account), and the acceptor and
//! agent role bits of its escrow account on each chain (the indexer's derived
//! `escrow_accounts`; bits as the SDK's `Roles`, docs/rules.md "Roles"), and the
//! operator for the wallets the configuration names.

use sqlx::Row;
use stablerail_sdk::Roles;

use super::config::DashboardConfig;
use crate::{error::Result, store::Db};

/// One role of a wallet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Role {
    /// A merchant registered in the gateway.
    Merchant {
        /// Merchant id.
        id: String,
        /// Display name.
        name: String,
    },
    /// An acceptance merchant on `chain`.
    Acceptor {
        /// Chain name.
        chain: String,
    },
    /// An agent on `chain`.
    Agent {
        /// Chain name.
        chain: String,
    },
    /// The platform's operator (`dashboard.operators`).
    Operator,
}

impl Role {
    /// The key a session stores (`merchant:<id>`, `acceptor:<chain>`, `agent:<chain>`).
    pub fn key(&self) -> String {
        match self {
            Self::Merchant { id, .. } => format!("merchant:{id}"),
            Self::Acceptor { chain } => format!("acceptor:{chain}"),
            Self::Agent { chain } => format!("agent:{chain}"),
            Self::Operator => "operator".into(),
        }
    }

    /// What a person reads.
    pub fn label(&self) -> String {
        match self {
            Self::Merchant { name, .. } => format!("Merchant: {name}"),
            Self::Acceptor { chain } => format!("Acceptor on {chain}"),
            Self::Agent { chain } => format!("Agent on {chain}"),
            Self::Operator => "Operator".into(),
        }
    }
}

/// Every role of the wallet at `address` (stored form), merchants first, the
/// operator last.
pub async fn of(db: &Db, config: &DashboardConfig, address: &str) -> Result<Vec<Role>> {
    let mut roles = Vec::new();
    let merchants = sqlx::query(
        "SELECT DISTINCT m.id, m.name, m.created_at FROM gw_merchants m JOIN gw_merchant_chains c ON c.merchant_id = m.id WHERE c.receiving = $1 OR c.escrow_account = $1 ORDER BY m.created_at, m.id",
    )
    .bind(address)
    .fetch_all(&db.pool)
    .await?;
    for r in merchants {
        roles.push(Role::Merchant {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
        });
    }
    let accounts =
        sqlx::query("SELECT chain, roles FROM escrow_accounts WHERE address = $1 ORDER BY chain")
            .bind(address)
            .fetch_all(&db.pool)
            .await?;
    for r in accounts {
        let chain: String = r.try_get(0)?;
        let bits = u8::try_from(r.try_get::<i64, _>(1)?).unwrap_or(0);
        if bits & Roles::ACCEPTOR.0 != 0 {
            roles.push(Role::Acceptor {
                chain: chain.clone(),
            });
        }
        if bits & Roles::AGENT.0 != 0 {
            roles.push(Role::Agent { chain });
        }
    }
    if config.is_operator(address) {
        roles.push(Role::Operator);
    }
    Ok(roles)
}
