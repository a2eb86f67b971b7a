//! The JSON bodies of the Confluent Schema Registry API as evreg speaks it.

use serde::{Deserialize, Deserializer, Serialize};

/// A reference from a schema to a version of another subject: `name` is how
/// the schema's `$ref`s spell it (Confluent's `references`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Reference {
    pub name: String,
    pub subject: String,
    pub version: i64,
}

/// The register and lookup request (`POST /subjects/{s}/versions`,
/// `POST /subjects/{s}`, compatibility checks); unknown fields are ignored,
/// as Confluent does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaRequest {
    /// The schema as JSON text.
    pub schema: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schema_type: Option<String>,
    #[serde(
        default,
        deserialize_with = "null_as_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub references: Vec<Reference>,
    /// IMPORT mode only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<i64>,
    /// IMPORT mode only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaVersion {
    pub subject: String,
    pub version: i64,
    pub id: i64,
    #[serde(default = "json_type")]
    pub schema_type: String,
    /// The schema text as first registered.
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaById {
    pub schema: String,
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Registered {
    pub id: i64,
    /// Absent from Confluent's own answer before 7.x.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
}

/// Every error answer: Confluent's `error_code` and a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error_code: u32,
    pub message: String,
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
