//! The registry's HTTP API, driven in-process through `oneshot` on an in-memory SQLite database.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use evreg_server::{AppState, Store, app};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

async fn state() -> AppState {
    AppState::new(
        Store::open("sqlite::memory:")
            .await
            .expect("in-memory store"),
    )
}

async fn call(
    state: &AppState,
    method: &str,
    uri: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", "application/vnd.schemaregistry.v1+json")
        .body(body.map_or_else(Body::empty, |b| Body::from(b.to_string())))
        .expect("request");
    let resp = app(state.clone()).oneshot(req).await.expect("response");
    let status = resp.status();
    let bytes = resp.into_body().collect().await.expect("body").to_bytes();
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

fn schema(v: Value) -> Value {
    json!({"schema": v.to_string(), "schemaType": "JSON", "unknownField": true})
}

#[tokio::test]
async fn register_look_up_and_list() {
    let s = state().await;
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

#[tokio::test]
async fn incompatible_versions_are_refused_with_a_witness() {
    let s = state().await;
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

#[tokio::test]
async fn errors_are_json_with_confluent_codes() {
    let s = state().await;
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

#[tokio::test]
async fn lookup_compatibility_and_subject_config() {
    let s = state().await;
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

#[tokio::test]
async fn soft_then_permanent_deletes_never_reuse_versions() {
    let s = state().await;
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

#[tokio::test]
async fn where_a_schema_id_is_used() {
    let s = state().await;
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
