//! The OpenAPI 3.1 document, written from the route table and the bodies' JSON Schemas.

use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::bodies::ErrorBody;
use crate::routes::{Access, Doc, Payload, Query, ROUTES, Route};

/// Responses are sent as Confluent's media type; requests may use it or plain JSON.
pub const MEDIA_TYPE: &str = "application/vnd.schemaregistry.v1+json";

const DESCRIPTION: &str = "The Confluent Schema Registry REST API for JSON schemas, where a subject is an event's routing key, plus evreg's extensions: compatibility reports with witness events, validation of whole messages, topology queries, metrics and health.

Requests with a body must send it as JSON (`application/json`, `application/vnd.schemaregistry.v1+json`, `application/vnd.schemaregistry+json` or `application/octet-stream`, as Confluent accepts; `application/x-ndjson` for `POST /validate/batch`); responses are `application/vnd.schemaregistry.v1+json`. Every error is `{\"error_code\": int, \"message\": string}` with Confluent's codes. An unknown route, or a known route with a method it does not serve, answers 404 with `error_code` 404. Bodies are limited to 1 MiB by default (413, 41301); a request that does not finish within the time limit (30 s by default) answers 503 with `error_code` 50002.

Authentication is a bearer token. With no tokens configured the server serves loopback only and every request is anonymous. With tokens configured, every request but `GET /healthz` and `GET /openapi.json` needs one: a missing or unknown token is refused with 401 (40101), a token whose role or subject prefixes do not cover the request with 403 (40301). Roles: reader (reads, lookups, compatibility tests, validation), writer (also registrations and soft deletes), admin (also config, modes and permanent deletes); each operation's security requirement names its role.";

const TAGS: &[(&str, &str)] = &[
    ("Subjects", "Versions of a subject."),
    ("Schemas", "Schemas by global id."),
    (
        "Config",
        "Compatibility level and policy, global and per subject.",
    ),
    ("Mode", "Read-write, read-only and import modes."),
    ("Compatibility", "Test a schema without registering it."),
    (
        "Validation",
        "evreg: validate events against their registered schemas.",
    ),
    ("Topology", "evreg: RabbitMQ routing of events."),
    ("Operations", "Document, metrics and health."),
];

/// The document every `GET /openapi.json` answers.
pub fn openapi() -> Value {
    let mut generator = SchemaSettings::draft2020_12()
        .with(|s| s.definitions_path = "/components/schemas".into())
        .into_generator();
    let error = generator.subschema_for::<ErrorBody>();
    let error = serde_json::to_value(error).unwrap_or(Value::Null);
    let mut paths = Map::new();
    for route in ROUTES {
        let Some(doc) = &route.doc else { continue };
        let item = paths
            .entry(route.path)
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("a path item is an object");
        if !item.contains_key("parameters") && route.params().next().is_some() {
            let params: Vec<Value> = route.params().map(path_parameter).collect();
            item.insert("parameters".into(), Value::Array(params));
        }
        item.insert(
            route.method.as_str().to_ascii_lowercase(),
            operation(route, doc, &mut generator, &error),
        );
    }
    let schemas = generator.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "evreg registry",
            "version": env!("CARGO_PKG_VERSION"),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
            "description": DESCRIPTION,
        },
        "externalDocs": {
            "description": "Confluent Schema Registry API reference",
            "url": "https://docs.confluent.io/platform/current/schema-registry/develop/api.html",
        },
        "servers": [{"url": "/", "description": "The server this document was fetched from (`evreg serve --listen`, default 127.0.0.1:8081)."}],
        "security": [{}, {"bearerAuth": []}],
        "tags": TAGS.iter().map(|(name, description)| json!({"name": name, "description": description})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A token from `evreg token`; the server stores only its SHA-256. Scopes name the role an operation needs.",
                },
            },
        },
    })
}

fn operation(
    route: &Route,
    doc: &Doc,
    generator: &mut schemars::SchemaGenerator,
    error: &Value,
) -> Value {
    let mut op = Map::new();
    op.insert("tags".into(), json!([doc.tag]));
    op.insert("operationId".into(), json!(doc.id));
    op.insert("summary".into(), json!(doc.summary));
    if !doc.description.is_empty() {
        op.insert("description".into(), json!(doc.description));
    }
    let security = match route.access {
        Access::Public => json!([{}]),
        Access::Delete => json!([{}, {"bearerAuth": ["writer", "admin"]}]),
        Access::Token(role) | Access::Session(role) => {
            json!([{}, {"bearerAuth": [role.as_str()]}])
        }
    };
    op.insert("security".into(), security);
    if !doc.query.is_empty() {
        let params: Vec<Value> = doc.query.iter().map(|q| query_parameter(*q)).collect();
        op.insert("parameters".into(), Value::Array(params));
    }
    if let Some(body) = doc.request {
        let mut content = Map::new();
        match body {
            Payload::Text(media, _) => {
                content.insert(media.into(), media_of(body, generator));
            }
            _ => {
                for media in [MEDIA_TYPE, "application/json"] {
                    content.insert(media.into(), media_of(body, generator));
                }
            }
        }
        op.insert(
            "requestBody".into(),
            json!({"required": true, "content": content}),
        );
    }
    let mut responses = Map::new();
    let (body, description) = doc.response;
    let media = match body {
        Payload::Text(media, _) => media,
        Payload::Document(_) => "application/json",
        Payload::Json(_) => MEDIA_TYPE,
    };
    responses.insert(
        "200".into(),
        json!({"description": description, "content": {media: media_of(body, generator)}}),
    );
    let failure = |description: &str| json!({"description": description, "content": {MEDIA_TYPE: {"schema": error}}});
    if route.access != Access::Public {
        responses.insert(
            "401".into(),
            failure("40101: tokens are configured and the bearer token is missing or unknown."),
        );
        responses.insert(
            "403".into(),
            failure("40301: the token's role or subject prefixes do not allow this request."),
        );
    }
    if doc.request.is_some() {
        responses.insert(
            "413".into(),
            failure("41301: the request body exceeds the server's limit (1 MiB by default)."),
        );
        responses.insert(
            "415".into(),
            failure("415: the body's content type is not JSON."),
        );
    }
    for (status, description) in doc.errors {
        let description = match (*status, *description) {
            (400, "") => {
                "400: the body is not JSON or lacks a required field, or a parameter is malformed."
            }
            (_, d) => d,
        };
        responses.insert(status.to_string(), failure(description));
    }
    responses.insert(
        "default".into(),
        failure("Any other error, as `{error_code, message}`: 500 (50001) on an internal error, 503 (50002) when the request does not finish within the server's time limit."),
    );
    op.insert("responses".into(), Value::Object(responses));
    Value::Object(op)
}

fn media_of(body: Payload, generator: &mut schemars::SchemaGenerator) -> Value {
    let schema = match body {
        Payload::Json(schema) => serde_json::to_value(schema(generator)).unwrap_or(Value::Null),
        Payload::Document(description) => {
            json!({"type": ["object", "boolean"], "description": description})
        }
        Payload::Text(_, description) => json!({"type": "string", "description": description}),
    };
    json!({ "schema": schema })
}

fn path_parameter(name: &str) -> Value {
    let (description, schema) = match name {
        "subject" => (
            "Subject name (URL-encoded): any name of 1 to 255 bytes without control characters; usually a routing key.",
            json!({"type": "string", "minLength": 1, "maxLength": 255}),
        ),
        "version" => (
            "A version number in [1, 2^31-1], or `latest` (also `-1`) for the latest live version.",
            json!({"type": "string", "pattern": "^(latest|-1|[1-9][0-9]{0,9})$"}),
        ),
        "id" => (
            "Global schema id.",
            json!({"type": "integer", "minimum": 1}),
        ),
        "routing_key" => (
            "Dot-separated words of `[a-z0-9_]`, at most 255 bytes.",
            json!({"type": "string", "maxLength": 255, "pattern": "^[a-z0-9_]+(\\.[a-z0-9_]+)*$"}),
        ),
        "service" => ("A service of evreg.toml.", json!({"type": "string"})),
        _ => ("", json!({"type": "string"})),
    };
    json!({"name": name, "in": "path", "required": true, "description": description, "schema": schema})
}

fn query_parameter(q: Query) -> Value {
    let boolean = json!({"type": "boolean", "default": false});
    let (name, description, schema) = match q {
        Query::Deleted(d) => ("deleted", d, boolean),
        Query::Permanent => (
            "permanent",
            "Delete for good what was soft-deleted before.",
            boolean,
        ),
        Query::Normalize => (
            "normalize",
            "Accepted for Confluent clients; evreg always compares and stores schemas in canonical form.",
            boolean,
        ),
        Query::Verbose => (
            "verbose",
            "Add `messages` and the `evreg` report to the answer.",
            boolean,
        ),
        Query::DefaultToGlobal => (
            "defaultToGlobal",
            "Answer the global setting (or the server's default) when the subject has none of its own, instead of a 404.",
            boolean,
        ),
        Query::Force => ("force", "Set IMPORT even though schemas exist.", boolean),
        Query::SubjectPrefix => (
            "subjectPrefix",
            "Only subjects whose name starts with this prefix.",
            json!({"type": "string"}),
        ),
        Query::ReadingSubject => (
            "subject",
            "Accepted for Confluent clients, which send the subject they read for; ids are global (the same content has one id under every subject), so it does not change the answer.",
            json!({"type": "string"}),
        ),
    };
    json!({"name": name, "in": "query", "required": false, "description": description, "schema": schema})
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every `$ref` in the document points at something in it.
    #[test]
    fn every_reference_resolves() {
        fn walk(v: &Value, root: &Value, refs: &mut usize) {
            match v {
                Value::Object(m) => {
                    if let Some(Value::String(r)) = m.get("$ref") {
                        let pointer = r.strip_prefix('#').expect("local $ref");
                        assert!(root.pointer(pointer).is_some(), "{r} does not resolve");
                        *refs += 1;
                    }
                    m.values().for_each(|x| walk(x, root, refs));
                }
                Value::Array(a) => a.iter().for_each(|x| walk(x, root, refs)),
                _ => {}
            }
        }
        let doc = openapi();
        let mut refs = 0;
        walk(&doc, &doc, &mut refs);
        assert!(refs > 20, "the bodies are shared components: {refs}");
        for name in [
            "RegisterSchemaRequest",
            "SchemaVersion",
            "CompatibilityReport",
            "CompatibilityLevel",
            "Error",
            "Route",
        ] {
            assert!(
                doc["components"]["schemas"][name].is_object(),
                "{name} is a component"
            );
        }
    }

    /// Operation ids are unique and every path parameter is declared.
    #[test]
    fn operations_are_named_once_and_declare_their_parameters() {
        let doc = openapi();
        let mut ids = std::collections::HashSet::new();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let declared: Vec<&str> = item["parameters"]
                .as_array()
                .map(|ps| ps.iter().filter_map(|p| p["name"].as_str()).collect())
                .unwrap_or_default();
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                assert!(
                    declared.contains(&segment.trim_matches(|c| c == '{' || c == '}')),
                    "{path}: {segment} undeclared"
                );
            }
            for (method, op) in item.as_object().expect("item") {
                if method == "parameters" {
                    continue;
                }
                let id = op["operationId"].as_str().expect("operationId");
                assert!(ids.insert(id.to_owned()), "{id} twice");
                assert!(op["responses"]["200"].is_object(), "{method} {path}");
            }
        }
        assert_eq!(
            doc["paths"]["/subjects/{subject}/versions"]["post"]["security"][1]["bearerAuth"][0],
            "writer"
        );
    }
}
