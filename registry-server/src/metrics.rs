//! Prometheus metrics: requests by route and status, a latency histogram, registrations, refusals, validations and cache hits.
//!
//! Written out by hand in the text exposition format: a dozen counters do
//! not need a metrics framework, and this keeps the request path to one
//! short-held mutex.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Mutex;
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

#[derive(Debug, Default)]
struct RouteStats {
    by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

/// The methods counted by name; any other is `OTHER` (a label set clients cannot grow).
const METHODS: [&str; 8] = [
    "GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "OTHER",
];

#[derive(Debug, Default)]
pub struct Metrics {
    /// By route, then by method index: the request path looks up by `&str`
    /// and allocates only the first time a route is seen.
    routes: Mutex<HashMap<Box<str>, [RouteStats; METHODS.len()]>>,
    registrations: AtomicU64,
    refusals: AtomicU64,
    valid: AtomicU64,
    invalid: AtomicU64,
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
        let mut routes = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if !routes.contains_key(route) {
            routes.insert(route.into(), Default::default());
        }
        let Some(by_method) = routes.get_mut(route) else {
            return;
        };
        let stats = &mut by_method[method.min(METHODS.len() - 1)];
        *stats.by_status.entry(status).or_default() += 1;
        for (b, le) in stats.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= le {
                *b += 1;
            }
        }
        stats.count += 1;
        stats.sum += seconds;
    }

    /// The text exposition format (version 0.0.4).
    pub fn render(&self, cache: (u64, u64), cached: (usize, usize)) -> String {
        let mut out = String::new();
        let guard = self
            .routes
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let routes: BTreeMap<(&str, &str), &RouteStats> = guard
            .iter()
            .flat_map(|(route, by_method)| {
                by_method
                    .iter()
                    .zip(METHODS)
                    .filter(|(s, _)| s.count > 0)
                    .map(move |(s, m)| ((&**route, m), s))
            })
            .collect();
        out.push_str("# HELP evreg_http_requests_total HTTP requests by route, method and status.\n# TYPE evreg_http_requests_total counter\n");
        for ((route, method), s) in routes.iter() {
            for (status, n) in &s.by_status {
                let _ = writeln!(
                    out,
                    "evreg_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {n}"
                );
            }
        }
        out.push_str("# HELP evreg_http_request_duration_seconds Time to answer a request.\n# TYPE evreg_http_request_duration_seconds histogram\n");
        for ((route, method), s) in routes.iter() {
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            for (b, le) in s.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "evreg_http_request_duration_seconds_bucket{{{labels},le=\"{le}\"}} {b}"
                );
            }
            let _ = writeln!(
                out,
                "evreg_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\nevreg_http_request_duration_seconds_sum{{{labels}}} {}\nevreg_http_request_duration_seconds_count{{{labels}}} {}",
                s.count, s.sum, s.count
            );
        }
        drop(routes);
        drop(guard);
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

/// Counts and times every request, and answers 503 for one that outlives the request timeout.
pub async fn observe(State(s): State<Shared>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().cloned();
    // Known methods only: a label set a client can grow without bound is a memory leak.
    let method = METHODS
        .iter()
        .position(|m| *m == req.method().as_str())
        .unwrap_or(METHODS.len() - 1);
    let start = Instant::now();
    let limit = s.limits.request_timeout;
    let resp = match tokio::time::timeout(limit, next.run(req)).await {
        Ok(r) => r,
        // Dropping the handler rolls back any transaction it held: nothing half-written.
        Err(_) => ApiError::Timeout(limit.as_millis()).into_response(),
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
