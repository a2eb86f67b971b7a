//! evreg-codegen: typed Rust events generated from `build.rs`.
//!
//! Not built yet: this crate holds the place and the dependency edge
//! (codegen → core) that ARCHITECTURE.md allows. It exports nothing, so
//! nothing can mistake it for a working generator. Tracked by the codegen issue.
