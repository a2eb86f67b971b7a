//! The topology screen: producers → exchanges → bindings → queues → dead-letter queues and consumers, drawn as SVG on the server, a routing key's route highlighted.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use axum::extract::{Extension, Query, State};
use axum::response::Response;
use evreg_core::RoutingKey;
use evreg_core::config::RegistryConfig;
use evreg_core::topology::Plan;

use super::html::{esc, query_value};
use super::{Viewer, page};
use crate::Shared;

#[derive(Debug, Default, serde::Deserialize)]
pub struct TopologyQuery {
    #[serde(default)]
    key: String,
    queue: Option<String>,
    exchange: Option<String>,
    service: Option<String>,
}

const COLUMN: f64 = 290.0;
const NODE_W: f64 = 220.0;
/// Extra room between exchanges and queues for the binding patterns.
const PATTERN_GAP: f64 = 150.0;
/// Width of one character of a node's 12 px name, for cutting long names.
const CHAR_W: f64 = 6.2;
/// Binding patterns listed beside a queue before the rest are counted.
const MAX_PATTERNS: usize = 6;
const NODE_H: f64 = 34.0;
const ROW: f64 = 84.0;
/// A dead-letter queue sits under its work queue, smaller and indented.
const DLQ_DX: f64 = 24.0;
const DLQ_DY: f64 = 40.0;
const DLQ_H: f64 = 26.0;
const TOP: f64 = 40.0;

/// What the drawing highlights: the nodes and bindings on a routing key's route.
#[derive(Debug, Default)]
struct Lit {
    nodes: BTreeSet<(usize, String)>,
    bindings: BTreeSet<usize>,
}

/// The column of each kind of node, left to right.
const PRODUCERS: usize = 0;
const EXCHANGES: usize = 1;
const QUEUES: usize = 2;
const CONSUMERS: usize = 3;
/// Not a column of its own: each is drawn under its work queue.
const DEAD_LETTERS: usize = 4;
const HEADINGS: [&str; 4] = [
    "producers",
    "exchanges",
    "queues and dead letters",
    "consumers",
];
/// Each column's CSS class.
const CLASSES: [&str; 5] = [
    "producers",
    "exchanges",
    "queues",
    "consumers",
    "dead-letters",
];

/// The left edge of a column's nodes.
fn column_x(col: usize) -> f64 {
    let gap = if col >= QUEUES { PATTERN_GAP } else { 0.0 };
    20.0 + col as f64 * COLUMN + gap
}

/// A work queue's dead-letter queue, as the topology plan names it.
fn dead_letter_of(plan: &Plan, queue: &str) -> String {
    plan.policies
        .iter()
        .find(|p| p.queue == queue)
        .map(|p| p.dead_letter_queue.clone())
        .unwrap_or_default()
}

/// The SVG: every node a link (`?queue=`, `?exchange=`, `?service=`, keeping `key`).
pub fn svg(config: &RegistryConfig, key: Option<&RoutingKey>) -> String {
    let plan = Plan::from_config(config);
    // The nodes of each column, in file order.
    let mut columns: [Vec<String>; 5] = Default::default();
    let push = |col: &mut Vec<String>, name: &str| {
        if !col.iter().any(|n| n == name) {
            col.push(name.to_owned());
        }
    };
    for s in config.services.iter().filter(|s| !s.produces.is_empty()) {
        push(&mut columns[PRODUCERS], &s.name);
    }
    for e in &config.exchanges {
        push(&mut columns[EXCHANGES], &e.name);
    }
    for q in &config.queues {
        push(&mut columns[QUEUES], &q.name);
        push(&mut columns[DEAD_LETTERS], &dead_letter_of(&plan, &q.name));
    }
    for s in config.services.iter().filter(|s| !s.consumes.is_empty()) {
        push(&mut columns[CONSUMERS], &s.name);
    }
    let pos = |col: usize, name: &str| -> Option<(f64, f64)> {
        if col == DEAD_LETTERS {
            let owner = plan.policies.iter().find(|p| p.dead_letter_queue == name)?;
            let i = columns[QUEUES].iter().position(|n| *n == owner.queue)?;
            return Some((column_x(QUEUES) + DLQ_DX, TOP + i as f64 * ROW + DLQ_DY));
        }
        let i = columns[col].iter().position(|n| n == name)?;
        Some((column_x(col), TOP + i as f64 * ROW))
    };
    let mut lit = Lit::default();
    if let Some(k) = key {
        if let Some(p) = config.producer_of(k) {
            lit.nodes.insert((PRODUCERS, p.to_owned()));
        }
        if let Some(e) = config.exchange_of(k) {
            lit.nodes.insert((EXCHANGES, e.to_owned()));
        }
        for r in config.routes(k) {
            lit.nodes.insert((QUEUES, r.queue.to_owned()));
            for c in &r.consumers {
                lit.nodes.insert((CONSUMERS, (*c).to_owned()));
            }
            if let Some(q) = config.queues.iter().find(|q| q.name == r.queue) {
                lit.nodes
                    .insert((DEAD_LETTERS, dead_letter_of(&plan, &q.name)));
            }
            if let Some(i) = config.bindings.iter().position(|b| {
                b.exchange == r.exchange && b.queue == r.queue && &b.pattern == r.pattern
            }) {
                lit.bindings.insert(i);
            }
        }
    }
    let rows = columns.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let (w, h) = (
        column_x(CONSUMERS) + NODE_W + 20.0,
        TOP + rows as f64 * ROW + 10.0,
    );
    let mut out = format!(
        "<svg class=\"topology\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Topology: producers, exchanges, queues, dead letters and consumers\">"
    );
    for (i, heading) in HEADINGS.iter().enumerate() {
        let _ = write!(
            out,
            "<text class=\"heading\" x=\"{}\" y=\"20\">{heading}</text>",
            column_x(i)
        );
    }
    let edge = |out: &mut String, from: (f64, f64), to: (f64, f64), class: &str| {
        let (x1, y1) = (from.0 + NODE_W, from.1 + NODE_H / 2.0);
        let (x2, y2) = (to.0, to.1 + NODE_H / 2.0);
        let mx = (x1 + x2) / 2.0;
        let _ = write!(
            out,
            "<path class=\"edge {class}\" d=\"M{x1},{y1} C{mx},{y1} {mx},{y2} {x2},{y2}\"/>"
        );
    };
    // Producer → exchange: a service publishes to the exchange of each key it produces.
    let mut produced: BTreeSet<(String, String)> = BTreeSet::new();
    for s in &config.services {
        for k in &s.produces {
            if let Some(e) = config.exchange_of(k) {
                produced.insert((s.name.clone(), e.to_owned()));
            }
        }
    }
    for (s, e) in &produced {
        if let (Some(a), Some(b)) = (pos(PRODUCERS, s), pos(EXCHANGES, e)) {
            let on = lit.nodes.contains(&(PRODUCERS, s.clone()))
                && lit.nodes.contains(&(EXCHANGES, e.clone()));
            edge(&mut out, a, b, if on { "lit" } else { "" });
        }
    }
    // Each queue's binding patterns are listed once each beside the queue,
    // where its edges arrive, rather than on the crossing curves.
    let mut patterns: BTreeMap<&str, Vec<(&str, bool)>> = BTreeMap::new();
    for (i, b) in config.bindings.iter().enumerate() {
        if let (Some(a), Some(c)) = (pos(EXCHANGES, &b.exchange), pos(QUEUES, &b.queue)) {
            let on = lit.bindings.contains(&i);
            edge(&mut out, a, c, if on { "lit binding" } else { "binding" });
            let label = if b.pattern.as_str().is_empty() {
                "\"\""
            } else {
                b.pattern.as_str()
            };
            let list = patterns.entry(&b.queue).or_default();
            match list.iter_mut().find(|(l, _)| *l == label) {
                Some(seen) => seen.1 |= on,
                None => list.push((label, on)),
            }
        }
    }
    for (queue, list) in &patterns {
        let Some((x, y)) = pos(QUEUES, queue) else {
            continue;
        };
        let shown = list.len().min(MAX_PATTERNS);
        let lines = shown + usize::from(list.len() > shown);
        let top = y + NODE_H / 2.0 + 4.0 - (lines as f64 - 1.0) * 6.0;
        for (n, (label, on)) in list.iter().take(shown).enumerate() {
            let _ = write!(
                out,
                "<text class=\"label pattern{}\" x=\"{}\" y=\"{}\">{}</text>",
                if *on { " lit" } else { "" },
                x - 8.0,
                top + n as f64 * 12.0,
                esc(label)
            );
        }
        if list.len() > shown {
            let _ = write!(
                out,
                "<text class=\"label pattern\" x=\"{}\" y=\"{}\">+{} more (select the queue)</text>",
                x - 8.0,
                top + shown as f64 * 12.0,
                list.len() - shown
            );
        }
    }
    for q in &config.queues {
        let d = dead_letter_of(&plan, &q.name);
        if let (Some(a), Some(b)) = (pos(QUEUES, &q.name), pos(DEAD_LETTERS, &d)) {
            let on = lit.nodes.contains(&(DEAD_LETTERS, d.clone()));
            // Down from the queue's left side into its dead-letter box.
            let (x, y1, y2) = (a.0 + DLQ_DX / 2.0, a.1 + NODE_H, b.1 + DLQ_H / 2.0);
            let _ = write!(
                out,
                "<path class=\"edge dead{}\" d=\"M{x},{y1} L{x},{y2} L{},{y2}\"/>",
                if on { " lit" } else { "" },
                b.0
            );
        }
    }
    for s in &config.services {
        for q in &s.consumes {
            if let (Some(a), Some(b)) = (pos(QUEUES, q), pos(CONSUMERS, &s.name)) {
                let on = lit.nodes.contains(&(QUEUES, q.clone()))
                    && lit.nodes.contains(&(CONSUMERS, s.name.clone()));
                edge(&mut out, a, b, if on { "lit consume" } else { "consume" });
            }
        }
    }
    let key_q = key
        .map(|k| format!("key={}&amp;", query_value(k.as_str())))
        .unwrap_or_default();
    for (col, names) in columns.iter().enumerate() {
        let param = match col {
            PRODUCERS | CONSUMERS => "service",
            EXCHANGES => "exchange",
            _ => "queue",
        };
        for name in names {
            let Some((x, y)) = pos(col, name) else {
                continue;
            };
            let (width, height) = if col == DEAD_LETTERS {
                (NODE_W - DLQ_DX, DLQ_H)
            } else {
                (NODE_W, NODE_H)
            };
            let class = format!(
                "node {}{}",
                CLASSES[col],
                if lit.nodes.contains(&(col, name.clone())) {
                    " lit"
                } else {
                    ""
                }
            );
            // Cut to the box; the full name is the node's tooltip and its details.
            let fits = ((width - 16.0) / CHAR_W) as usize;
            let shown: String = if name.chars().count() > fits {
                format!("{}…", name.chars().take(fits - 1).collect::<String>())
            } else {
                name.clone()
            };
            let _ = write!(
                out,
                "<a href=\"/ui/topology?{key_q}{param}={v}\" class=\"{class}\" data-node=\"{n}\"><title>{n}</title><rect x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{height}\" rx=\"6\"/><text x=\"{tx}\" y=\"{ty}\">{s}</text></a>",
                v = query_value(name),
                n = esc(name),
                s = esc(&shown),
                tx = x + 10.0,
                ty = y + height / 2.0 + 4.0,
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// What the file says about one selected node.
fn details(config: &RegistryConfig, q: &TopologyQuery) -> String {
    let plan = Plan::from_config(config);
    let mut out = String::new();
    if let Some(name) = &q.queue {
        let _ = write!(out, "<h2>Queue {}</h2>", esc(name));
        match config.queues.iter().find(|x| &x.name == name) {
            Some(queue) => {
                let bindings: String = config
                    .bindings
                    .iter()
                    .filter(|b| &b.queue == name)
                    .map(|b| {
                        format!(
                            "<li>{} <code>{}</code></li>",
                            esc(&b.exchange),
                            esc(b.pattern.as_str())
                        )
                    })
                    .collect();
                let consumers: Vec<&str> = config
                    .services
                    .iter()
                    .filter(|s| s.consumes.contains(name))
                    .map(|s| s.name.as_str())
                    .collect();
                let policy = plan.policies.iter().find(|p| &p.queue == name);
                let _ = write!(
                    out,
                    "<dl><dt>Type</dt><dd>{:?}</dd><dt>Dead letters</dt><dd>{}</dd><dt>Attempts</dt><dd>{}</dd><dt>Waits</dt><dd>{}</dd><dt>Consumed by</dt><dd>{}</dd></dl><h3>Bindings</h3><ul>{bindings}</ul>",
                    queue.kind,
                    esc(&dead_letter_of(&plan, name)),
                    policy.map_or(0, |p| p.max_deliveries),
                    policy
                        .map(|p| p
                            .waits
                            .iter()
                            .map(|w| format!("{} ms", w.0))
                            .collect::<Vec<_>>()
                            .join(", "))
                        .unwrap_or_default(),
                    if consumers.is_empty() {
                        "no declared service".into()
                    } else {
                        esc(&consumers.join(", "))
                    },
                );
            }
            None => {
                let sources: Vec<&str> = config
                    .queues
                    .iter()
                    .filter(|x| &dead_letter_of(&plan, &x.name) == name)
                    .map(|x| x.name.as_str())
                    .collect();
                let _ = write!(
                    out,
                    "<p>The dead-letter queue of {}: events that failed every attempt or their schema.</p>",
                    if sources.is_empty() {
                        "no declared queue".into()
                    } else {
                        esc(&sources.join(", "))
                    }
                );
            }
        }
    } else if let Some(name) = &q.exchange {
        let keys: String = config
            .services
            .iter()
            .flat_map(|s| &s.produces)
            .filter(|k| config.exchange_of(k) == Some(name.as_str()))
            .map(|k| format!("<li><a href=\"/ui/topology?key={0}\">{1}</a> · <a href=\"{2}\">subject</a></li>", query_value(k.as_str()), esc(k.as_str()), super::pages::subject_href(k.as_str())))
            .collect();
        let _ = write!(
            out,
            "<h2>Exchange {}</h2><h3>Routing keys published to it</h3><ul>{keys}</ul>",
            esc(name)
        );
    } else if let Some(name) = &q.service {
        match config.services.iter().find(|s| &s.name == name) {
            Some(s) => {
                let produces: String = s
                    .produces
                    .iter()
                    .map(|k| format!("<li><a href=\"/ui/topology?key={0}\">{1}</a> · <a href=\"{2}\">subject</a></li>", query_value(k.as_str()), esc(k.as_str()), super::pages::subject_href(k.as_str())))
                    .collect();
                let consumes: String = s
                    .consumes
                    .iter()
                    .map(|c| {
                        format!(
                            "<li><a href=\"/ui/topology?queue={}\">{}</a></li>",
                            query_value(c),
                            esc(c)
                        )
                    })
                    .collect();
                let _ = write!(
                    out,
                    "<h2>Service {}</h2><p><a href=\"/asyncapi/{}\">AsyncAPI document</a></p><h3>Produces</h3><ul>{produces}</ul><h3>Consumes</h3><ul>{consumes}</ul>",
                    esc(name),
                    query_value(name)
                );
            }
            None => {
                let _ = write!(
                    out,
                    "<p class=\"error\">No service {} in the topology.</p>",
                    esc(name)
                );
            }
        }
    }
    out
}

pub async fn page_handler(
    State(s): State<Shared>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<TopologyQuery>,
) -> Response {
    let Some(config) = &s.topology else {
        return page(
            "Topology",
            &viewer,
            "/ui/topology",
            "<h1>Topology</h1><p class=\"empty\">No topology is configured: start the server with <code>--import DIR</code> or <code>--config evreg.toml</code>.</p>",
        );
    };
    let mut main = String::from("<h1>Topology</h1>");
    let key = match q.key.trim() {
        "" => None,
        k => match k.parse::<RoutingKey>() {
            Ok(k) => Some(k),
            Err(e) => {
                let _ = write!(
                    main,
                    "<p class=\"error\" role=\"alert\">Routing key {:?}: {}</p>",
                    esc(k),
                    esc(&e.to_string())
                );
                None
            }
        },
    };
    let _ = write!(
        main,
        "<form method=\"get\" action=\"/ui/topology\" class=\"search\"><input name=\"key\" value=\"{}\" placeholder=\"routing key, e.g. auth.user.created\" aria-label=\"Routing key to highlight\"><button type=\"submit\">Highlight route</button></form>",
        esc(&q.key)
    );
    if let Some(k) = &key {
        let routes = config.routes(k);
        let queues: BTreeMap<&str, Vec<String>> =
            routes.iter().fold(BTreeMap::new(), |mut m, r| {
                m.entry(r.queue).or_default().push(r.pattern.to_string());
                m
            });
        let _ = write!(
            main,
            "<p class=\"route\">{} → {} → {}</p>",
            esc(k.as_str()),
            esc(config.exchange_of(k).unwrap_or("(no exchange)")),
            if queues.is_empty() {
                "no queue: events with this key are unroutable".to_owned()
            } else {
                queues
                    .iter()
                    .map(|(q, p)| format!("{} ({})", esc(q), esc(&p.join(", "))))
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    let _ = write!(
        main,
        "<div class=\"drawing\">{}</div>",
        svg(config, key.as_ref())
    );
    main.push_str(&details(config, &q));
    page("Topology", &viewer, "/ui/topology", &main)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_routing_keys_route_is_lit() {
        let config = RegistryConfig::parse(
            r#"
[[exchanges]]
name = "auth.events"
[[queues]]
name = "catalog.auth.events"
[[queues]]
name = "audit.all.events"
[[bindings]]
exchange = "auth.events"
queue = "catalog.auth.events"
pattern = "auth.user.*"
[[bindings]]
exchange = "auth.events"
queue = "audit.all.events"
pattern = "auth.session.*"
[[services]]
name = "auth"
produces = ["auth.user.created"]
[[services]]
name = "catalog"
consumes = ["catalog.auth.events"]
"#,
        )
        .expect("config");
        let key: RoutingKey = "auth.user.created".parse().expect("key");
        let svg = svg(&config, Some(&key));
        assert!(
            svg.contains("class=\"node queues lit\" data-node=\"catalog.auth.events\""),
            "{svg}"
        );
        assert!(
            svg.contains("class=\"node queues\" data-node=\"audit.all.events\""),
            "{svg}"
        );
        assert!(
            svg.contains("class=\"node dead-letters lit\" data-node=\"catalog.auth.events.dlq\""),
            "{svg}"
        );
        assert!(
            svg.contains("data-node=\"catalog.auth.events.dlq\""),
            "{svg}"
        );
        assert!(
            svg.contains(
                "href=\"/ui/topology?key=auth.user.created&amp;queue=catalog.auth.events\""
            ),
            "{svg}"
        );
        assert_eq!(svg.matches("edge lit binding").count(), 1, "{svg}");
    }
}
