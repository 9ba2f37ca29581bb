//! The page frame (navigation, role switch, sign-out) and small formatting helpers
//! shared by the dashboard pages.

use axum::response::Html;
use time::{OffsetDateTime, macros::format_description};

use super::Ctx;
use crate::session::roles::Role;
pub use crate::web::escape;

/// A whole page: `title`, the navigation of the signed-in `ctx` (if any), `body`.
pub(super) fn layout(title: &str, ctx: Option<&Ctx>, body: &str) -> Html<String> {
    let nav = ctx.map(nav).unwrap_or_default();
    Html(format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · stablerail</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script src="/assets/dashboard.js" defer></script>
</head>
<body>
{nav}<main id="main">
{body}
</main>
</body>
</html>
"#,
        title = escape(title),
    ))
}

fn nav(ctx: &Ctx) -> String {
    let csrf = ctx.csrf();
    let mut links = vec![("/dashboard", "Overview")];
    if matches!(ctx.role, Some(Role::Merchant { .. })) {
        links.extend([
            ("/dashboard/invoices", "Invoices"),
            ("/dashboard/orders", "Orders"),
            ("/dashboard/settlements", "Settlements"),
            ("/dashboard/api-keys", "API keys"),
            ("/dashboard/webhooks", "Webhooks"),
            ("/dashboard/bank-accounts", "Bank accounts"),
        ]);
    }
    // The co-signer page of the wallet's own kind of chain, when a key serves it.
    let dashboard = &ctx.app.config.dashboard;
    let co_signer_key = match ctx.session.kind {
        crate::session::message::WalletKind::Solana => &dashboard.co_signer_solana_key_file,
        _ => &dashboard.co_signer_key_file,
    };
    if co_signer_key.is_some() {
        links.push(("/dashboard/co-signer", "Co-signer"));
    }
    links.push(("/dashboard/security", "Security"));
    let links: String = links
        .iter()
        .map(|(href, label)| format!(r#"<li><a href="{href}">{label}</a></li>"#))
        .collect();
    let current = ctx.role.as_ref().map(Role::key).unwrap_or_default();
    let switch = if ctx.roles.len() > 1 {
        let options: String = ctx
            .roles
            .iter()
            .map(|r| {
                let key = r.key();
                format!(
                    r#"<option value="{k}"{sel}>{l}</option>"#,
                    k = escape(&key),
                    sel = if key == current { " selected" } else { "" },
                    l = escape(&r.label())
                )
            })
            .collect();
        format!(
            r#"<form method="post" action="/dashboard/role" class="inline"><input type="hidden" name="csrf" value="{csrf}"><label for="role">Role</label> <select id="role" name="role">{options}</select> <button type="submit">Switch</button></form>"#
        )
    } else {
        ctx.role
            .as_ref()
            .map(|r| format!(r#"<span id="role-label">{}</span>"#, escape(&r.label())))
            .unwrap_or_default()
    };
    format!(
        r#"<header>
<nav aria-label="Dashboard"><ul>{links}</ul></nav>
<div class="who"><code title="{addr}">{short}</code> {switch}
<form method="post" action="/dashboard/sign-out" class="inline"><input type="hidden" name="csrf" value="{csrf}"><button type="submit" id="sign-out">Sign out</button></form></div>
</header>
"#,
        addr = escape(&ctx.session.address),
        short = escape(&short(&ctx.session.address)),
    )
}

/// `0x1234…abcd` for long addresses.
pub(super) fn short(address: &str) -> String {
    let chars: Vec<char> = address.chars().collect();
    if chars.len() > 14 {
        let head: String = chars[..8].iter().collect();
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("{head}…{tail}")
    } else {
        address.to_owned()
    }
}

/// Smallest units (6 decimals) as a decimal string.
pub(super) fn usdt(units: u128) -> String {
    format!("{}.{:06}", units / 1_000_000, units % 1_000_000)
}

/// The last `n` UTC days up to today as (day number, `YYYY-MM-DD`), oldest first.
pub(super) fn last_days(n: i64) -> Vec<(i64, String)> {
    let today = crate::store::now_ms() / 86_400_000;
    (today - n + 1..=today)
        .map(|d| (d, time_ms(d * 86_400_000).chars().take(10).collect()))
        .collect()
}

/// Unix ms as `YYYY-MM-DD HH:MM UTC`.
pub(super) fn time_ms(ms: i64) -> String {
    let fmt = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp(ms / 1000)
        .ok()
        .and_then(|t| t.format(&fmt).ok())
        .unwrap_or_default()
}

/// A bar chart (server-rendered SVG, no script) of `days` (label, units).
pub(super) fn bar_chart(id: &str, title: &str, days: &[(String, u128)]) -> String {
    let max = days.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    // The bars stand on the axis at y = 105; 3 units below it are the figure's edge,
    // so the date labels sit right under the axis.
    let (w, h, bar) = (28 * days.len().max(1), 108usize, 20usize);
    let bars: String = days
        .iter()
        .enumerate()
        .map(|(i, (day, v))| {
            let bh = usize::try_from(v.saturating_mul(100) / max).unwrap_or(100);
            format!(
                r#"<rect x="{x}" y="{y}" width="{bar}" height="{bh}" class="bar"><title>{day}: {amt} USDT</title></rect>"#,
                x = i * 28 + 4,
                y = 105 - bh,
                amt = usdt(*v),
            )
        })
        .collect();
    let first = days.first().map(|d| d.0.as_str()).unwrap_or("");
    let last = days.last().map(|d| d.0.as_str()).unwrap_or("");
    format!(
        r#"<figure id="{id}"><figcaption>{title}</figcaption><svg role="img" aria-label="{title}, {first} to {last}" viewBox="0 0 {w} {h}" width="100%" height="{h}" preserveAspectRatio="none">{bars}<line x1="0" y1="105" x2="{w}" y2="105" class="axis"/></svg><p class="axis-labels"><span>{first}</span> <span>{last}</span></p></figure>"#,
    )
}

/// A hidden CSRF input.
pub(super) fn csrf_input(ctx: &Ctx) -> String {
    format!(
        r#"<input type="hidden" name="csrf" value="{}">"#,
        ctx.csrf()
    )
}

/// The TOTP code input of a sensitive action.
pub(super) fn code_input(id: &str) -> String {
    format!(
        r#"<label for="{id}">Authentication code</label> <input id="{id}" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{{6}}" maxlength="6" required>"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(usdt(12_345_678), "12.345678");
        assert_eq!(usdt(5), "0.000005");
        assert_eq!(short("0x1234567890abcdef1234"), "0x123456…1234");
        assert_eq!(short("ééééééééééééééé"), "éééééééé…éééé");
        assert_eq!(time_ms(0), "1970-01-01 00:00 UTC");
    }
}
