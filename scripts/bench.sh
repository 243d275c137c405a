#!/usr/bin/env bash
# Benchmarks: each lesson server against its Python original (bench/python/), and
# http-fetch against curl, all on loopback, with the same load generator (crates/loadgen).
#
#   scripts/bench.sh            every comparison; about 5 minutes on 2 cores
#   scripts/bench.sh --smoke    one short run of each, to check the script (not for numbers)
#   scripts/bench.sh chat       only the comparisons whose fragment name contains "chat"
# Exits 1 if a target is missed (the results file still gets written).
#
# Rules it keeps: a fresh server for every measurement; Rust and Python runs alternate,
# so a slow minute on the machine hurts both; the median of RUNS runs (3, or 5 for
# http-fetch); no CPU pinning (pinning hides the interpreter's cost, and the kernel's
# loopback work shares the cores with both sides in real life too), except that
# http-fetch and curl are measured both pinned with nginx and on different CPUs.
#
# It writes bench/results/<date>.md and .svg, and copies them to latest.md and
# latest.svg, which the book's performance chapter includes. Each comparison is a
# fragment in scripts/bench.d/, run in name order, using the helpers below.
# Not part of scripts/ci.sh: numbers need a quiet machine, CI needs a fast answer.
set -uo pipefail
cd "$(dirname "$0")/.."

SMOKE=0
ONLY=""
for arg in "$@"; do
    case $arg in
        --smoke) SMOKE=1 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "bench: unknown option $arg" >&2; exit 2 ;;
        *) ONLY=$arg ;;
    esac
done
RUNS=$([ "$SMOKE" = 1 ] && echo 1 || echo 3)
DURATION=$([ "$SMOKE" = 1 ] && echo 0.5 || echo 3)
BEGAN=$(date +%s)
LOAD_AT_START=$(cut -d" " -f1-3 /proc/loadavg)
# Which code is measured: the commit, and whether the tree differed from it (checked now,
# before this run writes its own results file).
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD 2>/dev/null || echo ', with uncommitted changes')"
# The load average lags by minutes (a bench run just before, with lesson 4's 1,000
# threads, still shows in it), so also measure how idle the CPUs are for one second now.
cpu_times() { awk '/^cpu / { print $5 + $6, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9 }' /proc/stat; }
read -r IDLE0 ALL0 < <(cpu_times); sleep 1; read -r IDLE1 ALL1 < <(cpu_times)
IDLE_AT_START=$(awk -v i=$((IDLE1 - IDLE0)) -v a=$((ALL1 - ALL0)) 'BEGIN { printf "%.0f", a ? 100 * i / a : 0 }')

# 10,000 connections need 10,000 descriptors in the load generator and (at least)
# as many in the server: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

echo "building (release)..."
cargo build --release --workspace --bins --quiet || { echo "bench: the build failed"; exit 1; }
# BIN=dir runs the lessons built elsewhere (e.g. another checkout); loadgen is always this one.
BIN=${BIN:-target/release}
LOADGEN=target/release/loadgen
# Servers write their logs to memory, not to a disk that would make them wait.
WORK=$(mktemp -d -p /dev/shm 2>/dev/null || mktemp -d)
SERVER_PID=""
cleanup() {
    stop_server
    [ -n "${CLEANUP_EXTRA:-}" ] && eval "$CLEANUP_EXTRA"
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SECTIONS=$WORK/sections.md   # each fragment's results table, in order
TARGETS=$WORK/targets.tsv    # comparison <TAB> target <TAB> measured <TAB> verdict
CHART=$WORK/chart.tsv        # label <TAB> ratio <TAB> target ratio (or -)
NOTES=$WORK/notes.md         # findings, and why a target was missed
: >"$SECTIONS"; : >"$TARGETS"; : >"$CHART"; : >"$NOTES"

heading() { printf '\n=== %s ===\n' "$*"; }
# section LINE: one line of the results file (Markdown); a line starting with "#" gets a blank line before it.
section() { [[ $1 == '#'* ]] && echo >>"$SECTIONS"; printf '%s\n' "$*" >>"$SECTIONS"; }
note() { printf -- '- %s\n' "$*" >>"$NOTES"; echo "note: $*"; }

# start_server NAME COMMAND...: starts a server whose first line is "listening on
# HOST:PORT" and waits (at most 10 s) for it. Sets SERVER_PID and PORT.
start_server() {
    local name=$1; shift
    local out=$WORK/$name.out
    SERVER_NAME=$name
    # Remove the last run's output first: the shell truncates it only once the new
    # server's process is running, and until then the old port would be read.
    rm -f "$out" "$WORK/$name.err"
    "$@" >"$out" 2>"$WORK/$name.err" &
    SERVER_PID=$!
    local tries=0
    until grep -qE '^listening on .*:[0-9]+$' "$out" 2>/dev/null && [ "$(wc -l <"$out")" -ge 1 ]; do
        tries=$((tries + 1))
        if [ "$tries" -gt 200 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
            echo "bench: $name did not say 'listening on':"; cat "$out" "$WORK/$name.err"
            SERVER_PID=""; return 1
        fi
        sleep 0.05
    done
    PORT=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out" | head -1)
}

stop_server() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null
        wait "$SERVER_PID" 2>/dev/null
        SERVER_PID=""
    fi
}

# loadgen ARGS...: one run; prints its summary line (and echoes it for the log).
loadgen() {
    local line
    line=$(timeout 120 "$LOADGEN" "$@" --port "$PORT" 2>>"$WORK/loadgen.err") || {
        echo "bench: loadgen $* failed: $(tail -1 "$WORK/loadgen.err")" >&2
        kill -0 "$SERVER_PID" 2>/dev/null || echo "bench: the server ($SERVER_NAME) had exited" >&2
        tail -3 "$WORK/$SERVER_NAME.err" | sed 's/^/bench:   server stderr: /' >&2
        note "a $SERVER_NAME run failed: $(tail -1 "$WORK/loadgen.err" | cut -c1-160)"
        echo "loadgen failed"; return 1; }
    echo "  $line" >&2
    echo "$line"
}

# field LINE KEY: the value of KEY=... in a summary line ("-" if absent).
field() { local v; v=$(grep -o " $2=[^ ]*" <<<"$1" | head -1 | cut -d= -f2); echo "${v:--}"; }

# median VALUES...: the median of numbers (the lower middle one for an even count).
median() { printf '%s\n' "$@" | grep -E '^-?[0-9.]+$' | sort -g | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "-"}'; }

# ratio A B: A/B with two decimals ("-" if either is missing).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b + 0 == 0) print "-"; else printf "%.2f", a / b }'; }

# at_least VALUE LIMIT, below VALUE LIMIT: "met" or "MISSED".
at_least() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "-" && v + 0 >= t) ? "met" : "MISSED" }'; }
below() { awk -v v="$1" -v t="$2" 'BEGIN { print (v != "-" && v + 0 < t) ? "met" : "MISSED" }'; }

# target COMPARISON TARGET MEASURED VERDICT
target() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" >>"$TARGETS"; }
# chart LABEL RATIO [TARGET]: one bar of the chart (Rust or http-fetch over the baseline).
chart() { printf '%s\t%s\t%s\n' "$1" "$2" "${3:--}" >>"$CHART"; }

# have_bin NAME: whether the lesson is built; otherwise says the comparison is skipped.
have_bin() {
    if [ -x "$BIN/$1" ]; then return 0; fi
    echo "skipped: $BIN/$1 is not built (lesson $1 is not in this workspace yet)"
    section "*Skipped: lesson $1 was not in the workspace when this ran.*"
    target "$1" "(all)" "-" "skipped: not built"
    return 1
}

for fragment in scripts/bench.d/*.sh; do
    [ -n "$ONLY" ] && [[ $(basename "$fragment") != *"$ONLY"* ]] && continue
    # shellcheck source=/dev/null
    source "$fragment"
done

# ---- the ratio table, the results file and the chart ----
heading "targets"
{
    printf '%-46s %-30s %-22s %s\n' comparison target measured verdict
    while IFS=$'\t' read -r what want got verdict; do
        printf '%-46s %-30s %-22s %s\n' "$what" "$want" "$got" "$verdict"
    done <"$TARGETS"
} | tee "$WORK/targets.txt"

DATE=$(date +%Y-%m-%d)
OUT=bench/results
[ "$SMOKE" = 1 ] && OUT=$WORK/smoke
mkdir -p "$OUT"
RESULT=$OUT/$DATE.md
{
    echo "<!-- Written by scripts/bench.sh on $(date -u '+%Y-%m-%d %H:%M UTC'); do not edit by hand. -->"
    echo "**Run of $DATE** on $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'))," \
        "Linux $(uname -r), $(python3 --version 2>&1), $(rustc --version | cut -d' ' -f1-2)," \
        "commit $COMMIT."
    [ "$BIN" != target/release ] && echo "Lesson binaries from \`$BIN\` (built from the lesson branches before they were merged)."
    echo "When it started: CPUs ${IDLE_AT_START}% idle over one second, load average $LOAD_AT_START (other work on the machine makes every number noisier; the load average also still counts a run that just ended)."
    echo "Median of $RUNS runs per measurement, Rust and Python alternating, a fresh server for each run; took $(( $(date +%s) - BEGAN )) s."
    echo
    echo "| comparison | target | measured | verdict |"
    echo "|---|---|---|---|"
    while IFS=$'\t' read -r what want got verdict; do
        echo "| $what | $want | $got | $verdict |"
    done <"$TARGETS"
    cat "$SECTIONS"
    if [ -s "$NOTES" ]; then
        echo
        echo "**Findings**"
        echo
        cat "$NOTES"
    fi
} >"$RESULT"
python3 scripts/bench-chart.py "$CHART" "Run of $DATE, $(nproc) cores" >"$OUT/$DATE.svg"
if [ "$SMOKE" = 0 ] && [ -z "$ONLY" ]; then
    cp "$RESULT" "$OUT/latest.md"
    cp "$OUT/$DATE.svg" "$OUT/latest.svg"
    echo "wrote $RESULT, $OUT/$DATE.svg and their copies latest.md, latest.svg"
else
    echo "wrote $RESULT and $OUT/$DATE.svg (latest.* are left alone: not a full run)"
    [ "$SMOKE" = 1 ] && cat "$RESULT"
fi
echo "bench: done in $(( $(date +%s) - BEGAN )) s"
missed=$(grep -c $'\tMISSED' "$TARGETS")
if [ "$missed" -gt 0 ]; then
    echo "bench: $missed target(s) missed; the results file says why"
    exit 1
fi
