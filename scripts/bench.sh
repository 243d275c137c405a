#!/usr/bin/env bash
# Measurements too slow or too machine-dependent for the tests; not part of ci.sh.
# Each measurement is a function bench_<name>, listed in BENCHES below; add yours there.
#   scripts/bench.sh              run every measurement
#   scripts/bench.sh http-fetch   run only those whose name contains this
# Exits non-zero if a measurement misses its target.
set -uo pipefail
cd "$(dirname "$0")/.."

BENCHES=(http-fetch)

WORK=$(mktemp -d)
FAILURES=0
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

heading() { printf '\n=== %s ===\n' "$*"; }
note() { printf '%s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; FAILURES=$((FAILURES + 1)); }

# need_gnu_time: GNU time's -v reports a process's peak memory. Installs the
# `time` package (as root) when it is missing.
need_gnu_time() {
    [ -x /usr/bin/time ] && return 0
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
    fi
    [ -x /usr/bin/time ] || { fail "GNU time (/usr/bin/time) is missing; install the 'time' package"; return 1; }
}

# measure OUT SECONDS COMMAND...: runs COMMAND under GNU time, killed after SECONDS.
# Sets PEAK_KIB (peak resident memory) and ELAPSED (wall clock); returns its exit code.
measure() {
    local out=$1 seconds=$2; shift 2
    timeout "$seconds" /usr/bin/time -v -o "$out.time" "$@" >"$out" 2>&1
    local rc=$?
    PEAK_KIB=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$out.time")
    ELAPSED=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$out.time")
    return "$rc"
}

# start_python_server SCRIPT: runs a Python server that prints "listening on HOST:PORT"
# first; sets SERVER_PID and PORT.
start_python_server() {
    python3 -u "$1" >"$WORK/server.out" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 200); do grep -q '^listening on ' "$WORK/server.out" && break; sleep 0.05; done
    grep -q '^listening on ' "$WORK/server.out" || { fail "the python server did not start"; cat "$WORK/server.out"; return 1; }
    PORT=$(grep -m1 '^listening on ' "$WORK/server.out" | cut -d: -f2)
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
}

# Lesson 8: http-fetch streams the body through one 64 KiB buffer, so downloading
# 1 GiB must stay under 16 MiB of memory, whether the body has a Content-Length
# or comes in chunks. The server sends zeros from memory, so no disk is needed.
bench_http_fetch() {
    heading "http-fetch: peak memory while downloading 1 GiB to /dev/null (target: under 16 MiB)"
    command -v python3 >/dev/null || { note "skipped: needs python3 for its server"; return; }
    need_gnu_time || return
    cargo build --release --quiet -p http-fetch || { fail "cargo build --release -p http-fetch"; return; }
    cat >"$WORK/gib.py" <<'PY'
import http.server

GIB = 1 << 30
BLOCK = bytes(1 << 20)

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        chunked = self.path == '/chunked'
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        if chunked:
            self.send_header('Transfer-Encoding', 'chunked')
        else:
            self.send_header('Content-Length', str(GIB))
        self.end_headers()
        for _ in range(GIB // len(BLOCK)):
            if chunked:
                self.wfile.write(b'%x\r\n' % len(BLOCK) + BLOCK + b'\r\n')
            else:
                self.wfile.write(BLOCK)
        if chunked:
            self.wfile.write(b'0\r\n\r\n')

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
print('listening on %s:%d' % server.server_address, flush=True)
server.serve_forever()
PY
    start_python_server "$WORK/gib.py" || return
    local path limit_kib=$((16 * 1024))
    for path in /content-length /chunked; do
        if measure "$WORK/fetch.out" 300 target/release/http-fetch "http://127.0.0.1:$PORT$path" -o /dev/null; then
            note "  GET $path: peak memory ${PEAK_KIB} KiB, took $ELAPSED ($(tail -n1 "$WORK/fetch.out"))"
            grep -q '^wrote 1073741824 bytes to /dev/null$' "$WORK/fetch.out" || fail "http-fetch $path did not write 1 GiB"
            [ "${PEAK_KIB:-999999}" -lt "$limit_kib" ] || fail "http-fetch $path peaked at ${PEAK_KIB} KiB (limit $limit_kib KiB)"
        else
            fail "http-fetch $path failed or took over 300 s"
            sed 's/^/  | /' "$WORK/fetch.out"
        fi
    done
    stop_server
}

for bench in "${BENCHES[@]}"; do
    case "$bench" in *"${1:-}"*) ;; *) continue ;; esac
    "bench_${bench//-/_}"
done

echo
if [ "$FAILURES" -eq 0 ]; then
    echo "bench: every measurement met its target"
else
    echo "bench: $FAILURES problem(s), see FAIL lines above"
    exit 1
fi
