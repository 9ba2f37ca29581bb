//! `/dashboard/security`: enrol the TOTP second factor (QR code served here, made by
//! the `qrcode` crate), confirm it with a first code, see the recovery codes once.

use std::collections::HashMap;

use axum::{
    Form,
    http::{StatusCode, header},
    response::{IntoResponse, Redirect},
};

use super::{Ctx, PageError, PageResult, html};
use crate::{store::now_ms, totp};

/// The security page: TOTP status, or the enrolment in progress.
pub(super) async fn page(ctx: Ctx) -> PageResult {
    let (db, kind, addr) = (&ctx.app.db, ctx.session.kind, &ctx.session.address);
    let csrf = html::csrf_input(&ctx);
    let body = if totp::enabled(db, kind, addr).await? {
        let left = totp::recovery_left(db, kind, addr).await?;
        format!(
            r#"<h1>Security</h1><p id="totp-status">Two-factor authentication is <strong>on</strong>. {left} recovery codes left.</p>
<p>The code of your authenticator app is asked at sign-in and again to create API keys, reveal or rotate webhook secrets and designate a bank account.</p>"#
        )
    } else if let Some(secret) = totp::pending(db, &ctx.sealer()?, kind, addr).await? {
        format!(
            r#"<h1>Set up two-factor authentication</h1>
<ol><li>Scan this QR code with an authenticator app (RFC 6238: SHA-1, 6 digits, 30 seconds).</li>
<li>Or type this key: <code id="totp-secret">{secret}</code></li>
<li>Enter the code the app shows.</li></ol>
<figure><img src="/dashboard/security/totp/qr.svg" width="240" height="240" alt="QR code of the authenticator key"></figure>
<form method="post" action="/dashboard/security/totp/confirm" id="totp-confirm">{csrf}
{code}
<button type="submit" id="confirm">Turn on</button></form>"#,
            secret = html::escape(&secret),
            code = html::code_input("code"),
        )
    } else {
        format!(
            r#"<h1>Security</h1><p id="totp-status">Two-factor authentication is <strong>off</strong>. Turn it on to create API keys, manage webhook secrets and bank accounts.</p>
<form method="post" action="/dashboard/security/totp/begin">{csrf}<button type="submit" id="totp-begin">Set up an authenticator</button></form>"#
        )
    };
    Ok(html::layout("Security", Some(&ctx), &body).into_response())
}

/// `POST /dashboard/security/totp/begin`: a fresh pending secret.
pub(super) async fn begin(ctx: Ctx, Form(form): Form<HashMap<String, String>>) -> PageResult {
    ctx.check_csrf(&form)?;
    if totp::begin(
        &ctx.app.db,
        &ctx.sealer()?,
        ctx.session.kind,
        &ctx.session.address,
    )
    .await?
    .is_none()
    {
        return Err(PageError::Forbidden(
            "Two-factor authentication is already on.".into(),
        ));
    }
    Ok(Redirect::to("/dashboard/security").into_response())
}

/// `GET /dashboard/security/totp/qr.svg`: the pending secret's QR code.
pub(super) async fn qr(ctx: Ctx) -> PageResult {
    let secret = totp::pending(
        &ctx.app.db,
        &ctx.sealer()?,
        ctx.session.kind,
        &ctx.session.address,
    )
    .await?
    .ok_or(PageError::NotFound)?;
    let svg = totp::qr_svg(&secret, &ctx.session.address)?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

/// `POST /dashboard/security/totp/confirm`: the first code turns TOTP on and shows
/// the recovery codes, once.
pub(super) async fn confirm(ctx: Ctx, Form(form): Form<HashMap<String, String>>) -> PageResult {
    ctx.check_csrf(&form)?;
    let code = form.get("code").map(String::as_str).unwrap_or("");
    let Some(codes) = totp::confirm(
        &ctx.app.db,
        &ctx.sealer()?,
        ctx.session.kind,
        &ctx.session.address,
        code,
        now_ms(),
    )
    .await?
    else {
        let body = r#"<p class="error" role="alert" id="error">Wrong code, or no setup in progress.</p><p><a href="/dashboard/security">Try again</a></p>"#;
        return Ok((
            StatusCode::BAD_REQUEST,
            html::layout("Security", Some(&ctx), body),
        )
            .into_response());
    };
    let list: String = codes
        .iter()
        .map(|c| format!("<li><code>{c}</code></li>"))
        .collect();
    let body = format!(
        r#"<h1>Two-factor authentication is on</h1>
<p>Keep these recovery codes somewhere safe. Each works once, instead of a code, at sign-in. They are shown only now.</p>
<ul id="recovery-codes">{list}</ul>
<p><a href="/dashboard">Continue</a></p>"#
    );
    Ok(html::layout("Recovery codes", Some(&ctx), &body).into_response())
}
