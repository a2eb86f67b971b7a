//! evreg-server: the registry server (Confluent Schema Registry REST API on SQLite and PostgreSQL).
//!
//! Not built yet: this crate holds the place and the dependency edge
//! (server → core) that ARCHITECTURE.md allows. It exports nothing, so
//! nothing can mistake it for a working server. Tracked by the registry issue.
