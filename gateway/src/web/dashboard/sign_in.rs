//! Sign-in pages: choose the wallet and address → the gateway issues a nonce and
//! shows the message to sign → the signature is posted back (by the page's script
//! from a browser wallet, or pasted from any wallet or the `stablerail` CLI) → a
//! session, then the TOTP code if the wallet enrolled one. Before a session exists
//! the forms are protected by a double-submit token tied to a pre-session cookie,
//! which also binds the nonce to this browser.

use std::collections::HashMap;

use axum::{
    Form,
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Redirect, Response},
};
use time::OffsetDateTime;

use super::{AnySession, Ctx, PageError, PageResult, html, html::escape};
use crate::{
    session::{
        self,
        message::WalletKind,
        signin::{self, Refusal},
        verify,
    },
    state::AppState,
    store::now_ms,
    totp::{self, CodeCheck},
};
use axum::extract::State;

fn pre_token(app: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = session::pre_cookie_name(app.config.dashboard.secure_cookies);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| session::cookie(h, name).map(str::to_owned))
        .filter(|t| t.len() == 64 && t.chars().all(|c| c.is_ascii_hexdigit()))
}

fn with_cookie(mut res: Response, cookie: &str) -> Response {
    if let Ok(v) = HeaderValue::from_str(cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Refuses a pre-session form without the pre-session cookie and its token.
fn check_pre(
    app: &AppState,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<String, PageError> {
    let pre = pre_token(app, headers).ok_or(PageError::Csrf)?;
    match form.get("csrf") {
        Some(t) if session::csrf_ok(&pre, t) => Ok(pre),
        _ => Err(PageError::Csrf),
    }
}

fn refusal_page(status: axum::http::StatusCode, msg: &str) -> Response {
    let body = format!(
        r#"<h1>Sign in</h1><p class="error" role="alert" id="error">{}</p><p><a href="/dashboard/sign-in">Start again</a></p>"#,
        escape(msg)
    );
    (status, html::layout("Sign in refused", None, &body)).into_response()
}

/// `GET /dashboard/sign-in`: the wallet and address form.
pub(super) async fn form(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let secure = app.config.dashboard.secure_cookies;
    let (pre, fresh) = match pre_token(&app, &headers) {
        Some(t) => (t, false),
        None => (session::generate_token(), true),
    };
    let body = format!(
        r#"<h1>Sign in with your wallet</h1>
<p>No password: you sign a one-time message with the wallet that holds your merchant, acceptor or agent role.</p>
<form method="post" action="/dashboard/sign-in/challenge" id="challenge-form">
<input type="hidden" name="csrf" value="{csrf}">
<fieldset><legend>Wallet</legend>
<label><input type="radio" name="kind" value="evm" checked> Ethereum / EVM (EIP-4361)</label>
<label><input type="radio" name="kind" value="tron"> TRON (signMessageV2)</label>
<label><input type="radio" name="kind" value="solana"> Solana (Sign-In With Solana)</label>
</fieldset>
<label for="address">Address</label>
<input id="address" name="address" required autocomplete="off" spellcheck="false">
<button type="button" id="connect" hidden>Use my browser wallet</button>
<button type="submit" id="continue">Continue</button>
</form>"#,
        csrf = session::csrf_token(&pre),
    );
    let res = html::layout("Sign in", None, &body).into_response();
    if fresh {
        with_cookie(
            res,
            &session::set_cookie(session::pre_cookie_name(secure), &pre, 3600, secure),
        )
    } else {
        res
    }
}

/// `POST /dashboard/sign-in/challenge`: issues a nonce and shows the message.
pub(super) async fn challenge(
    State(app): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let pre = check_pre(&app, &headers, &form)?;
    let kind = form
        .get("kind")
        .and_then(|k| WalletKind::parse(k))
        .ok_or_else(|| PageError::BadRequest("Choose a wallet kind.".into()))?;
    let address = form.get("address").map(|a| a.trim()).unwrap_or("");
    let Some(address) = verify::normalize(kind, address) else {
        return Ok(refusal_page(
            axum::http::StatusCode::BAD_REQUEST,
            &format!("That is not a valid {} address.", kind.account_word()),
        ));
    };
    let lifetime = app.config.dashboard.nonce_secs;
    let (nonce, _) = session::nonce::issue(&app.db, &session::hash_token(&pre), lifetime).await?;
    let message = signin::offer(
        &app,
        kind,
        &address,
        &nonce,
        OffsetDateTime::now_utc(),
        lifetime,
    )
    .to_string();
    let body = format!(
        r#"<h1>Sign this message</h1>
<p>Sign the message below with the wallet <code>{addr}</code> (it expires in {mins} minutes), then paste the signature (hex; base58 for Solana) and continue.</p>
<form method="post" action="/dashboard/sign-in" id="sign-form" data-kind="{kind}" data-address="{addr}">
<input type="hidden" name="csrf" value="{csrf}">
<label for="message">Message</label>
<textarea id="message" name="message" rows="12" readonly>{msg}</textarea>
<button type="button" id="wallet-sign" hidden>Sign with my browser wallet</button>
<label for="signature">Signature</label>
<textarea id="signature" name="signature" rows="3" required spellcheck="false"></textarea>
<button type="submit" id="sign-in">Sign in</button>
</form>"#,
        addr = escape(&verify::display_form(kind, &address)),
        mins = lifetime / 60,
        kind = kind.as_str(),
        csrf = session::csrf_token(&pre),
        msg = escape(&message),
    );
    Ok(html::layout("Sign the message", None, &body).into_response())
}

/// `POST /dashboard/sign-in`: checks the signed message; on success a session.
pub(super) async fn submit(
    State(app): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    let pre = check_pre(&app, &headers, &form)?;
    let message = form.get("message").map(String::as_str).unwrap_or("");
    let signature = form.get("signature").map(String::as_str).unwrap_or("");
    let signed =
        match signin::sign_in(&app, &pre, message, signature, OffsetDateTime::now_utc()).await? {
            Ok(s) => s,
            Err(r) => {
                tracing::info!(refusal = %r, "dashboard sign-in refused");
                let status = match r {
                    Refusal::Malformed(_) => axum::http::StatusCode::BAD_REQUEST,
                    _ => axum::http::StatusCode::UNAUTHORIZED,
                };
                return Ok(refusal_page(status, &r.to_string()));
            }
        };
    let secure = app.config.dashboard.secure_cookies;
    let to = if signed.needs_totp {
        "/dashboard/sign-in/totp"
    } else {
        "/dashboard"
    };
    let res = Redirect::to(to).into_response();
    let res = with_cookie(
        res,
        &session::set_cookie(
            session::session_cookie_name(secure),
            &signed.token,
            app.config.dashboard.session_secs,
            secure,
        ),
    );
    Ok(with_cookie(
        res,
        &session::set_cookie(session::pre_cookie_name(secure), "", 0, secure),
    ))
}

/// `GET /dashboard/sign-in/totp`: the code of the second factor.
pub(super) async fn totp_form(s: AnySession) -> PageResult {
    if s.session.mfa_ok {
        return Ok(Redirect::to("/dashboard").into_response());
    }
    let body = format!(
        r#"<h1>Authentication code</h1>
<p>Enter the 6-digit code of your authenticator app, or one of your recovery codes.</p>
<form method="post" action="/dashboard/sign-in/totp" id="totp-form">
<input type="hidden" name="csrf" value="{csrf}">
<label for="code">Code</label>
<input id="code" name="code" autocomplete="one-time-code" required spellcheck="false">
<button type="submit" id="verify">Verify</button>
</form>"#,
        csrf = session::csrf_token(&s.token),
    );
    Ok(html::layout("Authentication code", None, &body).into_response())
}

/// `POST /dashboard/sign-in/totp`.
pub(super) async fn totp_submit(
    State(app): State<AppState>,
    s: AnySession,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    match form.get("csrf") {
        Some(t) if session::csrf_ok(&s.token, t) => {}
        _ => return Err(PageError::Csrf),
    }
    if s.session.mfa_ok {
        return Ok(Redirect::to("/dashboard").into_response());
    }
    let code = form.get("code").map(String::as_str).unwrap_or("");
    let sealer = app.config.dashboard.sealer()?;
    let msg = match totp::check(
        &app.db,
        &sealer,
        s.session.kind,
        &s.session.address,
        code,
        now_ms(),
        true,
    )
    .await?
    {
        CodeCheck::Accepted => {
            session::set_mfa_ok(&app.db, &s.session.token_hash).await?;
            return Ok(Redirect::to("/dashboard").into_response());
        }
        CodeCheck::Replayed => "This code was already used. Wait for the next one.",
        CodeCheck::Invalid | CodeCheck::NotEnrolled => "Wrong code.",
        CodeCheck::Throttled => "Too many wrong codes: wait a minute, then try again.",
    };
    let body = format!(
        r#"<h1>Authentication code</h1><p class="error" role="alert" id="error">{msg}</p><p><a href="/dashboard/sign-in/totp">Try again</a></p>"#
    );
    Ok((
        axum::http::StatusCode::UNAUTHORIZED,
        html::layout("Authentication code", None, &body),
    )
        .into_response())
}

/// `POST /dashboard/sign-out`: ends the session.
pub(super) async fn sign_out(
    State(app): State<AppState>,
    s: AnySession,
    Form(form): Form<HashMap<String, String>>,
) -> PageResult {
    match form.get("csrf") {
        Some(t) if session::csrf_ok(&s.token, t) => {}
        _ => return Err(PageError::Csrf),
    }
    session::delete(&app.db, &s.session.token_hash).await?;
    let secure = app.config.dashboard.secure_cookies;
    Ok(with_cookie(
        Redirect::to("/dashboard/sign-in").into_response(),
        &session::set_cookie(session::session_cookie_name(secure), "", 0, secure),
    ))
}

/// `POST /dashboard/role`: act as another of the wallet's roles.
pub(super) async fn switch_role(ctx: Ctx, Form(form): Form<HashMap<String, String>>) -> PageResult {
    ctx.check_csrf(&form)?;
    let want = form.get("role").map(String::as_str).unwrap_or("");
    if !ctx.roles.iter().any(|r| r.key() == want) {
        return Err(PageError::Forbidden(
            "This wallet does not hold that role.".into(),
        ));
    }
    session::set_role(&ctx.app.db, &ctx.session.token_hash, want).await?;
    Ok(Redirect::to("/dashboard").into_response())
}
