# Lesson 5: tcp-chat. Two clients talk in the room; each line reaches both, with
# its sender's address. Alice's and Bob's keyboards are FIFOs the tour types into.
heading "Lesson 5: tcp-chat (seed 003: 多线程socket通信)"

# chat_wait FILE TEXT: waits (at most 5 s) until FILE contains TEXT.
chat_wait() {
    local tries=0
    until grep -qF -- "$2" "$1"; do
        tries=$((tries + 1))
        [ "$tries" -gt 100 ] && { fail "tcp-chat: no '$2' in $(basename "$1")"; return 1; }
        sleep 0.05
    done
}

if start_server tcp-chat server; then
    note "\$ cargo run -p tcp-chat -- client --port $PORT   (twice: alice and bob)"
    mkfifo "$WORK/alice.in" "$WORK/bob.in"
    "$BIN/tcp-chat" client --port "$PORT" <"$WORK/alice.in" >"$WORK/alice.out" 2>&1 &
    ALICE=$!
    exec 7>"$WORK/alice.in"
    chat_wait "$SERVER_OUT" "joined (1 here)"
    "$BIN/tcp-chat" client --port "$PORT" <"$WORK/bob.in" >"$WORK/bob.out" 2>&1 &
    BOB=$!
    exec 8>"$WORK/bob.in"
    chat_wait "$SERVER_OUT" "joined (2 here)"

    echo '你好，我是 alice' >&7 && chat_wait "$WORK/bob.out" "] 你好，我是 alice"
    echo 'hi alice, bob here' >&8 && chat_wait "$WORK/alice.out" "] hi alice, bob here"
    echo 'bye!' >&7 && chat_wait "$WORK/bob.out" "] bye!"
    echo 'exit' >&7
    chat_wait "$WORK/bob.out" "left (1 here)"
    exec 7>&-
    wait_exit "$ALICE" 5 || fail "tcp-chat client (alice) did not exit 0 after 'exit'"

    # Ctrl-C: the server says goodbye; bob hears it and exits by himself.
    stop_server tcp-chat
    wait_exit "$BOB" 5 || fail "tcp-chat client (bob) did not exit 0 when the server stopped"
    exec 8>&-
    show alice "$WORK/alice.out"
    show bob "$WORK/bob.out"
    show server "$SERVER_OUT"
    expect "$WORK/alice.out" "] hi alice, bob here" "tcp-chat client"
    expect "$WORK/bob.out" "* server is stopping" "tcp-chat client"
    expect "$WORK/bob.out" "server closed the connection" "tcp-chat client"
    expect "$SERVER_OUT" "stopping (Ctrl-C)" "tcp-chat server"
fi
