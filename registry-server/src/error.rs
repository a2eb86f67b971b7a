//! The one place status codes live: API errors with Confluent's `error_code`s, as JSON.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error a client sees. `message` is written for the client; storage
/// details go to the log, never into a response.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("Subject '{0}' not found.")]
    SubjectNotFound(String),
    #[error("Version {0} not found.")]
    VersionNotFound(String),
    #[error("Schema {0} not found")]
    SchemaNotFound(u64),
    #[error("Schema not found")]
    SchemaNotFoundInSubject,
    #[error("Subject '{0}' was not deleted first before being permanently deleted")]
    SubjectNotSoftDeleted(String),
    #[error("Subject '{0}' Version {1} was not deleted first before being permanently deleted")]
    VersionNotSoftDeleted(String, i64),
    #[error("Subject '{0}' does not have subject-level compatibility configured")]
    SubjectConfigNotFound(String),
    #[error("{0}")]
    Incompatible(String, serde_json::Value),
    #[error("Invalid schema: {0}")]
    InvalidSchema(String),
    #[error(
        "The specified version '{0}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\""
    )]
    InvalidVersion(String),
    #[error("{0}")]
    InvalidCompatibility(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("HTTP 404 Not Found")]
    RouteNotFound,
    #[error("Internal server error")]
    Internal(String),
}

impl ApiError {
    /// HTTP status and Confluent `error_code`.
    fn codes(&self) -> (StatusCode, u32) {
        match self {
            ApiError::SubjectNotFound(_) => (StatusCode::NOT_FOUND, 40401),
            ApiError::VersionNotFound(_) => (StatusCode::NOT_FOUND, 40402),
            ApiError::SchemaNotFound(_) | ApiError::SchemaNotFoundInSubject => {
                (StatusCode::NOT_FOUND, 40403)
            }
            ApiError::SubjectConfigNotFound(_) => (StatusCode::NOT_FOUND, 40408),
            ApiError::SubjectNotSoftDeleted(_) => (StatusCode::NOT_FOUND, 40405),
            ApiError::VersionNotSoftDeleted(..) => (StatusCode::NOT_FOUND, 40407),
            ApiError::RouteNotFound => (StatusCode::NOT_FOUND, 404),
            ApiError::Incompatible(..) => (StatusCode::CONFLICT, 409),
            ApiError::InvalidSchema(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42201),
            ApiError::InvalidVersion(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42202),
            ApiError::InvalidCompatibility(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42203),
            ApiError::BadRequest(_) => (StatusCode::BAD_REQUEST, 400),
            ApiError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, 50001),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::Internal(e.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.codes();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let mut body = json!({"error_code": code, "message": self.to_string()});
        if let ApiError::Incompatible(_, report) = &self {
            body["evreg"] = report.clone();
        }
        (status, Json(body)).into_response()
    }
}
