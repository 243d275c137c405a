# Lesson 7: two multicast peers join 230.0.0.1 through 127.0.0.1 on one port;
# each line one sends reaches both. Peer A leaves on Ctrl-C, peer B on "exit".
heading "Lesson 7: udp-multicast (seed 003: UDP多点广播)"

# mc_wait FILE TEXT: waits (at most 5 s) until FILE contains TEXT.
mc_wait() {
    local tries=0
    until grep -qF -- "$2" "$1"; do
        tries=$((tries + 1))
        [ "$tries" -gt 100 ] && return 1
        sleep 0.05
    done
}

# Each peer reads its stdin from a fifo that this script holds open, so it can
# type into both of them.
mkfifo "$WORK/mc-a.in" "$WORK/mc-b.in"
exec 7<>"$WORK/mc-a.in" 8<>"$WORK/mc-b.in"
MC_A=$WORK/mc-a.out MC_B=$WORK/mc-b.out
"$BIN/udp-multicast" --port 0 <"$WORK/mc-a.in" >"$MC_A" 2>&1 &
MC_A_PID=$!
if mc_wait "$MC_A" "joined 230.0.0.1:"; then
    MC_PORT=$(head -n1 "$MC_A" | sed -E 's/^joined 230\.0\.0\.1:([0-9]+) .*/\1/')
    "$BIN/udp-multicast" --port "$MC_PORT" <"$WORK/mc-b.in" >"$MC_B" 2>&1 &
    MC_B_PID=$!
    note "\$ cargo run -p udp-multicast -- --port $MC_PORT   (peer A, and again for peer B)"
    if mc_wait "$MC_B" "joined 230.0.0.1:"; then
        echo "hello from B" >&8
        mc_wait "$MC_A" ": hello from B" || fail "udp-multicast: A did not hear B"
        echo "你好 from A" >&7
        mc_wait "$MC_B" ": 你好 from A" || fail "udp-multicast: B did not hear A"
        mc_wait "$MC_A" "(you): 你好 from A" || fail "udp-multicast: A did not hear itself"
    else
        fail "udp-multicast: peer B did not join"
    fi
    kill -INT "$MC_A_PID"
    wait_exit "$MC_A_PID" 2 || fail "udp-multicast did not stop cleanly on Ctrl-C"
    echo "exit" >&8
    wait_exit "$MC_B_PID" 2 || fail "udp-multicast did not leave on 'exit'"
    show "peer A" "$MC_A"
    show "peer B" "$MC_B"
    expect "$MC_A" "(you): 你好 from A" "udp-multicast peer A"
    expect "$MC_A" "stopping (Ctrl-C)" "udp-multicast peer A"
    expect "$MC_B" "(you): hello from B" "udp-multicast peer B"
    expect "$MC_B" "left 230.0.0.1:$MC_PORT" "udp-multicast peer B"
else
    fail "udp-multicast: peer A did not join"
    show "peer A" "$MC_A"
    kill "$MC_A_PID" 2>/dev/null
fi
exec 7>&- 8>&-
