//! Generated events for the seed's schemas and for the code-generation corpus, compiled under `deny(warnings)` as users compile them.
#![deny(warnings)]

/// The seed's events (`schemas/`).
pub mod seed {
    include!(concat!(env!("OUT_DIR"), "/seed_events.rs"));
}

/// Events in the style of public webhook, CI/CD and cloud specifications (`tests/corpus/`).
pub mod corpus {
    include!(concat!(env!("OUT_DIR"), "/corpus_events.rs"));
}
