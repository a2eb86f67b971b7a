//! The web UI over HTTP: every screen renders from the registry's state, sessions and CSRF guard every form, and reader tokens or READONLY mode never see a write control and cannot write anyway.

use axum::http::StatusCode;
use evreg_server::AppState;
use serde_json::json;

#[macro_use]
mod support;
use support::{exchange, send};

const JSON: (&str, &str) = ("content-type", "application/json");

async fn register(s: &AppState, subject: &str, schema: serde_json::Value) {
    let body = json!({"schema": schema.to_string()})
        .to_string()
        .into_bytes();
    let (st, _, text) = send(
        s,
        "POST",
        &format!("/subjects/{subject}/versions"),
        &[JSON],
        body,
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{text}");
}

/// Two versions of auth.user.created (v2 adds an optional field) and a topology.
async fn seeded(mut s: AppState) -> AppState {
    s.topology = Some(std::sync::Arc::new(
        evreg_core::config::RegistryConfig::parse(
            r#"
[[exchanges]]
name = "auth.events"
[[queues]]
name = "catalog.auth.events"
[[bindings]]
exchange = "auth.events"
queue = "catalog.auth.events"
pattern = "auth.user.*"
[[services]]
name = "auth"
produces = ["auth.user.created"]
[[services]]
name = "catalog"
consumes = ["catalog.auth.events"]
"#,
        )
        .expect("topology"),
    ));
    let v1 = json!({"type": "object", "additionalProperties": false,
        "properties": {"user_id": {"type": "string"}, "email": {"type": "string"}},
        "required": ["user_id", "email"]});
    let mut v2 = v1.clone();
    v2["properties"]["locale"] = json!({"type": "string"});
    register(&s, "auth.user.created", v1).await;
    register(&s, "auth.user.created", v2).await;
    register(
        &s,
        "billing.invoice.paid",
        json!({"type": "object", "properties": {"amount": {"type": "integer"}}}),
    )
    .await;
    s
}

/// The session cookie a response sets (`name=value`), checked for its flags.
fn session_cookie(h: &axum::http::HeaderMap) -> String {
    let c = h
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("evreg_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(
        c.contains("HttpOnly") && c.contains("SameSite=Strict"),
        "{c}"
    );
    c.split(';').next().expect("name=value").to_owned()
}

/// The CSRF token of the first form on a page.
fn csrf(page: &str) -> String {
    let at = page.find("name=\"csrf\" value=\"").expect("a CSRF field") + 19;
    page[at..].split('"').next().expect("value").to_owned()
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs)
        .expect("form")
        .into_bytes()
}

const FORM: (&str, &str) = ("content-type", "application/x-www-form-urlencoded");

async fn screens_render_from_the_registry(s: AppState) {
    let s = seeded(s).await;
    let get = |uri: &'static str| {
        let s = s.clone();
        async move { exchange(&s, "GET", uri, &[], Vec::new()).await }
    };
    let (st, h, _) = get("/ui").await;
    assert_eq!(
        (st, h["location"].to_str().ok()),
        (StatusCode::SEE_OTHER, Some("/ui/subjects"))
    );
    let (st, h, page) = get("/ui/subjects").await;
    assert_eq!(st, StatusCode::OK);
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap_or("")
            .contains("default-src 'self'")
    );
    session_cookie(&h);
    assert!(
        page.contains("<h2>auth</h2>") && page.contains("<h3>user</h3>"),
        "{page}"
    );
    assert!(
        page.contains("href=\"/ui/subjects/auth.user.created/versions/2\">v2</a>"),
        "{page}"
    );
    // Searches: a pointer into the event, a field name, a binding pattern.
    for (q, hit, miss) in [
        (
            "/ui/subjects?q=%2Fpayload%2Femail",
            "auth.user.created",
            "billing.invoice.paid",
        ),
        (
            "/ui/subjects?q=amount",
            "billing.invoice.paid",
            "auth.user.created",
        ),
        (
            "/ui/subjects?q=auth.*.created",
            "auth.user.created",
            "billing.invoice.paid",
        ),
    ] {
        let (_, _, page) = get(q).await;
        assert!(page.contains(&format!(">{hit}</a>")), "{q}: {page}");
        assert!(!page.contains(&format!(">{miss}</a>")), "{q}: {page}");
    }
    // A subject: the timeline's verdict, the route, a diff link.
    let (_, _, page) = get("/ui/subjects/auth.user.created").await;
    assert!(page.contains("badge compatible"), "{page}");
    assert!(
        page.contains("href=\"/ui/subjects/auth.user.created/diff/1..2\""),
        "{page}"
    );
    assert!(page.contains("catalog.auth.events"), "{page}");
    // The diff under another policy: a witness, the validator's error, who breaks.
    let (st, _, page) =
        get("/ui/subjects/auth.user.created/diff/1..2?mode=FORWARD&policy=STRICT").await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("badge incompatible"), "{page}");
    assert!(
        page.contains("Witness event") && page.contains("Refused by the old schema"),
        "{page}"
    );
    assert!(
        page.contains("&quot;locale&quot;") || page.contains("\"locale\""),
        "{page}"
    );
    assert!(
        page.contains("<strong>Who breaks</strong>") && page.contains(">catalog</a>"),
        "{page}"
    );
    assert!(
        page.contains("href=\"#n-"),
        "changes link to the diff's lines: {page}"
    );
    let (st, h, _) = get("/ui/subjects/auth.user.created/diff").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(h["location"], "/ui/subjects/auth.user.created/diff/1..2");
    let (st, _, page) = get("/ui/subjects/auth.user.created/versions/1").await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("data-pointer=\"/properties/email\""),
        "{page}"
    );
    let (st, _, page) = get("/ui/topology?key=auth.user.created").await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("node queues lit"), "{page}");
    // Bad deep links are pages with the reason, not panics.
    let (st, _, page) = get("/ui/subjects/no.such.subject").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    assert!(page.contains("no.such.subject"), "{page}");
    let (st, _, _) = get("/ui/subjects/auth.user.created/diff/1..9").await;
    assert_eq!(st, StatusCode::NOT_FOUND);
    let (st, _, page) = get("/ui/subjects/auth.user.created/diff/1..2?mode=SIDEWAYS").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
}

async fn validate_points_at_the_error(s: AppState) {
    let s = seeded(s).await;
    let (_, h, page) = exchange(&s, "GET", "/ui/validate", &[], Vec::new()).await;
    let cookie = session_cookie(&h);
    let token = csrf(&page);
    let event = json!({"event_type": "auth.user.created", "event_version": "v1",
        "payload": {"user_id": "u1", "email": 42}})
    .to_string();
    let post = |body: Vec<u8>, extra: Option<(&'static str, &'static str)>| {
        let (s, cookie) = (s.clone(), cookie.clone());
        async move {
            let mut headers = vec![FORM, ("cookie", cookie.as_str())];
            headers.extend(extra);
            send(&s, "POST", "/ui/validate", &headers, body).await
        }
    };
    // The validator of a payload schema with no envelope looks at /payload.
    let (st, _, page) = post(form(&[("csrf", &token), ("event", &event)]), None).await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("result invalid"), "{page}");
    assert!(page.contains("/payload/email"), "{page}");
    let good = event.replace("42", "\"a@b.c\"");
    let (_, _, page) = post(form(&[("csrf", &token), ("event", &good)]), None).await;
    assert!(page.contains("result valid"), "{page}");
    assert!(page.contains("that accept this payload: <a href=\"/ui/subjects/auth.user.created/versions/1\">v1</a>, <a"), "{page}");
    let (st, _, page) = post(form(&[("csrf", &token), ("event", "{not json")]), None).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Not JSON: line 1, column 2"), "{page}");
    // No CSRF token, a wrong one, or another site's page: refused.
    let (st, _, _) = post(form(&[("event", &event)]), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = post(form(&[("csrf", "0000"), ("event", &event)]), None).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = post(
        form(&[("csrf", &token), ("event", &event)]),
        Some(("origin", "http://evil.example")),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

async fn tokens_sign_in_and_roles_decide_the_controls(s: AppState) {
    use evreg_server::auth::hash;
    let mut s = seeded(s).await;
    let file = format!(
        "[[tokens]]\nname = \"reader\"\nsha256 = \"{}\"\nrole = \"reader\"\n[[tokens]]\nname = \"ci\"\nsha256 = \"{}\"\nrole = \"writer\"\n",
        hash("r-token"),
        hash("w-token")
    );
    s.tokens = Some(std::sync::Arc::new(
        evreg_server::Tokens::parse(&file).expect("tokens"),
    ));
    let (st, h, _) = exchange(&s, "GET", "/ui/subjects/auth.user.created", &[], Vec::new()).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(
        h["location"],
        "/ui/login?next=%2Fui%2Fsubjects%2Fauth.user.created"
    );
    // Signing in: the form's session opens no other page.
    let sign_in = |token: &'static str| {
        let s = s.clone();
        async move {
            let (_, h, page) = exchange(&s, "GET", "/ui/login", &[], Vec::new()).await;
            let pending = session_cookie(&h);
            let (st, _, _) = exchange(
                &s,
                "GET",
                "/ui/subjects",
                &[("cookie", pending.as_str())],
                Vec::new(),
            )
            .await;
            assert_eq!(
                st,
                StatusCode::SEE_OTHER,
                "a sign-in form's session is no session"
            );
            let body = form(&[
                ("csrf", &csrf(&page)),
                ("token", token),
                ("next", "/ui/subjects/auth.user.created/check"),
            ]);
            let (st, h, page) = exchange(
                &s,
                "POST",
                "/ui/login",
                &[FORM, ("cookie", pending.as_str())],
                body,
            )
            .await;
            (st, h, page)
        }
    };
    let (st, _, page) = sign_in("not-a-token").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(page.contains("not known"), "{page}");
    let (st, h, _) = sign_in("r-token").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(h["location"], "/ui/subjects/auth.user.created/check");
    let reader = session_cookie(&h);
    let (st, _, page) = exchange(
        &s,
        "GET",
        "/ui/subjects/auth.user.created/check",
        &[("cookie", reader.as_str())],
        Vec::new(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("Check (dry run)") && !page.contains("Register"),
        "{page}"
    );
    let (_, _, settings) = exchange(
        &s,
        "GET",
        "/ui/settings",
        &[("cookie", reader.as_str())],
        Vec::new(),
    )
    .await;
    assert!(!settings.contains("Save"), "{settings}");
    // The server refuses the write anyway.
    let candidate = json!({"type": "object"}).to_string();
    let body = form(&[
        ("csrf", &csrf(&page)),
        ("schema", &candidate),
        ("action", "register"),
    ]);
    let (st, _, _) = send(
        &s,
        "POST",
        "/ui/subjects/auth.user.created/check",
        &[FORM, ("cookie", reader.as_str())],
        body,
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (_, _, settings_post) = send(
        &s,
        "POST",
        "/ui/settings",
        &[FORM, ("cookie", reader.as_str())],
        form(&[("csrf", &csrf(&settings)), ("mode", "READONLY")]),
    )
    .await;
    assert!(
        settings_post.contains("unlimited admin token"),
        "{settings_post}"
    );
    // A writer registers through the page; the API sees the version.
    let (_, h, _) = sign_in("w-token").await;
    let writer = session_cookie(&h);
    let (_, _, page) = exchange(
        &s,
        "GET",
        "/ui/subjects/auth.user.created/check",
        &[("cookie", writer.as_str())],
        Vec::new(),
    )
    .await;
    assert!(page.contains("value=\"register\""), "{page}");
    let mut v3: serde_json::Value = serde_json::from_str(
        &page[page.find("<textarea").expect("textarea")..]
            .split_once('>')
            .expect("tag")
            .1
            .split("</textarea>")
            .next()
            .expect("text")
            .replace("&quot;", "\""),
    )
    .expect("the form holds the latest schema");
    v3["properties"]["name"] = json!({"type": "string"});
    let body = form(&[
        ("csrf", &csrf(&page)),
        ("schema", &v3.to_string()),
        ("action", "register"),
    ]);
    let (st, h, text) = exchange(
        &s,
        "POST",
        "/ui/subjects/auth.user.created/check",
        &[FORM, ("cookie", writer.as_str())],
        body,
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{text}");
    assert_eq!(h["location"], "/ui/subjects/auth.user.created/versions/3");
    let (st, _, _) = send(
        &s,
        "GET",
        "/subjects/auth.user.created/versions/3",
        &[("authorization", "Bearer r-token")],
        Vec::new(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    // Signing out ends the session.
    let (_, _, page) = exchange(
        &s,
        "GET",
        "/ui/subjects",
        &[("cookie", writer.as_str())],
        Vec::new(),
    )
    .await;
    let (st, _, _) = send(
        &s,
        "POST",
        "/ui/logout",
        &[FORM, ("cookie", writer.as_str())],
        form(&[("csrf", &csrf(&page))]),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, _) = send(
        &s,
        "GET",
        "/ui/subjects",
        &[("cookie", writer.as_str())],
        Vec::new(),
    )
    .await;
    assert_eq!(st, StatusCode::SEE_OTHER);
}

async fn readonly_mode_shows_no_write_control_and_refuses(s: AppState) {
    let s = seeded(s).await;
    let (st, _, _) = send(
        &s,
        "PUT",
        "/mode",
        &[JSON],
        json!({"mode": "READONLY"}).to_string().into_bytes(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    let (_, h, page) = exchange(
        &s,
        "GET",
        "/ui/subjects/auth.user.created/check",
        &[],
        Vec::new(),
    )
    .await;
    let cookie = session_cookie(&h);
    assert!(!page.contains("value=\"register\""), "{page}");
    let body = form(&[
        ("csrf", &csrf(&page)),
        ("schema", "{\"type\": \"object\"}"),
        ("action", "register"),
    ]);
    let (st, _, _) = send(
        &s,
        "POST",
        "/ui/subjects/auth.user.created/check",
        &[FORM, ("cookie", cookie.as_str())],
        body,
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // A dry run still works, with the changes explained.
    let body = form(&[
        ("csrf", &csrf(&page)),
        ("schema", "{\"type\": \"string\"}"),
        ("action", "check"),
    ]);
    let (st, _, page) = send(
        &s,
        "POST",
        "/ui/subjects/auth.user.created/check",
        &[FORM, ("cookie", cookie.as_str())],
        body,
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("badge incompatible") && page.contains("Witness event"),
        "{page}"
    );
    let (_, _, versions) = send(
        &s,
        "GET",
        "/subjects/auth.user.created/versions",
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(versions, "[1,2]");
}

contract!(
    screens_render_from_the_registry,
    validate_points_at_the_error,
    tokens_sign_in_and_roles_decide_the_controls,
    readonly_mode_shows_no_write_control_and_refuses,
);
