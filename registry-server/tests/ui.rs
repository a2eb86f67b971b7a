//! The web UI over HTTP: every screen renders from the registry's state, sessions and CSRF guard every form, and reader tokens or READONLY mode never see a write control and cannot write anyway.

use axum::http::{HeaderMap, StatusCode};
use evreg_server::AppState;
use serde_json::json;

#[macro_use]
mod support;
use support::{exchange, send, topology};

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
    s.topology = Some(std::sync::Arc::new(topology()));
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
    // The validator of a payload schema with no envelope looks at /payload.
    let (st, _, page) = post_as(
        &s,
        &cookie,
        "/ui/validate",
        &[("csrf", &token), ("event", &event)],
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{page}");
    assert!(page.contains("result invalid"), "{page}");
    assert!(page.contains("/payload/email"), "{page}");
    let good = event.replace("42", "\"a@b.c\"");
    let (_, _, page) = post_as(
        &s,
        &cookie,
        "/ui/validate",
        &[("csrf", &token), ("event", &good)],
    )
    .await;
    assert!(page.contains("result valid"), "{page}");
    assert!(page.contains("that accept this payload: <a href=\"/ui/subjects/auth.user.created/versions/1\">v1</a>, <a"), "{page}");
    let (st, _, page) = post_as(
        &s,
        &cookie,
        "/ui/validate",
        &[("csrf", &token), ("event", "{not json")],
    )
    .await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Not JSON: line 1, column 2"), "{page}");
    // No CSRF token, a wrong one, or another site's page: refused.
    let (st, _, _) = post_as(&s, &cookie, "/ui/validate", &[("event", &event)]).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = post_as(
        &s,
        &cookie,
        "/ui/validate",
        &[("csrf", "0000"), ("event", &event)],
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    let (st, _, _) = send(
        &s,
        "POST",
        "/ui/validate",
        &[
            FORM,
            ("cookie", cookie.as_str()),
            ("origin", "http://evil.example"),
        ],
        form(&[("csrf", &token), ("event", &event)]),
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
}

/// A diff whose witness is an integer past 64 bits shows all its digits, and
/// says how the reader refuses what the validator, reading f64s, accepts.
async fn diffs_show_integers_past_64_bits_whole(s: AppState) {
    const BIG: &str = "12345678910111213141516171819202122232425262728293031";
    let (st, _, text) = send(
        &s,
        "PUT",
        "/config",
        &[JSON],
        br#"{"compatibility": "NONE"}"#.to_vec(),
    )
    .await;
    assert_eq!(st, StatusCode::OK, "{text}");
    for digits in [BIG, "12345678910111213141516171819202122232425262728293032"] {
        let body = format!(r#"{{"schema": "{{\"const\": {digits}}}"}}"#);
        let (st, _, text) = send(
            &s,
            "POST",
            "/subjects/big/versions",
            &[JSON],
            body.into_bytes(),
        )
        .await;
        assert_eq!(st, StatusCode::OK, "{text}");
    }
    let (st, _, page) = exchange(
        &s,
        "GET",
        "/ui/subjects/big/diff/1..2?mode=BACKWARD&policy=STRICT",
        &[],
        Vec::new(),
    )
    .await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("badge incompatible"), "{page}");
    assert!(
        page.contains(&format!("<pre class=\"json\">{BIG}</pre>")),
        "{page}"
    );
    assert!(page.contains("digit by digit"), "{page}");
    // The schemas side by side, and a version's page, show the digits too.
    assert!(
        page.contains(&format!("&quot;const&quot;: {BIG}")),
        "{page}"
    );
    let (_, _, page) = exchange(&s, "GET", "/ui/subjects/big/versions/1", &[], Vec::new()).await;
    assert!(
        page.contains(&format!("&quot;const&quot;: {BIG}")),
        "{page}"
    );
}

/// A page as a browser holding `cookie` gets it.
async fn get_as(s: &AppState, cookie: &str, uri: &str) -> (StatusCode, HeaderMap, String) {
    exchange(s, "GET", uri, &[("cookie", cookie)], Vec::new()).await
}

/// A form as a browser holding `cookie` posts it.
async fn post_as(
    s: &AppState,
    cookie: &str,
    uri: &str,
    pairs: &[(&str, &str)],
) -> (StatusCode, HeaderMap, String) {
    exchange(s, "POST", uri, &[FORM, ("cookie", cookie)], form(pairs)).await
}

const CHECK: &str = "/ui/subjects/auth.user.created/check";

async fn tokens_sign_in_and_roles_decide_the_controls(s: AppState) {
    use evreg_server::auth::hash;
    let mut s = seeded(s).await;
    let file = format!(
        "[[tokens]]\nname = \"reader\"\nsha256 = \"{}\"\nrole = \"reader\"\n[[tokens]]\nname = \"ci\"\nsha256 = \"{}\"\nrole = \"writer\"\n[[tokens]]\nname = \"auth-admin\"\nsha256 = \"{}\"\nrole = \"admin\"\nsubjects = [\"auth.\"]\n",
        hash("r-token"),
        hash("w-token"),
        hash("a-token")
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
            let (st, _, _) = get_as(&s, &pending, "/ui/subjects").await;
            assert_eq!(
                st,
                StatusCode::SEE_OTHER,
                "a sign-in form's session is no session"
            );
            let form_token = csrf(&page);
            let pairs = [
                ("csrf", form_token.as_str()),
                ("token", token),
                ("next", CHECK),
            ];
            post_as(&s, &pending, "/ui/login", &pairs).await
        }
    };
    let (st, _, page) = sign_in("not-a-token").await;
    assert_eq!(st, StatusCode::UNAUTHORIZED);
    assert!(page.contains("not known"), "{page}");
    let (st, h, _) = sign_in("r-token").await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    assert_eq!(h["location"], CHECK);
    let reader = session_cookie(&h);
    let (st, _, page) = get_as(&s, &reader, CHECK).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("Check (dry run)") && !page.contains("Register"),
        "{page}"
    );
    let (_, _, settings) = get_as(&s, &reader, "/ui/settings").await;
    assert!(!settings.contains("Save"), "{settings}");
    // The server refuses the write anyway.
    let candidate = json!({"type": "object"}).to_string();
    let (st, _, _) = post_as(
        &s,
        &reader,
        CHECK,
        &[
            ("csrf", &csrf(&page)),
            ("schema", &candidate),
            ("action", "register"),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // The route table says saving settings needs an admin session.
    let (st, _, settings_post) = post_as(
        &s,
        &reader,
        "/ui/settings",
        &[("csrf", &csrf(&settings)), ("mode", "READONLY")],
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(
        settings_post.contains("needs an admin token; you are signed in as a reader"),
        "{settings_post}"
    );
    // A writer registers through the page; the API sees the version.
    let (_, h, _) = sign_in("w-token").await;
    let writer = session_cookie(&h);
    let (_, _, page) = get_as(&s, &writer, CHECK).await;
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
    let (st, h, text) = post_as(
        &s,
        &writer,
        CHECK,
        &[
            ("csrf", &csrf(&page)),
            ("schema", &v3.to_string()),
            ("action", "register"),
        ],
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
    // An admin limited to subject prefixes passes the route's role but not
    // the settings' own rule: settings are global or any subject's.
    let (_, h, _) = sign_in("a-token").await;
    let admin = session_cookie(&h);
    let (_, _, settings) = get_as(&s, &admin, "/ui/settings").await;
    assert!(
        settings.contains("Changing settings needs an unlimited admin token"),
        "{settings}"
    );
    let (st, _, text) = post_as(
        &s,
        &admin,
        "/ui/settings",
        &[("csrf", &csrf(&settings)), ("mode", "READONLY")],
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(text.contains("unlimited admin token"), "{text}");
    // Signing out ends the session.
    let (_, _, page) = get_as(&s, &writer, "/ui/subjects").await;
    let (st, _, _) = post_as(&s, &writer, "/ui/logout", &[("csrf", &csrf(&page))]).await;
    assert_eq!(st, StatusCode::SEE_OTHER);
    let (st, _, _) = get_as(&s, &writer, "/ui/subjects").await;
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
    let (_, h, page) = exchange(&s, "GET", CHECK, &[], Vec::new()).await;
    let cookie = session_cookie(&h);
    assert!(!page.contains("value=\"register\""), "{page}");
    let token = csrf(&page);
    let (st, _, _) = post_as(
        &s,
        &cookie,
        CHECK,
        &[
            ("csrf", &token),
            ("schema", "{\"type\": \"object\"}"),
            ("action", "register"),
        ],
    )
    .await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    // A dry run still works, with the changes explained.
    let (st, _, page) = post_as(
        &s,
        &cookie,
        CHECK,
        &[
            ("csrf", &token),
            ("schema", "{\"type\": \"string\"}"),
            ("action", "check"),
        ],
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
    diffs_show_integers_past_64_bits_whole,
    validate_points_at_the_error,
    tokens_sign_in_and_roles_decide_the_controls,
    readonly_mode_shows_no_write_control_and_refuses,
);
