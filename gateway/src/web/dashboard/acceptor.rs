//! The acceptor's page (its escrow account and limits, the deals assigned to it with
//! their deadlines counting down and the one action each needs as the exact
//! `stablerail` command, and the bank details of payouts assigned to it) and the
//! agent's page (its referred merchants and their volume, its commissions per day,
//! its current and next commission tier). Data from the indexer's
//! derived `escrow_accounts` and `deals` (docs/rules.md "Deals").

use axum::response::IntoResponse;
use sqlx::Row;
use stablerail_indexer::ChainKind;

use super::{Ctx, PageResult, dispatch_view, html, html::escape, tiers};

fn text_units(s: &str) -> String {
    s.parse::<u128>()
        .map(html::usdt)
        .unwrap_or_else(|_| s.to_owned())
}

/// What the acceptor must do next on a deal: (what, command), or `None` when it
/// waits for the other party or the arbiter.
fn next_action(
    ctx: &Ctx,
    chain: &str,
    deal_id: i64,
    acceptor_is_seller: bool,
    state: &str,
) -> Option<(&'static str, String)> {
    let (what, verb) = match (acceptor_is_seller, state) {
        // Collection: the customer pays the acceptor in fiat; then the acceptor
        // releases the USDT to the merchant.
        (true, "open" | "paid") => (
            "When the customer's fiat has arrived, release the deal",
            "release",
        ),
        // Payout: the acceptor pays the merchant's bank, then marks the deal paid.
        (false, "open") => (
            "Pay the bank account below, then mark the deal paid",
            "mark-paid",
        ),
        _ => return None,
    };
    Some((
        what,
        cli_command(ctx, chain, &format!("deal {verb} --deal {deal_id}"))?,
    ))
}

/// `stablerail <chain kind> escrow <action>` with the chain's node and escrow (the
/// Solana CLI takes its options after the subcommand, and sends with `--send`).
fn cli_command(ctx: &Ctx, chain: &str, action: &str) -> Option<String> {
    let c = ctx.app.config.indexer.chains.get(chain)?;
    let escrow = c.escrow.clone().unwrap_or_default();
    let node = c.rpc_urls.first().cloned().unwrap_or_default();
    let key = "--key-file <your key file>";
    Some(match c.kind {
        ChainKind::Evm => {
            format!("stablerail evm escrow --rpc-url {node} --escrow {escrow} {key} {action}")
        }
        ChainKind::Tron => {
            format!("stablerail tron escrow --node {node} --escrow {escrow} {key} {action}")
        }
        ChainKind::Solana => format!(
            "stablerail solana escrow {action} --config {escrow} --rpc-url {node} {key} --send"
        ),
    })
}

/// `GET /dashboard` as an acceptor on `chain`.
pub(super) async fn acceptor(ctx: Ctx, chain: &str) -> PageResult {
    let db = &ctx.app.db;
    let addr = &ctx.session.address;
    // `online` is BOOLEAN on PostgreSQL and INTEGER on SQLite: read as 0/1.
    let account = sqlx::query(
        "SELECT CAST(available AS TEXT), CAST(locked AS TEXT), CAST(CASE WHEN online THEN 1 ELSE 0 END AS BIGINT), CAST(max_per_deal AS TEXT), CAST(max_locked AS TEXT) FROM escrow_accounts WHERE chain = $1 AND address = $2",
    )
    .bind(chain)
    .bind(addr)
    .fetch_optional(&db.pool)
    .await?;
    let account_html = match account {
        Some(r) => {
            let online = r.try_get::<i64, _>(2)? == 1;
            let (max_deal, max_locked) = (
                text_units(&r.try_get::<String, _>(3)?),
                text_units(&r.try_get::<String, _>(4)?),
            );
            // The online switch and the limits: the exact command of the chain's CLI.
            let solana =
                ctx.app.config.indexer.chains.get(chain).map(|c| c.kind) == Some(ChainKind::Solana);
            let action = match (solana, online) {
                (true, true) => "acceptor set-limits --offline".to_owned(),
                (true, false) => format!(
                    "acceptor set-limits --max-per-deal {max_deal} --max-locked {max_locked}"
                ),
                (false, _) => format!(
                    "acceptor set-limits --online {} --max-per-deal {max_deal} --max-locked {max_locked}",
                    !online
                ),
            };
            let switch = match cli_command(&ctx, chain, &action) {
                Some(cmd) => format!(
                    r#"<p>{what}:</p><pre class="cmd"><code id="online-switch">{cmd}</code></pre>"#,
                    what = if online { "Go offline" } else { "Go online" },
                    cmd = escape(&cmd),
                ),
                None => String::new(),
            };
            format!(
                r#"<dl class="facts"><dt>Available collateral</dt><dd>{} USDT</dd><dt>Locked in deals</dt><dd>{} USDT</dd><dt>Online</dt><dd id="online">{}</dd><dt>Largest deal</dt><dd>{max_deal} USDT</dd><dt>Most locked in total</dt><dd>{max_locked} USDT</dd></dl>{switch}"#,
                text_units(&r.try_get::<String, _>(0)?),
                text_units(&r.try_get::<String, _>(1)?),
                if online { "yes" } else { "no" },
            )
        }
        None => "<p>No escrow account on this chain.</p>".into(),
    };
    let deals = sqlx::query(
        "SELECT deal_id, kind, seller, buyer, CAST(amount AS TEXT), state, deadline FROM deals WHERE chain = $1 AND (seller = $2 OR buyer = $2) AND state IN ('open', 'paid', 'disputed') ORDER BY deadline, deal_id",
    )
    .bind(chain)
    .bind(addr)
    .fetch_all(&db.pool)
    .await?;
    let mut rows = String::new();
    for d in deals {
        let deal_id: i64 = d.try_get(0)?;
        let kind: String = d.try_get(1)?;
        let seller: String = d.try_get(2)?;
        let state: String = d.try_get(5)?;
        let deadline: i64 = d.try_get(6)?;
        let is_seller = &seller == addr;
        let action = match next_action(&ctx, chain, deal_id, is_seller, &state) {
            Some((what, cmd)) => format!(
                r#"{what}:<pre class="cmd"><code>{}</code></pre>"#,
                escape(&cmd)
            ),
            None => "Waiting for the other party or the arbiter.".into(),
        };
        // Bank details only of a payout assigned to this acceptor.
        let bank = if is_seller {
            String::new()
        } else {
            sqlx::query(
                "SELECT b.holder, b.account, b.currency FROM gw_orders o JOIN gw_bank_accounts b ON b.id = o.bank_account_id WHERE o.chain = $1 AND o.deal_id = $2 AND o.kind = 'payout' AND o.acceptor = $3",
            )
            .bind(chain)
            .bind(deal_id)
            .bind(addr)
            .fetch_optional(&db.pool)
            .await?
            .map(|b| {
                Ok::<_, sqlx::Error>(format!(
                    "<p>Pay to <strong>{}</strong>, account <code>{}</code> ({})</p>",
                    escape(&b.try_get::<String, _>(0)?),
                    escape(&b.try_get::<String, _>(1)?),
                    escape(&b.try_get::<String, _>(2)?)
                ))
            })
            .transpose()?
            .unwrap_or_default()
        };
        rows.push_str(&format!(
            r#"<tr><td>{deal_id}</td><td>{kind}</td><td class="num">{amount}</td><td>{state}</td><td><time class="countdown" data-deadline="{deadline}">{until}</time></td><td>{action}{bank}</td></tr>"#,
            kind = escape(&kind),
            amount = text_units(&d.try_get::<String, _>(4)?),
            state = escape(&state),
            until = html::time_ms(deadline.saturating_mul(1000)),
        ));
    }
    // Its standing with the dispatcher, as the order loop would see it now.
    let names = dispatch_view::names(&ctx.app).await?;
    let standing = match names.contains_key(&(chain.to_owned(), addr.clone())) {
        true => {
            let probe = dispatch_view::probe(&ctx.app, chain).await?;
            dispatch_view::standing_table(
                "standing",
                &dispatch_view::standing_rows(chain, &probe, &names, Some(addr)),
            )
        }
        false => {
            "<p>Not registered with this gateway's dispatcher: it assigns you no orders.</p>".into()
        }
    };
    let body = format!(
        r#"<h1>Acceptor on {chain}</h1>
{account_html}
<h2>Standing with the dispatcher</h2>
{standing}
<h2>Assigned deals</h2>
<div class="scroll"><table id="deals"><thead><tr><th scope="col">Deal</th><th scope="col">Kind</th><th scope="col">Amount</th><th scope="col">State</th><th scope="col">Deadline</th><th scope="col">Next action</th></tr></thead><tbody>{rows}</tbody></table></div>"#,
        chain = escape(chain),
    );
    Ok(html::layout("Acceptor", Some(&ctx), &body).into_response())
}

/// `GET /dashboard` as an agent on `chain`: its referred merchants' volume.
pub(super) async fn agent(ctx: Ctx, chain: &str) -> PageResult {
    let db = &ctx.app.db;
    let addr = &ctx.session.address;
    let own = sqlx::query(
        "SELECT CAST(agent_volume AS TEXT) FROM escrow_accounts WHERE chain = $1 AND address = $2",
    )
    .bind(chain)
    .bind(addr)
    .fetch_optional(&db.pool)
    .await?
    .map(|r| r.try_get::<String, _>(0))
    .transpose()?
    .unwrap_or_else(|| "0".into());
    // Its share tier: the agent table of the escrow's schedule, by referred volume
    // (which saturates at 2^64 - 1, docs/rules.md "Fee rates").
    let schedule: Option<String> =
        sqlx::query("SELECT fee_schedule FROM escrow_settings WHERE chain = $1")
            .bind(chain)
            .fetch_optional(&db.pool)
            .await?
            .map(|r| r.try_get::<Option<String>, _>(0))
            .transpose()?
            .flatten();
    let volume = own
        .parse::<u128>()
        .map_or(0, |v| u64::try_from(v).unwrap_or(u64::MAX));
    let tier = match schedule
        .as_deref()
        .and_then(tiers::agent_tiers)
        .and_then(|t| tiers::progress(&t, volume))
    {
        Some(p) => tiers::render("agent-tier", &p, "of the fee"),
        None => r#"<p id="agent-tier">The escrow's fee schedule is not indexed yet.</p>"#.into(),
    };
    let merchants = sqlx::query(
        "SELECT address, CAST(merchant_volume AS TEXT) FROM escrow_accounts WHERE chain = $1 AND agent = $2 ORDER BY address",
    )
    .bind(chain)
    .bind(addr)
    .fetch_all(&db.pool)
    .await?;
    let rows: String = merchants
        .iter()
        .map(|m| {
            Ok::<_, sqlx::Error>(format!(
                r#"<tr><td><code>{}</code></td><td class="num">{}</td></tr>"#,
                escape(&m.try_get::<String, _>(0)?),
                text_units(&m.try_get::<String, _>(1)?)
            ))
        })
        .collect::<Result<_, _>>()?;
    // Commissions per day, the last 14 days (block time, UTC).
    let days = html::last_days(14);
    let first = days.first().map(|d| d.0).unwrap_or(0);
    let mut per_day: Vec<(String, u128)> = days.iter().map(|d| (d.1.clone(), 0)).collect();
    for r in sqlx::query(
        "SELECT block_time, CAST(amount AS TEXT) FROM agent_commissions WHERE chain = $1 AND agent = $2 AND block_time >= $3",
    )
    .bind(chain)
    .bind(addr)
    .bind(first * 86_400)
    .fetch_all(&db.pool)
    .await?
    {
        let day = r.try_get::<i64, _>(0)? / 86_400;
        if let Some(i) = days.iter().position(|d| d.0 == day) {
            per_day[i].1 += r.try_get::<String, _>(1)?.parse::<u128>().unwrap_or(0);
        }
    }
    let body = format!(
        r#"<h1>Agent on {chain}</h1>
<p>Volume of your referred merchants: <strong id="agent-volume">{vol}</strong> USDT.</p>
<h2>Your commission tier</h2>
{tier}
<h2>Commissions</h2>
{chart}
<h2>Referred merchants</h2>
<div class="scroll"><table id="referred"><thead><tr><th scope="col">Merchant</th><th scope="col">Volume (USDT)</th></tr></thead><tbody>{rows}</tbody></table></div>"#,
        chain = escape(chain),
        vol = text_units(&own),
        chart = html::bar_chart(
            "commission-chart",
            "Your commissions per day (USDT), last 14 days",
            &per_day
        ),
    );
    Ok(html::layout("Agent", Some(&ctx), &body).into_response())
}
