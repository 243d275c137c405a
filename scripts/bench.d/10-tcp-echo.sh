# tcp-echo-threaded (lesson 4) against the seed's threaded echo server in Python:
# round trips per second and p50/p99 at 1, 10, 100 and 1,000 concurrent clients.
# Both servers get the same listen() backlog (128, Python's default for listen()).
heading "tcp-echo-threaded vs Python threaded echo"
if have_bin tcp-echo-threaded; then
    CLIENTS=(1 10 100 1000)
    [ "$SMOKE" = 1 ] && CLIENTS=(1 100)
    section "### tcp-echo-threaded against the Python threaded echo server"
    section "Round trips per second (each client has one message in flight), latency in µs, and the server's CPU time per round trip.
"
    section "| clients | Rust rate | Python rate | ratio | Rust p50 / p99 µs | Python p50 / p99 µs | Rust CPU µs/rt | Python CPU µs/rt |"
    section "|---:|---:|---:|---:|---:|---:|---:|---:|"
    for n in "${CLIENTS[@]}"; do
        declare -A got=()
        for run in $(seq "$RUNS"); do
            for side in rust python; do
                if [ "$side" = rust ]; then
                    start_server echo-rust "$BIN/tcp-echo-threaded" server --port 0 --backlog 128 || continue
                else
                    start_server echo-python python3 bench/python/echo_server.py 0 128 || continue
                fi
                line=$(loadgen echo --clients "$n" --duration "$DURATION" --pid "$SERVER_PID")
                stop_server
                for key in rate p50_us p99_us server_cpu_us loadgen_cpu_us errors; do
                    got[$side.$key]+="$(field "$line" $key) "
                done
            done
        done
        declare -A med=()
        for key in "${!got[@]}"; do
            # shellcheck disable=SC2086
            med[$key]=$(median ${got[$key]})
        done
        r=$(ratio "${med[rust.rate]}" "${med[python.rate]}")
        section "| $n | ${med[rust.rate]} | ${med[python.rate]} | ${r}× | ${med[rust.p50_us]} / ${med[rust.p99_us]} | ${med[python.p50_us]} / ${med[python.p99_us]} | ${med[rust.server_cpu_us]} | ${med[python.server_cpu_us]} |"
        errors="${got[rust.errors]}${got[python.errors]}"
        if grep -qE '[1-9]' <<<"$errors"; then
            note "tcp-echo at $n clients: some connections failed (errors per run, Rust then Python: ${got[rust.errors]}/ ${got[python.errors]}); see the load generator's log."
        fi
        label=$n; [ "$n" = 1000 ] && label=1,000
        case $n in
            100) want=2.5 ;;
            1000) want=4 ;;
            *) want="" ;;
        esac
        if [ -z "$want" ]; then
            chart "echo $n client$([ "$n" = 1 ] || echo s)" "$r"
        else
            verdict=$(at_least "$r" "$want")
            target "tcp-echo rate, $label clients" "≥ ${want}× Python" "${r}×" "$verdict"
            chart "echo $label clients" "$r" "$want"
            # Why a miss happened, from this run's own numbers: the server's CPU per
            # round trip says how much cheaper Rust is; the load generator's says how
            # much of the two cores it left to the Rust server.
            if [ "$verdict" = MISSED ]; then
                note "tcp-echo at $n clients missed ${want}× (${r}×). The Rust server spent ${med[rust.server_cpu_us]} µs of CPU per round trip against Python's ${med[python.server_cpu_us]} µs ($(ratio "${med[python.server_cpu_us]}" "${med[rust.server_cpu_us]}")× less), but it shares the two cores with the load generator (${med[rust.loadgen_cpu_us]} µs per round trip) and the kernel's loopback work, which caps its rate, while Python is held to about one core by its interpreter lock. Load average at the start: $LOAD_AT_START. See the book's performance chapter."
            fi
        fi
        unset got med
    done
fi
