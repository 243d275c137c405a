# tcp-echo-selectors (lesson 9: one thread, an event loop) against tcp-echo-threaded
# (lesson 4: a thread per connection) and the seed-style Python selectors server
# (bench/python/selectors_echo_server.py), same protocol, same load generator:
# round trips per second, p50/p99 and the server's CPU time per round trip at 1, 100
# and 1,000 clients; then 10,000 connections held by the one thread; then round trips
# over a Unix domain socket (--unix) against loopback TCP. All three get backlog 128.
heading "tcp-echo-selectors vs tcp-echo-threaded vs Python selectors"
if have_bin tcp-echo-selectors && have_bin tcp-echo-threaded; then
    # rates N PLACEMENT: the three servers at N clients; PLACEMENT "shared" lets the
    # scheduler place everything, "pinned" puts the server on CPU 1 and loadgen on CPU 0.
    rates() {
        local n=$1 placement=$2 pin=() side line key
        declare -A got=()
        declare -gA med=()
        med=()
        [ "$placement" = pinned ] && pin=(taskset -c 1)
        for run in $(seq "$RUNS"); do
            for side in loop threads python; do
                case $side in
                    loop) start_server sel-loop "${pin[@]}" "$BIN/tcp-echo-selectors" server --port 0 --backlog 128 || continue ;;
                    threads) start_server sel-threads "${pin[@]}" "$BIN/tcp-echo-threaded" server --port 0 --backlog 128 || continue ;;
                    python) start_server sel-python "${pin[@]}" python3 bench/python/selectors_echo_server.py 0 128 || continue ;;
                esac
                line=$(loadgen echo --clients "$n" --duration "$DURATION" --pid "$SERVER_PID")
                stop_server
                for key in rate p50_us p99_us server_cpu_us server_sys_us errors; do
                    got[$side.$key]+="$(field "$line" $key) "
                done
            done
        done
        for key in "${!got[@]}"; do
            # shellcheck disable=SC2086
            med[$key]=$(median ${got[$key]})
        done
        errors="${got[loop.errors]}${got[threads.errors]}${got[python.errors]}"
        if grep -qE '[1-9]' <<<"$errors"; then
            note "selectors at $n clients ($placement): some connections failed (errors per run, loop / threads / Python: ${got[loop.errors]}/ ${got[threads.errors]}/ ${got[python.errors]})."
        fi
        rt=$(ratio "${med[loop.rate]}" "${med[threads.rate]}")
        rp=$(ratio "${med[loop.rate]}" "${med[python.rate]}")
        cpu() { echo "${med[$1.server_cpu_us]} (${med[$1.server_sys_us]})"; }
        lat() { echo "${med[$1.p50_us]} / ${med[$1.p99_us]}"; }
        RATE_ROWS+="| $n | ${med[loop.rate]} | ${med[threads.rate]} | ${med[python.rate]} | ${rt}× | ${rp}× |"$'\n'
        DETAIL_ROWS+="| $n | $(cpu loop) | $(cpu threads) | $(cpu python) | $(lat loop) | $(lat threads) | $(lat python) |"$'\n'
    }
    # tables: the two tables of the rows that rates() collected (narrow enough for the book).
    tables() {
        section "| clients | event loop rate | threads rate | Python rate | loop ÷ threads | loop ÷ Python |
|---:|---:|---:|---:|---:|---:|
${RATE_ROWS%$'\n'}"
        section "
Each server's CPU time per round trip in µs, with the part spent in the kernel in brackets, and the latency (p50 / p99, µs):
"
        section "| clients | CPU loop | CPU threads | CPU Python | p50 / p99 loop | p50 / p99 threads | p50 / p99 Python |
|---:|---:|---:|---:|---:|---:|---:|
${DETAIL_ROWS%$'\n'}"
        RATE_ROWS="" DETAIL_ROWS=""
    }
    RATE_ROWS="" DETAIL_ROWS=""

    CLIENTS=(1 100 1000)
    [ "$SMOKE" = 1 ] && CLIENTS=(1 100)
    section "### tcp-echo-selectors (one thread) against tcp-echo-threaded and the Python selectors server"
    section "Round trips per second (each client has one message in flight). The kernel's part of the CPU time below is system time: the recv, the send, and the loopback TCP work a send sets off.
"
    for n in "${CLIENTS[@]}"; do
        rates "$n" shared
        label=$n; [ "$n" = 1000 ] && label=1,000
        if [ "$n" = 1000 ]; then
            target "event loop rate, $label clients" "≥ 1.5× lesson 4 (threads)" "${rt}×" "$(at_least "$rt" 1.5)"
            chart "event loop / threads, $label" "$rt" 1.5
        fi
        if [ "$n" = 100 ] || [ "$n" = 1000 ]; then
            target "event loop rate, $label clients" "≥ 2× Python selectors" "${rp}×" "$(at_least "$rp" 2)"
            chart "event loop / Python, $label" "$rp" 2
            # The kernel's part is the same work for any server that does one recv and one
            # send per message: even with no code of its own, a server cannot beat Python
            # by more than Python's whole CPU time over that part.
            ceiling=$(ratio "${med[python.server_cpu_us]}" "${med[loop.server_sys_us]}")
            target "ceiling over Python, $label clients" "(Python's CPU ÷ the loop's kernel CPU per round trip)" "${ceiling}×" "info"
        fi
    done
    tables

    # The same with the server and the load generator on separate CPUs: loadgen then
    # cannot take the server's CPU. Lesson 4 loses its second CPU here, so its ratio
    # is only an upper bound for the event loop's advantage.
    if [ "$SMOKE" = 0 ]; then
        section "### The same, server on CPU 1 and the load generator on CPU 0 (taskset)"
        section "Each server gets one CPU to itself, lesson 4's threads included; the rule of the other tables (no pinning) is the one the targets use.
"
        LOADGEN_SHARED=$LOADGEN
        LOADGEN=$WORK/loadgen-cpu0
        printf '#!/bin/sh\nexec taskset -c 0 %s "$@"\n' "$PWD/$LOADGEN_SHARED" >"$LOADGEN"
        chmod +x "$LOADGEN"
        for n in 100 1000; do
            rates "$n" pinned
            label=$n; [ "$n" = 1000 ] && label=1,000
            [ "$n" = 1000 ] && target "pinned: event loop rate, $label clients" "(measured, no target)" "${rt}× threads" "info"
            target "pinned: event loop rate, $label clients" "(measured, no target)" "${rp}× Python" "info"
        done
        tables
        LOADGEN=$LOADGEN_SHARED
    fi
    unset med

    HOLD=10000
    [ "$SMOKE" = 1 ] && HOLD=500
    section "### tcp-echo-selectors holding $HOLD connections on one thread"
    section "Resident memory (VmRSS) and threads from /proc/<pid>/status; \`ulimit -n\` was $(ulimit -n).
"
    section "| run | answered at start | answered at end | errors | RSS before / held / after MiB | threads before / held / after | opening took s |"
    section "|---:|---:|---:|---:|---:|---:|---:|"
    rss=(); ok=(); same=()
    mib() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.1f", k / 1024 }'; }
    for run in $(seq "$RUNS"); do
        start_server sel-hold "$BIN/tcp-echo-selectors" server --port 0 --backlog 128 || continue
        line=$(loadgen hold --connections "$HOLD" --pid "$SERVER_PID")
        stop_server
        held=$(mib "$(field "$line" rss_held_kib)")
        section "| $run | $(field "$line" answered_start) | $(field "$line" answered_end) | $(field "$line" errors) | $(mib "$(field "$line" rss_before_kib)") / $held / $(mib "$(field "$line" rss_after_kib)") | $(field "$line" threads_before) / $(field "$line" threads_held) / $(field "$line" threads_after) | $(field "$line" open_s) |"
        rss+=("$held")
        [ "$(field "$line" answered_start)" = "$HOLD" ] && [ "$(field "$line" answered_end)" = "$HOLD" ] && ok+=(1) || ok+=(0)
        [ "$(field "$line" threads_held)" = "$(field "$line" threads_before)" ] && same+=(1) || same+=(0)
    done
    m=$(median "${rss[@]}")
    target "selectors hold $HOLD: every connection answered twice" "all, in every run" "$(grep -o 1 <<<"${ok[*]}" | wc -l) of ${#ok[@]} runs" "$([[ " ${ok[*]} " == *" 0 "* ]] && echo MISSED || echo met)"
    target "selectors hold $HOLD: resident memory" "< 24 MiB" "$m MiB" "$(below "$m" 24)"
    target "selectors hold $HOLD: no thread per connection" "threads held = before" "$(grep -o 1 <<<"${same[*]}" | wc -l) of ${#same[@]} runs" "$([[ " ${same[*]} " == *" 0 "* ]] && echo MISSED || echo met)"

    section "### tcp-echo-selectors over a Unix domain socket (--unix) against 127.0.0.1"
    section "The same server, the same load; only the socket family differs.
"
    section "| clients | TCP 127.0.0.1 rate | Unix socket rate | ÷ TCP | TCP p50 µs | Unix p50 µs | CPU µs/rt TCP / Unix |"
    section "|---:|---:|---:|---:|---:|---:|---:|"
    UNIX_PATH=$WORK/echo.sock
    for n in 1 100; do
        declare -A got=()
        for run in $(seq "$RUNS"); do
            start_server sel-tcp "$BIN/tcp-echo-selectors" server --port 0 --backlog 128 || continue
            line=$(loadgen echo --clients "$n" --duration "$DURATION" --pid "$SERVER_PID")
            stop_server
            for key in rate p50_us server_cpu_us; do got[tcp.$key]+="$(field "$line" $key) "; done
            # start_server reads a port from the listening line; a Unix server has a path.
            rm -f "$WORK/sel-unix.out"
            "$BIN/tcp-echo-selectors" server --unix "$UNIX_PATH" --backlog 128 >"$WORK/sel-unix.out" 2>"$WORK/sel-unix.err" &
            SERVER_PID=$! SERVER_NAME=sel-unix
            for _ in $(seq 200); do grep -q '^listening on ' "$WORK/sel-unix.out" && break; sleep 0.05; done
            line=$(loadgen echo --unix "$UNIX_PATH" --clients "$n" --duration "$DURATION" --pid "$SERVER_PID")
            stop_server
            for key in rate p50_us server_cpu_us; do got[unix.$key]+="$(field "$line" $key) "; done
        done
        declare -A med=()
        for key in "${!got[@]}"; do
            # shellcheck disable=SC2086
            med[$key]=$(median ${got[$key]})
        done
        ru=$(ratio "${med[unix.rate]}" "${med[tcp.rate]}")
        section "| $n | ${med[tcp.rate]} | ${med[unix.rate]} | ${ru}× | ${med[tcp.p50_us]} | ${med[unix.p50_us]} | ${med[tcp.server_cpu_us]} / ${med[unix.server_cpu_us]} |"
        target "--unix rate, $n client$([ "$n" = 1 ] || echo s)" "(measured, no target)" "${ru}× TCP" "info"
        unset got med
    done
fi
