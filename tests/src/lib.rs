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

/// The seed's events again, deriving `schemars::JsonSchema`, for the round-trip test.
pub mod seed_schemars {
    include!(concat!(env!("OUT_DIR"), "/seed_schemars.rs"));
}

/// The corpus again, deriving `schemars::JsonSchema`.
pub mod corpus_schemars {
    include!(concat!(env!("OUT_DIR"), "/corpus_schemars.rs"));
}

/// The seed's events with `Config::bus(true)`: `evreg_bus::Event` per version and the embedded `CATALOG`.
pub mod seed_bus {
    include!(concat!(env!("OUT_DIR"), "/seed_bus.rs"));
}

/// The codegen goldens (`codegen/tests/golden/*.rs`): each must compile, not only match.
pub mod goldens {
    pub mod arrays {
        include!("../../codegen/tests/golden/arrays.rs");
    }
    pub mod enums {
        include!("../../codegen/tests/golden/enums.rs");
    }
    pub mod objects {
        include!("../../codegen/tests/golden/objects.rs");
    }
    pub mod validation_only {
        include!("../../codegen/tests/golden/validation_only.rs");
    }
    pub mod timestamps {
        include!("../../codegen/tests/golden/timestamps.rs");
    }
    pub mod refs {
        include!("../../codegen/tests/golden/refs.rs");
    }
    pub mod unions {
        include!("../../codegen/tests/golden/unions.rs");
    }
}
