//! Every HTTP route of the registry, declared once: method, path, who may call it, its query parameters and its bodies.
//!
//! The server builds its router from [`ROUTES`] (one handler per [`Op`],
//! matched exhaustively), checks each request's role against the route's
//! [`Access`], and serves the OpenAPI document [`crate::openapi`] writes
//! from the same table. The web UI's pages are routes here too, with the
//! session role they need; they are HTML, so OpenAPI leaves them out.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};

use crate::bodies::*;

/// What a token may do; each role includes the ones before it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read subjects, versions, schemas, config; check compatibility; validate.
    Reader,
    /// Also register versions and soft-delete them.
    Writer,
    /// Also change config and modes, and delete permanently.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Writer => "writer",
            Role::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, with tokens configured or not: liveness and the API description.
    Public,
    /// A bearer token with at least this role (or none, on an anonymous server).
    Token(Role),
    /// Writer; admin with `?permanent=true` (Confluent's hard delete).
    Delete,
    /// A web UI page: the UI's own session, with at least this role.
    Session(Role),
}

impl Access {
    /// The role a request needs, given its query string (`None`: no token needed).
    pub fn needs(self, query: &str) -> Option<Role> {
        match self {
            Access::Public => None,
            Access::Token(role) | Access::Session(role) => Some(role),
            Access::Delete if permanent(query) => Some(Role::Admin),
            Access::Delete => Some(Role::Writer),
        }
    }
}

/// Whether `?permanent=true` is set, decoded as the handlers decode it
/// (`permanent=%74rue` is `true` too); an unreadable query counts as set, so
/// it can only ask for more.
fn permanent(query: &str) -> bool {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query)
        .map(|pairs| {
            pairs
                .iter()
                .any(|(k, v)| k == "permanent" && v.eq_ignore_ascii_case("true"))
        })
        .unwrap_or(true)
}

/// A query parameter a route reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Query {
    Deleted(&'static str),
    Permanent,
    Normalize,
    Verbose,
    DefaultToGlobal,
    Force,
    SubjectPrefix,
    /// `?subject=` on `GET /schemas/ids/{id}`.
    ReadingSubject,
}

/// A request or response body.
#[derive(Debug, Clone, Copy)]
pub enum Payload {
    /// JSON, described by a Rust type's schema.
    Json(fn(&mut SchemaGenerator) -> Schema),
    /// A JSON document whose shape is its own standard (OpenAPI, AsyncAPI, a JSON Schema).
    Document(&'static str),
    /// Text in the given media type.
    Text(&'static str, &'static str),
}

/// `T`'s schema, as a body.
pub const fn json<T: JsonSchema>() -> Payload {
    Payload::Json(schema_of::<T>)
}

fn schema_of<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// How the OpenAPI document describes an API route.
#[derive(Debug, Clone, Copy)]
pub struct Doc {
    /// The `operationId`, as Confluent's own document names it where it has one.
    pub id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub description: &'static str,
    pub query: &'static [Query],
    pub request: Option<Payload>,
    /// The 200 answer and what it is.
    pub response: (Payload, &'static str),
    /// The failures worth naming, with their Confluent error codes; 401 and
    /// 403 (routes needing a token), 413 (routes with a body) and the
    /// catch-all are added by the document writer.
    pub errors: &'static [(u16, &'static str)],
}

/// The operation a route performs: the server has exactly one handler for each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    ListSubjects,
    LookUp,
    DeleteSubject,
    ListVersions,
    Register,
    GetVersion,
    DeleteVersion,
    GetVersionSchema,
    ReferencedBy,
    GetSchema,
    GetSchemaRaw,
    GetSchemaVersions,
    GetSchemaSubjects,
    SchemaTypes,
    GetGlobalConfig,
    PutGlobalConfig,
    DeleteGlobalConfig,
    GetSubjectConfig,
    PutSubjectConfig,
    DeleteSubjectConfig,
    GetGlobalMode,
    PutGlobalMode,
    GetSubjectMode,
    PutSubjectMode,
    DeleteSubjectMode,
    CompatibilityAll,
    CompatibilityOne,
    Validate,
    ValidateBatch,
    TopologyRoute,
    AsyncApi,
    OpenApi,
    Metrics,
    Healthz,
    UiHome,
    UiLoginForm,
    UiLogin,
    UiLogout,
    UiSubjects,
    UiSubject,
    UiVersion,
    UiDiffDefault,
    UiDiff,
    UiCheckForm,
    UiCheck,
    UiValidateForm,
    UiValidate,
    UiTopology,
    UiSettings,
    UiSaveSettings,
    UiAsset,
}

/// One route.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub op: Op,
    pub method: Method,
    /// axum's syntax: `{name}` is one path segment.
    pub path: &'static str,
    pub access: Access,
    /// `None` for the UI's HTML pages, which OpenAPI does not describe.
    pub doc: Option<Doc>,
}

impl Route {
    /// The path parameters, in order.
    pub fn params(&self) -> impl Iterator<Item = &'static str> {
        self.path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
    }
}

const READ: Access = Access::Token(Role::Reader);
const NOT_JSON_SCHEMA: &str = "42201: the schema is not JSON or not a well-formed JSON Schema, `schemaType` is not JSON, or a reference is malformed or names a version that does not exist.";
const BAD_VERSION: &str =
    "42202: the version is not a positive integer up to 2^31-1, `latest` or `-1`.";
const BAD_ID: &str = "400: the id is not a positive integer.";
const NO_ID: &str = "40403: no schema has this id.";
const NO_VERSION: &str = "40401: subject not found; 40402: version not found.";
const BAD_MODE: &str = "42204: invalid mode; 42205: IMPORT requested while versions exist (soft-deleted ones included) and `force` is not true.";

const fn api(op: Op, method: Method, path: &'static str, access: Access, doc: Doc) -> Route {
    Route {
        op,
        method,
        path,
        access,
        doc: Some(doc),
    }
}

const fn page(op: Op, method: Method, path: &'static str, access: Access) -> Route {
    Route {
        op,
        method,
        path,
        access,
        doc: None,
    }
}

/// A [`Doc`] with nothing but its id, tag, summary and answer; the rest by `..`.
const fn doc(
    id: &'static str,
    tag: &'static str,
    summary: &'static str,
    response: (Payload, &'static str),
) -> Doc {
    Doc {
        id,
        tag,
        summary,
        description: "",
        query: &[],
        request: None,
        response,
        errors: &[],
    }
}

use Method::{Delete, Get, Post, Put};

/// Every route the registry serves.
pub const ROUTES: &[Route] = &[
    api(
        Op::ListSubjects,
        Get,
        "/subjects",
        READ,
        Doc {
            query: &[
                Query::Deleted("Also list subjects whose versions are all soft-deleted."),
                Query::SubjectPrefix,
            ],
            ..doc(
                "listSubjects",
                "Subjects",
                "List subjects",
                (
                    json::<Vec<String>>(),
                    "Subject names, sorted; only those the caller's token may see.",
                ),
            )
        },
    ),
    api(
        Op::LookUp,
        Post,
        "/subjects/{subject}",
        READ,
        Doc {
            description: "Schemas are compared in canonical form (object keys sorted, no insignificant white space), so the same schema written differently is found.",
            query: &[
                Query::Deleted("Also look among soft-deleted versions."),
                Query::Normalize,
            ],
            request: Some(json::<SchemaRequest>()),
            errors: &[
                (400, ""),
                (
                    404,
                    "40401: subject not found (no live version); 40403: the schema is not registered under the subject.",
                ),
                (422, NOT_JSON_SCHEMA),
            ],
            ..doc(
                "lookUpSchemaUnderSubject",
                "Subjects",
                "Look up a schema under a subject by content",
                (
                    json::<SchemaVersion>(),
                    "The version of the subject holding this schema.",
                ),
            )
        },
    ),
    api(
        Op::DeleteSubject,
        Delete,
        "/subjects/{subject}",
        Access::Delete,
        Doc {
            description: "Soft-deletes every version of the subject; with `permanent=true`, removes already soft-deleted versions for good. Version numbers are never reused, even after a permanent delete. Needs the writer role, admin with `permanent=true`.",
            query: &[Query::Permanent],
            errors: &[
                (
                    404,
                    "40401: subject not found; 40405: `permanent=true` on a subject that was not soft-deleted first.",
                ),
                (
                    422,
                    "42205: the subject is in READONLY mode; 42206: another schema references one of its versions.",
                ),
            ],
            ..doc(
                "deleteSubject",
                "Subjects",
                "Delete a subject",
                (json::<Vec<i64>>(), "The versions deleted."),
            )
        },
    ),
    api(
        Op::ListVersions,
        Get,
        "/subjects/{subject}/versions",
        READ,
        Doc {
            query: &[Query::Deleted("Also list soft-deleted versions.")],
            errors: &[(404, "40401: subject not found.")],
            ..doc(
                "listVersions",
                "Subjects",
                "List the versions of a subject",
                (json::<Vec<i64>>(), "Version numbers, ascending."),
            )
        },
    ),
    api(
        Op::Register,
        Post,
        "/subjects/{subject}/versions",
        Access::Token(Role::Writer),
        Doc {
            description: "The new version is checked against the subject's live versions inside the write transaction: against the latest under BACKWARD, FORWARD and FULL, against all of them under the *_TRANSITIVE levels, not at all under NONE. In IMPORT mode there is no check, and an explicit `id` and `version` are honoured.",
            query: &[Query::Normalize],
            request: Some(json::<SchemaRequest>()),
            errors: &[
                (400, ""),
                (
                    409,
                    "409: the schema is incompatible with earlier versions under the subject's compatibility level and policy. `evreg` carries the report, each breaking change with a witness event, and the queues and consumers the routing key reaches.",
                ),
                (
                    422,
                    "42201: invalid schema (see `POST /subjects/{subject}`), a `pattern` that is not a regular expression, or `$ref`s that expand to over 1,000,000 nodes; 42202: in IMPORT mode, an explicit `version` below 1 or already live; 42205: operation not permitted (the subject's effective mode is READONLY, `id` or `version` given outside IMPORT mode, or `id` already taken by other content); 42208: invalid subject name (empty, over 255 bytes, or with control characters).",
                ),
            ],
            ..doc(
                "register",
                "Subjects",
                "Register a schema under a subject",
                (
                    json::<Registered>(),
                    "The schema's id. Registering content the subject already holds returns its existing id and adds no version; the same schema under another subject gets the same id.",
                ),
            )
        },
    ),
    api(
        Op::GetVersion,
        Get,
        "/subjects/{subject}/versions/{version}",
        READ,
        Doc {
            query: &[Query::Deleted("Also return a soft-deleted version.")],
            errors: &[(404, NO_VERSION), (422, BAD_VERSION)],
            ..doc(
                "getSchemaByVersion",
                "Subjects",
                "Get a version of a subject",
                (json::<SchemaVersion>(), "The version."),
            )
        },
    ),
    api(
        Op::DeleteVersion,
        Delete,
        "/subjects/{subject}/versions/{version}",
        Access::Delete,
        Doc {
            description: "Soft-deletes the version (its schema id stays readable); with `permanent=true`, removes a soft-deleted version for good. Needs the writer role, admin with `permanent=true`.",
            query: &[Query::Permanent],
            errors: &[
                (
                    404,
                    "40401: subject not found; 40402: version not found; 40407: `permanent=true` on a version that was not soft-deleted first.",
                ),
                (
                    422,
                    "42202: invalid version; 42205: the subject is in READONLY mode; 42206: another schema references this version.",
                ),
            ],
            ..doc(
                "deleteSchemaVersion",
                "Subjects",
                "Delete a version of a subject",
                (json::<i64>(), "The version deleted."),
            )
        },
    ),
    api(
        Op::GetVersionSchema,
        Get,
        "/subjects/{subject}/versions/{version}/schema",
        READ,
        Doc {
            query: &[Query::Deleted("Also return a soft-deleted version.")],
            errors: &[(404, NO_VERSION), (422, BAD_VERSION)],
            ..doc(
                "getSchemaOnly",
                "Subjects",
                "Get the schema of a version, unescaped",
                (
                    Payload::Document("A JSON Schema document (an object or a boolean)."),
                    "The JSON Schema itself (a JSON document, not a string), in canonical form.",
                ),
            )
        },
    ),
    api(
        Op::ReferencedBy,
        Get,
        "/subjects/{subject}/versions/{version}/referencedby",
        READ,
        Doc {
            errors: &[(404, NO_VERSION), (422, BAD_VERSION)],
            ..doc(
                "getReferencedBy",
                "Subjects",
                "List the schemas that reference a version",
                (
                    json::<Vec<i64>>(),
                    "Ids of the schemas, registered as live versions, whose `references` name this subject and version.",
                ),
            )
        },
    ),
    api(
        Op::GetSchema,
        Get,
        "/schemas/ids/{id}",
        READ,
        Doc {
            query: &[Query::ReadingSubject],
            errors: &[(400, BAD_ID), (404, NO_ID)],
            ..doc(
                "getSchema",
                "Schemas",
                "Get a schema by id",
                (json::<SchemaById>(), "The schema."),
            )
        },
    ),
    api(
        Op::GetSchemaRaw,
        Get,
        "/schemas/ids/{id}/schema",
        READ,
        Doc {
            errors: &[(400, BAD_ID), (404, NO_ID)],
            ..doc(
                "getSchemaOnlyById",
                "Schemas",
                "Get a schema by id, unescaped",
                (
                    Payload::Document("A JSON Schema document (an object or a boolean)."),
                    "The JSON Schema itself.",
                ),
            )
        },
    ),
    api(
        Op::GetSchemaVersions,
        Get,
        "/schemas/ids/{id}/versions",
        READ,
        Doc {
            query: &[Query::Deleted("Also list soft-deleted versions.")],
            errors: &[(400, BAD_ID), (404, NO_ID)],
            ..doc(
                "getSchemaVersions",
                "Schemas",
                "List the subject versions that use a schema",
                (
                    json::<Vec<SubjectVersion>>(),
                    "Every live (subject, version) pair whose schema has this id.",
                ),
            )
        },
    ),
    api(
        Op::GetSchemaSubjects,
        Get,
        "/schemas/ids/{id}/subjects",
        READ,
        Doc {
            query: &[Query::Deleted(
                "Also list subjects whose version is soft-deleted.",
            )],
            errors: &[(400, BAD_ID), (404, NO_ID)],
            ..doc(
                "getSchemaSubjects",
                "Schemas",
                "List the subjects that use a schema",
                (
                    json::<Vec<String>>(),
                    "Subjects with a live version whose schema has this id.",
                ),
            )
        },
    ),
    api(
        Op::SchemaTypes,
        Get,
        "/schemas/types",
        READ,
        doc(
            "getSchemaTypes",
            "Schemas",
            "List the supported schema types",
            (
                json::<Vec<String>>(),
                "evreg stores JSON schemas only: `[\"JSON\"]`.",
            ),
        ),
    ),
    api(
        Op::GetGlobalConfig,
        Get,
        "/config",
        READ,
        doc(
            "getTopLevelConfig",
            "Config",
            "Get the global compatibility level and policy",
            (
                json::<Config>(),
                "The global settings, or the server's defaults when none are set.",
            ),
        ),
    ),
    api(
        Op::PutGlobalConfig,
        Put,
        "/config",
        Access::Token(Role::Admin),
        Doc {
            request: Some(json::<ConfigUpdate>()),
            errors: &[
                (400, ""),
                (422, "42203: invalid compatibility level or policy."),
            ],
            ..doc(
                "updateTopLevelConfig",
                "Config",
                "Set the global compatibility level and policy",
                (json::<ConfigStored>(), "The settings stored."),
            )
        },
    ),
    api(
        Op::DeleteGlobalConfig,
        Delete,
        "/config",
        Access::Token(Role::Admin),
        doc(
            "deleteTopLevelConfig",
            "Config",
            "Reset the global settings to the server's defaults",
            (json::<Config>(), "The settings in force before the reset."),
        ),
    ),
    api(
        Op::GetSubjectConfig,
        Get,
        "/config/{subject}",
        READ,
        Doc {
            query: &[Query::DefaultToGlobal],
            errors: &[(
                404,
                "40408: the subject has no compatibility configuration of its own.",
            )],
            ..doc(
                "getSubjectLevelConfig",
                "Config",
                "Get a subject's compatibility level and policy",
                (
                    json::<Config>(),
                    "The subject's settings; a policy it does not set is inherited from the global settings.",
                ),
            )
        },
    ),
    api(
        Op::PutSubjectConfig,
        Put,
        "/config/{subject}",
        Access::Token(Role::Admin),
        Doc {
            request: Some(json::<ConfigUpdate>()),
            errors: &[
                (400, ""),
                (422, "42203: invalid compatibility level or policy."),
            ],
            ..doc(
                "updateSubjectLevelConfig",
                "Config",
                "Set a subject's compatibility level and policy",
                (json::<ConfigStored>(), "The settings stored."),
            )
        },
    ),
    api(
        Op::DeleteSubjectConfig,
        Delete,
        "/config/{subject}",
        Access::Token(Role::Admin),
        Doc {
            errors: &[(
                404,
                "40408: the subject has no compatibility configuration of its own.",
            )],
            ..doc(
                "deleteSubjectConfig",
                "Config",
                "Remove a subject's own settings",
                (
                    json::<Config>(),
                    "The subject's settings before the removal; it now follows the global settings.",
                ),
            )
        },
    ),
    api(
        Op::GetGlobalMode,
        Get,
        "/mode",
        READ,
        doc(
            "getTopLevelMode",
            "Mode",
            "Get the global mode",
            (
                json::<ModeBody>(),
                "The global mode; READWRITE when none is set.",
            ),
        ),
    ),
    api(
        Op::PutGlobalMode,
        Put,
        "/mode",
        Access::Token(Role::Admin),
        Doc {
            query: &[Query::Force],
            request: Some(json::<ModeBody>()),
            errors: &[(400, ""), (422, BAD_MODE)],
            ..doc(
                "updateTopLevelMode",
                "Mode",
                "Set the global mode",
                (json::<ModeBody>(), "The mode stored."),
            )
        },
    ),
    api(
        Op::GetSubjectMode,
        Get,
        "/mode/{subject}",
        READ,
        Doc {
            query: &[Query::DefaultToGlobal],
            errors: &[(404, "40409: the subject has no mode of its own.")],
            ..doc(
                "getMode",
                "Mode",
                "Get a subject's mode",
                (
                    json::<ModeBody>(),
                    "The subject's own mode, or with `defaultToGlobal` the mode in force for it.",
                ),
            )
        },
    ),
    api(
        Op::PutSubjectMode,
        Put,
        "/mode/{subject}",
        Access::Token(Role::Admin),
        Doc {
            query: &[Query::Force],
            request: Some(json::<ModeBody>()),
            errors: &[(400, ""), (422, BAD_MODE)],
            ..doc(
                "updateMode",
                "Mode",
                "Set a subject's mode",
                (json::<ModeBody>(), "The mode stored."),
            )
        },
    ),
    api(
        Op::DeleteSubjectMode,
        Delete,
        "/mode/{subject}",
        Access::Token(Role::Admin),
        Doc {
            errors: &[(404, "40409: the subject has no mode of its own.")],
            ..doc(
                "deleteSubjectMode",
                "Mode",
                "Remove a subject's own mode",
                (
                    json::<ModeBody>(),
                    "The subject's mode before the removal; it now follows the global mode.",
                ),
            )
        },
    ),
    api(
        Op::CompatibilityAll,
        Post,
        "/compatibility/subjects/{subject}/versions",
        READ,
        Doc {
            description: "Checks the candidate as registering it would: against the latest live version, or all of them under a *_TRANSITIVE level, under the subject's effective level and policy. A subject with no versions accepts any schema.",
            query: &[Query::Verbose],
            request: Some(json::<SchemaRequest>()),
            errors: &[(400, ""), (422, NOT_JSON_SCHEMA)],
            ..doc(
                "testCompatibilityForSubject",
                "Compatibility",
                "Test a schema against a subject's versions",
                (
                    json::<CompatibilityCheck>(),
                    "The answer; nothing is registered.",
                ),
            )
        },
    ),
    api(
        Op::CompatibilityOne,
        Post,
        "/compatibility/subjects/{subject}/versions/{version}",
        READ,
        Doc {
            description: "Checks the candidate against that version alone; a *_TRANSITIVE level is applied as its non-transitive counterpart.",
            query: &[Query::Verbose],
            request: Some(json::<SchemaRequest>()),
            errors: &[
                (400, ""),
                (404, NO_VERSION),
                (422, "42201: invalid schema; 42202: invalid version."),
            ],
            ..doc(
                "testCompatibilityBySubjectName",
                "Compatibility",
                "Test a schema against one version of a subject",
                (
                    json::<CompatibilityCheck>(),
                    "The answer; nothing is registered.",
                ),
            )
        },
    ),
    api(
        Op::Validate,
        Post,
        "/validate",
        READ,
        Doc {
            description: "The message is routed by its own `event_type` (the subject) and `event_version` (`v2`, `2` or 2 select version 2) and validated against the full message schema: the configured envelope with `event_type` fixed to the subject, `event_version` to the version and `payload` to that version's schema. With no envelope configured, only `payload` is validated, against the version's schema.",
            request: Some(Payload::Document(
                "One whole event: the common envelope (the registry's configured `envelope.json`) around a payload. Only `event_type` and `event_version` choose the schema; everything, including their presence, is checked and reported in a 200 answer.",
            )),
            errors: &[
                (400, "400: the body is not JSON."),
                (
                    404,
                    "40401: no subject is named by `event_type`; 40402: the subject has no live version `event_version`.",
                ),
            ],
            ..doc(
                "validateMessage",
                "Validation",
                "Validate one message (evreg extension)",
                (
                    json::<ValidationResult>(),
                    "Whether the message is valid. An invalid message, or one without a usable `event_type` or `event_version`, is still a 200.",
                ),
            )
        },
    ),
    api(
        Op::ValidateBatch,
        Post,
        "/validate/batch",
        READ,
        Doc {
            description: "Each non-blank line is one message, validated as by `POST /validate`; blank lines are skipped. A line that is not JSON, or whose `event_type`/`event_version` names no live subject version, is an invalid line; the request itself still succeeds.",
            request: Some(Payload::Text(
                "application/x-ndjson",
                "One JSON message per line (UTF-8).",
            )),
            errors: &[(400, "400: the body is not UTF-8.")],
            ..doc(
                "validateBatch",
                "Validation",
                "Validate newline-delimited messages (evreg extension)",
                (
                    json::<BatchValidation>(),
                    "Counts, and the errors of the invalid lines.",
                ),
            )
        },
    ),
    api(
        Op::TopologyRoute,
        Get,
        "/topology/routes/{routing_key}",
        READ,
        Doc {
            errors: &[
                (
                    400,
                    "400: not a valid routing key, or the server has no topology (`evreg.toml`) configured.",
                ),
                (
                    404,
                    "40401: unknown routing key (no exchange `{service}.events` is declared for its first word).",
                ),
            ],
            ..doc(
                "getRoute",
                "Topology",
                "Where the events of a routing key go (evreg extension)",
                (
                    json::<RouteOf>(),
                    "The exchange the key is published to, the bindings that match it (RabbitMQ topic semantics), the queues that receive it, the services that consume them and the queues' dead-letter settings.",
                ),
            )
        },
    ),
    api(
        Op::AsyncApi,
        Get,
        "/asyncapi/{service}",
        READ,
        Doc {
            errors: &[
                (
                    400,
                    "400: the server has no topology (`evreg.toml`) configured.",
                ),
                (404, "40401: no such service in evreg.toml."),
                (
                    422,
                    "42201: a registered schema uses a keyword draft-07 cannot express.",
                ),
            ],
            ..doc(
                "getAsyncApi",
                "Topology",
                "The service's AsyncAPI 3.0 document (evreg extension)",
                (
                    Payload::Document("An AsyncAPI 3.0 document."),
                    "Channels per routing key the service produces and per queue it consumes, messages per registered version (whole messages, JSON Schema draft-07, every $ref bundled), AMQP bindings, and x-evreg-dead-letter-queue, x-evreg-retry, x-evreg-binding-patterns.",
                ),
            )
        },
    ),
    api(
        Op::OpenApi,
        Get,
        "/openapi.json",
        Access::Public,
        doc(
            "getOpenApi",
            "Operations",
            "This document",
            (
                Payload::Document("An OpenAPI 3.1 document."),
                "The OpenAPI 3.1 document, written from the server's route table.",
            ),
        ),
    ),
    api(
        Op::Metrics,
        Get,
        "/metrics",
        READ,
        doc(
            "getMetrics",
            "Operations",
            "Prometheus metrics",
            (
                Payload::Text(
                    "text/plain; version=0.0.4; charset=utf-8",
                    "Prometheus text exposition format.",
                ),
                "`evreg_http_requests_total` and `evreg_http_request_duration_seconds` by route, method and status, registrations, compatibility refusals, validations, cache hits, misses and entries.",
            ),
        ),
    ),
    api(
        Op::Healthz,
        Get,
        "/healthz",
        Access::Public,
        Doc {
            errors: &[(503, "50003: the database is unreachable.")],
            ..doc(
                "healthz",
                "Operations",
                "Health check",
                (
                    json::<Health>(),
                    "The server is up and its database answers.",
                ),
            )
        },
    ),
    page(Op::UiHome, Get, "/ui", Access::Session(Role::Reader)),
    page(Op::UiHome, Get, "/ui/", Access::Session(Role::Reader)),
    // Sign-in and its assets are open: the session they start grants nothing yet.
    page(Op::UiLoginForm, Get, "/ui/login", Access::Public),
    page(Op::UiLogin, Post, "/ui/login", Access::Public),
    page(Op::UiLogout, Post, "/ui/logout", Access::Public),
    page(Op::UiAsset, Get, "/ui/assets/{file}", Access::Public),
    page(
        Op::UiSubjects,
        Get,
        "/ui/subjects",
        Access::Session(Role::Reader),
    ),
    page(
        Op::UiSubject,
        Get,
        "/ui/subjects/{subject}",
        Access::Session(Role::Reader),
    ),
    page(
        Op::UiVersion,
        Get,
        "/ui/subjects/{subject}/versions/{version}",
        Access::Session(Role::Reader),
    ),
    page(
        Op::UiDiffDefault,
        Get,
        "/ui/subjects/{subject}/diff",
        Access::Session(Role::Reader),
    ),
    page(
        Op::UiDiff,
        Get,
        "/ui/subjects/{subject}/diff/{range}",
        Access::Session(Role::Reader),
    ),
    page(
        Op::UiCheckForm,
        Get,
        "/ui/subjects/{subject}/check",
        Access::Session(Role::Reader),
    ),
    // A dry run needs a reader; its register button, a writer (checked with the subject's mode).
    page(
        Op::UiCheck,
        Post,
        "/ui/subjects/{subject}/check",
        Access::Session(Role::Reader),
    ),
    page(
        Op::UiValidateForm,
        Get,
        "/ui/validate",
        Access::Session(Role::Reader),
    ),
    page(
        Op::UiValidate,
        Post,
        "/ui/validate",
        Access::Session(Role::Reader),
    ),
    page(
        Op::UiTopology,
        Get,
        "/ui/topology",
        Access::Session(Role::Reader),
    ),
    page(
        Op::UiSettings,
        Get,
        "/ui/settings",
        Access::Session(Role::Reader),
    ),
    page(
        Op::UiSaveSettings,
        Post,
        "/ui/settings",
        Access::Session(Role::Admin),
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_method_and_path_is_declared_once() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES {
            assert!(
                seen.insert((r.method, r.path)),
                "{} {} twice",
                r.method.as_str(),
                r.path
            );
            assert_eq!(
                r.doc.is_none(),
                r.path == "/ui" || r.path.starts_with("/ui/"),
                "{}: API routes are documented, UI pages are not",
                r.path
            );
        }
    }

    #[test]
    fn roles_by_request() {
        let need = |m: Method, p: &str, q: &str| {
            ROUTES
                .iter()
                .find(|r| r.method == m && r.path == p)
                .map(|r| r.access.needs(q))
                .expect("declared")
        };
        assert_eq!(need(Get, "/subjects", ""), Some(Role::Reader));
        assert_eq!(need(Post, "/subjects/{subject}", ""), Some(Role::Reader));
        assert_eq!(
            need(Post, "/compatibility/subjects/{subject}/versions", ""),
            Some(Role::Reader)
        );
        assert_eq!(need(Post, "/validate/batch", ""), Some(Role::Reader));
        assert_eq!(
            need(Post, "/subjects/{subject}/versions", ""),
            Some(Role::Writer)
        );
        assert_eq!(need(Delete, "/subjects/{subject}", ""), Some(Role::Writer));
        assert_eq!(
            need(Delete, "/subjects/{subject}", "permanent=TRUE"),
            Some(Role::Admin)
        );
        assert_eq!(
            need(Delete, "/subjects/{subject}", "permanent=%74rue"),
            Some(Role::Admin)
        );
        assert_eq!(need(Put, "/config/{subject}", ""), Some(Role::Admin));
        assert_eq!(need(Put, "/mode", ""), Some(Role::Admin));
        assert_eq!(need(Get, "/healthz", ""), None);
        assert_eq!(need(Post, "/ui/settings", ""), Some(Role::Admin));
    }
}
