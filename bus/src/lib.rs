//! evreg-bus: typed, schema-enforced publish and consume on RabbitMQ, with the topology of `evreg.toml` applied, retries and dead letters.
//!
//! The plan (names, arguments, headers, retry schedule) comes from
//! `evreg_core::topology`; this crate only talks to the broker.

mod amqp;
pub mod consume;
pub mod dlq;
pub mod metrics;
pub mod publish;
pub mod schemas;
pub mod topology;

pub use amqp::{Broker, redact};
pub use consume::{Consumer, Context, Handled, Outcome, Unhandled};
pub use evreg_core::catalog::Catalog;
pub use publish::{Published, Publisher};
pub use schemas::{Invalid, Schemas};

/// One version of one event, as `evreg-codegen` generates it with
/// `Config::bus(true)`: the payload type knows its routing key and version,
/// and the envelope type that carries it.
pub trait Event: serde::Serialize {
    /// The routing key, which is also the registry subject.
    const ROUTING_KEY: &'static str;
    /// The `event_version` it is sent with (`"v1"`).
    const VERSION: &'static str;
    /// The whole message a consumer receives: the generated `Envelope<Self>`.
    type Message: serde::de::DeserializeOwned + Send + 'static;
}

/// Why the bus could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The broker could not be reached or refused an operation (the URL's password is never shown).
    #[error("broker {url}: {message}")]
    Broker { url: String, message: String },
    /// The event does not match its schema; nothing was sent.
    #[error("{0}")]
    Invalid(#[from] Invalid),
    /// Published with `mandatory` and no queue is bound to the routing key.
    #[error(
        "{routing_key}: no queue is bound to it on exchange {exchange:?}; the broker returned the event (is the topology applied?)"
    )]
    Unroutable {
        routing_key: String,
        exchange: String,
    },
    /// The broker refused to store the event (a full queue with `reject-publish`, for one).
    #[error("{routing_key}: the broker refused the event (nack); it was not stored")]
    Nacked { routing_key: String },
    /// A setting or input the bus cannot use.
    #[error("{0}")]
    Config(String),
}

pub type Result<T, E = BusError> = std::result::Result<T, E>;
