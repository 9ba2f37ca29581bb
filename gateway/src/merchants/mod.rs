//! Merchants: their receiving address (and escrow account) per chain and their bank
//! accounts, exactly one of which is designated for payouts.

use serde::Serialize;
use serde_json::Value;
use sqlx::Row;
use stablerail_indexer::ChainKind;

use crate::{
    config::Config,
    error::Result,
    input::Fields,
    problem::Problem,
    store::{Db, is_unique_violation, new_id, now_ms},
};

/// A merchant's address on one chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MerchantChain {
    /// The configured chain name.
    pub chain: String,
    /// Where invoices are paid.
    pub receiving: String,
    /// The merchant's escrow account (collections and payouts).
    pub escrow_account: Option<String>,
}

/// A bank account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BankAccount {
    /// Id.
    pub id: String,
    /// The merchant's name for it.
    pub label: String,
    /// Account holder.
    pub holder: String,
    /// Account number or IBAN.
    pub account: String,
    /// ISO 4217 currency.
    pub currency: String,
    /// The one payouts go to.
    pub payout: bool,
}

/// A merchant with its chains and bank accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Merchant {
    /// Id (`mer_...`).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Addresses per chain.
    pub chains: Vec<MerchantChain>,
    /// Bank accounts.
    pub bank_accounts: Vec<BankAccount>,
    /// Unix seconds.
    pub created_at: i64,
}

/// Checks an address of a chain of `kind` and returns the form the indexer stores
/// (EVM: lowercase `0x` hex; TRON: base58check; Solana: base58 of 32 bytes).
pub fn normalize_address(kind: ChainKind, input: &str) -> Option<String> {
    match kind {
        ChainKind::Evm => {
            let digits = input.strip_prefix("0x")?;
            if digits.len() != 40 || !digits.chars().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            Some(format!("0x{}", digits.to_ascii_lowercase()))
        }
        ChainKind::Tron => stablerail_sdk::tron::Address::from_base58(input)
            .ok()
            .map(|a| a.to_string()),
        ChainKind::Solana => kind.normalize_address(input).ok(),
    }
}

/// Validated input of a new merchant.
#[derive(Debug)]
pub struct NewMerchant {
    name: String,
    chains: Vec<MerchantChain>,
    banks: Vec<(String, String, String, String, bool)>,
}

impl NewMerchant {
    /// Reads `{name, chains: [{chain, receiving, escrow_account?}], bank_accounts:
    /// [{label, holder, account, currency, payout}]}`.
    pub fn from_json(config: &Config, v: &Value) -> Result<Self, Problem> {
        let f = Fields::of(v, "", &["name", "chains", "bank_accounts"])?;
        let name = f.str("name", 200)?.to_owned();
        let mut chains = Vec::new();
        for (i, c) in f.opt_array("chains")?.into_iter().flatten().enumerate() {
            let cf = Fields::of(
                c,
                &format!("chains[{i}]"),
                &["chain", "receiving", "escrow_account"],
            )?;
            let chain = cf.str("chain", 64)?;
            let kind = config
                .chain_kind(chain)
                .ok_or_else(|| Problem::field(cf.path("chain"), "not a configured chain"))?;
            if chains.iter().any(|x: &MerchantChain| x.chain == chain) {
                return Err(Problem::field(cf.path("chain"), "listed twice"));
            }
            let receiving =
                normalize_address(kind, cf.str("receiving", 100)?).ok_or_else(|| {
                    Problem::field(cf.path("receiving"), "not an address of this chain")
                })?;
            let escrow_account = match cf.opt_str("escrow_account")? {
                None => None,
                Some(a) => Some(normalize_address(kind, a).ok_or_else(|| {
                    Problem::field(cf.path("escrow_account"), "not an address of this chain")
                })?),
            };
            chains.push(MerchantChain {
                chain: chain.to_owned(),
                receiving,
                escrow_account,
            });
        }
        if chains.is_empty() {
            return Err(Problem::field("chains", "at least one chain is required"));
        }
        let mut banks = Vec::new();
        for (i, b) in f
            .opt_array("bank_accounts")?
            .into_iter()
            .flatten()
            .enumerate()
        {
            let bf = Fields::of(
                b,
                &format!("bank_accounts[{i}]"),
                &["label", "holder", "account", "currency", "payout"],
            )?;
            let currency = bf.str("currency", 3)?;
            if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(Problem::field(
                    bf.path("currency"),
                    "an ISO 4217 code such as EUR",
                ));
            }
            banks.push((
                bf.str("label", 100)?.to_owned(),
                bf.str("holder", 200)?.to_owned(),
                bf.str("account", 64)?.to_owned(),
                currency.to_owned(),
                bf.opt_bool("payout")?.unwrap_or(false),
            ));
        }
        let payout = banks.iter().filter(|b| b.4).count();
        if !banks.is_empty() && payout != 1 {
            return Err(Problem::field(
                "bank_accounts",
                format!("exactly one account must have payout = true ({payout} have)"),
            ));
        }
        Ok(Self {
            name,
            chains,
            banks,
        })
    }
}

/// Registers a merchant; a receiving address already used by another merchant is a
/// 409.
pub async fn create(db: &Db, m: &NewMerchant) -> Result<Merchant, Problem> {
    let id = new_id("mer");
    let now = now_ms();
    let mut tx = db.begin().await?;
    sqlx::query("INSERT INTO gw_merchants (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(&id)
        .bind(&m.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    for c in &m.chains {
        let r = sqlx::query(
            "INSERT INTO gw_merchant_chains (merchant_id, chain, receiving, escrow_account) VALUES ($1, $2, $3, $4)",
        )
        .bind(&id)
        .bind(&c.chain)
        .bind(&c.receiving)
        .bind(c.escrow_account.clone())
        .execute(&mut *tx)
        .await;
        match r {
            Err(e) if is_unique_violation(&e) => {
                return Err(Problem::conflict(
                    "address_taken",
                    format!("{} is another merchant's receiving address", c.receiving),
                ));
            }
            r => {
                r?;
            }
        }
    }
    for (label, holder, account, currency, payout) in &m.banks {
        sqlx::query(
            "INSERT INTO gw_bank_accounts (id, merchant_id, label, holder, account, currency, payout, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(new_id("bank"))
        .bind(&id)
        .bind(label)
        .bind(holder)
        .bind(account)
        .bind(currency)
        .bind(i64::from(*payout))
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    get(db, &id)
        .await?
        .ok_or_else(|| Problem::not_found("merchant"))
}

/// A merchant by id.
pub async fn get(db: &Db, id: &str) -> Result<Option<Merchant>> {
    let Some(row) = sqlx::query("SELECT id, name, created_at FROM gw_merchants WHERE id = $1")
        .bind(id)
        .fetch_optional(&db.pool)
        .await?
    else {
        return Ok(None);
    };
    let chains = sqlx::query(
        "SELECT chain, receiving, escrow_account FROM gw_merchant_chains WHERE merchant_id = $1 ORDER BY chain",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(MerchantChain {
            chain: r.try_get(0)?,
            receiving: r.try_get(1)?,
            escrow_account: r.try_get(2)?,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let bank_accounts = sqlx::query(
        "SELECT id, label, holder, account, currency, payout FROM gw_bank_accounts WHERE merchant_id = $1 ORDER BY created_at, id",
    )
    .bind(id)
    .fetch_all(&db.pool)
    .await?
    .into_iter()
    .map(|r| {
        Ok(BankAccount {
            id: r.try_get(0)?,
            label: r.try_get(1)?,
            holder: r.try_get(2)?,
            account: r.try_get(3)?,
            currency: r.try_get(4)?,
            payout: r.try_get::<i64, _>(5)? == 1,
        })
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Some(Merchant {
        id: row.try_get(0)?,
        name: row.try_get(1)?,
        chains,
        bank_accounts,
        created_at: row.try_get::<i64, _>(2)? / 1000,
    }))
}

/// The receiving address of a merchant on a chain.
pub async fn receiving(db: &Db, merchant_id: &str, chain: &str) -> Result<Option<String>> {
    let row = sqlx::query(
        "SELECT receiving FROM gw_merchant_chains WHERE merchant_id = $1 AND chain = $2",
    )
    .bind(merchant_id)
    .bind(chain)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}
