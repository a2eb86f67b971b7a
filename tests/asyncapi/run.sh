#!/usr/bin/env bash
# Exports an AsyncAPI 3.0 document per seed service with the built binary and
# validates each with the official parser (npm @asyncapi/parser, installed
# into target/asyncapi); then breaks one payload schema and checks the parser
# rejects it, so a payload format it skipped would not pass unnoticed.
# run.sh [EVREG_BIN]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/release/evreg}"
dir="$root/target/asyncapi"
mkdir -p "$dir/node"
version="$(node -p "require('$here/package.json').dependencies['@asyncapi/parser']")"
pkg="$dir/node/node_modules/@asyncapi/parser/package.json"
if [ ! -f "$pkg" ] || [ "$(node -p "require('$pkg').version")" != "$version" ]; then
  cp "$here/package.json" "$dir/node/package.json"
  (cd "$dir/node" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
cp "$here/validate.mjs" "$dir/node/validate.mjs"
rm -rf "$dir/docs" && mkdir -p "$dir/docs"
"$bin" export asyncapi --dir "$root/schemas" --out "$dir/docs"
node "$dir/node/validate.mjs" "$dir"/docs/*.asyncapi.json
# A payload schema the parser must refuse: `type` must be a string or an array.
python3 - "$dir/docs/auth.asyncapi.json" "$dir/broken.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
name = sorted(doc["components"]["messages"])[0]
doc["components"]["messages"][name]["payload"]["schema"] = {"type": 7}
json.dump(doc, open(sys.argv[2], "w"))
print(name)
PY
node "$dir/node/validate.mjs" --expect-error /components/messages "$dir/broken.json"
