#!/usr/bin/env bash
# HTTP benchmark: wrk against evreg (schema reads, POST /validate) vs nginx serving the same schema as a static file, on loopback.
#
# The machine has 2 cores: wrk's threads and the server under test share them,
# so the load generator takes CPU from the server and the figures are a
# comparison between the targets on this box, not evreg's capacity on its own.
#
# Usage: tests/bench/http.sh            (from anywhere; needs wrk, nginx, curl, jq:
#                                        apt-get install -y wrk nginx-light curl jq)
# Knobs (environment):
#   EVREG_BIN    evreg binary (default: <repo>/target/release/evreg; build it first)
#   DURATION     wrk duration per target (default 10s)
#   CONNECTIONS  wrk connections (default 64)
#   THREADS      wrk threads (default 1)
#   NGINX_WORKERS  nginx worker_processes (default 1)
#   ROUNDS       times the nginx / evreg by-id pair is measured, alternating
#                which goes first (default 3); the ratio is of the medians
#   WARMUP       unrecorded wrk run before each target (default 1s; 0 to skip)
#   SUBJECT      subject to read (default auth.user.created, else the first subject)
#   AXUM_BIN     the framework-ceiling server (default: <repo>/target/release/examples/bare-axum;
#                cargo build --release -p evreg-tests --example bare-axum); measured in
#                each round beside the other two when it exists
#
# Each server gets a temp dir (SQLite db, nginx config/logs/pid, wrk Lua script)
# removed on exit, and a free loopback port: evreg binds port 0 and prints its
# address; nginx gets a port probed free with ss. nginx runs in the foreground
# (daemon off) with NGINX_WORKERS workers, evreg with its default tokio
# runtime (one worker per core), so both servers compete with wrk's threads.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EVREG_BIN="${EVREG_BIN:-$root/target/release/evreg}"
AXUM_BIN="${AXUM_BIN:-$root/target/release/examples/bare-axum}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-1}"
NGINX_WORKERS="${NGINX_WORKERS:-1}"
ROUNDS="${ROUNDS:-3}"
WARMUP="${WARMUP:-1s}"
SUBJECT="${SUBJECT:-auth.user.created}"
schemas="$root/schemas"

die() { echo "http.sh: $*" >&2; exit 1; }

for tool in wrk nginx curl jq ss; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y wrk nginx-light curl jq iproute2)"
done
[ -x "$EVREG_BIN" ] || die "$EVREG_BIN is not an executable (cargo build --release -p evreg, or set EVREG_BIN)"

tmp="$(mktemp -d -t evreg-http-bench.XXXXXX)"
evreg_pid=""
nginx_pid=""
axum_pid=""
wrk_pid=""

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in $wrk_pid $nginx_pid $axum_pid $evreg_pid; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $wrk_pid $nginx_pid $axum_pid $evreg_pid; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A loopback TCP port nobody listens on (racy in theory; nginx start is retried).
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 40000))
    if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
      echo "$p"
      return 0
    fi
  done
  die "no free port found"
}

# The address a server printed as `listening on http://ADDR` in LOG, once
# PATH answers there; empty if PID exits or TRIES tenths of a second pass.
listening_addr() {
  local log=$1 pid=$2 path=$3 tries=$4 addr
  for _ in $(seq 1 "$tries"); do
    kill -0 "$pid" 2>/dev/null || return 0
    addr="$(sed -n 's|.*listening on http://\([0-9.:]*\).*|\1|p' "$log" | head -n1)"
    if [ -n "$addr" ] && curl -fsS -o /dev/null "http://$addr$path" 2>/dev/null; then
      echo "$addr"
      return 0
    fi
    sleep 0.1
  done
}

# ---------------------------------------------------------------- evreg
"$EVREG_BIN" serve --db "sqlite://$tmp/evreg.db" --listen 127.0.0.1:0 --import "$schemas" \
  >"$tmp/evreg.log" 2>&1 &
evreg_pid=$!

addr="$(listening_addr "$tmp/evreg.log" "$evreg_pid" /healthz 600)"
[ -n "$addr" ] || { cat "$tmp/evreg.log" >&2; die "evreg exited or was not healthy after 60 s"; }
evreg="http://$addr"

subject="$SUBJECT"
if ! curl -fsS "$evreg/subjects" | jq -e --arg s "$subject" 'index($s) != null' >/dev/null; then
  subject="$(curl -fsS "$evreg/subjects" | jq -r '.[0] // empty')"
  [ -n "$subject" ] || die "evreg has no subjects after importing $schemas"
fi
latest="$(curl -fsS "$evreg/subjects/$subject/versions/latest")"
id="$(jq -r '.id' <<<"$latest")"
version="$(jq -r '.version' <<<"$latest")"

# --------------------------------------------------------------- nginx
mkdir -p "$tmp/www" "$tmp/nginx"
curl -fsS -o "$tmp/www/schema.json" "$evreg/schemas/ids/$id"
# nginx workers drop root to `nobody`: let them read the document root.
chmod 755 "$tmp" "$tmp/www"
chmod 644 "$tmp/www/schema.json"

start_nginx() {
  local port=$1
  cat >"$tmp/nginx/nginx.conf" <<EOF
daemon off;
worker_processes $NGINX_WORKERS;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    client_body_temp_path $tmp/nginx/body;
    proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi;
    uwsgi_temp_path $tmp/nginx/uwsgi;
    scgi_temp_path $tmp/nginx/scgi;
    server {
        listen 127.0.0.1:$port;
        root $tmp/www;
        default_type application/json;
        location = /schema.json { }
    }
}
EOF
  nginx -p "$tmp/nginx" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" \
    >>"$tmp/nginx/stdout.log" 2>&1 &
  nginx_pid=$!
  for _ in $(seq 1 50); do
    kill -0 "$nginx_pid" 2>/dev/null || { wait "$nginx_pid" 2>/dev/null || true; nginx_pid=""; return 1; }
    curl -fsS -o /dev/null "http://127.0.0.1:$port/schema.json" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

nginx_url=""
for _ in 1 2 3 4 5; do
  port="$(free_port)"
  if start_nginx "$port"; then
    nginx_url="http://127.0.0.1:$port/schema.json"
    break
  fi
done
[ -n "$nginx_url" ] || { cat "$tmp/nginx/error.log" "$tmp/nginx/stdout.log" >&2 2>/dev/null || true; die "nginx did not start"; }
cmp -s <(curl -fsS "$nginx_url") <(curl -fsS "$evreg/schemas/ids/$id") \
  || die "nginx does not serve the same body as evreg /schemas/ids/$id"

# ---------------------------------------------------- axum alone (optional)
axum_url=""
if [ -x "$AXUM_BIN" ]; then
  "$AXUM_BIN" "$tmp/www/schema.json" >"$tmp/axum.log" 2>&1 &
  axum_pid=$!
  addr="$(listening_addr "$tmp/axum.log" "$axum_pid" "/schemas/ids/$id" 100)"
  [ -n "$addr" ] || die "bare-axum did not start: $(cat "$tmp/axum.log")"
  axum_url="http://$addr/schemas/ids/$id"
fi

# ------------------------------------------------------------ /validate
# One whole message (envelope + payload) of the subject, preferably of its latest version.
examples="$schemas/$subject/examples"
message=""
if [ -d "$examples" ]; then
  for f in "$examples"/*.json; do
    [ -e "$f" ] || continue
    [ -z "$message" ] && message="$f"
    if [ "$(jq -r '.event_version // empty' "$f")" = "v$version" ]; then message="$f"; break; fi
  done
fi
if [ -z "$message" ]; then
  message="$(find "$schemas" -path '*/examples/*.json' | sort | head -n1)"
fi

validate_note=""
if [ -z "$message" ]; then
  validate_note="POST /validate skipped: no example message under $schemas/*/examples/"
else
  cp "$message" "$tmp/message.json"
  code="$(curl -sS -o "$tmp/validate.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary @"$tmp/message.json" "$evreg/validate")"
  if [ "$code" = 404 ]; then
    validate_note="POST /validate skipped: evreg answers 404 (endpoint not implemented in this build)"
  else
    cat >"$tmp/validate.lua" <<EOF
local f = assert(io.open("$tmp/message.json", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
EOF
    if [ "${code:0:1}" != 2 ]; then
      validate_note="POST /validate probe answered HTTP $code (not 2xx); benchmarked anyway"
    elif [ "$(jq -r '.valid' "$tmp/validate.out" 2>/dev/null)" != true ]; then
      # A rejected message is still a 200, so non-2xx would not show it.
      validate_note="POST /validate probe did not answer valid=true: $(head -c 300 "$tmp/validate.out")"
    fi
  fi
fi

# ------------------------------------------------------------------ wrk
echo "# evreg HTTP benchmark"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); host: $(nproc) cores, load average $(cut -d" " -f1-3 /proc/loadavg) at start; wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}'); $(nginx -v 2>&1 | sed 's/^nginx version: //')"
echo "- evreg: $EVREG_BIN ($("$EVREG_BIN" --version 2>/dev/null || echo 'version unknown'))"
echo "- wrk: -t$THREADS -c$CONNECTIONS -d$DURATION --latency (warm-up: $WARMUP); nginx: $NGINX_WORKERS worker(s)"
echo "- subject: $subject, version $version, id $id; schema body $(wc -c <"$tmp/www/schema.json") bytes"
[ -f "$tmp/message.json" ] && echo "- /validate message: ${message#"$root"/} ($(wc -c <"$tmp/message.json") bytes)"
echo

rows=()
notes=()

# wrk in the background so that a signal to this script stops it at once.
wrk_to() {
  local out=$1
  shift
  wrk "$@" >"$out" 2>&1 &
  wrk_pid=$!
  if ! wait "$wrk_pid"; then
    wrk_pid=""
    cat "$out" >&2
    die "wrk $* failed"
  fi
  wrk_pid=""
}

# run NAME URL [LUA]
run() {
  local name=$1 url=$2 lua=${3:-}
  local args=(-t"$THREADS" -c"$CONNECTIONS" --latency)
  [ -n "$lua" ] && args+=(-s "$lua")
  if [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
    wrk_to "$tmp/warmup.out" "${args[@]}" -d"$WARMUP" "$url"
  fi
  wrk_to "$tmp/wrk.out" "${args[@]}" -d"$DURATION" "$url"
  local out
  out="$(cat "$tmp/wrk.out")"
  echo "## $name"
  echo
  echo '```'
  echo "$out"
  echo '```'
  echo
  local rps p50 p99 non2xx socket
  rps="$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")"
  p50="$(awk '$1 == "50%" {print $2}' <<<"$out")"
  p99="$(awk '$1 == "99%" {print $2}' <<<"$out")"
  non2xx="$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2}' <<<"$out")"
  socket="$(awk -F': *' '/Socket errors/ {print $2}' <<<"$out")"
  rows+=("| $name | ${rps:-?} | ${p50:-?} | ${p99:-?} | ${non2xx:-0} |")
  last_rps="${rps:-0}"
  [ -n "$socket" ] && notes+=("$name: socket errors: $socket")
  return 0
}

# The pair the target is about, in alternating order: the machine's speed drifts.
nginx_rps=()
evreg_rps=()
axum_rps=()
for round in $(seq 1 "$ROUNDS"); do
  if [ -n "$axum_url" ]; then
    run "axum alone, same bytes (round $round)" "$axum_url"; axum_rps+=("$last_rps")
  fi
  if [ $((round % 2)) = 1 ]; then
    run "nginx static file (round $round)" "$nginx_url"; nginx_rps+=("$last_rps")
    run "evreg GET /schemas/ids/$id (round $round)" "$evreg/schemas/ids/$id"; evreg_rps+=("$last_rps")
  else
    run "evreg GET /schemas/ids/$id (round $round)" "$evreg/schemas/ids/$id"; evreg_rps+=("$last_rps")
    run "nginx static file (round $round)" "$nginx_url"; nginx_rps+=("$last_rps")
  fi
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
nginx_median="$(median "${nginx_rps[@]}")"
evreg_median="$(median "${evreg_rps[@]}")"
ratio="$(awk -v e="$evreg_median" -v n="$nginx_median" 'BEGIN {printf "%.2f", (n > 0) ? e / n : 0}')"
run "evreg GET /subjects/$subject/versions/latest" "$evreg/subjects/$subject/versions/latest"
if [ -f "$tmp/validate.lua" ]; then
  run "evreg POST /validate" "$evreg/validate" "$tmp/validate.lua"
fi

echo "## Summary"
echo
echo "GET /schemas/ids/$id against nginx, medians of $ROUNDS rounds: evreg $evreg_median/s, nginx $nginx_median/s, ratio **$ratio**"
if [ -n "$axum_url" ]; then
  axum_median="$(median "${axum_rps[@]}")"
  echo "The framework's ceiling (axum and tokio answering the same bytes and nothing else): $axum_median/s, $(awk -v a="$axum_median" -v n="$nginx_median" 'BEGIN {printf "%.2f", a / n}') of nginx; evreg reaches $(awk -v e="$evreg_median" -v a="$axum_median" 'BEGIN {printf "%.2f", e / a}') of it"
fi
echo
echo "| target | requests/s | p50 | p99 | non-2xx |"
echo "|---|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
[ -n "$validate_note" ] && notes+=("$validate_note")
if ! kill -0 "$evreg_pid" 2>/dev/null; then notes+=("evreg exited during the run (log below)"); fi
if grep -qiE 'error|panic' "$tmp/evreg.log"; then
  notes+=("evreg log has errors:")
  while IFS= read -r l; do notes+=("    $l"); done < <(grep -iE 'error|panic' "$tmp/evreg.log" | head -n 5)
fi
if [ -s "$tmp/nginx/error.log" ] && grep -qv '\[notice\]' "$tmp/nginx/error.log"; then
  notes+=("nginx error log: $(grep -v '\[notice\]' "$tmp/nginx/error.log" | head -n 3 | tr '\n' ' ')")
fi
for n in "${notes[@]}"; do echo "- $n"; done
