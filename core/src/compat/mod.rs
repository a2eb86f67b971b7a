//! The compatibility checker: modes, policies, verdicts, and reports whose breaking changes carry re-validated witnesses.
//!
//! `check(old, new, mode, policy)` decides inclusion of instance sets
//! (BACKWARD: old ⊆ new, FORWARD: new ⊆ old). The answer is proven
//! (`compatible`), refuted by a witness that the `jsonschema` crate
//! re-validates (`incompatible`), or `unknown` with the reason.

mod api;
mod array;
mod engine;
mod incl;
mod norm;
mod number;
mod object;
mod patterns;
mod string;

pub use api::{
    Change, Direction, Mode, Policy, Prepared, Report, STEPS, Verdict, check, check_prepared,
    check_versions, check_versions_prepared, check_within, model_admits,
};

#[cfg(test)]
mod tests;
