//! `/dashboard/co-signer`: the gateway as the co-signer of the signed-in wallet's
//! escrow account (`cosigner`): its address and the exact command that names it,
//! and the approval of an outflow beyond the day's allowance after a fresh TOTP code,
//! given back as the exact command to send (docs/rules.md "Co-signer and daily
//! allowance"). On Solana the approval is the outflow transaction itself, built and
//! co-signed by the gateway, with the command that adds the owner's signature.

use std::collections::HashMap;

use axum::{Form, response::IntoResponse};
use sqlx::Row;
use stablerail_indexer::ChainKind;
use stablerail_sdk::Amount;

use super::{Ctx, PageError, PageResult, fresh_code, html, html::escape};
use crate::{
    cosigner::{CoSignError, CoSigner, Outflow, SolanaCoSigner, co_signs_on, co_signs_on_solana},
    session::message::WalletKind,
};

/// How long an approval stays valid (chain time).
const VALID_SECS: u64 = 3_600;

/// The chains of `kind` the gateway co-signs on.
fn chains(ctx: &Ctx, kind: ChainKind) -> Vec<String> {
    ctx.app
        .config
        .indexer
        .chains
        .iter()
        .filter(|(_, c)| c.kind == kind && (co_signs_on(c) || co_signs_on_solana(c)))
        .map(|(n, _)| n.clone())
        .collect()
}

/// The CLI command prefix that acts on `chain`'s escrow (`evm escrow` or `tron escrow`).
fn prefix(ctx: &Ctx, chain: &str) -> String {
    let c = ctx.app.config.indexer.chains.get(chain);
    let url = c
        .and_then(|c| c.rpc_urls.first().cloned())
        .unwrap_or_default();
    let escrow = c.and_then(|c| c.escrow.clone()).unwrap_or_default();
    match c.map(|c| c.kind) {
        Some(ChainKind::Tron) => format!(
            "stablerail tron escrow --node {url} --escrow {escrow} --key-file <your key file>"
        ),
        _ => format!(
            "stablerail evm escrow --rpc-url {url} --escrow {escrow} --key-file <your key file>"
        ),
    }
}

fn co_signer(ctx: &Ctx) -> Result<CoSigner, PageError> {
    CoSigner::from_key_file(ctx.app.config.dashboard.co_signer_key_file.as_deref())
        .map_err(|e| {
            tracing::error!(error = %e, "co-signer key");
            PageError::Internal
        })?
        .ok_or_else(|| PageError::Forbidden("This gateway offers no co-signing.".into()))
}

fn solana_co_signer(ctx: &Ctx) -> Result<SolanaCoSigner, PageError> {
    SolanaCoSigner::from_key_file(
        ctx.app
            .config
            .dashboard
            .co_signer_solana_key_file
            .as_deref(),
    )
    .map_err(|e| {
        tracing::error!(error = %e, "Solana co-signer key");
        PageError::Internal
    })?
    .ok_or_else(|| PageError::Forbidden("This gateway offers no co-signing on Solana.".into()))
}

/// The kind of chain the signed-in wallet co-signs on: its own.
fn owner_kind(ctx: &Ctx) -> ChainKind {
    match ctx.session.kind {
        WalletKind::Evm => ChainKind::Evm,
        WalletKind::Tron => ChainKind::Tron,
        WalletKind::Solana => ChainKind::Solana,
    }
}

/// The gateway's co-signer address in `kind`'s form, if a key serves that kind.
fn gateway_address(ctx: &Ctx, kind: ChainKind) -> Result<String, PageError> {
    Ok(match kind {
        ChainKind::Solana => solana_co_signer(ctx)?.address().to_string(),
        _ => co_signer(ctx)?.address_on(kind),
    })
}

/// The command naming `gw` as co-signer on `chain`.
fn name_command(ctx: &Ctx, chain: &str, gw: &str) -> String {
    let c = ctx.app.config.indexer.chains.get(chain);
    if c.map(|c| c.kind) == Some(ChainKind::Solana) {
        let url = c
            .and_then(|c| c.rpc_urls.first().cloned())
            .unwrap_or_default();
        let config = c.and_then(|c| c.escrow.clone()).unwrap_or_default();
        return format!(
            "stablerail solana escrow co-signer set --rpc-url {url} --config {config} --key-file <your key file> --co-signer {gw} --daily-allowance <USDT per day> --send"
        );
    }
    format!(
        "{} co-signer set --co-signer {gw} --allowance <USDT per day>",
        prefix(ctx, chain)
    )
}

/// `GET /dashboard/co-signer`.
pub(super) async fn page(ctx: Ctx) -> PageResult {
    let kind = owner_kind(&ctx);
    let gw = gateway_address(&ctx, kind)?;
    let mut rows = String::new();
    for r in sqlx::query(
        "SELECT chain, co_signer, CAST(daily_allowance AS TEXT) FROM escrow_accounts WHERE address = $1 ORDER BY chain",
    )
    .bind(&ctx.session.address)
    .fetch_all(&ctx.app.db.pool)
    .await?
    {
        let chain: String = r.try_get(0)?;
        let current: Option<String> = r.try_get(1)?;
        let allowance: String = r.try_get(2)?;
        // EVM addresses compare case-insensitively; base58 (TRON, Solana) exactly.
        let ours = current.as_deref().is_some_and(|c| match kind {
            ChainKind::Tron | ChainKind::Solana => c == gw,
            _ => c.eq_ignore_ascii_case(&gw),
        });
        rows.push_str(&format!(
            r#"<tr><td>{chain}</td><td><code>{cur}</code>{ours}</td><td class="num">{allow}</td></tr>"#,
            chain = escape(&chain),
            cur = escape(current.as_deref().unwrap_or("none")),
            ours = if ours { " (this gateway)" } else { "" },
            allow = escape(&allowance.parse::<u128>().map(html::usdt).unwrap_or(allowance)),
        ));
    }
    let chains = chains(&ctx, kind);
    let first = chains.first().cloned().unwrap_or_default();
    let options: String = chains
        .iter()
        .map(|c| format!(r#"<option value="{c}">{c}</option>"#, c = escape(c)))
        .collect();
    let body = format!(
        r#"<h1>Co-signer</h1>
<p>This gateway can be your escrow account's co-signer (second factor on chain): outflows beyond your daily allowance then need its approval, which it gives only to you, signed in here, with a fresh authentication code.</p>
<p>The gateway's co-signer address: <code id="co-signer-address">{gw}</code></p>
<p>Name it, with the daily allowance you choose:</p>
<pre class="cmd"><code>{name_cmd}</code></pre>
<div class="scroll"><table id="accounts"><thead><tr><th scope="col">Chain</th><th scope="col">Co-signer</th><th scope="col">Daily allowance (USDT)</th></tr></thead><tbody>{rows}</tbody></table></div>
<h2>Approve an outflow</h2>
<form method="post" action="/dashboard/co-signer" id="co-sign">{csrf}
<label for="cs-chain">Chain</label> <select id="cs-chain" name="chain">{options}</select>
<fieldset><legend>Outflow</legend>
<label><input type="radio" name="action" value="withdraw" checked> Withdraw an amount</label>
<label><input type="radio" name="action" value="release"> Release a deal (as seller)</label>
</fieldset>
<label for="cs-amount">Amount (USDT)</label> <input id="cs-amount" name="amount" inputmode="decimal">
<label for="cs-deal">Deal</label> <input id="cs-deal" name="deal" inputmode="numeric">
{code}
<button type="submit" id="co-sign-submit">Approve</button></form>"#,
        name_cmd = escape(&name_command(&ctx, &first, &gw)),
        csrf = html::csrf_input(&ctx),
        code = html::code_input("cs-code"),
    );
    Ok(html::layout("Co-signer", Some(&ctx), &body).into_response())
}

/// `POST /dashboard/co-signer`: approves one outflow (fresh TOTP code).
pub(super) async fn approve(ctx: Ctx, Form(form): Form<HashMap<String, String>>) -> PageResult {
    ctx.check_csrf(&form)?;
    let kind = owner_kind(&ctx);
    // The key of the wallet's kind must exist before anything else is looked at.
    gateway_address(&ctx, kind)?;
    let chain = form.get("chain").cloned().unwrap_or_default();
    if !chains(&ctx, kind).contains(&chain) {
        return Err(PageError::BadRequest(format!(
            "Choose a {} chain with an escrow.",
            match kind {
                ChainKind::Tron => "TRON",
                ChainKind::Solana => "Solana",
                ChainKind::Evm => "EVM",
            }
        )));
    }
    let field = |k: &str| form.get(k).map(|s| s.trim()).unwrap_or("");
    let (outflow, verb) = match field("action") {
        "withdraw" => {
            let amount = Amount::parse(field("amount"))
                .ok()
                .filter(|a| !a.is_zero())
                .ok_or_else(|| {
                    PageError::BadRequest(
                        "The amount must be a positive USDT amount with at most 6 decimals.".into(),
                    )
                })?;
            (
                Outflow::Withdraw(amount),
                format!("account withdraw --amount {amount}"),
            )
        }
        "release" => {
            let deal: u64 = field("deal")
                .parse()
                .map_err(|_| PageError::BadRequest("The deal must be a deal id.".into()))?;
            (
                Outflow::Release(deal),
                format!("deal release --deal {deal}"),
            )
        }
        _ => return Err(PageError::BadRequest("Choose withdraw or release.".into())),
    };
    fresh_code(&ctx, &form).await?;
    if kind == ChainKind::Solana {
        return solana_approve(&ctx, &chain, outflow).await;
    }
    let cs = co_signer(&ctx)?;
    let approval = match cs
        .approve(
            &ctx.app.config.indexer,
            &chain,
            &ctx.session.address,
            outflow,
            VALID_SECS,
        )
        .await
    {
        Ok(a) => a,
        Err(CoSignError::Escrow(m)) => {
            return Err(PageError::Forbidden(format!(
                "The gateway did not co-sign: {m}"
            )));
        }
        Err(e) => {
            tracing::error!(error = %e, "co-signing");
            return Err(PageError::Internal);
        }
    };
    let cmd = format!(
        "{} {verb} --co-signature {} --co-deadline {}",
        prefix(&ctx, &chain),
        approval.signature,
        approval.deadline
    );
    let body = format!(
        r#"<h1>Approved</h1>
<p>Send the outflow before the deadline (Unix time <span id="co-deadline">{deadline}</span>, chain time), with this approval:</p>
<p>Signature: <code id="co-signature">{sig}</code></p>
<pre class="cmd"><code id="co-command">{cmd}</code></pre>
<p><a href="/dashboard/co-signer">Back</a></p>"#,
        deadline = approval.deadline,
        sig = escape(&approval.signature),
        cmd = escape(&cmd),
    );
    Ok(html::layout("Co-signer approval", Some(&ctx), &body).into_response())
}

/// The Solana half of `POST /dashboard/co-signer`, after the fresh code: the
/// gateway builds the outflow, co-signs it, and hands it back with the command
/// that adds the owner's signature and sends it.
async fn solana_approve(ctx: &Ctx, chain: &str, outflow: Outflow) -> PageResult {
    let cs = solana_co_signer(ctx)?;
    let signed = match cs
        .co_sign(
            &ctx.app.config.indexer,
            chain,
            &ctx.session.address,
            outflow,
        )
        .await
    {
        Ok(s) => s,
        Err(CoSignError::Escrow(m)) => {
            return Err(PageError::Forbidden(format!(
                "The gateway did not co-sign: {m}"
            )));
        }
        Err(e) => {
            tracing::error!(error = %e, "co-signing on Solana");
            return Err(PageError::Internal);
        }
    };
    let what = match outflow {
        Outflow::Withdraw(amount) => format!("the withdrawal of {amount} USDT"),
        Outflow::Release(deal) => format!("the release of deal {deal}"),
    };
    let cmd = format!(
        "stablerail solana escrow co-signer send --rpc-url {} --key-file <your key file> --last-valid-block-height {} --send --transaction {}",
        signed.rpc_url, signed.last_valid_block_height, signed.transaction_base64
    );
    let body = format!(
        r#"<h1>Co-signed</h1>
<p>The gateway built {what}, paid by you, and signed it as your co-signer. Add your signature and send it before block height <span id="co-expires">{height}</span> (run it without <code>--send</code> first to see what it does):</p>
<pre class="cmd"><code id="co-command">{cmd}</code></pre>
<p>The transaction (base64, your signature slot empty):</p>
<pre class="cmd"><code id="co-transaction">{tx}</code></pre>
<p><a href="/dashboard/co-signer">Back</a></p>"#,
        what = escape(&what),
        height = signed.last_valid_block_height,
        cmd = escape(&cmd),
        tx = escape(&signed.transaction_base64),
    );
    Ok(html::layout("Co-signed transaction", Some(ctx), &body).into_response())
}
