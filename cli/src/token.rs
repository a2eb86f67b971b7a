//! `evreg token`: makes a new bearer token and prints the tokens-file entry that admits it (its hash, never the token).

use std::io::{Read, Write};

use anyhow::{Context, Result};
use evreg_server::auth::hash;

#[derive(Debug, clap::Args)]
pub struct TokenArgs {
    /// Who or what the token is for, as it appears in logs and errors.
    #[arg(long)]
    name: String,
    /// reader, writer or admin.
    #[arg(long, default_value = "reader", value_parser = ["reader", "writer", "admin"])]
    role: String,
    /// Limit the token to subjects starting with this prefix (repeatable).
    #[arg(long = "subject-prefix", value_name = "PREFIX")]
    prefixes: Vec<String>,
}

pub fn run(a: &TokenArgs, out: &mut dyn Write) -> Result<i32> {
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .context("cannot read /dev/urandom for a random token")?;
    let token: String = format!(
        "evreg_{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let prefixes = serde_json::to_string(&a.prefixes)?;
    writeln!(
        out,
        "# token (give it to {}; it is not stored anywhere): {token}",
        a.name
    )?;
    writeln!(
        out,
        "[[tokens]]\nname = {}\nsha256 = \"{}\"\nrole = \"{}\"\nsubjects = {prefixes}",
        serde_json::to_string(&a.name)?,
        hash(&token),
        a.role
    )?;
    Ok(crate::exit::OK)
}
