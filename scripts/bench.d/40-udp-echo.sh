# udp-echo (lesson 6) against the seed's UDP echo server in Python: round trips per
# second with 1 and 10 clients (one datagram in flight each), and the share of
# datagrams lost with 32 in flight per client (10 clients).
heading "udp-echo vs Python UDP echo"
if have_bin udp-echo; then
    section "### udp-echo against the Python UDP echo server"
    section "Answers per second, latency in µs, the share of datagrams lost (no answer within 0.2 s), and the server's CPU time per answer.
"
    section "| clients | in flight each | Rust rate | Python rate | ratio | Rust p50 / p99 µs | Python p50 / p99 µs | Rust lost | Python lost | Rust CPU µs | Python CPU µs |"
    section "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    for setup in "1 1" "10 1" "10 32"; do
        read -r n k <<<"$setup"
        declare -A got=()
        for run in $(seq "$RUNS"); do
            for side in rust python; do
                if [ "$side" = rust ]; then
                    start_server udp-rust "$BIN/udp-echo" server --port 0 || continue
                else
                    start_server udp-python python3 bench/python/udp_echo_server.py 0 || continue
                fi
                line=$(loadgen udp --clients "$n" --in-flight "$k" --duration "$DURATION" --pid "$SERVER_PID")
                stop_server
                for key in rate p50_us p99_us loss_share server_cpu_us; do
                    got[$side.$key]+="$(field "$line" $key) "
                done
            done
        done
        declare -A med=()
        for key in "${!got[@]}"; do
            # shellcheck disable=SC2086
            med[$key]=$(median ${got[$key]})
        done
        pct() { awk -v s="$1" 'BEGIN { if (s == "-") print "-"; else printf "%.2f%%", s * 100 }'; }
        r=$(ratio "${med[rust.rate]}" "${med[python.rate]}")
        section "| $n | $k | ${med[rust.rate]} | ${med[python.rate]} | ${r}× | ${med[rust.p50_us]} / ${med[rust.p99_us]} | ${med[python.p50_us]} / ${med[python.p99_us]} | $(pct "${med[rust.loss_share]}") | $(pct "${med[python.loss_share]}") | ${med[rust.server_cpu_us]} | ${med[python.server_cpu_us]} |"
        if [ "$k" = 1 ]; then
            chart "udp $n client$([ "$n" = 1 ] || echo s)" "$r" "$([ "$n" = 10 ] && echo 1)"
            [ "$n" = 10 ] && target "udp-echo rate, 10 clients" "> Python (1×)" "${r}×" "$(awk -v r="$r" 'BEGIN { print (r != "-" && r + 0 > 1) ? "met" : "MISSED" }')"
        else
            target "udp-echo loss, 10 clients × 32 in flight" "(reported)" "Rust $(pct "${med[rust.loss_share]}"), Python $(pct "${med[python.loss_share]}")" "reported"
        fi
        unset got med
    done
fi
