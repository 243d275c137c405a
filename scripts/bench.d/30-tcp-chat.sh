# tcp-chat (lesson 5) fan-out with 100 clients at a steady rate, with and without one
# client that never reads; then readers at terminal speed during a 10-sender burst.
# The seed's Python relay is run too, as a finding only.
heading "tcp-chat fan-out, 100 clients"
if have_bin tcp-chat; then
    CHAT_RATE=5               # lines per client per second: 500 in, 50,000 delivered
    CHAT_PAD=200              # bytes of padding per line, so the stalled client's buffers fill in the first seconds
    PY_STRESS_RATE=100        # where the Python relay falls behind and garbles lines
    CHAT_SECONDS=$([ "$SMOKE" = 1 ] && echo 1 || echo 5)
    section "### tcp-chat fan-out: 100 clients"
    section "Each client sends $CHAT_RATE lines/s of about $((CHAT_PAD + 30)) bytes for ${CHAT_SECONDS} s; every line goes to all 100. \"Stalled\" adds a 101st client that never reads (the server runs with --stall-timeout 2, so a full 5 s run sees it dropped). Medians of $RUNS runs; lost = lines a reader never got.
"
    section "| server | stalled client | delivered lines/s | lost | reordered | healthy clients dropped | stalled client dropped | server CPU µs/line |"
    section "|---|---|---:|---:|---:|---:|---:|---:|"
    chat_row() { # LABEL STALLED LINES...
        local label=$1 stalled=$2; shift 2
        local key vals
        declare -A m=()
        for key in delivered_per_s lost reordered healthy_dropped stalled_dropped server_cpu_us; do
            vals=(); for l in "$@"; do vals+=("$(field "$l" $key)"); done
            m[$key]=$(median "${vals[@]}")
        done
        [ "$stalled" = no ] && m[stalled_dropped]="–"
        section "| $label | $stalled | ${m[delivered_per_s]} | ${m[lost]} | ${m[reordered]} | ${m[healthy_dropped]} | ${m[stalled_dropped]} | ${m[server_cpu_us]} |"
        CHAT_MEDIAN=${m[delivered_per_s]}
    }
    plain=(); stalled=(); dropped_max=0
    for run in $(seq "$RUNS"); do
        for mode in plain stalled; do
            start_server chat-rust "$BIN/tcp-chat" server --port 0 --max-clients 200 --stall-timeout 2 || continue
            extra=(); [ "$mode" = stalled ] && extra=(--stalled)
            line=$(loadgen chat --clients 100 --rate "$CHAT_RATE" --pad "$CHAT_PAD" --duration "$CHAT_SECONDS" --pid "$SERVER_PID" "${extra[@]}")
            stop_server
            [ "$mode" = plain ] && plain+=("$line") || stalled+=("$line")
            d=$(field "$line" healthy_dropped); [ "$d" != - ] && [ "$d" -gt "$dropped_max" ] && dropped_max=$d
        done
    done
    chat_row "tcp-chat (Rust)" no "${plain[@]}"; without=$CHAT_MEDIAN
    chat_row "tcp-chat (Rust)" yes "${stalled[@]}"; with=$CHAT_MEDIAN
    cost=$(awk -v a="$without" -v b="$with" 'BEGIN { if (a == "-" || b == "-" || a == 0) print "-"; else printf "%.1f", (a - b) * 100 / a }')
    target "chat: rate lost to a stalled client" "< 10%" "${cost}%" "$(below "$cost" 10)"
    target "chat: healthy clients dropped" "0 in every run" "$dropped_max (worst run)" "$([ "$dropped_max" = 0 ] && echo met || echo MISSED)"
    chart "chat with a stalled client" "$(ratio "$with" "$without")" 0.9

    # The seed's relay: not a baseline (it is not correct), but what it does is worth showing.
    py=(); pystress=()
    for run in $(seq "$RUNS"); do
        start_server chat-python python3 bench/python/chat_relay.py 0 || continue
        py+=("$(loadgen chat --clients 100 --rate "$CHAT_RATE" --pad "$CHAT_PAD" --duration "$CHAT_SECONDS" --pid "$SERVER_PID")")
        stop_server
        start_server chat-python python3 bench/python/chat_relay.py 0 || continue
        pystress+=("$(loadgen chat --clients 100 --rate "$PY_STRESS_RATE" --pad "$CHAT_PAD" --duration "$CHAT_SECONDS" --pid "$SERVER_PID")")
        stop_server
    done
    chat_row "Python seed relay" no "${py[@]}"
    section "| Python seed relay, $PY_STRESS_RATE lines/s each | no | $(median $(for l in "${pystress[@]}"; do field "$l" delivered_per_s; done)) | $(median $(for l in "${pystress[@]}"; do field "$l" lost; done)) | $(median $(for l in "${pystress[@]}"; do field "$l" reordered; done)) | $(median $(for l in "${pystress[@]}"; do field "$l" healthy_dropped; done)) | – | $(median $(for l in "${pystress[@]}"; do field "$l" server_cpu_us; done)) |"
    pylost=$(median $(for l in "${pystress[@]}"; do field "$l" lost; done))
    pyunparsed=$(median $(for l in "${pystress[@]}"; do field "$l" unparsed; done))
    if [ "$pylost" != - ] && [ "$pylost" != 0 ]; then
        note "The Python seed relay at $PY_STRESS_RATE lines/s per client lost a median of $pylost lines per run ($pyunparsed garbled). It takes each recv(2048) as a message: when it falls behind, a recv ends in the middle of a line, and two threads sending to the same client interleave their pieces."
    else
        note "The Python seed relay lost no lines at $PY_STRESS_RATE lines/s per client in this run (median of $RUNS); it loses them only when it falls behind far enough that a recv(2048) ends mid-line while another thread sends to the same client."
    fi

    # Readers at terminal speed (2 MB/s) during a burst from 10 senders: none may be
    # dropped (the old --queue of 1,000 lines dropped them as "stopped reading").
    section "### tcp-chat: readers at terminal speed during a 10-sender burst"
    section "20 clients, each reading at most 2 MB/s like a terminal; 10 of them send a burst of lines of about 445 bytes all at once. Default flags: the burst fits --burst 100. With --rate 400: 1,000 lines each, so the server slows the senders (about 1.8 MB/s to every reader). Medians of $RUNS runs.
"
    section "| server flags | lines per sender | delivered | lost | healthy clients dropped | seconds to deliver |"
    section "|---|---:|---:|---:|---:|---:|"
    burst_dropped_max=0
    for scenario in "defaults|100" "--rate 400 --burst 100|1000"; do
        flags=${scenario%|*}; lines=${scenario#*|}
        [ "$flags" = defaults ] && server_flags=() || read -ra server_flags <<<"$flags"
        [ "$SMOKE" = 1 ] && lines=$((lines / 10))
        runs=()
        for run in $(seq "$RUNS"); do
            start_server chat-burst "$BIN/tcp-chat" server --port 0 "${server_flags[@]}" || continue
            line=$(loadgen chat --clients 20 --senders 10 --burst "$lines" --pad 400 --read-speed 2000000 --pid "$SERVER_PID")
            stop_server
            runs+=("$line")
            d=$(field "$line" healthy_dropped); [ "$d" != - ] && [ "$d" -gt "$burst_dropped_max" ] && burst_dropped_max=$d
        done
        row=()
        for key in delivered lost healthy_dropped delivery_s; do
            row+=("$(median $(for l in "${runs[@]}"; do field "$l" $key; done))")
        done
        section "| $flags | $lines | ${row[0]} | ${row[1]} | ${row[2]} | ${row[3]} |"
    done
    target "chat burst: readers at 2 MB/s dropped" "0 in every run" "$burst_dropped_max (worst run)" "$([ "$burst_dropped_max" = 0 ] && echo met || echo MISSED)"
fi
