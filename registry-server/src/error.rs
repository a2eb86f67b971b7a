//! The one place status codes live: API errors with Confluent's `error_code`s, as JSON.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

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
    Incompatible(String, Box<evreg_api::Refusal>),
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
    #[error("Invalid subject {0:?}: a subject is 1 to 255 bytes without control characters")]
    InvalidSubject(String),
    #[error("Invalid mode {0:?}: expected READWRITE, READONLY or IMPORT")]
    InvalidMode(String),
    #[error("Subject '{0}' does not have subject-level mode configured")]
    SubjectModeNotFound(String),
    #[error("{0}")]
    OperationNotPermitted(String),
    #[error("{0}")]
    ReferenceExists(String),
    #[error("Request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("The request did not finish within {0} ms")]
    Timeout(u128),
    #[error("The database is unreachable")]
    Unavailable(String),
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
            ApiError::InvalidSubject(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42208),
            ApiError::InvalidMode(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42204),
            ApiError::SubjectModeNotFound(_) => (StatusCode::NOT_FOUND, 40409),
            ApiError::OperationNotPermitted(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42205),
            ApiError::ReferenceExists(_) => (StatusCode::UNPROCESSABLE_ENTITY, 42206),
            ApiError::PayloadTooLarge(..) => (StatusCode::PAYLOAD_TOO_LARGE, 41301),
            ApiError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, 40101),
            ApiError::Forbidden(_) => (StatusCode::FORBIDDEN, 40301),
            ApiError::UnsupportedMediaType(_) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, 415),
            ApiError::Timeout(_) => (StatusCode::SERVICE_UNAVAILABLE, 50002),
            ApiError::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, 50003),
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
        match &self {
            ApiError::Internal(detail) => tracing::error!(%detail, "internal error"),
            ApiError::Unavailable(detail) => tracing::error!(%detail, "database unreachable"),
            _ => {}
        }
        let message = self.to_string();
        let evreg = match self {
            ApiError::Incompatible(_, refusal) => Some(*refusal),
            _ => None,
        };
        let body = evreg_api::ErrorBody {
            error_code: code,
            message,
            evreg,
        };
        let mut r = (status, Json(body)).into_response();
        r.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static(crate::confluent::MEDIA_TYPE),
        );
        if status == StatusCode::UNAUTHORIZED {
            r.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"evreg\""),
            );
        }
        r
    }
}
