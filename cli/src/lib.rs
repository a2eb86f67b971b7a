//! The `evreg` command line: argument parsing and the commands, each writing to the writers it is given.

use std::ffi::OsString;
use std::io::Write;

use clap::{Parser, Subcommand, ValueEnum};

mod bus;
mod check;
mod diff;
mod export;
mod generate;
pub mod load;
mod pull;
mod push;
mod remote;
mod serve;
mod token;

/// Process exit codes, as ripgrep uses them plus one for `unknown`.
pub mod exit {
    pub const OK: i32 = 0;
    pub const PROBLEM: i32 = 1;
    pub const ERROR: i32 = 2;
    pub const UNKNOWN: i32 = 3;
}

#[derive(Debug, Parser)]
#[command(
    name = "evreg",
    version,
    about = "Event schema registry, compatibility checker and code generator for RabbitMQ topic events"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Github,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Explain whether NEW may follow OLD: each breaking change with its path and a witness event.
    Diff(diff::DiffArgs),
    /// Check every routing key's versions in a schema directory, and validate its examples.
    Check(check::CheckArgs),
    /// Generate typed Rust events, as evreg-codegen does from build.rs.
    Gen(generate::GenArgs),
    /// Run the registry server (Confluent Schema Registry API for JSON schemas).
    Serve(serve::ServeArgs),
    /// Register every version of a schema directory with a registry, in order; says what was new.
    Push(push::PushArgs),
    /// Write a registry's subjects as a schema directory plus evreg.lock (ids and hashes) for codegen.
    Pull(pull::PullArgs),
    /// Make a bearer token and print the tokens-file entry (its SHA-256) for `serve --tokens`.
    Token(token::TokenArgs),
    /// Apply, diff or export the RabbitMQ topology of evreg.toml.
    #[command(subcommand)]
    Topology(bus::TopologyCommand),
    /// Publish envelope events, validated against their schema, confirmed and `mandatory`.
    Publish(bus::PublishArgs),
    /// Consume a work queue, running a command per event (exit 0 acks; otherwise retry, then the DLQ).
    Consume(bus::ConsumeArgs),
    /// Print what reaches a queue without taking it from its consumers.
    Tail(bus::TailArgs),
    /// List or replay the dead letters of a queue.
    #[command(subcommand)]
    Dlq(bus::DlqCommand),
    /// Write other tools' descriptions of the events (AsyncAPI 3.0).
    #[command(subcommand)]
    Export(export::ExportCommand),
}

/// Runs the command line `args`; returns the process exit code.
pub fn run(
    args: impl IntoIterator<Item = OsString>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            };
            let text = e.render().to_string();
            let _ = if e.use_stderr() {
                err.write_all(text.as_bytes())
            } else {
                out.write_all(text.as_bytes())
            };
            return code;
        }
    };
    let result = match cli.command {
        Command::Diff(a) => diff::run(&a, out),
        Command::Check(a) => check::run(&a, out),
        Command::Gen(a) => generate::run(&a, out, err),
        Command::Serve(a) => serve::run(&a, out),
        Command::Token(a) => token::run(&a, out),
        Command::Push(a) => push::run(&a, out),
        Command::Pull(a) => pull::run(&a, out),
        Command::Topology(c) => bus::topology(&c, out),
        Command::Publish(a) => bus::publish(&a, out),
        Command::Consume(a) => bus::consume(&a, out),
        Command::Tail(a) => bus::tail_cmd(&a, out),
        Command::Dlq(c) => bus::dlq_cmd(&c, out),
        Command::Export(c) => export::run(&c, out),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let _ = writeln!(err, "error: {e:#}");
            exit::ERROR
        }
    }
}
