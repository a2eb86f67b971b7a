//! The web UI as a person uses it, in Debian's headless Chromium driven over WebDriver (chromedriver): search, a diff's witness, a pasted event's error, a topology node; a screenshot of each screen goes to `target/ui-screenshots/`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::Server;
use serde_json::{Value, json};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A chromedriver process and one browser session on it.
struct Browser {
    driver: Child,
    base: String,
    session: String,
    agent: ureq::Agent,
    profile: PathBuf,
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

impl Browser {
    fn start() -> Option<Browser> {
        if !Path::new(CHROMIUM).exists() || !Path::new(CHROMEDRIVER).exists() {
            eprintln!(
                "skipped: the browser suite needs Debian's chromium and chromium-driver ({CHROMIUM}, {CHROMEDRIVER}); .ci/run installs them"
            );
            return None;
        }
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let base = format!("http://127.0.0.1:{port}");
        let until = Instant::now() + Duration::from_secs(20);
        while agent.get(format!("{base}/status")).call().is_err() {
            assert!(Instant::now() < until, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let profile =
            std::env::temp_dir().join(format!("evreg-ui-chromium-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&profile);
        // The flags keep Chromium off a network this machine does not have.
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                "--window-size=1360,1000",
                format!("--user-data-dir={}", profile.display()),
            ]}
        }}});
        let mut b = Browser {
            driver,
            base,
            session: String::new(),
            agent,
            profile,
        };
        let answer = b.call("POST", "/session", Some(caps));
        b.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no WebDriver session: {answer}"))
            .to_owned();
        Some(b)
    }

    /// One WebDriver command: its `value`, or why it failed (transport, or WebDriver's error).
    fn request(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = if path == "/session" {
            format!("{}{path}", self.base)
        } else {
            format!("{}/session/{}{path}", self.base, self.session)
        };
        let resp = match method {
            "GET" => self.agent.get(&url).call(),
            "DELETE" => self.agent.delete(&url).call(),
            _ => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body.unwrap_or(json!({})).to_string()),
        };
        let mut resp = resp.map_err(|e| format!("{method} {url}: {e}"))?;
        let text = resp
            .body_mut()
            .read_to_string()
            .map_err(|e| e.to_string())?;
        let v: Value = serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))?;
        match v["value"].get("error") {
            Some(_) => Err(format!("{method} {path}: {}", v["value"])),
            None => Ok(v["value"].clone()),
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        self.request(method, path, body)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }

    fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v.as_object()
            .and_then(|o| o.values().next())
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no element {css}"))
            .to_owned()
    }

    fn click(&self, css: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/click"), None);
    }

    fn type_into(&self, css: &str, text: &str) {
        let id = self.find(css);
        self.call("POST", &format!("/element/{id}/clear"), None);
        self.call(
            "POST",
            &format!("/element/{id}/value"),
            Some(json!({"text": text})),
        );
    }

    fn text(&self, css: &str) -> String {
        let id = self.find(css);
        self.call("GET", &format!("/element/{id}/text"), None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits (up to 10 s) for a navigation a click started to land on a URL containing `part`.
    fn wait_url(&self, part: &str) -> String {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            let url = self.url();
            if url.contains(part) {
                return url;
            }
            assert!(Instant::now() < until, "never reached {part:?}; at {url}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits (up to 10 s) for an element `css` whose text contains `part`; its text.
    fn wait_text(&self, css: &str, part: &str) -> String {
        let until = Instant::now() + Duration::from_secs(10);
        loop {
            // A page still loading or a stale element is an answer to wait on, not a failure.
            let v = self
                .request(
                    "POST",
                    "/elements",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .unwrap_or_default();
            let ids: Vec<String> = v
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|e| e.as_object()?.values().next()?.as_str().map(str::to_owned))
                .collect();
            for id in ids {
                let t = self
                    .request("GET", &format!("/element/{id}/text"), None)
                    .unwrap_or_default();
                if let Some(t) = t.as_str().filter(|t| t.contains(part)) {
                    return t.to_owned();
                }
            }
            assert!(Instant::now() < until, "no {css} with {part:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn url(&self) -> String {
        self.call("GET", "/url", None)
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    fn select(&self, css: &str, value: &str) {
        let script = format!(
            "const s = document.querySelector({css:?}); s.value = {value:?}; return s.value;"
        );
        let v = self.call(
            "POST",
            "/execute/sync",
            Some(json!({"script": script, "args": []})),
        );
        assert_eq!(v.as_str(), Some(value), "select {css}");
    }

    /// Saves a PNG of the viewport under target/ui-screenshots/.
    fn screenshot(&self, name: &str) {
        let data = self.call("GET", "/screenshot", None);
        let png = base64_decode(data.as_str().expect("base64"));
        assert!(png.starts_with(b"\x89PNG"), "a PNG");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ui-screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self
                .agent
                .delete(format!("{}/session/{}", self.base, self.session))
                .call();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Standard base64 (what WebDriver screenshots are), decoded.
fn base64_decode(s: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes() {
        let Some(v) = value(c) else { continue };
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn every_screen_works_in_chromium() {
    let Some(b) = Browser::start() else { return };
    let dir = std::env::temp_dir().join(format!("evreg-ui-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    let seed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../schemas");
    let server = Server::start(
        &format!("sqlite://{}", dir.join("r.db").display()),
        &["--import", seed.to_str().expect("utf-8")],
    );
    let ui = format!("{}/ui", server.url);

    // Subjects, then a search by JSON pointer.
    b.go(&ui);
    b.wait_url("/ui/subjects");
    assert!(b.text("main").contains("auth.user.created"));
    b.screenshot("subjects");
    b.type_into("input[name=q]", "/payload/email");
    b.click("form.search button");
    b.wait_url("q=%2Fpayload%2Femail");
    let found = b.text("main");
    assert!(found.contains("auth.user.created"), "{found}");
    assert!(!found.contains("catalog.product"), "{found}");
    b.screenshot("subjects-search");

    // A subject, its timeline, and a diff with a witness.
    b.click("a[href=\"/ui/subjects/auth.user.created\"]");
    b.wait_url("/ui/subjects/auth.user.created");
    b.wait_text("main", "Versions");
    b.screenshot("subject");
    b.click("ol.timeline a[href$=\"/diff/1..2\"]");
    b.wait_url("/diff/1..2");
    b.select("select[name=mode]", "FORWARD");
    b.select("select[name=policy]", "STRICT");
    b.click("form.inline button");
    b.wait_url("mode=FORWARD");
    let change = b.wait_text("li.change", "Witness");
    assert!(change.contains("Witness event"), "{change}");
    assert!(change.contains("Refused by"), "{change}");
    assert!(change.contains("Who breaks"), "{change}");
    b.screenshot("diff");

    // A version permalink.
    b.go(&format!("{ui}/subjects/auth.user.created/versions/1"));
    assert!(b.text("h1").contains("v1"));
    b.screenshot("version");

    // Check a candidate (a dry run) that drops a required field.
    b.go(&format!("{ui}/subjects/auth.user.created/check"));
    b.type_into(
        "textarea[name=schema]",
        r#"{"type": "object", "properties": {"user_id": {"type": "integer"}}, "required": ["user_id"]}"#,
    );
    b.click("button[value=check]");
    let result = b.wait_text("main", "Result");
    assert!(result.contains("incompatible"), "{result}");
    b.screenshot("check");

    // Paste an invalid event and see where it is wrong.
    b.go(&format!("{ui}/validate"));
    b.type_into(
        "textarea[name=event]",
        r#"{"event_id": "evt_x", "event_type": "auth.user.created", "event_version": "v1", "timestamp": "2026-01-01T00:00:00Z", "payload": {"user_id": "u1", "email": 42}}"#,
    );
    b.click("form.stack button");
    let result = b.wait_text(".result", "valid");
    assert!(result.starts_with("Invalid"), "{result}");
    assert!(result.contains("/payload/email"), "{result}");
    b.screenshot("validate");

    // The topology with a route lit; a queue node opens its details.
    b.go(&format!("{ui}/topology?key=auth.user.created"));
    assert!(b.text(".route").contains("catalog.auth.events"));
    b.screenshot("topology");
    b.click("a[data-node=\"catalog.auth.events\"]");
    b.wait_url("queue=catalog.auth.events");
    b.wait_text("main", "Queue catalog.auth.events");
    b.screenshot("topology-queue");

    b.go(&format!("{ui}/settings"));
    assert!(b.text("main").contains("Global"));
    b.screenshot("settings");
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
