//! The dashboards (DESIGN §10): server-rendered pages under `/dashboard`, one per
//! role, behind a wallet sign-in (`session`) and, once enrolled, TOTP (`totp`).
//! Assets are served from the repository (no CDN); every answer carries a
//! Content-Security-Policy without inline scripts or styles, and every form a CSRF
//! token (`session::csrf_token`).

mod acceptor;
mod cosigner;
mod csv;
mod dispatch_view;
mod html;
mod merchant;
mod operator;
mod proposals;
mod security;
mod sign_in;
mod tiers;

use std::collections::HashMap;

use axum::{
    Router,
    extract::{FromRequestParts, Request},
    http::{HeaderValue, StatusCode, header, request::Parts},
    middleware::{self, Next},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};

use crate::{
    problem::Problem,
    session::{self, Session, roles::Role},
    state::AppState,
};
pub use html::escape;

const SCRIPT: &str = include_str!("assets/dashboard.js");
const STYLE: &str = include_str!("assets/dashboard.css");

/// The policy of every dashboard answer: only this origin's scripts, styles and
/// images (QR codes are images), forms post only here, never framed.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The dashboard routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/dashboard/sign-in",
            get(sign_in::form).post(sign_in::submit),
        )
        .route("/dashboard/sign-in/challenge", post(sign_in::challenge))
        .route(
            "/dashboard/sign-in/totp",
            get(sign_in::totp_form).post(sign_in::totp_submit),
        )
        .route("/dashboard/sign-out", post(sign_in::sign_out))
        .route("/dashboard/role", post(sign_in::switch_role))
        .route("/dashboard", get(home))
        .route("/dashboard/security", get(security::page))
        .route(
            "/dashboard/alerts/{id}/acknowledge",
            post(operator::acknowledge_alert),
        )
        .route("/dashboard/alerts/{id}/close", post(operator::close_alert))
        .route(
            "/dashboard/co-signer",
            get(cosigner::page).post(cosigner::approve),
        )
        .route("/dashboard/security/totp/begin", post(security::begin))
        .route("/dashboard/security/totp/qr.svg", get(security::qr))
        .route("/dashboard/security/totp/confirm", post(security::confirm))
        .route("/dashboard/invoices", get(merchant::invoices))
        .route("/dashboard/invoices.csv", get(merchant::invoices_csv))
        .route("/dashboard/orders", get(merchant::orders))
        .route("/dashboard/orders.csv", get(merchant::orders_csv))
        .route("/dashboard/settlements", get(merchant::settlements))
        .route(
            "/dashboard/api-keys",
            get(merchant::api_keys).post(merchant::create_api_key),
        )
        .route(
            "/dashboard/api-keys/{id}/revoke",
            post(merchant::revoke_api_key),
        )
        .route("/dashboard/webhooks", get(merchant::webhooks))
        .route("/dashboard/webhooks/{id}", get(merchant::webhook))
        .route(
            "/dashboard/webhooks/{id}/secret",
            post(merchant::reveal_secret),
        )
        .route(
            "/dashboard/webhooks/{id}/rotate",
            post(merchant::rotate_secret),
        )
        .route(
            "/dashboard/deliveries/{id}/redeliver",
            post(merchant::redeliver),
        )
        .route(
            "/dashboard/bank-accounts",
            get(merchant::bank_accounts).post(merchant::designate_bank),
        )
        .route(
            "/assets/dashboard.js",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
                    SCRIPT,
                )
            }),
        )
        .route(
            "/assets/dashboard.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], STYLE) }),
        )
        .layer(middleware::from_fn(headers))
}

/// Security headers on every dashboard answer; pages are never cached.
async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// A refusal or failure, shown as a small page with its status.
#[derive(Debug)]
pub enum PageError {
    /// 403: missing or wrong CSRF token.
    Csrf,
    /// 403: the role or the second factor does not allow it.
    Forbidden(String),
    /// 400: the form is wrong.
    BadRequest(String),
    /// 404.
    NotFound,
    /// Not signed in: go to the sign-in page.
    SignIn,
    /// Signed in, second factor missing: go to the code page.
    NeedsTotp,
    /// 500 (the cause is logged).
    Internal,
}

impl From<crate::Error> for PageError {
    fn from(e: crate::Error) -> Self {
        tracing::error!(error = %e, "dashboard");
        Self::Internal
    }
}

impl From<sqlx::Error> for PageError {
    fn from(e: sqlx::Error) -> Self {
        crate::Error::from(e).into()
    }
}

impl From<Problem> for PageError {
    fn from(p: Problem) -> Self {
        match p.status {
            StatusCode::NOT_FOUND => Self::NotFound,
            s if s.is_client_error() => Self::BadRequest(p.message),
            _ => Self::Internal,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, msg) = match self {
            Self::SignIn => return Redirect::to("/dashboard/sign-in").into_response(),
            Self::NeedsTotp => return Redirect::to("/dashboard/sign-in/totp").into_response(),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "The form's security token is missing or wrong. Go back, reload the page and try again.".to_owned(),
            ),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            Self::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            Self::NotFound => (StatusCode::NOT_FOUND, "Not found.".to_owned()),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong on our side.".to_owned(),
            ),
        };
        let body = format!(
            r#"<p class="error" role="alert" id="error">{}</p><p><a href="/dashboard">Back to the dashboard</a></p>"#,
            escape(&msg)
        );
        (status, html::layout("Refused", None, &body)).into_response()
    }
}

/// The result of a page handler.
pub type PageResult = Result<Response, PageError>;

/// The `Cookie` header's value of `name`.
fn cookie_value(parts: &Parts, name: &str) -> Option<String> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| session::cookie(h, name).map(str::to_owned))
}

/// A signed-in wallet with its second factor given: what every page but sign-in
/// needs. Also the role it acts as, among all of its roles.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// Shared state.
    pub app: AppState,
    /// The session.
    pub session: Session,
    /// The session's token (CSRF tokens derive from it; never shown or logged).
    token: String,
    /// Every role of the wallet, now.
    pub roles: Vec<Role>,
    /// The role it acts as (the chosen one if still held, else the first).
    pub role: Option<Role>,
}

impl Ctx {
    /// The CSRF token of this session's forms.
    pub fn csrf(&self) -> String {
        session::csrf_token(&self.token)
    }

    /// Refuses a form without this session's CSRF token.
    pub fn check_csrf(&self, form: &HashMap<String, String>) -> Result<(), PageError> {
        match form.get("csrf") {
            Some(t) if session::csrf_ok(&self.token, t) => Ok(()),
            _ => Err(PageError::Csrf),
        }
    }

    /// The sealer of TOTP secrets (the configured key).
    pub fn sealer(&self) -> Result<crate::totp::Sealer, PageError> {
        Ok(self.app.config.dashboard.sealer()?)
    }

    /// Requires the operator role.
    pub fn operator(&self) -> Result<(), PageError> {
        match &self.role {
            Some(Role::Operator) => Ok(()),
            _ => Err(PageError::Forbidden(
                "This action is for the operator. Switch to the operator role first.".into(),
            )),
        }
    }

    /// The merchant the session acts for (403 in another role).
    pub fn merchant(&self) -> Result<(&str, &str), PageError> {
        match &self.role {
            Some(Role::Merchant { id, name }) => Ok((id, name)),
            _ => Err(PageError::Forbidden(
                "This page is for merchants. Switch to a merchant role first.".into(),
            )),
        }
    }
}

/// A session that may still wait for its second factor (sign-in's code page).
#[derive(Debug, Clone)]
pub struct AnySession {
    /// The session.
    pub session: Session,
    /// Its token.
    token: String,
}

async fn load_session(parts: &Parts, app: &AppState) -> Result<AnySession, PageError> {
    let name = session::session_cookie_name(app.config.dashboard.secure_cookies);
    let token = cookie_value(parts, name).ok_or(PageError::SignIn)?;
    let s = session::load(&app.db, &token)
        .await?
        .ok_or(PageError::SignIn)?;
    Ok(AnySession { session: s, token })
}

impl FromRequestParts<AppState> for AnySession {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, PageError> {
        load_session(parts, app).await
    }
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, app: &AppState) -> Result<Self, PageError> {
        let AnySession { session, token } = load_session(parts, app).await?;
        if !session.mfa_ok {
            return Err(PageError::NeedsTotp);
        }
        let roles = session::roles::of(&app.db, &app.config.dashboard, &session.address).await?;
        let role = session
            .role
            .as_deref()
            .and_then(|k| roles.iter().find(|r| r.key() == k))
            .or(roles.first())
            .cloned();
        Ok(Self {
            app: app.clone(),
            session,
            token,
            roles,
            role,
        })
    }
}

/// Requires a fresh TOTP code in `form["code"]` for a sensitive action; refuses
/// when the wallet has not enrolled TOTP.
pub async fn fresh_code(ctx: &Ctx, form: &HashMap<String, String>) -> Result<(), PageError> {
    use crate::totp::{self, CodeCheck};
    let code = form.get("code").map(String::as_str).unwrap_or("");
    match totp::check(
        &ctx.app.db,
        &ctx.sealer()?,
        ctx.session.kind,
        &ctx.session.address,
        code,
        crate::store::now_ms(),
        false,
    )
    .await?
    {
        CodeCheck::Accepted => Ok(()),
        CodeCheck::NotEnrolled => Err(PageError::Forbidden(
            "This action needs a second factor: enrol TOTP on the Security page first.".into(),
        )),
        CodeCheck::Replayed => Err(PageError::Forbidden(
            "This code was already used. Wait for the next code of your authenticator.".into(),
        )),
        CodeCheck::Invalid => Err(PageError::Forbidden("Wrong authentication code.".into())),
        CodeCheck::Throttled => Err(PageError::Forbidden(
            "Too many wrong codes: wait a minute, then try again.".into(),
        )),
    }
}

/// `/dashboard`: the page of the role the session acts as.
async fn home(ctx: Ctx) -> PageResult {
    match ctx.role.clone() {
        Some(Role::Merchant { .. }) => merchant::overview(ctx).await,
        Some(Role::Acceptor { chain }) => acceptor::acceptor(ctx, &chain).await,
        Some(Role::Agent { chain }) => acceptor::agent(ctx, &chain).await,
        Some(Role::Operator) => operator::operator(ctx).await,
        None => {
            let body = format!(
                r#"<h1>Welcome</h1><p id="no-role">The wallet <code>{}</code> holds no merchant, acceptor or agent role on this platform yet.</p>"#,
                escape(&ctx.session.address)
            );
            Ok(html::layout("Dashboard", Some(&ctx), &body).into_response())
        }
    }
}
