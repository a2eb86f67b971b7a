//! The JSON bodies of the Confluent Schema Registry API as evreg speaks it.

use evreg_core::{Mode, Policy, Report};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};

/// A reference from a schema to a version of another subject: `name` is how
/// the schema's `$ref`s spell it (Confluent's `references`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "SchemaReference")]
pub struct Reference {
    /// How the referring schema's `$ref`s name the referenced document,
    /// resolved against the referring schema's own URI.
    #[schemars(example = "common/money.json")]
    pub name: String,
    pub subject: String,
    #[schemars(range(min = 1))]
    pub version: i64,
}

/// The register and lookup request (`POST /subjects/{s}/versions`,
/// `POST /subjects/{s}`, compatibility checks); unknown fields are ignored,
/// as Confluent does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "RegisterSchemaRequest")]
pub struct SchemaRequest {
    /// The JSON Schema, as a string of JSON text.
    #[schemars(example = r#"{"type":"object","properties":{"user_id":{"type":"string"}}}"#)]
    pub schema: String,
    /// `JSON` (in any case) or absent; any other type is refused with 42201.
    /// Unlike Confluent, an absent type means JSON, not AVRO.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    /// Other registered versions this schema's `$ref`s point to.
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub references: Vec<Reference>,
    /// IMPORT mode only: the id to store the schema under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub id: Option<i64>,
    /// IMPORT mode only: the version number to give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub version: Option<i64>,
}

impl SchemaRequest {
    /// A JSON schema with its references.
    pub fn json(schema: String, references: Vec<Reference>) -> SchemaRequest {
        SchemaRequest {
            schema,
            schema_type: Some("JSON".into()),
            references,
            id: None,
            version: None,
        }
    }
}

/// `"references": null` reads as no references, as Jackson does.
fn null_as_empty<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Reference>, D::Error> {
    Ok(Option::<Vec<Reference>>::deserialize(d)?.unwrap_or_default())
}

/// One version of a subject (`GET /subjects/{s}/versions/{v}`, and the
/// lookup answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaVersion {
    pub subject: String,
    #[schemars(range(min = 1))]
    pub version: i64,
    #[schemars(range(min = 1))]
    pub id: i64,
    /// Always `JSON`.
    #[serde(default = "json_type")]
    pub schema_type: String,
    /// The schema as a string of canonical JSON text.
    pub schema: String,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub references: Vec<Reference>,
}

fn json_type() -> String {
    "JSON".into()
}

/// A schema by its id (`GET /schemas/ids/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SchemaById {
    /// The schema as a string of canonical JSON text.
    pub schema: String,
    /// Always `JSON`.
    #[serde(default = "json_type")]
    pub schema_type: String,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub references: Vec<Reference>,
}

/// What a registration answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "RegisterSchemaResponse")]
pub struct Registered {
    /// The schema's global id.
    #[schemars(range(min = 1))]
    pub id: i64,
    /// The subject's version that holds this content (absent from
    /// Confluent's own answer before 7.x; its clients ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// Every error, in Confluent's shape. Messages are written for clients and
/// never carry storage details.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Error")]
pub struct ErrorBody {
    /// The HTTP status, or a Confluent-style refinement of it (e.g. 40401).
    pub error_code: u32,
    pub message: String,
    /// With 409 only: the compatibility report, each breaking change with a
    /// witness event, and who the change would break.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evreg: Option<Refusal>,
}

/// Why a registration was refused (409): the checker's report and the
/// queues and services the routing key reaches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Refusal {
    #[serde(flatten)]
    pub report: Report,
    /// From the topology, when one is configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affected: Option<Reach>,
}

/// The queues a routing key reaches and the services consuming them: who a
/// breaking change would hit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Reach {
    pub queues: Vec<String>,
    pub consumers: Vec<String>,
}

/// A (subject, version) pair (`GET /schemas/ids/{id}/versions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SubjectVersion {
    pub subject: String,
    #[schemars(range(min = 1))]
    pub version: i64,
}

/// A subject's or the global compatibility settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    pub compatibility_level: Mode,
    pub compatibility_policy: Policy,
}

/// New compatibility settings (`PUT /config[/{subject}]`). Give
/// `compatibility` (Confluent's name) or `compatibilityLevel`, or both with
/// the same value; neither is 42203. Read as text so that a wrong value gets
/// the 42203 that names the values allowed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Mode>")]
    pub compatibility: Option<String>,
    /// Accepted in place of `compatibility` (the name GET answers with).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Mode>")]
    pub compatibility_level: Option<String>,
    /// When absent, the stored policy is kept (a policy never set is
    /// inherited from the global settings or the server's default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<Policy>")]
    pub compatibility_policy: Option<String>,
}

/// What `PUT /config[/{subject}]` stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigStored {
    pub compatibility: Mode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compatibility_policy: Option<Policy>,
}

/// Whether a subject (or the registry) takes writes. READWRITE: normal
/// operation. READONLY: registrations and deletes are refused with 42205.
/// IMPORT: registrations skip the compatibility check and may give an
/// explicit `id` and `version`, for copying schemas in from another registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum RegistryMode {
    Readwrite,
    Readonly,
    Import,
}

impl RegistryMode {
    pub const ALL: [RegistryMode; 3] = [
        RegistryMode::Readwrite,
        RegistryMode::Readonly,
        RegistryMode::Import,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RegistryMode::Readwrite => "READWRITE",
            RegistryMode::Readonly => "READONLY",
            RegistryMode::Import => "IMPORT",
        }
    }

    /// Any case, as Confluent accepts.
    pub fn parse(s: &str) -> Option<RegistryMode> {
        RegistryMode::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(s))
    }
}

/// A mode, read or written (`/mode[/{subject}]`). Requests may spell it in
/// any case, so it is read as text and checked by the server (42204).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ModeBody {
    #[schemars(with = "RegistryMode")]
    pub mode: String,
}

/// The answer of a compatibility test; nothing is registered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CompatibilityCheck {
    /// True only when compatibility is proven; a verdict of `unknown` answers false.
    pub is_compatible: bool,
    /// With `verbose=true`: each breaking change (`KIND /path: message`) and
    /// each reason for an `unknown` verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub messages: Option<Vec<String>>,
    /// With `verbose=true`: the full report.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evreg: Option<Report>,
}

/// One way a message fails its schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ValidationError {
    /// JSON pointer into the message.
    #[schemars(example = "/payload/email")]
    pub instance_path: String,
    /// JSON pointer to the failing keyword in the message schema; empty when
    /// the message could not be routed to a schema.
    pub schema_path: String,
    pub message: String,
}

impl ValidationError {
    /// An error at `instance_path` that no schema keyword reports (routing, parsing, access).
    pub fn at(instance_path: &str, message: impl Into<String>) -> ValidationError {
        ValidationError {
            instance_path: instance_path.to_owned(),
            schema_path: String::new(),
            message: message.into(),
        }
    }
}

/// Whether one message is valid (`POST /validate`). An invalid message, or
/// one without a usable `event_type` or `event_version`, is still a 200.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ValidationResult {
    pub valid: bool,
    /// The subject the message names; absent when it names none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The version the message names; absent with `subject`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub version: Option<i64>,
    /// Present when the message is invalid.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ValidationError>,
}

/// Counts of a batch, and the errors of its invalid lines (`POST /validate/batch`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "BatchValidationResult")]
pub struct BatchValidation {
    /// Non-blank lines read.
    pub total: u64,
    pub valid: u64,
    pub invalid: u64,
    /// The invalid lines only, in order.
    pub results: Vec<InvalidLine>,
}

/// One invalid line of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct InvalidLine {
    /// 1-based line number in the body.
    #[schemars(range(min = 1))]
    pub line: u64,
    /// Always false.
    pub valid: bool,
    pub errors: Vec<ValidationError>,
}

/// Where the events of a routing key go (`GET /topology/routes/{routing_key}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "Route")]
pub struct RouteOf {
    pub routing_key: String,
    /// The exchange the key is published to: `{service}.events`.
    #[schemars(example = "auth.events")]
    pub exchange: String,
    /// The service declared to produce the key, if any.
    pub producer: Option<String>,
    /// The bindings that match the key (RabbitMQ topic semantics).
    pub bindings: Vec<RouteBinding>,
    /// Queues that receive the key.
    pub queues: Vec<String>,
    /// Services consuming from those queues, sorted.
    pub consumers: Vec<String>,
    /// For each receiving queue that has one: its dead-letter queue.
    pub dead_letter: Vec<DeadLetter>,
}

/// A binding that routes a key to a queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RouteBinding {
    pub exchange: String,
    pub queue: String,
    /// Binding pattern: `*` matches exactly one word, `#` zero or more.
    #[schemars(example = "auth.user.*")]
    pub pattern: String,
}

/// A queue's dead-letter settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DeadLetter {
    pub queue: String,
    pub dead_letter_queue: String,
    /// Failed deliveries before a message goes to the dead-letter queue.
    pub max_deliveries: Option<u32>,
}

/// `GET /healthz`: the server is up and its database answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Health {
    /// Always `ok`.
    pub status: String,
    /// `sqlite` or `postgres`.
    pub database: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_read_what_confluent_clients_send() {
        let r: SchemaRequest =
            serde_json::from_str(r#"{"schema":"{}","references":null,"extra":1}"#).expect("body");
        assert_eq!(r.references, []);
        assert_eq!(r.schema_type, None);
        let v: SchemaVersion = serde_json::from_str(
            r#"{"subject":"a","version":1,"id":7,"schema":"{}","references":[{"name":"b.json","subject":"b","version":2}]}"#,
        )
        .expect("version");
        assert_eq!(v.schema_type, "JSON");
        assert_eq!(v.references[0].subject, "b");
        let text = serde_json::to_string(&SchemaRequest::json("{}".into(), vec![])).expect("json");
        assert_eq!(text, r#"{"schema":"{}","schemaType":"JSON"}"#);
    }
}
