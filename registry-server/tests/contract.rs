//! The registry's contract suite: the HTTP API driven in-process through `oneshot`, on SQLite always and on PostgreSQL when EVREG_TEST_POSTGRES_URL is set.

use axum::http::StatusCode;
use evreg_server::AppState;

#[macro_use]
mod support;
use serde_json::{Value, json};
use support::{send, topology};

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let (status, _, text) = send(
        state,
        method,
        uri,
        &[("content-type", "application/vnd.schemaregistry.v1+json")],
        body.map_or_else(Vec::new, |b| b.to_string().into_bytes()),
    )
    .await;
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// What a page on another site can make a browser send without a CORS
/// preflight: a `text/plain` or form body, or a body with no type, and an
/// `Origin` that is not the server's. None of it registers anything; the
/// real clients' requests still do.
async fn foreign_web_pages_cannot_write(s: AppState) {
    let body = schema(json!({"type": "string"})).to_string();
    /// Headers sent, the status expected, and what the error says.
    type Attempt<'a> = (&'a [(&'a str, &'a str)], StatusCode, &'a str);
    let attempts: [Attempt; 6] = [
        (
            &[("content-type", "text/plain")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected Content-Type",
        ),
        (
            &[("content-type", "application/x-www-form-urlencoded")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "expected Content-Type",
        ),
        (
            &[("content-type", "multipart/form-data; boundary=x")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "found",
        ),
        (
            &[("content-length", "10")],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "found none",
        ),
        (
            &[
                ("content-type", "application/json"),
                ("origin", "https://evil.example"),
                ("host", "127.0.0.1:8081"),
            ],
            StatusCode::FORBIDDEN,
            "may not change this registry",
        ),
        (
            &[
                ("content-type", "application/json"),
                ("sec-fetch-site", "cross-site"),
            ],
            StatusCode::FORBIDDEN,
            "cross-site",
        ),
    ];
    for (headers, want, says) in attempts {
        let (st, _, text) = send(
            &s,
            "POST",
            "/subjects/a.b.c/versions",
            headers,
            body.clone().into_bytes(),
        )
        .await;
        assert_eq!(st, want, "{headers:?}: {text}");
        assert!(text.contains(says), "{headers:?}: {text}");
        assert!(serde_json::from_str::<Value>(&text).is_ok(), "{text}");
    }
    let (_, subjects) = call(&s, "GET", "/subjects", None).await;
    assert_eq!(subjects, json!([]), "nothing was registered");
    // Reads from anywhere are fine (no CORS headers: a foreign page cannot read the answer).
    let (st, _, _) = send(
        &s,
        "GET",
        "/subjects",
        &[("origin", "https://evil.example")],
        Vec::new(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    // The server's own origin, and clients that send none, may write.
    let own = [
        ("content-type", "application/vnd.schemaregistry.v1+json"),
        ("origin", "http://127.0.0.1:8081"),
        ("host", "127.0.0.1:8081"),
    ];
    let (st, _, text) = send(
        &s,
        "POST",
        "/subjects/a.b.c/versions",
        &own,
        body.clone().into_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{text}");
    // On a loopback bind, a Host that is not a loopback name is a DNS-rebinding attempt.
    let mut loopback = s.clone();
    loopback.loopback_only = true;
    let (st, _, text) = send(
        &loopback,
        "GET",
        "/subjects",
        &[("host", "rebind.evil.example:8081")],
        Vec::new(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("DNS rebinding"), "{text}");
    let (st, _, _) = send(
        &loopback,
        "GET",
        "/subjects",
        &[("host", "localhost:8081")],
        Vec::new(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
}

fn schema(v: Value) -> Value {
    json!({"schema": v.to_string(), "schemaType": "JSON", "unknownField": true})
}

async fn register_look_up_and_list(s: AppState) {
    let v1 = json!({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"], "additionalProperties": false});
    let (st, body) = call(
        &s,
        "POST",
        "/subjects/auth.user.created/versions",
        Some(schema(v1.clone())),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{body}");
    let id = body["id"].as_i64().expect("id");
    // The same content again, written differently: same id, no new version.
    let reordered = json!({"additionalProperties": false, "required": ["id"], "properties": {"id": {"type": "string"}}, "type": "object"});
    let (_, again) = call(
        &s,
        "POST",
        "/subjects/auth.user.created/versions",
        Some(schema(reordered)),
    )
    .await;
    assert_eq!(again["id"].as_i64(), Some(id));
    let (_, versions) = call(&s, "GET", "/subjects/auth.user.created/versions", None).await;
    assert_eq!(versions, json!([1]));
    let (_, latest) = call(
        &s,
        "GET",
        "/subjects/auth.user.created/versions/latest",
        None,
    )
    .await;
    assert_eq!(latest["version"], 1);
    assert_eq!(latest["id"].as_i64(), Some(id));
    assert_eq!(latest["schemaType"], "JSON");
    assert_eq!(
        serde_json::from_str::<Value>(latest["schema"].as_str().expect("schema string"))
            .expect("json"),
        v1
    );
    let (_, by_id) = call(&s, "GET", &format!("/schemas/ids/{id}"), None).await;
    assert_eq!(by_id["schemaType"], "JSON");
    let (_, subjects) = call(&s, "GET", "/subjects", None).await;
    assert_eq!(subjects, json!(["auth.user.created"]));
    // The same content under another subject keeps its id.
    let (_, other) = call(
        &s,
        "POST",
        "/subjects/audit-value/versions",
        Some(schema(v1)),
    )
    .await;
    assert_eq!(other["id"].as_i64(), Some(id));
}

async fn incompatible_versions_are_refused_with_a_witness(s: AppState) {
    let v1 = json!({"type": "object", "properties": {"qty": {"type": "integer"}}, "additionalProperties": false});
    let v2 = json!({"type": "object", "properties": {"qty": {"type": "string"}}, "additionalProperties": false});
    call(
        &s,
        "POST",
        "/subjects/inventory.stock.adjusted/versions",
        Some(schema(v1)),
    )
    .await;
    let (st, body) = call(
        &s,
        "POST",
        "/subjects/inventory.stock.adjusted/versions",
        Some(schema(v2)),
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error_code"], 409);
    assert!(
        body["message"]
            .as_str()
            .unwrap_or_default()
            .contains("incompatible"),
        "{body}"
    );
    let witness = &body["evreg"]["changes"][0]["witness"];
    assert!(witness.get("qty").is_some(), "{body}");
    let (_, versions) = call(
        &s,
        "GET",
        "/subjects/inventory.stock.adjusted/versions",
        None,
    )
    .await;
    assert_eq!(
        versions,
        json!([1]),
        "a refused version leaves nothing behind"
    );
    // With compatibility NONE it registers as version 2.
    let (st, _) = call(&s, "PUT", "/config", Some(json!({"compatibility": "none"}))).await;
    assert_eq!(st, StatusCode::OK);
    let v2 = json!({"type": "object", "properties": {"qty": {"type": "string"}}, "additionalProperties": false});
    let (st, _) = call(
        &s,
        "POST",
        "/subjects/inventory.stock.adjusted/versions",
        Some(schema(v2)),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (_, cfg) = call(&s, "GET", "/config", None).await;
    assert_eq!(cfg["compatibilityLevel"], "NONE");
}

/// Integers past 64 bits keep their digits: stored and served as written,
/// told apart (two schemas, two ids), and a refusal's witness is the integer.
async fn integers_past_64_bits_keep_their_digits(s: AppState) {
    const BIG: &str = "12345678910111213141516171819202122232425262728293031";
    const NEXT: &str = "12345678910111213141516171819202122232425262728293032";
    let post = |uri: &'static str, digits: &'static str| {
        let body = format!(
            r#"{{"schema": "{{\"type\": \"object\", \"properties\": {{\"id\": {{\"const\": {digits}}}}}}}"}}"#
        );
        let s = s.clone();
        async move {
            let (status, _, text) = send(
                &s,
                "POST",
                uri,
                &[("content-type", "application/vnd.schemaregistry.v1+json")],
                body.into_bytes(),
            )
            .await;
            (status, text)
        }
    };
    let (st, text) = post("/subjects/big/versions", BIG).await;
    assert_eq!(st, StatusCode::OK, "{text}");
    let (_, _, stored) = send(
        &s,
        "GET",
        "/subjects/big/versions/1/schema",
        &[],
        Vec::new(),
    )
    .await;
    assert!(stored.contains(BIG), "served as written: {stored}");
    // Not the same schema: a lookup of the neighbour finds nothing.
    let (st, text) = post("/subjects/big", NEXT).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{text}");
    let (st, text) = post("/subjects/big/versions", NEXT).await;
    assert_eq!(st, StatusCode::CONFLICT, "{text}");
    assert!(
        text.contains(&format!(r#""witness":{{"id":{BIG}}}"#)),
        "the witness is the integer itself: {text}"
    );
}

async fn errors_are_json_with_confluent_codes(s: AppState) {
    let cases = [
        (
            "GET",
            "/subjects/nope/versions",
            None,
            StatusCode::NOT_FOUND,
            40401,
        ),
        ("GET", "/schemas/ids/99", None, StatusCode::NOT_FOUND, 40403),
        ("GET", "/no/such/route", None, StatusCode::NOT_FOUND, 404),
        (
            "POST",
            "/subjects/a.b.c/versions",
            Some(json!({"schema": "{\"type\": 5}"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            42201,
        ),
        (
            "POST",
            "/subjects/a.b.c/versions",
            Some(json!({"schema": "not json"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            42201,
        ),
        (
            "POST",
            "/subjects/a.b.c/versions",
            Some(json!({"nothing": 1})),
            StatusCode::BAD_REQUEST,
            400,
        ),
        (
            "PUT",
            "/config",
            Some(json!({"compatibility": "SIDEWAYS"})),
            StatusCode::UNPROCESSABLE_ENTITY,
            42203,
        ),
    ];
    for (method, uri, body, status, code) in cases {
        let (st, b) = call(&s, method, uri, body).await;
        assert_eq!(st, status, "{method} {uri}: {b}");
        assert_eq!(b["error_code"], code, "{method} {uri}: {b}");
        assert!(b["message"].is_string());
    }
    call(
        &s,
        "POST",
        "/subjects/a.b.c/versions",
        Some(schema(json!({"type": "string"}))),
    )
    .await;
    let (st, b) = call(&s, "GET", "/subjects/a.b.c/versions/7", None).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40402))
    );
    let (st, b) = call(&s, "GET", "/subjects/a.b.c/versions/zero", None).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(42202))
    );
}

async fn lookup_compatibility_and_subject_config(s: AppState) {
    let v1 = json!({"type": "object", "properties": {"id": {"type": "string"}}, "additionalProperties": false});
    call(
        &s,
        "POST",
        "/subjects/shop.order.placed/versions",
        Some(schema(v1.clone())),
    )
    .await;
    let (st, found) = call(&s, "POST", "/subjects/shop.order.placed", Some(schema(v1))).await;
    assert_eq!(st, StatusCode::OK, "{found}");
    assert_eq!(
        (found["version"].clone(), found["subject"].clone()),
        (json!(1), json!("shop.order.placed"))
    );
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/shop.order.placed",
        Some(schema(json!({"type": "integer"}))),
    )
    .await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40403))
    );

    let narrowed = json!({"type": "object", "properties": {"id": {"type": "integer"}}, "additionalProperties": false});
    let (_, b) = call(
        &s,
        "POST",
        "/compatibility/subjects/shop.order.placed/versions/latest?verbose=TRUE",
        Some(schema(narrowed.clone())),
    )
    .await;
    assert_eq!(b["is_compatible"], false, "{b}");
    assert!(
        b["messages"].as_array().is_some_and(|m| !m.is_empty()),
        "{b}"
    );
    let (_, b) = call(
        &s,
        "POST",
        "/compatibility/subjects/shop.order.placed/versions",
        Some(schema(narrowed)),
    )
    .await;
    assert_eq!(b, json!({"is_compatible": false}));

    let (st, b) = call(&s, "GET", "/config/shop.order.placed", None).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40408))
    );
    let (_, b) = call(
        &s,
        "GET",
        "/config/shop.order.placed?defaultToGlobal=true",
        None,
    )
    .await;
    assert_eq!(b["compatibilityLevel"], "FULL_TRANSITIVE");
    let (st, _) = call(
        &s,
        "PUT",
        "/config/shop.order.placed",
        Some(json!({"compatibility": "BACKWARD", "compatibilityPolicy": "STRICT"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (_, b) = call(&s, "GET", "/config/shop.order.placed", None).await;
    assert_eq!(
        (
            b["compatibilityLevel"].clone(),
            b["compatibilityPolicy"].clone()
        ),
        (json!("BACKWARD"), json!("STRICT"))
    );
}

async fn soft_then_permanent_deletes_never_reuse_versions(s: AppState) {
    let a = json!({"type": "string"});
    let b = json!({"type": ["string", "null"]});
    call(&s, "PUT", "/config", Some(json!({"compatibility": "NONE"}))).await;
    call(
        &s,
        "POST",
        "/subjects/k.e.a/versions",
        Some(schema(a.clone())),
    )
    .await;
    let (_, second) = call(&s, "POST", "/subjects/k.e.a/versions", Some(schema(b))).await;
    let id2 = second["id"].as_i64().expect("id");
    // Permanent first is refused.
    let (st, e) = call(
        &s,
        "DELETE",
        "/subjects/k.e.a/versions/2?permanent=true",
        None,
    )
    .await;
    assert_eq!(
        (st, e["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40407))
    );
    let (st, v) = call(&s, "DELETE", "/subjects/k.e.a/versions/2", None).await;
    assert_eq!((st, v), (StatusCode::OK, json!(2)));
    let (_, versions) = call(&s, "GET", "/subjects/k.e.a/versions", None).await;
    assert_eq!(versions, json!([1]));
    let (st, _) = call(&s, "GET", &format!("/schemas/ids/{id2}"), None).await;
    assert_eq!(
        st,
        StatusCode::OK,
        "a soft-deleted version's id stays readable"
    );
    let (st, v) = call(
        &s,
        "DELETE",
        "/subjects/k.e.a/versions/2?permanent=TRUE",
        None,
    )
    .await;
    assert_eq!((st, v), (StatusCode::OK, json!(2)));
    // A new version gets number 3, not 2.
    call(
        &s,
        "POST",
        "/subjects/k.e.a/versions",
        Some(schema(json!({"type": "integer"}))),
    )
    .await;
    let (_, versions) = call(&s, "GET", "/subjects/k.e.a/versions", None).await;
    assert_eq!(versions, json!([1, 3]));
    // Whole subject: permanent before soft is refused, then both work.
    let (st, e) = call(&s, "DELETE", "/subjects/k.e.a?permanent=true", None).await;
    assert_eq!(
        (st, e["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40405))
    );
    let (_, gone) = call(&s, "DELETE", "/subjects/k.e.a", None).await;
    assert_eq!(gone, json!([1, 3]));
    let (_, subjects) = call(&s, "GET", "/subjects", None).await;
    assert_eq!(subjects, json!([]));
    let (_, gone) = call(&s, "DELETE", "/subjects/k.e.a?permanent=true", None).await;
    assert_eq!(gone, json!([1, 3]));
    let (st, e) = call(&s, "DELETE", "/subjects/k.e.a", None).await;
    assert_eq!(
        (st, e["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40401))
    );
    call(&s, "POST", "/subjects/k.e.a/versions", Some(schema(a))).await;
    let (_, versions) = call(&s, "GET", "/subjects/k.e.a/versions", None).await;
    assert_eq!(versions, json!([4]), "version numbers are never reused");
}

async fn where_a_schema_id_is_used(s: AppState) {
    let v = json!({"type": "object", "properties": {"sku": {"type": "string"}}});
    let (_, r) = call(
        &s,
        "POST",
        "/subjects/catalog.product.created/versions",
        Some(schema(v.clone())),
    )
    .await;
    call(
        &s,
        "POST",
        "/subjects/catalog.product.updated/versions",
        Some(schema(v)),
    )
    .await;
    let id = r["id"].as_i64().expect("id");
    let (_, versions) = call(&s, "GET", &format!("/schemas/ids/{id}/versions"), None).await;
    assert_eq!(
        versions,
        json!([{"subject": "catalog.product.created", "version": 1}, {"subject": "catalog.product.updated", "version": 1}])
    );
    let (_, subjects) = call(&s, "GET", &format!("/schemas/ids/{id}/subjects"), None).await;
    assert_eq!(
        subjects,
        json!(["catalog.product.created", "catalog.product.updated"])
    );
    let (st, e) = call(&s, "GET", "/schemas/ids/999/subjects", None).await;
    assert_eq!(
        (st, e["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40403))
    );
}

async fn modes_refuse_writes_and_import_keeps_ids(s: AppState) {
    let (st, m) = call(&s, "GET", "/mode", None).await;
    assert_eq!((st, m), (StatusCode::OK, json!({"mode": "READWRITE"})));
    let (st, b) = call(&s, "PUT", "/mode", Some(json!({"mode": "SIDEWAYS"}))).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(42204))
    );
    call(
        &s,
        "POST",
        "/subjects/a.b.c/versions",
        Some(schema(json!({"type": "string"}))),
    )
    .await;
    call(&s, "PUT", "/mode", Some(json!({"mode": "READONLY"}))).await;
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/a.b.d/versions",
        Some(schema(json!({"type": "string"}))),
    )
    .await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(42205)),
        "{b}"
    );
    let (st, b) = call(&s, "DELETE", "/subjects/a.b.c", None).await;
    assert_eq!(b["error_code"], 42205, "{st} {b}");
    // A subject's own mode overrides the global one.
    let (st, b) = call(&s, "GET", "/mode/a.b.d", None).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40409))
    );
    let (_, b) = call(&s, "GET", "/mode/a.b.d?defaultToGlobal=true", None).await;
    assert_eq!(b["mode"], "READONLY");
    // IMPORT on a subject with versions needs force; on a fresh one it keeps the given id and version.
    let (st, b) = call(&s, "PUT", "/mode/a.b.c", Some(json!({"mode": "IMPORT"}))).await;
    assert_eq!(b["error_code"], 42205, "{st} {b}");
    let (st, _) = call(&s, "PUT", "/mode/imported", Some(json!({"mode": "IMPORT"}))).await;
    assert_eq!(st, StatusCode::OK);
    let mut req = schema(json!({"type": "integer"}));
    req["id"] = json!(100);
    req["version"] = json!(5);
    let (st, b) = call(&s, "POST", "/subjects/imported/versions", Some(req)).await;
    assert_eq!((st, b["id"].clone()), (StatusCode::OK, json!(100)), "{b}");
    let (_, v) = call(&s, "GET", "/subjects/imported/versions/latest", None).await;
    assert_eq!(
        (v["id"].clone(), v["version"].clone()),
        (json!(100), json!(5))
    );
    // The same id for other content is refused.
    let mut clash = schema(json!({"type": "boolean"}));
    clash["id"] = json!(100);
    let (st, b) = call(&s, "POST", "/subjects/imported/versions", Some(clash)).await;
    assert_eq!(b["error_code"], 42205, "{st} {b}");
    // Outside IMPORT mode explicit ids are refused, and new ids come after imported ones.
    call(&s, "DELETE", "/mode/imported", None).await;
    call(&s, "PUT", "/mode", Some(json!({"mode": "READWRITE"}))).await;
    let mut req = schema(json!({"type": "null"}));
    req["id"] = json!(7);
    let (_, b) = call(&s, "POST", "/subjects/other/versions", Some(req)).await;
    assert_eq!(b["error_code"], 42205, "{b}");
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/other/versions",
        Some(schema(json!({"type": "null"}))),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    assert!(b["id"].as_i64().is_some_and(|id| id > 100), "{b}");
}

async fn references_and_referenced_by(s: AppState) {
    let address =
        json!({"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]});
    let (_, a) = call(
        &s,
        "POST",
        "/subjects/common.address/versions",
        Some(schema(address)),
    )
    .await;
    let order = |extra: Value| {
        let mut props = json!({"ship_to": {"$ref": "address.json"}});
        props
            .as_object_mut()
            .expect("object")
            .extend(extra.as_object().cloned().unwrap_or_default());
        json!({
            "schema": json!({"type": "object", "properties": props, "required": ["ship_to"]}).to_string(),
            "schemaType": "JSON",
            "references": [{"name": "address.json", "subject": "common.address", "version": 1}],
        })
    };
    let (st, o) = call(
        &s,
        "POST",
        "/subjects/orders.order.placed/versions",
        Some(order(json!({}))),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{o}");
    let (_, v) = call(&s, "GET", "/subjects/orders.order.placed/versions/1", None).await;
    assert_eq!(
        v["references"],
        json!([{"name": "address.json", "subject": "common.address", "version": 1}])
    );
    let (_, by_id) = call(&s, "GET", &format!("/schemas/ids/{}", o["id"]), None).await;
    assert_eq!(by_id["references"][0]["subject"], "common.address");
    let (_, by) = call(
        &s,
        "GET",
        "/subjects/common.address/versions/1/referencedby",
        None,
    )
    .await;
    assert_eq!(by, json!([o["id"]]));
    // The referenced schema is checked, not just named: a compatible v2 passes, a breaking one is refused.
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/orders.order.placed/versions",
        Some(order(json!({"note": {"type": "string"}}))),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let mut wrong = order(json!({}));
    wrong["schema"] = json!(json!({"type": "object", "properties": {"ship_to": {"$ref": "address.json#/properties/city"}}, "required": ["ship_to"]}).to_string());
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/orders.order.placed/versions",
        Some(wrong),
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT, "{b}");
    // A referenced version cannot be deleted; a reference to nothing is an invalid schema.
    let (st, b) = call(&s, "DELETE", "/subjects/common.address/versions/1", None).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(42206)),
        "{b}"
    );
    let mut dangling = order(json!({}));
    dangling["references"][0]["version"] = json!(9);
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/orders.order.other/versions",
        Some(dangling),
    )
    .await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(42201)),
        "{b}"
    );
    assert!(
        b["message"]
            .as_str()
            .unwrap_or_default()
            .contains("common.address version 9"),
        "{b}"
    );
    assert_eq!(a["id"], json!(1));
    assert!(s.store.verify().await.expect("verify").is_empty());
}

async fn deleted_versions_are_listed_on_request(s: AppState) {
    for t in ["string", "integer"] {
        call(
            &s,
            "PUT",
            "/config/x.y.z",
            Some(json!({"compatibility": "NONE"})),
        )
        .await;
        call(
            &s,
            "POST",
            "/subjects/x.y.z/versions",
            Some(schema(json!({"type": t}))),
        )
        .await;
    }
    call(&s, "DELETE", "/subjects/x.y.z/versions/1", None).await;
    let (_, live) = call(&s, "GET", "/subjects/x.y.z/versions", None).await;
    assert_eq!(live, json!([2]));
    let (_, all) = call(&s, "GET", "/subjects/x.y.z/versions?deleted=True", None).await;
    assert_eq!(all, json!([1, 2]));
    let (st, _) = call(&s, "GET", "/subjects/x.y.z/versions/1", None).await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, v) = call(&s, "GET", "/subjects/x.y.z/versions/1?deleted=true", None).await;
    assert_eq!((st, v["version"].clone()), (StatusCode::OK, json!(1)));
    call(&s, "DELETE", "/subjects/x.y.z", None).await;
    let (_, subjects) = call(&s, "GET", "/subjects", None).await;
    assert_eq!(subjects, json!([]));
    let (_, subjects) = call(&s, "GET", "/subjects?deleted=true", None).await;
    assert_eq!(subjects, json!(["x.y.z"]));
    let (_, prefixed) = call(&s, "GET", "/subjects?deleted=true&subjectPrefix=y", None).await;
    assert_eq!(prefixed, json!([]));
}

async fn config_can_be_deleted(s: AppState) {
    call(
        &s,
        "PUT",
        "/config/a.b.c",
        Some(json!({"compatibilityLevel": "BACKWARD", "compatibilityPolicy": "STRICT"})),
    )
    .await;
    let (_, c) = call(&s, "GET", "/config/a.b.c", None).await;
    assert_eq!(
        c,
        json!({"compatibilityLevel": "BACKWARD", "compatibilityPolicy": "STRICT"})
    );
    let (st, old) = call(&s, "DELETE", "/config/a.b.c", None).await;
    assert_eq!(
        (st, old["compatibilityLevel"].clone()),
        (StatusCode::OK, json!("BACKWARD"))
    );
    let (st, b) = call(&s, "GET", "/config/a.b.c", None).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40408))
    );
    let (st, b) = call(&s, "DELETE", "/config/a.b.c", None).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40408))
    );
    call(&s, "PUT", "/config", Some(json!({"compatibility": "NONE"}))).await;
    call(&s, "DELETE", "/config", None).await;
    let (_, g) = call(&s, "GET", "/config", None).await;
    assert_eq!(
        g["compatibilityLevel"], "FULL_TRANSITIVE",
        "the server default is back"
    );
}

async fn bad_requests_are_json_and_change_nothing(s: AppState) {
    let mut s = s;
    s.limits.body_bytes = 4096;
    let big =
        json!({"schema": json!({"type": "string", "description": "x".repeat(5000)}).to_string()});
    let (st, ct, body) = send(
        &s,
        "POST",
        "/subjects/a.b.c/versions",
        &[],
        big.to_string().into_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(ct.contains("json"), "{ct}");
    let b: Value = serde_json::from_str(&body).expect("413 is JSON");
    assert_eq!(b["error_code"], 41301);
    assert!(
        b["message"].as_str().unwrap_or_default().contains("4096"),
        "{b}"
    );
    // Nesting beyond what a schema may have is refused, not a stack overflow.
    let deep = format!("{}{{}}{}", "{\"items\":".repeat(300), "}".repeat(300));
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/a.b.c/versions",
        Some(json!({"schema": deep})),
    )
    .await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(42201)),
        "{b}"
    );
    for (ct, body, want) in [
        ("application/json", "{", StatusCode::BAD_REQUEST),
        ("text/plain", "[1,2]", StatusCode::UNSUPPORTED_MEDIA_TYPE),
        ("", "", StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        let (st, _, text) = send(
            &s,
            "POST",
            "/subjects/a.b.c/versions",
            &[("content-type", ct)],
            body.into(),
        )
        .await;
        assert_eq!(st, want, "{ct}: {text}");
        assert!(serde_json::from_str::<Value>(&text).is_ok(), "{text}");
    }
    let (_, subjects) = call(&s, "GET", "/subjects", None).await;
    assert_eq!(subjects, json!([]), "nothing was written");
    // Confluent's media types, JSON and raw bytes are accepted.
    for ct in [
        "application/vnd.schemaregistry.v1+json",
        "application/json",
        "application/octet-stream",
    ] {
        let body = schema(json!({"type": "string"})).to_string();
        let (st, rct, text) = send(
            &s,
            "POST",
            "/subjects/a.b.c/versions",
            &[("content-type", ct)],
            body.into_bytes(),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{ct}: {text}");
        assert_eq!(rct, "application/vnd.schemaregistry.v1+json");
    }
    // A wrong method on a known path is a JSON 404, never a bare 405.
    let (st, b) = call(&s, "PATCH", "/subjects", None).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(404))
    );
}

async fn messages_are_validated_whole(s: AppState) {
    let mut s = s;
    let envelope = json!({
        "type": "object",
        "required": ["event_type", "event_version", "payload"],
        "properties": {"event_type": {"type": "string"}, "event_version": {"type": "string"}, "payload": {}},
    });
    s.envelope = Some(std::sync::Arc::new(
        evreg_core::SchemaSet::new("evreg:envelope.json", envelope).expect("envelope"),
    ));
    let payload = json!({"type": "object", "properties": {"email": {"type": "string", "minLength": 3}}, "required": ["email"]});
    call(
        &s,
        "POST",
        "/subjects/auth.user.created/versions",
        Some(schema(payload)),
    )
    .await;
    let good = json!({"event_type": "auth.user.created", "event_version": "v1", "payload": {"email": "a@b.c"}});
    let (st, b) = call(&s, "POST", "/validate", Some(good.clone())).await;
    assert_eq!(
        (st, b["valid"].clone()),
        (StatusCode::OK, json!(true)),
        "{b}"
    );
    let bad = json!({"event_type": "auth.user.created", "event_version": "v1", "payload": {"email": "a"}});
    let (_, b) = call(&s, "POST", "/validate", Some(bad.clone())).await;
    assert_eq!(b["valid"], false, "{b}");
    assert_eq!(b["errors"][0]["instancePath"], "/payload/email", "{b}");
    // The message's own event_version picks the schema: there is no v2.
    let (st, b) = call(
        &s,
        "POST",
        "/validate",
        Some(json!({"event_type": "auth.user.created", "event_version": "v2", "payload": {}})),
    )
    .await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40402)),
        "{b}"
    );
    let (st, b) = call(
        &s,
        "POST",
        "/validate",
        Some(json!({"event_type": "nope.nope.nope", "event_version": "v1", "payload": {}})),
    )
    .await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40401)),
        "{b}"
    );
    let (_, b) = call(&s, "POST", "/validate", Some(json!({"payload": {}}))).await;
    assert_eq!(b["errors"][0]["instancePath"], "/event_type", "{b}");
    // The batch form: one result per invalid line, counts for all.
    let lines = format!("{good}\n{bad}\n\nnot json\n{good}\n");
    let (st, _, text) = send(
        &s,
        "POST",
        "/validate/batch",
        &[("content-type", "application/x-ndjson")],
        lines.into_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{text}");
    let b: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        (b["total"].clone(), b["valid"].clone(), b["invalid"].clone()),
        (json!(4), json!(2), json!(2)),
        "{b}"
    );
    assert_eq!(b["results"][0]["line"], 2);
    assert_eq!(b["results"][1]["line"], 4);
}

async fn topology_routes_come_from_the_config(s: AppState) {
    let (st, b) = call(&s, "GET", "/topology/routes/auth.user.created", None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "no topology configured: {b}");
    let mut s = s;
    s.topology = Some(std::sync::Arc::new(topology()));
    let (st, b) = call(&s, "GET", "/topology/routes/auth.user.created", None).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    // A refused version names who it would break.
    let v1 = json!({"type": "object", "properties": {"email": {"type": "string"}}});
    let v2 = json!({"type": "object", "properties": {"email": {"type": "integer"}}});
    call(
        &s,
        "POST",
        "/subjects/auth.user.created/versions",
        Some(schema(v1)),
    )
    .await;
    let (st, refused) = call(
        &s,
        "POST",
        "/subjects/auth.user.created/versions",
        Some(schema(v2)),
    )
    .await;
    assert_eq!(st, StatusCode::CONFLICT);
    assert_eq!(
        refused["evreg"]["affected"],
        json!({"queues": ["catalog.auth.events"], "consumers": ["catalog"]}),
        "{refused}"
    );
    assert_eq!(b["exchange"], "auth.events");
    assert_eq!(b["queues"], json!(["catalog.auth.events"]));
    assert_eq!(b["consumers"], json!(["catalog"]));
    assert_eq!(b["producer"], "auth");
    assert_eq!(
        b["dead_letter"][0]["dead_letter_queue"],
        "catalog.auth.events.dlq"
    );
    let (_, b) = call(&s, "GET", "/topology/routes/auth.role.updated", None).await;
    assert_eq!(b["queues"], json!([]), "no binding matches: {b}");
    let (st, b) = call(&s, "GET", "/topology/routes/billing.invoice.paid", None).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::NOT_FOUND, json!(40401)),
        "{b}"
    );
    let (st, _) = call(&s, "GET", "/topology/routes/Not%20A%20Key", None).await;
    assert_eq!(st, StatusCode::BAD_REQUEST);
}

async fn tokens_limit_roles_and_subjects(s: AppState) {
    use evreg_server::auth::hash;
    let mut s = s;
    let file = format!(
        "[[tokens]]\nname = \"reader\"\nsha256 = \"{}\"\nrole = \"reader\"\n\
         [[tokens]]\nname = \"auth-ci\"\nsha256 = \"{}\"\nrole = \"writer\"\nsubjects = [\"auth.\"]\n\
         [[tokens]]\nname = \"ops\"\nsha256 = \"{}\"\nrole = \"admin\"\n",
        hash("r-token"),
        hash("w-token"),
        hash("a-token")
    );
    s.tokens = Some(std::sync::Arc::new(
        evreg_server::Tokens::parse(&file).expect("tokens"),
    ));
    let body = || schema(json!({"type": "string"})).to_string().into_bytes();
    let as_ = |t: &'static str| [("authorization", t), ("content-type", "application/json")];
    let (st, _, text) = send(&s, "GET", "/subjects", &[], Vec::new()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED, "{text}");
    assert!(text.contains("40101"), "{text}");
    let (st, _, _) = send(&s, "GET", "/subjects", &as_("Bearer wrong"), Vec::new()).await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    let (st, _, text) = send(
        &s,
        "POST",
        "/subjects/auth.user.created/versions",
        &as_("Bearer r-token"),
        body(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{text}");
    assert!(text.contains("40301"), "{text}");
    let (st, _, text) = send(
        &s,
        "POST",
        "/subjects/auth.user.created/versions",
        &as_("Bearer w-token"),
        body(),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{text}");
    let (st, _, text) = send(
        &s,
        "POST",
        "/subjects/catalog.product.created/versions",
        &as_("Bearer w-token"),
        body(),
    )
    .await;
    assert_eq!(
        st,
        StatusCode::FORBIDDEN,
        "a prefix-limited token stays in its prefix: {text}"
    );
    let (st, _, _) = send(
        &s,
        "PUT",
        "/config/auth.user.created",
        &as_("Bearer w-token"),
        br#"{"compatibility":"NONE"}"#.to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "config needs admin");
    let (st, _, _) = send(
        &s,
        "POST",
        "/subjects/catalog.product.created/versions",
        &as_("Bearer a-token"),
        body(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _, text) = send(&s, "GET", "/subjects", &as_("Bearer w-token"), Vec::new()).await;
    assert_eq!(
        (st, text.as_str()),
        (StatusCode::OK, r#"["auth.user.created"]"#),
        "listings are limited too"
    );
    // Ids too: a prefix-limited token reads only ids its own subjects use.
    let (st, _, _) = send(
        &s,
        "GET",
        "/schemas/ids/1",
        &as_("Bearer w-token"),
        Vec::new(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (st, _, text) = send(
        &s,
        "GET",
        "/schemas/ids/1/subjects",
        &as_("Bearer w-token"),
        Vec::new(),
    )
    .await;
    assert_eq!(
        (st, text.as_str()),
        (StatusCode::OK, r#"["auth.user.created"]"#),
        "catalog's use of the same content is not shown"
    );
    let (st, _, created) = send(
        &s,
        "POST",
        "/subjects/catalog.product.updated/versions",
        &as_("Bearer a-token"),
        schema(json!({"type": "integer"})).to_string().into_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let id = serde_json::from_str::<Value>(&created).expect("json")["id"].clone();
    let (st, _, text) = send(
        &s,
        "GET",
        &format!("/schemas/ids/{id}"),
        &as_("Bearer w-token"),
        Vec::new(),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{text}");
    let (st, _, _) = send(
        &s,
        "GET",
        &format!("/schemas/ids/{id}"),
        &as_("Bearer r-token"),
        Vec::new(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    // The unlimited read encoded the answer into the cache; the limited token still may not have it.
    let (st, _, text) = send(
        &s,
        "GET",
        &format!("/schemas/ids/{id}"),
        &as_("Bearer w-token"),
        Vec::new(),
    )
    .await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{text}");
    let (_, _, text) = send(&s, "GET", "/subjects", &as_("Bearer r-token"), Vec::new()).await;
    assert_eq!(
        text,
        r#"["auth.user.created","catalog.product.created","catalog.product.updated"]"#
    );
    // Subjects named in bodies count too: validation and references.
    let msg =
        json!({"event_type": "catalog.product.created", "event_version": "v1", "payload": "x"})
            .to_string();
    let (st, _, text) = send(
        &s,
        "POST",
        "/validate",
        &as_("Bearer w-token"),
        msg.clone().into_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{text}");
    let (st, _, text) = send(
        &s,
        "POST",
        "/validate/batch",
        &as_("Bearer w-token"),
        msg.into_bytes(),
    )
    .await;
    assert!(
        st == StatusCode::OK && text.contains("may not read subject"),
        "{text}"
    );
    let reference = json!({"schema": "{\"$ref\": \"p.json\"}", "references": [{"name": "p.json", "subject": "catalog.product.created", "version": 1}]});
    let (st, _, text) = send(
        &s,
        "POST",
        "/subjects/auth.ref.x/versions",
        &as_("Bearer w-token"),
        reference.to_string().into_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN, "{text}");
    let (st, _, _) = send(&s, "GET", "/healthz", &[], Vec::new()).await;
    assert_eq!(st, StatusCode::OK, "health needs no token");
    // Open reads: reading without a token works, writing still needs one.
    s.open_reads = true;
    let (st, _, text) = send(&s, "GET", "/subjects", &[], Vec::new()).await;
    assert_eq!(
        (st, text.as_str()),
        (
            StatusCode::OK,
            r#"["auth.user.created","catalog.product.created","catalog.product.updated"]"#
        )
    );
    let (st, _, _) = send(
        &s,
        "POST",
        "/subjects/auth.user.created/versions",
        &[],
        body(),
    )
    .await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
}

async fn metrics_count_requests_and_registrations(s: AppState) {
    call(
        &s,
        "POST",
        "/subjects/a.b.c/versions",
        Some(schema(json!({"type": "string"}))),
    )
    .await;
    call(
        &s,
        "POST",
        "/subjects/a.b.c/versions",
        Some(schema(json!({"type": "integer"}))),
    )
    .await;
    for _ in 0..3 {
        call(&s, "GET", "/schemas/ids/1", None).await;
    }
    let (st, ct, text) = send(&s, "GET", "/metrics", &[], Vec::new()).await;
    assert_eq!(st, StatusCode::OK);
    assert!(ct.starts_with("text/plain"), "{ct}");
    for line in [
        r#"evreg_http_requests_total{route="/subjects/{subject}/versions",method="POST",status="200"} 1"#,
        r#"evreg_http_requests_total{route="/subjects/{subject}/versions",method="POST",status="409"} 1"#,
        r#"evreg_http_requests_total{route="/schemas/ids/{id}",method="GET",status="200"} 3"#,
        "evreg_registrations_total 1",
        "evreg_compatibility_refusals_total 1",
        r#"evreg_http_request_duration_seconds_count{route="/schemas/ids/{id}",method="GET"} 3"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    let hits: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("evreg_cache_hits_total "))
        .and_then(|v| v.parse().ok())
        .expect("cache hits");
    assert!(
        hits >= 2,
        "the id lookups after the first come from memory: {hits}"
    );
}

/// The OpenAPI document describes exactly the table's API routes, and the
/// router serves every route of the table, pages included.
async fn openapi_matches_the_router(s: AppState) {
    let (st, _, text) = send(&s, "GET", "/openapi.json", &[], Vec::new()).await;
    assert_eq!(st, StatusCode::OK);
    let doc: Value = serde_json::from_str(&text).expect("openapi is JSON");
    assert_eq!(doc["openapi"].as_str().map(|v| &v[..3]), Some("3.1"));
    let mut documented: Vec<(String, String)> = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in item.as_object().expect("path item").keys() {
            if ["get", "put", "post", "delete", "patch", "head"].contains(&method.as_str()) {
                documented.push((path.clone(), method.to_uppercase()));
            }
        }
    }
    let mut api: Vec<(String, String)> = evreg_server::ROUTES
        .iter()
        .filter(|r| r.doc.is_some())
        .map(|r| (r.path.to_owned(), r.method.as_str().to_owned()))
        .collect();
    documented.sort();
    api.sort();
    assert_eq!(documented, api);
    assert!(api.len() >= 30, "{}", api.len());
    // And the router really serves each one: never the unknown-route 404.
    for r in evreg_server::ROUTES {
        let concrete = r
            .path
            .replace("{subject}", "a.b.c")
            .replace("{routing_key}", "a.b.c")
            .replace("{version}", "1")
            .replace("{range}", "1..2")
            .replace("{service}", "auth")
            .replace("{file}", "ui.css")
            .replace("{id}", "1");
        let (_, _, text) = send(
            &s,
            r.method.as_str(),
            &concrete,
            &[("content-type", "application/json")],
            b"{}".to_vec(),
        )
        .await;
        assert!(
            !text.contains("HTTP 404 Not Found"),
            "{} {concrete} is not routed: {text}",
            r.method.as_str()
        );
    }
    // A method the table does not give a path is the unknown-route 404 too.
    let (st, _, text) = send(&s, "PATCH", "/subjects", &[], Vec::new()).await;
    assert_eq!(st, StatusCode::NOT_FOUND, "{text}");
}

/// The document-checking wrapper every suite's requests go through refuses a
/// body that does not match: it can fail.
async fn documented_schemas_refuse_wrong_bodies(_s: AppState) {
    use axum::http::{HeaderMap, HeaderValue};
    let mut h = HeaderMap::new();
    h.insert(
        "content-type",
        HeaderValue::from_static("application/vnd.schemaregistry.v1+json"),
    );
    let wrong = std::panic::catch_unwind(|| {
        support::documented::check(
            "GET",
            "/schemas/ids/7",
            StatusCode::OK,
            &h,
            r#"{"schemaType":"JSON"}"#,
        )
    });
    assert!(wrong.is_err(), "a SchemaById without `schema` is refused");
    support::documented::check(
        "GET",
        "/schemas/ids/7",
        StatusCode::OK,
        &h,
        r#"{"schema":"{}","schemaType":"JSON"}"#,
    );
    let (_, route) = support::documented::route_of("GET", "/schemas/types").expect("routed");
    assert_eq!(route.path, "/schemas/types", "literal segments win");
}

/// 64 concurrent registrations to one subject, half of them the same content.
async fn concurrent_registrations_stay_contiguous(s: AppState) {
    call(
        &s,
        "PUT",
        "/config/load.test.subject",
        Some(json!({"compatibility": "NONE"})),
    )
    .await;
    let mut tasks = Vec::new();
    for i in 0..64 {
        let s = s.clone();
        tasks.push(tokio::spawn(async move {
            let body = if i % 2 == 0 {
                json!({"type": "object", "title": "same"})
            } else {
                json!({"type": "object", "title": format!("distinct {i}")})
            };
            let (st, b) = call(
                &s,
                "POST",
                "/subjects/load.test.subject/versions",
                Some(schema(body)),
            )
            .await;
            assert_eq!(st, StatusCode::OK, "{b}");
            (i, b["id"].as_i64().expect("id"))
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.push(t.await.expect("task"));
    }
    let same: std::collections::BTreeSet<i64> = ids
        .iter()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, id)| *id)
        .collect();
    assert_eq!(same.len(), 1, "identical content has one id: {same:?}");
    let (_, versions) = call(&s, "GET", "/subjects/load.test.subject/versions", None).await;
    assert_eq!(
        versions,
        json!((1..=33).collect::<Vec<i64>>()),
        "contiguous from 1, no duplicates"
    );
    let mut distinct: Vec<i64> = ids.iter().map(|(_, id)| *id).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 33);
    assert!(s.store.verify().await.expect("verify").is_empty());
}

async fn health_follows_the_database(s: AppState) {
    let (st, b) = call(&s, "GET", "/healthz", None).await;
    assert_eq!((st, b["status"].clone()), (StatusCode::OK, json!("ok")));
    s.store.close().await;
    let (st, b) = call(&s, "GET", "/healthz", None).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::SERVICE_UNAVAILABLE, json!(50003)),
        "{b}"
    );
    // Other requests fail as JSON too, without detail of the database.
    let (st, b) = call(&s, "GET", "/subjects/a.b.c/versions", None).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::INTERNAL_SERVER_ERROR, json!(50001)),
        "{b}"
    );
}

/// A request past its deadline is answered 503 as JSON; a registration it carried still completes whole.
async fn timeouts_answer_json_and_registrations_complete(s: AppState) {
    let mut s = s;
    s.limits.request_timeout = std::time::Duration::from_nanos(1);
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/slow.sub.ject/versions",
        Some(schema(json!({"type": "object", "title": "t"}))),
    )
    .await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::SERVICE_UNAVAILABLE, json!(50002)),
        "{b}"
    );
    s.limits.request_timeout = std::time::Duration::from_secs(30);
    let start = std::time::Instant::now();
    loop {
        let (st, v) = call(&s, "GET", "/subjects/slow.sub.ject/versions", None).await;
        if st == StatusCode::OK {
            assert_eq!(v, json!([1]));
            break;
        }
        assert!(
            start.elapsed().as_secs() < 5,
            "the timed-out registration never completed"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(s.store.verify().await.expect("verify").is_empty());
}

/// What a fuzzer found, each now refused up front or answered as JSON.
async fn hostile_inputs_are_refused_up_front(s: AppState) {
    let refused = |b: &Value, code: i64| b["error_code"] == code;
    // A pattern that is not a regex would fail every later validation.
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/bad.regex.x/versions",
        Some(schema(
            json!({"type": "object", "properties": {"a": {"type": "string", "pattern": "("}}}),
        )),
    )
    .await;
    assert!(
        st == StatusCode::UNPROCESSABLE_ENTITY && refused(&b, 42201),
        "{st} {b}"
    );
    // A $ref chain that doubles at each step would make validation exponential.
    let mut defs = serde_json::Map::new();
    defs.insert("d0".into(), json!({"type": "string"}));
    for i in 1..=30 {
        defs.insert(format!("d{i}"), json!({"anyOf": [{"$ref": format!("#/$defs/d{}", i - 1)}, {"$ref": format!("#/$defs/d{}", i - 1)}]}));
    }
    let bomb =
        json!({"$defs": defs, "type": "object", "properties": {"a": {"$ref": "#/$defs/d30"}}});
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/ref.bomb.x/versions",
        Some(schema(bomb)),
    )
    .await;
    assert!(
        st == StatusCode::UNPROCESSABLE_ENTITY
            && b["message"]
                .as_str()
                .unwrap_or_default()
                .contains("exponential"),
        "{st} {b}"
    );
    // Subject names: no control characters, at most 255 bytes.
    for name in ["a%01b", &"s".repeat(300)] {
        let (st, b) = call(
            &s,
            "POST",
            &format!("/subjects/{name}/versions"),
            Some(schema(json!({"type": "string"}))),
        )
        .await;
        assert!(
            st == StatusCode::UNPROCESSABLE_ENTITY && refused(&b, 42208),
            "{name}: {st} {b}"
        );
    }
    // A path that is not UTF-8, and repeated query flags, are ordinary requests.
    let (st, ct, text) = send(&s, "POST", "/subjects/%FF%FE/versions", &[], b"{}".to_vec()).await;
    assert!(
        st == StatusCode::BAD_REQUEST && ct.contains("json"),
        "{st} {ct} {text}"
    );
    let (st, _) = call(&s, "GET", "/subjects?deleted=true&deleted=false", None).await;
    assert_eq!(st, StatusCode::OK);
    // IMPORT: ids fit in 4 bytes, and content keeps the id it has.
    call(
        &s,
        "PUT",
        "/mode/imp.big.x",
        Some(json!({"mode": "IMPORT"})),
    )
    .await;
    let mut req = schema(json!({"type": "object"}));
    req["id"] = json!(3_000_000_000_i64);
    let (st, b) = call(&s, "POST", "/subjects/imp.big.x/versions", Some(req)).await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "{b}");
    let (_, first) = call(
        &s,
        "POST",
        "/subjects/imp.big.x/versions",
        Some(schema(json!({"type": "object"}))),
    )
    .await;
    // The same content under another subject, with another id, is refused.
    call(
        &s,
        "PUT",
        "/mode/imp.big.y",
        Some(json!({"mode": "IMPORT"})),
    )
    .await;
    let mut again = schema(json!({"type": "object"}));
    again["id"] = json!(first["id"].as_i64().unwrap_or(0) + 50);
    again["version"] = json!(7);
    let (st, b) = call(&s, "POST", "/subjects/imp.big.y/versions", Some(again)).await;
    assert!(refused(&b, 42205), "{st} {b}");
    // Config: both names agreeing is fine; disagreeing or absent is 42203.
    let (st, _) = call(
        &s,
        "PUT",
        "/config/a.b.c",
        Some(json!({"compatibility": "BACKWARD", "compatibilityLevel": "backward"})),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    for body in [
        json!({"compatibility": "BACKWARD", "compatibilityLevel": "FULL"}),
        json!({}),
    ] {
        let (st, b) = call(&s, "PUT", "/config/a.b.c", Some(body)).await;
        assert!(
            st == StatusCode::UNPROCESSABLE_ENTITY && refused(&b, 42203),
            "{st} {b}"
        );
    }
    // `references: null` is no references; id 0 is simply not found.
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/a.b.c/versions",
        Some(json!({"schema": "{\"type\": \"string\"}", "references": null})),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let (st, b) = call(&s, "GET", "/schemas/ids/0", None).await;
    assert!(
        st == StatusCode::NOT_FOUND && refused(&b, 40403),
        "{st} {b}"
    );
    // Metrics labels stay bounded whatever method a client invents.
    send(
        &s,
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "/subjects",
        &[],
        Vec::new(),
    )
    .await;
    let (_, _, metrics) = send(&s, "GET", "/metrics", &[], Vec::new()).await;
    assert!(
        !metrics.contains("AAAAAAAA") && metrics.contains("method=\"OTHER\""),
        "{metrics}"
    );
    assert!(s.store.verify().await.expect("verify").is_empty());
}

/// `latest` with `deleted=true` is the newest version, soft-deleted or not.
async fn latest_with_deleted_sees_soft_deleted(s: AppState) {
    call(
        &s,
        "PUT",
        "/config/d.e.f",
        Some(json!({"compatibility": "NONE"})),
    )
    .await;
    for t in ["string", "integer"] {
        call(
            &s,
            "POST",
            "/subjects/d.e.f/versions",
            Some(schema(json!({"type": t}))),
        )
        .await;
    }
    call(&s, "DELETE", "/subjects/d.e.f/versions/2", None).await;
    let (_, live) = call(&s, "GET", "/subjects/d.e.f/versions/latest", None).await;
    assert_eq!(live["version"], 1);
    let (_, all) = call(
        &s,
        "GET",
        "/subjects/d.e.f/versions/latest?deleted=true",
        None,
    )
    .await;
    assert_eq!(all["version"], 2);
    let (_, uses) = call(
        &s,
        "GET",
        &format!("/schemas/ids/{}/versions?deleted=true", all["id"]),
        None,
    )
    .await;
    assert_eq!(uses, json!([{"subject": "d.e.f", "version": 2}]));
    let (_, uses) = call(
        &s,
        "GET",
        &format!("/schemas/ids/{}/versions", all["id"]),
        None,
    )
    .await;
    assert_eq!(uses, json!([]));
}

/// A large (but accepted) schema validates on the blocking pool and still answers.
async fn large_schemas_validate_off_the_workers(s: AppState) {
    let mut defs = serde_json::Map::new();
    defs.insert("d0".into(), json!({"type": "string"}));
    for i in 1..=15 {
        let prev = format!("#/$defs/d{}", i - 1);
        defs.insert(
            format!("d{i}"),
            json!({"anyOf": [{"$ref": prev}, {"$ref": prev}]}),
        );
    }
    let big =
        json!({"$defs": defs, "type": "object", "properties": {"a": {"$ref": "#/$defs/d15"}}});
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/big.schema.x/versions",
        Some(schema(big)),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let bad = json!({"event_type": "big.schema.x", "event_version": "v1", "payload": {"a": 5}});
    let good = json!({"event_type": "big.schema.x", "event_version": "v1", "payload": {"a": "x"}});
    let (_, b) = call(&s, "POST", "/validate", Some(bad.clone())).await;
    assert_eq!(b["valid"], false, "{b}");
    let (_, b) = call(&s, "POST", "/validate", Some(good.clone())).await;
    assert_eq!(b["valid"], true, "{b}");
    let (_, _, text) = send(
        &s,
        "POST",
        "/validate/batch",
        &[],
        format!("{good}\n{bad}\n").into_bytes(),
    )
    .await;
    let b: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        (b["valid"].clone(), b["invalid"].clone()),
        (json!(1), json!(1)),
        "{b}"
    );
}

/// IMPORT keeps a given version even without an id, and never reuses a deleted one.
async fn import_versions_are_kept_and_never_reused(s: AppState) {
    call(
        &s,
        "PUT",
        "/mode/imp.ver.x",
        Some(json!({"mode": "IMPORT"})),
    )
    .await;
    let mut v5 = schema(json!({"type": "string"}));
    v5["version"] = json!(5);
    let (st, b) = call(&s, "POST", "/subjects/imp.ver.x/versions", Some(v5)).await;
    assert_eq!(
        (st, b["version"].clone()),
        (StatusCode::OK, json!(5)),
        "{b}"
    );
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/imp.ver.x/versions",
        Some(schema(json!({"type": "integer"}))),
    )
    .await;
    assert_eq!(
        (st, b["version"].clone()),
        (StatusCode::OK, json!(6)),
        "{b}"
    );
    call(&s, "DELETE", "/subjects/imp.ver.x/versions/6", None).await;
    let mut again6 = schema(json!({"type": "boolean"}));
    again6["version"] = json!(6);
    let (st, b) = call(&s, "POST", "/subjects/imp.ver.x/versions", Some(again6)).await;
    assert_eq!(
        (st, b["error_code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!(42202)),
        "{b}"
    );
    let (st, b) = call(
        &s,
        "POST",
        "/subjects/imp.ver.x/versions",
        Some(schema(json!({"type": "boolean"}))),
    )
    .await;
    assert_eq!(
        (st, b["version"].clone()),
        (StatusCode::OK, json!(7)),
        "after a soft delete the next version is still new: {b}"
    );
}

contract!(
    foreign_web_pages_cannot_write,
    import_versions_are_kept_and_never_reused,
    large_schemas_validate_off_the_workers,
    hostile_inputs_are_refused_up_front,
    latest_with_deleted_sees_soft_deleted,
    timeouts_answer_json_and_registrations_complete,
    health_follows_the_database,
    register_look_up_and_list,
    incompatible_versions_are_refused_with_a_witness,
    integers_past_64_bits_keep_their_digits,
    errors_are_json_with_confluent_codes,
    lookup_compatibility_and_subject_config,
    soft_then_permanent_deletes_never_reuse_versions,
    where_a_schema_id_is_used,
    modes_refuse_writes_and_import_keeps_ids,
    references_and_referenced_by,
    deleted_versions_are_listed_on_request,
    config_can_be_deleted,
    bad_requests_are_json_and_change_nothing,
    messages_are_validated_whole,
    topology_routes_come_from_the_config,
    tokens_limit_roles_and_subjects,
    metrics_count_requests_and_registrations,
    openapi_matches_the_router,
    documented_schemas_refuse_wrong_bodies,
    concurrent_registrations_stay_contiguous,
);
