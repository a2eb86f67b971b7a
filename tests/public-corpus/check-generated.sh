#!/usr/bin/env bash
# Type-checks the Rust that `corpus::schemastore_generates` wrote to
# target/corpus-gen/src (one module per SchemaStore schema) as a crate of its
# own, offline, with the workspace's lock file so the same serde is used.
set -euo pipefail
cd "$(dirname "$0")/../.."
gen=target/corpus-gen
if [ ! -f "$gen/src/lib.rs" ]; then
  echo "no generated corpus code in $gen (run the corpus tests first)" >&2
  exit 2
fi
cat > "$gen/Cargo.toml" <<'TOML'
[package]
name = "evreg-corpus-generated"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
serde = { version = "1", features = ["derive"] }
serde_json = { version = "1", features = ["preserve_order"] }

[workspace]
TOML
cp Cargo.lock "$gen/Cargo.lock"
modules=$(grep -c '^pub mod' "$gen/src/lib.rs")
lines=$(cat "$gen"/src/*.rs | wc -l)
echo "type-checking $modules generated modules ($lines lines)"
CARGO_TARGET_DIR="$PWD/target/corpus-gen-target" cargo check --offline --quiet --manifest-path "$gen/Cargo.toml"
echo "all $modules modules type-check"
