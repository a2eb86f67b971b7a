//! The one end-to-end test binary: the command line as users run it, conformance against public cases, and randomized soundness.

mod asyncapi;
mod bus;
mod cli;
mod codegen;
mod conformance;
mod corpus;
mod properties;
mod support;
