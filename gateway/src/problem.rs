//! The answer to a request that cannot be served: an HTTP status and a JSON body
//! `{"error": {"code", "message", "field"?}}` naming the offending field when there
//! is one. Raised by the API and by the domain modules it calls.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::error::Error;

/// A 4xx or 5xx answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// HTTP status.
    pub status: StatusCode,
    /// Machine-readable code (`invalid_field`, `not_found`, ...).
    pub code: &'static str,
    /// What went wrong, for people.
    pub message: String,
    /// The request field at fault, if any.
    pub field: Option<String>,
}

impl Problem {
    /// 400: `field` is missing or invalid.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            code: "invalid_field",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// 404: no such object for this merchant (also for other merchants' ids).
    pub fn not_found(what: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!("no such {what}"),
            field: None,
        }
    }

    /// 401: no valid key.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            code: "unauthorized",
            message: message.into(),
            field: None,
        }
    }

    /// 409: the object's state does not allow the action.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::CONFLICT,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// 422 for a field.
    pub fn unprocessable(field: &str, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code,
            message: message.into(),
            field: Some(field.to_owned()),
        }
    }

    /// 500 (the cause is logged, not shown).
    pub fn internal() -> Self {
        Self {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error".into(),
            field: None,
        }
    }
}

impl From<Error> for Problem {
    fn from(e: Error) -> Self {
        tracing::error!(error = %e, "request failed");
        Self::internal()
    }
}

impl From<sqlx::Error> for Problem {
    fn from(e: sqlx::Error) -> Self {
        Error::from(e).into()
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut err = json!({ "code": self.code, "message": self.message });
        if let Some(f) = &self.field {
            err["field"] = json!(f);
        }
        (self.status, Json(json!({ "error": err }))).into_response()
    }
}
