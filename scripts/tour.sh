#!/usr/bin/env bash
# Plays every lesson on loopback: starts each server on a free port, feeds its
# client sample input, prints both sides under a heading per lesson, stops the
# server with SIGINT (Ctrl-C), and exits non-zero if any lesson misbehaves.
#
# Each lesson's play is a fragment in scripts/tour.d/, run in name order.
#   scripts/tour.sh               play every lesson
#   scripts/tour.sh tcp-greeter   play only the fragments whose name contains this
set -uo pipefail
cd "$(dirname "$0")/.."

echo "building the lessons..."
cargo build --workspace --bins --quiet || { echo "tour: the build failed"; exit 1; }
BIN=${BIN:-target/debug}
WORK=$(mktemp -d)
FAILURES=0
SERVER_PID=""

cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

if [ -t 1 ]; then BOLD=$'\033[1m' PLAIN=$'\033[0m'; else BOLD="" PLAIN=""; fi
heading() { printf '\n%s=== %s ===%s\n' "$BOLD" "$*" "$PLAIN"; }
note() { printf '%s\n' "$*"; }
fail() { printf 'FAIL: %s\n' "$*"; FAILURES=$((FAILURES + 1)); }
# show LABEL FILE: prints a file's lines as "  LABEL | line".
show() { sed "s/^/  $1 | /" "$2"; }
# expect FILE TEXT WHAT: fails the lesson unless FILE contains TEXT.
expect() { grep -qF -- "$2" "$1" || fail "$3: expected '$2' in its output"; }

# start_server NAME ARGS...: starts $BIN/NAME ARGS --port 0 in the background and
# waits (at most 10 s) for its "listening on" line. Sets SERVER_PID, SERVER_OUT,
# SERVER_ADDR and PORT.
start_server() {
    local name=$1; shift
    SERVER_OUT=$WORK/$name.server.out
    "$BIN/$name" "$@" --port 0 >"$SERVER_OUT" 2>&1 &
    SERVER_PID=$!
    local tries=0
    until grep -q '^listening on ' "$SERVER_OUT"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 200 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
            fail "$name did not say 'listening on'"
            show server "$SERVER_OUT"
            return 1
        fi
        sleep 0.05
    done
    SERVER_ADDR=$(grep -m1 '^listening on ' "$SERVER_OUT" | cut -d' ' -f3)
    PORT=${SERVER_ADDR##*:}
}

# wait_exit PID SECONDS: waits for a background process; its exit code is the
# result, or 124 if it was still running (then it is killed).
wait_exit() {
    local pid=$1 tenths=$(($2 * 10))
    while kill -0 "$pid" 2>/dev/null && [ "$tenths" -gt 0 ]; do
        sleep 0.1
        tenths=$((tenths - 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        return 124
    fi
    wait "$pid"
}

# stop_server NAME: Ctrl-C, then the server must exit 0 within a second or two.
stop_server() {
    local name=$1
    kill -INT "$SERVER_PID"
    wait_exit "$SERVER_PID" 2
    local rc=$?
    [ "$rc" -eq 0 ] || fail "$name did not stop cleanly on Ctrl-C (exit $rc)"
    SERVER_PID=""
}

# run_client NAME OUT INPUT ARGS...: runs a client with INPUT on stdin (at most 10 s).
run_client() {
    local name=$1 out=$2 input=$3; shift 3
    printf '%b' "$input" | timeout 10 "$BIN/$name" "$@" >"$out" 2>&1
    local rc=$?
    [ "$rc" -eq 0 ] || fail "$name $* exited with $rc"
}

for fragment in scripts/tour.d/*.sh; do
    case "$fragment" in *"${1:-}"*) ;; *) continue ;; esac
    # shellcheck source=/dev/null
    source "$fragment"
done

echo
if [ "$FAILURES" -eq 0 ]; then
    echo "tour: every lesson played as expected"
else
    echo "tour: $FAILURES problem(s), see FAIL lines above"
    exit 1
fi
