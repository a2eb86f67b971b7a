//! evreg-core: routing keys, topic patterns, the schema model, the compatibility checker and its witnesses.
//!
//! Everything here is a pure function of its inputs: no file system, network,
//! environment, clock, async runtime or logging. Callers load documents and
//! hand them in as values.

pub mod asyncapi;
pub mod catalog;
pub mod compat;
pub mod config;
pub mod layout;
pub mod roots;
pub mod routing;
pub mod schema;
pub mod topology;

pub use compat::{Change, Mode, Policy, Report, Verdict, check, check_versions};
pub use routing::{BindingPattern, RoutingError, RoutingKey, topic_match};
pub use schema::{SchemaError, SchemaSet};
