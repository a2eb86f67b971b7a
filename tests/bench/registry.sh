#!/usr/bin/env bash
# Registry benchmark: wrk registrations/s with compatibility checks (SQLite and PostgreSQL), POST /validate and /validate/batch throughput, and resident memory with 10,000 schemas.
#
# The machine has 2 cores: wrk's threads (and the Python client of the memory
# step) share them with the server under test, so the load generator takes CPU
# from the server and the figures are what this box does, not evreg's capacity
# on its own. PostgreSQL runs on the same 2 cores too.
#
# Usage: tests/bench/registry.sh        (from anywhere; needs wrk, curl, jq, python3,
#                                        and psql plus a local PostgreSQL for the
#                                        PostgreSQL row: apt-get install -y wrk curl jq)
# Knobs (environment):
#   EVREG_BIN          evreg binary (default: <repo>/target/release/evreg; build it first)
#   DURATION           wrk duration per measurement (default 10s)
#   CONNECTIONS        wrk connections for registrations and POST /validate (default 64)
#   THREADS            wrk threads (default 2)
#   WARMUP             unrecorded wrk run before each validation measurement (default 1s; 0 to skip).
#                      Registrations get no warm-up: it would register versions.
#   SUBJECTS           subjects the registration load cycles over (default 1000)
#   BATCH_SIZE         messages per POST /validate/batch body (default 1000)
#   BATCH_CONNECTIONS  wrk connections for /validate/batch (default 8)
#   SCHEMAS            schemas registered for the memory measurement (default 10000)
#   PG_URL             PostgreSQL server, without database (default postgres://postgres@127.0.0.1:5432);
#                      a fresh database is created there and dropped on exit. PG_URL=none skips it.
#
# Registrations: a wrk Lua script builds a new body per request, round-robin
# over SUBJECTS subjects bench.s{n}; the k-th request for a subject registers
# {"type":"object","properties":{"p0":{"type":"string"},...,"p{k}":{"type":"string"}}},
# which is FULL-compatible with every earlier version (open object, one more
# optional property), under FULL_TRANSITIVE set with PUT /config. Each wrk
# thread owns a disjoint set of subjects (n % THREADS == thread), so with
# CONNECTIONS/THREADS < SUBJECTS/THREADS one subject never has two requests in
# flight and its versions arrive in order. Every request checks the new schema
# against all earlier versions of its subject, so the cost per request grows
# during the run. evreg_registrations_total (GET /metrics) cross-checks the
# count; it may exceed wrk's 2xx count by the requests in flight when wrk stops.
#
# Every server gets a temp dir (SQLite db, logs, Lua and Python scripts)
# removed on exit, and binds port 0; its address is read from its stdout.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
EVREG_BIN="${EVREG_BIN:-$root/target/release/evreg}"
DURATION="${DURATION:-10s}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
WARMUP="${WARMUP:-1s}"
SUBJECTS="${SUBJECTS:-1000}"
BATCH_SIZE="${BATCH_SIZE:-1000}"
BATCH_CONNECTIONS="${BATCH_CONNECTIONS:-8}"
SCHEMAS="${SCHEMAS:-10000}"
PG_URL="${PG_URL:-postgres://postgres@127.0.0.1:5432}"
MAX_BODY=8388608
schemas="$root/schemas"

die() { echo "registry.sh: $*" >&2; exit 1; }

for tool in wrk curl jq python3; do
  command -v "$tool" >/dev/null || die "$tool not found (apt-get install -y wrk curl jq python3)"
done
[ -x "$EVREG_BIN" ] || die "$EVREG_BIN is not an executable (cargo build --release -p evreg, or set EVREG_BIN)"
[ "$THREADS" -ge 1 ] && [ "$SUBJECTS" -ge "$THREADS" ] || die "need THREADS >= 1 and SUBJECTS >= THREADS"

tmp="$(mktemp -d -t evreg-registry-bench.XXXXXX)"
pids=()       # every evreg started, stopped on exit
wrk_pid=""
py_pid=""
pg_db=""      # PostgreSQL database to drop on exit

stop_pid() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  for pid in $wrk_pid $py_pid "${pids[@]}"; do
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in $wrk_pid $py_pid "${pids[@]}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  if [ -n "$pg_db" ]; then
    psql "$PG_URL/postgres" -qAtc "DROP DATABASE IF EXISTS \"$pg_db\" WITH (FORCE)" >/dev/null 2>&1 \
      || echo "registry.sh: could not drop PostgreSQL database $pg_db" >&2
  fi
  rm -rf "$tmp"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_evreg NAME DB_URL [ARGS...]: starts evreg, sets evreg_pid and evreg (base URL).
start_evreg() {
  local name=$1 db=$2
  shift 2
  local log="$tmp/$name.log"
  "$EVREG_BIN" serve --db "$db" --listen 127.0.0.1:0 "$@" >"$log" 2>&1 &
  evreg_pid=$!
  pids+=("$evreg_pid")
  evreg=""
  local addr
  for _ in $(seq 1 600); do
    kill -0 "$evreg_pid" 2>/dev/null || { cat "$log" >&2; die "evreg ($name) exited during start"; }
    addr="$(sed -n 's|.*listening on http://\([0-9.:]*\).*|\1|p' "$log" | head -n1)"
    if [ -n "$addr" ] && curl -fsS -o /dev/null "http://$addr/healthz" 2>/dev/null; then
      evreg="http://$addr"
      return 0
    fi
    sleep 0.1
  done
  cat "$log" >&2
  die "evreg ($name) not healthy after 60 s"
}

# metric NAME[{labels}]: value of one sample of GET /metrics (0 when absent).
metric() {
  curl -fsS "$evreg/metrics" | awk -v m="$1" '$1 == m {v = $2} END {print v == "" ? 0 : v}'
}

# Log lines worth a note (errors, panics, warnings) of server NAME.
log_notes() {
  local name=$1 log="$tmp/$1.log"
  kill -0 "$evreg_pid" 2>/dev/null || notes+=("$name: evreg exited during the run")
  if grep -qiE 'error|panic|warn' "$log"; then
    # Grouped by message: timestamps dropped, numbers as N, SQL text cut off.
    notes+=("$name: evreg log has $(grep -ciE 'error|panic|warn' "$log") error/warning lines:")
    while IFS= read -r l; do notes+=("    $l"); done < <(grep -iE 'error|panic|warn' "$log" \
      | sed -E 's/\x1b\[[0-9;]*m//g; s/^[0-9T:.-]+Z +//; s/ db\.statement=.*//; s/[0-9]+(\.[0-9]+)?/N/g' \
      | sort | uniq -c | sort -rn | head -n 4 | sed -E 's/^ *([0-9]+) /\1 × /')
  fi
  return 0
}

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

# wrk's "N requests in 10.00s" duration, in seconds.
wrk_seconds() {
  awk '/requests in/ {
    t = $4; sub(/,$/, "", t)
    if (t ~ /ms$/) { sub(/ms$/, "", t); t /= 1000 }
    else if (t ~ /us$/) { sub(/us$/, "", t); t /= 1000000 }
    else if (t ~ /m$/) { sub(/m$/, "", t); t *= 60 }
    else if (t ~ /h$/) { sub(/h$/, "", t); t *= 3600 }
    else { sub(/s$/, "", t) }
    print t }' "$1"
}

rows=()
notes=()

# bench NAME URL LUA CONNS [WRK_ARGS_AFTER_--...]: one recorded wrk run; sets
# w_total w_non2xx w_secs w_rps w_p50 w_p99 and prints the raw output.
bench() {
  local name=$1 url=$2 lua=$3 conns=$4 warm=$5
  shift 5
  local args=(-t"$THREADS" -c"$conns" --latency -s "$lua")
  if [ "$warm" = 1 ] && [ "$WARMUP" != 0 ] && [ "$WARMUP" != 0s ]; then
    wrk_to "$tmp/warmup.out" "${args[@]}" -d"$WARMUP" "$url" -- "$@"
  fi
  wrk_to "$tmp/wrk.out" "${args[@]}" -d"$DURATION" "$url" -- "$@"
  echo "## $name"
  echo
  echo '```'
  cat "$tmp/wrk.out"
  echo '```'
  echo
  w_total="$(awk '/requests in/ {print $1}' "$tmp/wrk.out")"
  w_non2xx="$(awk -F': *' '/Non-2xx or 3xx responses/ {print $2}' "$tmp/wrk.out")"
  w_non2xx="${w_non2xx:-0}"
  w_secs="$(wrk_seconds "$tmp/wrk.out")"
  w_rps="$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.out")"
  w_p50="$(awk '$1 == "50%" {print $2}' "$tmp/wrk.out")"
  w_p99="$(awk '$1 == "99%" {print $2}' "$tmp/wrk.out")"
  local socket
  socket="$(awk -F': *' '/Socket errors/ {print $2}' "$tmp/wrk.out")"
  [ -n "$socket" ] && notes+=("$name: wrk socket errors: $socket")
  return 0
}

echo "# evreg registry benchmark"
echo
echo "- date: $(date -u +%Y-%m-%dT%H:%M:%SZ); host: $(nproc) cores (shared by wrk, the server and PostgreSQL), load average $(cut -d" " -f1-3 /proc/loadavg) at start; wrk $(wrk -v 2>&1 | head -n1 | awk '{print $2}')"
echo "- evreg: $EVREG_BIN ($("$EVREG_BIN" --version 2>/dev/null || echo 'version unknown'))"
echo "- wrk: -t$THREADS -c$CONNECTIONS -d$DURATION --latency (batch: -c$BATCH_CONNECTIONS; validation warm-up: $WARMUP; registrations: no warm-up)"
echo

# ------------------------------------------------------- registrations
cat >"$tmp/register.lua" <<'EOF'
-- Round-robin over this thread's subjects; the k-th body of a subject adds p{k}.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  local nsubjects, nthreads = tonumber(args[1]), tonumber(args[2])
  subjects, props, ver = {}, {}, {}
  for n = id, nsubjects - 1, nthreads do
    subjects[#subjects + 1] = "/subjects/bench.s" .. n .. "/versions"
    props[#subjects] = ""
    ver[#subjects] = -1
  end
  idx = 0
  headers = { ["Content-Type"] = "application/vnd.schemaregistry.v1+json" }
  statuses = {}
  first_bad = ""
  verify_pending = (id == 0)
end

function request()
  local i = idx % #subjects + 1
  local k = ver[i] + 1
  local p = '\\"p' .. k .. '\\":{\\"type\\":\\"string\\"}'
  local all = (k == 0) and p or (props[i] .. "," .. p)
  local body = '{"schema":"{\\"type\\":\\"object\\",\\"properties\\":{' .. all .. '}}"}'
  local req = wrk.format("POST", subjects[i], headers, body)
  -- wrk calls request() once on its first thread to check the script and
  -- never sends that request: it must not use up a version.
  if verify_pending then
    verify_pending = false
    return req
  end
  idx, ver[i], props[i] = i, k, all
  return req
end

function response(status, hdrs, body)
  statuses[status] = (statuses[status] or 0) + 1
  if (status < 200 or status > 299) and first_bad == "" then
    first_bad = status .. " " .. string.gsub(string.sub(body or "", 1, 300), "%s+", " ")
  end
end

function done(summary, latency, requests)
  local total, maxver = {}, 0
  for _, t in ipairs(threads) do
    for s, c in pairs(t:get("statuses")) do total[s] = (total[s] or 0) + c end
    for _, v in ipairs(t:get("ver")) do if v + 1 > maxver then maxver = v + 1 end end
    local fb = t:get("first_bad")
    if fb ~= "" then io.write("bench-first-non2xx: ", fb, "\n") end
  end
  local parts = {}
  for s, c in pairs(total) do parts[#parts + 1] = s .. "=" .. c end
  table.sort(parts)
  io.write("bench-statuses: ", table.concat(parts, " "), "\n")
  io.write("bench-max-requests-per-subject: ", maxver, "\n")
end
EOF

per_thread_conns=$(((CONNECTIONS + THREADS - 1) / THREADS))
per_thread_subjects=$((SUBJECTS / THREADS))
if [ "$per_thread_conns" -ge "$per_thread_subjects" ]; then
  notes+=("registrations: $per_thread_conns connections per wrk thread >= $per_thread_subjects subjects per thread: one subject may have two requests in flight, so a version may arrive after a newer one (it is still compatible)")
fi

# register NAME DB_URL
register() {
  local name=$1 db=$2
  start_evreg "$name" "$db"
  curl -fsS -o /dev/null -X PUT -H 'Content-Type: application/json' \
    --data '{"compatibility":"FULL_TRANSITIVE"}' "$evreg/config" || die "PUT /config failed ($name)"
  local level
  level="$(curl -fsS "$evreg/config" | jq -r '.compatibilityLevel // .compatibility // empty')"
  local before refused_before
  before="$(metric evreg_registrations_total)"
  refused_before="$(metric evreg_compatibility_refusals_total)"
  bench "registrations, $name (compatibility $level)" "$evreg/subjects/bench.s0/versions" \
    "$tmp/register.lua" "$CONNECTIONS" 0 "$SUBJECTS" "$THREADS"
  sleep 1   # let the server finish the requests wrk abandoned when it stopped
  local after refused ok rate statuses maxk first_bad
  after="$(metric evreg_registrations_total)"
  refused=$(( $(metric evreg_compatibility_refusals_total) - refused_before ))
  ok=$((w_total - w_non2xx))
  rate="$(awk -v n="$ok" -v s="$w_secs" 'BEGIN {printf "%.0f", n / s}')"
  statuses="$(sed -n 's/^bench-statuses: //p' "$tmp/wrk.out")"
  maxk="$(sed -n 's/^bench-max-requests-per-subject: //p' "$tmp/wrk.out")"
  first_bad="$(sed -n 's/^bench-first-non2xx: //p' "$tmp/wrk.out" | head -n1)"
  rows+=("| POST /subjects/{s}/versions, $name | $rate | – | ${w_p50:-?} | ${w_p99:-?} | $w_non2xx | $ok 2xx in ${w_secs}s; metrics: $((after - before)) new versions, $refused refused; up to $maxk versions/subject; statuses: $statuses |")
  if [ "$w_non2xx" != 0 ]; then
    notes+=("$name registrations: $w_non2xx non-2xx; first: $first_bad")
  fi
  # Versions arrived in order when version v of a subject has properties p0..p{v-1}.
  local subj latest
  for subj in bench.s0 "bench.s$((SUBJECTS - 1))"; do
    latest="$(curl -fsS "$evreg/subjects/$subj/versions/latest")" || { notes+=("$name: GET /subjects/$subj/versions/latest failed"); continue; }
    if ! jq -e '.version == (.schema | fromjson | .properties | length)' >/dev/null <<<"$latest"; then
      notes+=("$name: $subj latest version $(jq -r .version <<<"$latest") has $(jq -r '.schema | fromjson | .properties | length' <<<"$latest") properties (versions out of order, or a body lost)")
    fi
  done
  # Requests in flight when wrk stops are answered unseen (at most one per connection).
  if [ $((after - before)) -lt "$ok" ] || [ $((after - before)) -gt $((ok + CONNECTIONS)) ]; then
    notes+=("$name registrations: evreg_registrations_total grew by $((after - before)) but wrk saw $ok 2xx (expected $ok..$((ok + CONNECTIONS)); fewer means some 200s were duplicates)")
  fi
  log_notes "$name"
  stop_pid "$evreg_pid"
}

register "SQLite" "sqlite://$tmp/register.db"

pg_note=""
if [ "$PG_URL" = none ]; then
  pg_note="PostgreSQL skipped (PG_URL=none)"
elif ! command -v psql >/dev/null; then
  pg_note="PostgreSQL skipped: psql not found"
elif ! psql "$PG_URL/postgres" -qAtc 'SELECT 1' >/dev/null 2>&1; then
  pg_note="PostgreSQL skipped: cannot connect to $PG_URL"
else
  pg_db="evreg_bench_$$_$RANDOM"
  psql "$PG_URL/postgres" -qAtc "CREATE DATABASE \"$pg_db\"" >/dev/null
  register "PostgreSQL $(psql "$PG_URL/postgres" -qAtc 'SHOW server_version' | awk '{print $1}')" "$PG_URL/$pg_db"
  psql "$PG_URL/postgres" -qAtc "DROP DATABASE \"$pg_db\" WITH (FORCE)" >/dev/null
  pg_db=""
fi
[ -n "$pg_note" ] && notes+=("$pg_note")

# ----------------------------------------------------------- validation
start_evreg "validate" "sqlite://$tmp/validate.db" --import "$schemas" --max-body "$MAX_BODY"

mapfile -t example_files < <(find "$schemas" -path '*/examples/*.json' | sort)
[ "${#example_files[@]}" -gt 0 ] || die "no example message under $schemas/*/examples/"
message="$schemas/auth.user.created/examples/v1-basic.json"
[ -f "$message" ] || message="${example_files[0]}"

# One compact line per example, then BATCH_SIZE lines drawn round-robin from them.
for f in "${example_files[@]}"; do jq -c . "$f"; done >"$tmp/examples.ndjson"
awk -v n="$BATCH_SIZE" '{l[NR] = $0} END {for (i = 0; i < n; i++) print l[i % NR + 1]}' \
  "$tmp/examples.ndjson" >"$tmp/batch.ndjson"

code="$(curl -sS -o "$tmp/validate.out" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  --data-binary @"$message" "$evreg/validate")"
if [ "$code" != 200 ] || [ "$(jq -r '.valid' "$tmp/validate.out" 2>/dev/null)" != true ]; then
  notes+=("POST /validate probe (${message#"$root"/}) answered HTTP $code: $(head -c 300 "$tmp/validate.out")")
fi
code="$(curl -sS -o "$tmp/batch.out" -w '%{http_code}' -X POST -H 'Content-Type: application/x-ndjson' \
  --data-binary @"$tmp/batch.ndjson" "$evreg/validate/batch")"
batch_check="HTTP $code"
if [ "$code" = 200 ]; then
  batch_check="$(jq -r '"total \(.total), valid \(.valid), invalid \(.invalid)"' "$tmp/batch.out")"
  if [ "$(jq -r '.invalid' "$tmp/batch.out")" != 0 ]; then
    # Lines of the batch map back to example files: line i is example ((i-1) % count).
    while IFS= read -r line; do
      f="${example_files[$(((line - 1) % ${#example_files[@]}))]}"
      notes+=("batch line $line (${f#"$root"/}) invalid: $(jq -c --argjson l "$line" '.results[] | select(.line == $l) | .errors' "$tmp/batch.out" | head -c 300)")
    done < <(jq -r '.results[] | select(.valid == false) | .line' "$tmp/batch.out" | sort -n | awk -v c="${#example_files[@]}" '$1 <= c')
  fi
else
  notes+=("POST /validate/batch probe answered HTTP $code: $(head -c 300 "$tmp/batch.out")")
fi

echo "- /validate message: ${message#"$root"/} ($(wc -c <"$message") bytes)"
echo "- /validate/batch body: $BATCH_SIZE lines round-robin over ${#example_files[@]} examples, $(wc -c <"$tmp/batch.ndjson") bytes; probe answer: $batch_check"
echo

cat >"$tmp/post.lua" <<'EOF'
-- POST the file args[1] with content type args[2].
function init(args)
  local f = assert(io.open(args[1], "rb"))
  wrk.method = "POST"
  wrk.body = f:read("*a")
  f:close()
  wrk.headers["Content-Type"] = args[2]
end
EOF

valid_before="$(metric 'evreg_validations_total{result="valid"}')"
invalid_before="$(metric 'evreg_validations_total{result="invalid"}')"
bench "POST /validate" "$evreg/validate" "$tmp/post.lua" "$CONNECTIONS" 1 "$message" application/json
rps="$(awk -v r="$w_rps" 'BEGIN {printf "%.0f", r}')"
rows+=("| POST /validate (1 message) | $rps | $rps | ${w_p50:-?} | ${w_p99:-?} | $w_non2xx | |")
bench "POST /validate/batch" "$evreg/validate/batch" "$tmp/post.lua" "$BATCH_CONNECTIONS" 1 "$tmp/batch.ndjson" application/x-ndjson
events="$(awk -v r="$w_rps" -v n="$BATCH_SIZE" 'BEGIN {printf "%.0f", r * n}')"
rows+=("| POST /validate/batch ($BATCH_SIZE messages, -c$BATCH_CONNECTIONS) | $(awk -v r="$w_rps" 'BEGIN {printf "%.1f", r}') | $events | ${w_p50:-?} | ${w_p99:-?} | $w_non2xx | probe: $batch_check |")
sleep 1
invalid_delta=$(( $(metric 'evreg_validations_total{result="invalid"}') - invalid_before ))
valid_delta=$(( $(metric 'evreg_validations_total{result="valid"}') - valid_before ))
[ "$invalid_delta" != 0 ] && notes+=("validation: evreg_validations_total{result=\"invalid\"} grew by $invalid_delta during the validation runs")
notes+=("validation runs (warm-ups included): evreg_validations_total valid +$valid_delta, invalid +$invalid_delta")
log_notes "validate"
stop_pid "$evreg_pid"

# ---------------------------------------------------------------- memory
cat >"$tmp/fill.py" <<'EOF'
"""Register N distinct ~1.5 KB object schemas (one subject each), then GET every id once."""
import http.client, json, sys, threading, time

host, port = sys.argv[1].rsplit(":", 1)
n, nthreads = int(sys.argv[2]), int(sys.argv[3])


def schema(i):
    props = {
        "schema_no": {"const": i, "description": "Distinguishes this schema from the other benchmark schemas."},
        "order_id": {"type": "string", "pattern": "^ord_[A-Za-z0-9]{8,32}$", "description": "Order identifier."},
        "customer_id": {"type": "string", "minLength": 1, "maxLength": 64},
        "placed_at": {"type": "string", "format": "date-time"},
        "status": {"type": "string", "enum": ["pending", "paid", "shipped", "delivered", "cancelled"]},
        "currency": {"type": "string", "enum": ["CLP", "USD", "EUR"]},
        "total": {"type": "number", "minimum": 0},
        "items": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "properties": {
                    "sku": {"type": "string"},
                    "quantity": {"type": "integer", "minimum": 1},
                    "unit_price": {"type": "number", "minimum": 0},
                },
                "required": ["sku", "quantity", "unit_price"],
            },
        },
        "shipping_address": {
            "type": "object",
            "properties": {
                "street": {"type": "string"},
                "city": {"type": "string"},
                "region": {"type": "string"},
                "postal_code": {"type": ["string", "null"]},
                "country": {"type": "string", "minLength": 2, "maxLength": 2},
            },
            "required": ["street", "city", "country"],
        },
        "notes": {"type": ["string", "null"], "maxLength": 500},
        "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": f"Memory benchmark schema {i}",
        "description": "A realistic order-like payload used to measure the memory held per registered schema.",
        "type": "object",
        "properties": props,
        "required": ["schema_no", "order_id", "customer_id", "placed_at", "status", "total", "items"],
    }


ids = [None] * n
errors = []
sizes = []


def run(fn, items):
    def worker(part):
        conn = http.client.HTTPConnection(host, int(port), timeout=60)
        for i in part:
            try:
                fn(conn, i)
            except Exception as e:  # one report is enough
                errors.append(f"{i}: {e!r}")
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
            if len(errors) > 10:
                return
        conn.close()

    ts = [threading.Thread(target=worker, args=(items[t::nthreads],)) for t in range(nthreads)]
    start = time.monotonic()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return time.monotonic() - start


def register(conn, i):
    text = json.dumps(schema(i), separators=(",", ":"))
    if i == 0:
        sizes.append(len(text))
    body = json.dumps({"schema": text})
    conn.request("POST", f"/subjects/mem.s{i}/versions", body,
                 {"Content-Type": "application/vnd.schemaregistry.v1+json"})
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError(f"POST /subjects/mem.s{i}/versions -> {r.status} {data[:300]!r}")
    ids[i] = json.loads(data)["id"]


def fetch(conn, i):
    conn.request("GET", f"/schemas/ids/{ids[i]}")
    r = conn.getresponse()
    data = r.read()
    if r.status != 200:
        raise RuntimeError(f"GET /schemas/ids/{ids[i]} -> {r.status} {data[:300]!r}")


secs = run(register, list(range(n)))
if errors:
    print("errors:", "; ".join(errors[:3]), file=sys.stderr)
    sys.exit(1)
print(f"registered {n} {secs:.2f} {len(set(ids))} {sizes[0]}", flush=True)
sys.stdin.readline()  # the caller reads RSS between the two phases
secs = run(fetch, sorted(range(n), key=lambda i: ids[i]))
if errors:
    print("errors:", "; ".join(errors[:3]), file=sys.stderr)
    sys.exit(1)
print(f"fetched {n} {secs:.2f}", flush=True)
EOF

rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$evreg_pid/status"; }   # kB
mib() { awk -v k="$1" 'BEGIN {printf "%.1f MiB", k / 1024}'; }

start_evreg "memory" "sqlite://$tmp/memory.db"
sleep 0.5
rss_start="$(rss VmRSS)"
mkfifo "$tmp/fill.in"
python3 "$tmp/fill.py" "${evreg#http://}" "$SCHEMAS" 4 <"$tmp/fill.in" >"$tmp/fill.out" 2>"$tmp/fill.err" &
py_pid=$!
exec 3>"$tmp/fill.in"
for _ in $(seq 1 6000); do
  grep -q '^registered' "$tmp/fill.out" 2>/dev/null && break
  kill -0 "$py_pid" 2>/dev/null || break
  sleep 0.1
done
grep -q '^registered' "$tmp/fill.out" || { exec 3>&-; cat "$tmp/fill.err" >&2; die "registering $SCHEMAS schemas failed"; }
rss_registered="$(rss VmRSS)"
echo >&3
exec 3>&-
wait "$py_pid" || { py_pid=""; cat "$tmp/fill.err" >&2; die "fetching the $SCHEMAS schemas failed"; }
py_pid=""
read -r _ _ reg_secs distinct_ids schema_bytes < <(grep '^registered' "$tmp/fill.out")
read -r _ _ get_secs < <(grep '^fetched' "$tmp/fill.out")
sleep 0.5
rss_cached="$(rss VmRSS)"
hwm="$(rss VmHWM)"
cached_schemas="$(metric 'evreg_cached_entries{kind="schema"}')"
db_bytes="$(du -cb "$tmp"/memory.db* | awk 'END {print $1}')"
log_notes "memory"
stop_pid "$evreg_pid"

echo "## Summary"
echo
echo "| measurement | requests/s | events/s | p50 | p99 | non-2xx | notes |"
echo "|---|---:|---:|---:|---:|---:|---|"
printf '%s\n' "${rows[@]}"
echo
echo "| memory (SQLite, $SCHEMAS subjects × 1 version, schema $schema_bytes bytes) | VmRSS | |"
echo "|---|---:|---|"
echo "| right after start | $(mib "$rss_start") | |"
echo "| after registering $SCHEMAS schemas | $(mib "$rss_registered") | $(awk -v n="$SCHEMAS" -v s="$reg_secs" 'BEGIN {printf "%.1f s, %.0f/s", s, n / s}') (Python, 4 keep-alive connections); $distinct_ids distinct ids |"
echo "| after GET /schemas/ids/{id} of each | $(mib "$rss_cached") | $(awk -v n="$SCHEMAS" -v s="$get_secs" 'BEGIN {printf "%.1f s, %.0f/s", s, n / s}'); evreg_cached_entries{kind=\"schema\"} = $cached_schemas |"
echo "| peak (VmHWM) | $(mib "$hwm") | per schema above start: $(awk -v a="$rss_cached" -v b="$rss_start" -v n="$SCHEMAS" 'BEGIN {printf "%.1f KiB", (a - b) / n}'); SQLite files $(awk -v b="$db_bytes" 'BEGIN {printf "%.1f MiB", b / 1048576}') |"
echo
for n in "${notes[@]}"; do echo "- $n"; done
