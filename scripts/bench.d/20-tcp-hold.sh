# tcp-echo-threaded holding 10,000 connections: every one answered at the start and
# at the end; the server's resident memory and thread count while held and after.
heading "tcp-echo-threaded holding 10,000 connections"
if have_bin tcp-echo-threaded; then
    HOLD=10000
    [ "$SMOKE" = 1 ] && HOLD=500
    section "### tcp-echo-threaded holding $HOLD connections"
    section "One thread per connection. Resident memory (VmRSS) and threads from /proc/<pid>/status; \`ulimit -n\` was $(ulimit -n).
"
    section "| run | answered at start | answered at end | errors | RSS held MiB | threads before / held / after | RSS after MiB | opening took s |"
    section "|---:|---:|---:|---:|---:|---:|---:|---:|"
    rss=(); ok=(); back=()
    for run in $(seq "$RUNS"); do
        start_server hold-rust "$BIN/tcp-echo-threaded" server --port 0 --backlog 128 || continue
        line=$(loadgen hold --connections "$HOLD" --pid "$SERVER_PID")
        grep -q . "$WORK/hold-rust.err" &&
            echo "  hold run $run: the server said: $(sort "$WORK/hold-rust.err" | uniq -c | head -3 | tr -s ' ' | paste -sd';')"
        stop_server
        mib() { awk -v k="$1" 'BEGIN { if (k == "-") print "-"; else printf "%.1f", k / 1024 }'; }
        held=$(mib "$(field "$line" rss_held_kib)")
        section "| $run | $(field "$line" answered_start) | $(field "$line" answered_end) | $(field "$line" errors) | $held | $(field "$line" threads_before) / $(field "$line" threads_held) / $(field "$line" threads_after) | $(mib "$(field "$line" rss_after_kib)") | $(field "$line" open_s) |"
        rss+=("$held")
        [ "$(field "$line" answered_start)" = "$HOLD" ] && [ "$(field "$line" answered_end)" = "$HOLD" ] && ok+=(1) || ok+=(0)
        [ "$(field "$line" threads_after)" = "$(field "$line" threads_before)" ] && back+=(1) || back+=(0)
    done
    if [[ " ${ok[*]} " == *" 0 "* ]] && grep -q 'too many open files' "$WORK/hold-rust.err" && [ "$(ulimit -n)" -lt $((2 * HOLD + 64)) ]; then
        note "Why connections went unanswered while held: the server ran out of file descriptors. lesson 4 uses two per connection (net_common::live::LiveConnections keeps a duplicate of each socket, to shut them all down on Ctrl-C), so $HOLD connections need over $((2 * HOLD)); the open-file limit (ulimit -n) here is $(ulimit -n), the hard limit, which this script cannot raise. A connection the server cannot accept waits in the backlog until the load generator gives up on it (5 s each, which is also why opening took longer). Fix: keep one descriptor per connection (share the stream with an Arc instead of dup()), or raise the hard limit (ulimit -Hn as root, or LimitNOFILE in systemd)."
    fi
    m=$(median "${rss[@]}")
    all_ok=$([[ " ${ok[*]} " == *" 0 "* ]] && echo MISSED || echo met)
    all_back=$([[ " ${back[*]} " == *" 0 "* ]] && echo MISSED || echo met)
    target "hold $HOLD: every connection answered twice" "all, in every run" "$(grep -o 1 <<<"${ok[*]}" | wc -l) of ${#ok[@]} runs" "$all_ok"
    target "hold $HOLD: resident memory" "< 128 MiB" "$m MiB" "$(below "$m" 128)"
    target "hold $HOLD: threads back to baseline" "after every run" "$(grep -o 1 <<<"${back[*]}" | wc -l) of ${#back[@]} runs" "$all_back"
fi
