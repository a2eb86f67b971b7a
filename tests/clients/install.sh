#!/usr/bin/env bash
# Installs the real Confluent clients (Python confluent-kafka, Node @kafkajs/confluent-schema-registry) into DIR (default target/clients).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dir="${1:-$root/target/clients}"
mkdir -p "$dir"
dir="$(cd "$dir" && pwd)"
py_pin="confluent-kafka[json,schemaregistry]==2.16.1"
js_version="$(node -p "require('$here/package.json').dependencies['@kafkajs/confluent-schema-registry']")"

if ! "$dir/venv/bin/python" -c 'import confluent_kafka.schema_registry.json_schema' 2>/dev/null \
   || [ "$("$dir/venv/bin/python" -c 'import confluent_kafka; print(confluent_kafka.__version__)')" != "${py_pin##*==}" ]; then
  echo "install.sh: python venv -> $dir/venv ($py_pin)"
  python3 -m venv "$dir/venv"
  "$dir/venv/bin/pip" install --quiet --disable-pip-version-check "$py_pin"
fi

pkg="$dir/node/node_modules/@kafkajs/confluent-schema-registry/package.json"
if [ ! -f "$pkg" ] || [ "$(node -p "require('$pkg').version")" != "$js_version" ]; then
  echo "install.sh: node modules -> $dir/node (@kafkajs/confluent-schema-registry@$js_version)"
  mkdir -p "$dir/node"
  cp "$here/package.json" "$dir/node/package.json"
  (cd "$dir/node" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
