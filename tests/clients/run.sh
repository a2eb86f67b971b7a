#!/usr/bin/env bash
# Runs the real Confluent clients (Python and Node) against a freshly started evreg server: run.sh [EVREG_BIN].
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${1:-$root/target/release/evreg}"
clients="$root/target/clients"
[ -x "$bin" ] || { echo "run.sh: no evreg binary at $bin" >&2; exit 2; }

start=$SECONDS
bash "$here/install.sh" "$clients"
echo "run.sh: clients installed in $((SECONDS - start))s"

tmp="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
export EVREG_URL="http://127.0.0.1:$port"
export EVREG_CLIENTS_DIR="$clients"
unset EVREG_TOKENS  # anonymous access on loopback
"$bin" serve --db "sqlite://$tmp/evreg.db" --listen "127.0.0.1:$port" >"$tmp/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
  curl -fsS "$EVREG_URL/healthz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { echo "run.sh: server exited" >&2; cat "$tmp/server.log" >&2; exit 1; }
  sleep 0.1
done
curl -fsS "$EVREG_URL/healthz" >/dev/null || { echo "run.sh: server not healthy" >&2; cat "$tmp/server.log" >&2; exit 1; }

status=0
timeout 300 "$clients/venv/bin/python" "$here/python_client.py" || status=1
timeout 300 node "$here/node_client.js" || status=1
if [ "$status" -ne 0 ]; then echo "run.sh: server log:" >&2; tail -n 50 "$tmp/server.log" >&2; fi
exit "$status"
