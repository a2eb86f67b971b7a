//! `evreg check`: every routing key's versions in a schema directory, checked in order, and every example validated.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Result;

use crate::Format;

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The schema directory (with an optional evreg.toml).
    #[arg(default_value = "schemas")]
    dir: PathBuf,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Also fail when a version file present at this git revision was edited or deleted.
    #[arg(long, value_name = "REV")]
    against_git: Option<String>,
}

pub fn run(_args: &CheckArgs, _out: &mut dyn Write) -> Result<i32> {
    anyhow::bail!("evreg check is not implemented yet")
}
