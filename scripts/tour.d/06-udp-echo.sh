# Lesson 6: udp-echo answers every datagram. With --drop-every N the server loses
# every Nth datagram on purpose: the client waits --timeout, sends again, and
# reports what stays lost instead of hanging.
heading "Lesson 6: udp-echo (seed 001/004: UDP编程)"
if start_server udp-echo server; then
    note "\$ cargo run -p udp-echo -- client --port $PORT   (stdin: Michael / Tracy / 你好)"
    run_client udp-echo "$WORK/echo.out" 'Michael\nTracy\n你好\n' client --port "$PORT"
    stop_server udp-echo
    show client "$WORK/echo.out"
    show server "$SERVER_OUT"
    expect "$WORK/echo.out" "answer from $SERVER_ADDR: Hello, 你好!" "udp-echo client"
    expect "$WORK/echo.out" "3 answered, 0 lost" "udp-echo client"
    expect "$SERVER_OUT" ": Michael -> Hello, Michael!" "udp-echo server"
fi

if start_server udp-echo server --drop-every 2; then
    note ""
    note "\$ cargo run -p udp-echo -- server --drop-every 2"
    note "\$ cargo run -p udp-echo -- client --port $PORT --timeout 0.2 --retries 1 -m a -m b -m c"
    run_client udp-echo "$WORK/echo-drop.out" '' client --port "$PORT" --timeout 0.2 --retries 1 \
        -m a -m b -m c
    stop_server udp-echo
    show client "$WORK/echo-drop.out"
    show server "$SERVER_OUT"
    expect "$WORK/echo-drop.out" "Hello, b! (try 2 of 2)" "udp-echo client (an answer on the second try)"
    expect "$WORK/echo-drop.out" "3 answered, 0 lost" "udp-echo client"
    expect "$SERVER_OUT" ": b -> dropped on purpose" "udp-echo server --drop-every"
fi

if start_server udp-echo server --drop-every 1; then
    note ""
    note "\$ cargo run -p udp-echo -- server --drop-every 1   # drops every datagram"
    note "\$ cargo run -p udp-echo -- client --port $PORT --timeout 0.2 --retries 1 -m lost"
    run_client udp-echo "$WORK/echo-lost.out" '' client --port "$PORT" --timeout 0.2 --retries 1 -m lost
    stop_server udp-echo
    show client "$WORK/echo-lost.out"
    expect "$WORK/echo-lost.out" 'the answer to "lost" is lost' "udp-echo client (a lost answer reported)"
fi
