//! Prometheus metrics: requests by route and status, a latency histogram, registrations, refusals, validations and cache hits.
//!
//! Written out by hand in the text exposition format: a dozen counters do
//! not need a metrics framework. Every route of the table has its counters
//! from the start, so the request path takes no lock: a map lookup and a
//! few relaxed atomic adds.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{ApiError, Shared};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// The statuses counted by code; any other is counted as `other`.
const STATUSES: [u16; 15] = [
    200, 204, 303, 304, 400, 401, 403, 404, 409, 413, 415, 422, 500, 503, 0,
];

#[derive(Debug, Default)]
struct RouteStats {
    by_status: [AtomicU64; STATUSES.len()],
    /// Requests whose time fell in each bucket (not cumulative: one add per
    /// request; the exposition sums them).
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    /// Total time in nanoseconds (integer, so adding needs no CAS loop).
    nanos: AtomicU64,
}

/// The methods counted by name; any other is `OTHER` (a label set clients cannot grow).
const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "OTHER",
];

/// The route label of requests no route matched.
const UNMATCHED: &str = "unmatched";

#[derive(Debug)]
pub struct Metrics {
    /// Each path of the route table, and `unmatched`, to its slot in `routes`.
    slots: HashMap<&'static str, usize>,
    /// By slot, then by method index.
    routes: Box<[[RouteStats; METHODS.len()]]>,
    registrations: AtomicU64,
    refusals: AtomicU64,
    valid: AtomicU64,
    invalid: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Metrics {
        let mut slots = HashMap::new();
        for path in evreg_api::ROUTES.iter().map(|r| r.path).chain([UNMATCHED]) {
            let next = slots.len();
            slots.entry(path).or_insert(next);
        }
        Metrics {
            routes: (0..slots.len()).map(|_| Default::default()).collect(),
            slots,
            registrations: AtomicU64::default(),
            refusals: AtomicU64::default(),
            valid: AtomicU64::default(),
            invalid: AtomicU64::default(),
        }
    }
}

impl Metrics {
    pub fn registration(&self) {
        self.registrations.fetch_add(1, Ordering::Relaxed);
    }

    pub fn refusal(&self) {
        self.refusals.fetch_add(1, Ordering::Relaxed);
    }

    pub fn validations(&self, valid: u64, invalid: u64) {
        self.valid.fetch_add(valid, Ordering::Relaxed);
        self.invalid.fetch_add(invalid, Ordering::Relaxed);
    }

    fn request(&self, route: &str, method: usize, status: u16, seconds: f64) {
        let slot = self
            .slots
            .get(route)
            .or_else(|| self.slots.get(UNMATCHED))
            .copied()
            .unwrap_or_default();
        let Some(by_method) = self.routes.get(slot) else {
            return;
        };
        let stats = &by_method[method.min(METHODS.len() - 1)];
        let code = STATUSES
            .iter()
            .position(|s| *s == status)
            .unwrap_or(STATUSES.len() - 1);
        stats.by_status[code].fetch_add(1, Ordering::Relaxed);
        if let Some(b) = BUCKETS.iter().position(|le| seconds <= *le) {
            stats.buckets[b].fetch_add(1, Ordering::Relaxed);
        }
        stats.count.fetch_add(1, Ordering::Relaxed);
        stats
            .nanos
            .fetch_add((seconds * 1e9) as u64, Ordering::Relaxed);
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self, cache: (u64, u64), cached: (usize, usize)) -> String {
        let mut out = String::new();
        let names: BTreeMap<usize, &str> = self.slots.iter().map(|(p, i)| (*i, *p)).collect();
        let routes: BTreeMap<(&str, &str), &RouteStats> = names
            .iter()
            .flat_map(|(slot, route)| {
                self.routes[*slot]
                    .iter()
                    .zip(METHODS)
                    .filter(|(s, _)| s.count.load(Ordering::Relaxed) > 0)
                    .map(move |(s, m)| ((*route, m), s))
            })
            .collect();
        out.push_str("# HELP evreg_http_requests_total HTTP requests by route, method and status.\n# TYPE evreg_http_requests_total counter\n");
        for ((route, method), s) in routes.iter() {
            for (status, n) in STATUSES.iter().zip(&s.by_status) {
                let n = n.load(Ordering::Relaxed);
                if n == 0 {
                    continue;
                }
                let status = match status {
                    0 => "other".to_owned(),
                    s => s.to_string(),
                };
                let _ = writeln!(
                    out,
                    "evreg_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP evreg_http_request_duration_seconds Time to answer a request.\n# TYPE evreg_http_request_duration_seconds histogram\n");
        for ((route, method), s) in routes.iter() {
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            let mut cumulative = 0;
            for (b, le) in s.buckets.iter().zip(BUCKETS) {
                cumulative += b.load(Ordering::Relaxed);
                let _ = writeln!(
                    out,
                    "evreg_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {cumulative}"
                );
            }
            let count = s.count.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "evreg_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}\nevreg_http_request_duration_seconds_sum{{{labels}}} {}\nevreg_http_request_duration_seconds_count{{{labels}}} {count}",
                s.nanos.load(Ordering::Relaxed) as f64 / 1e9
            );
        }
        drop(routes);
        let counters = [
            (
                "evreg_registrations_total",
                "New versions registered by this process.",
                self.registrations.load(Ordering::Relaxed),
            ),
            (
                "evreg_compatibility_refusals_total",
                "Registrations refused as incompatible.",
                self.refusals.load(Ordering::Relaxed),
            ),
            (
                "evreg_cache_hits_total",
                "Lookups answered from memory.",
                cache.0,
            ),
            (
                "evreg_cache_misses_total",
                "Lookups that asked the database.",
                cache.1,
            ),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        }
        let _ = writeln!(
            out,
            "# HELP evreg_validations_total Messages validated, by result.\n# TYPE evreg_validations_total counter\nevreg_validations_total{{result=\"valid\"}} {}\nevreg_validations_total{{result=\"invalid\"}} {}",
            self.valid.load(Ordering::Relaxed),
            self.invalid.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "# HELP evreg_cached_entries Entries held in memory, by kind.\n# TYPE evreg_cached_entries gauge\nevreg_cached_entries{{kind=\"schema\"}} {}\nevreg_cached_entries{{kind=\"subject\"}} {}",
            cached.0, cached.1
        );
        out
    }
}

/// The one gate in front of every request: refuses what a foreign web page
/// must not make the server do (`browser.rs`), answers 503 for a request
/// that outlives the request timeout, and counts and times all of them. One
/// middleware rather than three: each layer costs a boxed future and a
/// service clone per request, a tenth of a cached lookup's time.
pub async fn observe(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    // Known methods only: a label set a client can grow without bound is a memory leak.
    let method = METHODS
        .iter()
        .position(|m| *m == req.method().as_str())
        .unwrap_or(METHODS.len() - 1);
    let start = Instant::now();
    let limit = s.limits.request_timeout;
    let resp = match crate::browser::refusal(&s, &req) {
        Some(refused) => refused.into_response(),
        None => match tokio::time::timeout(limit, next.run(req)).await {
            Ok(r) => r,
            // Dropping the handler rolls back any transaction it held: nothing half-written.
            Err(_) => ApiError::Timeout(limit.as_millis()).into_response(),
        },
    };
    let seconds = start.elapsed().as_secs_f64();
    let status = resp.status().as_u16();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    s.metrics.request(route, method, status, seconds);
    // Every request at debug; failures the server caused at warn.
    if status >= 500 {
        tracing::warn!(method = METHODS[method], %route, status, ms = seconds * 1e3, "request failed");
    } else {
        tracing::debug!(method = METHODS[method], %route, status, ms = seconds * 1e3, "request");
    }
    resp
}
