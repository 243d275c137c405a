# Lesson 4: tcp-echo-threaded serves each connection on its own thread: "Welcome!",
# then "Hello, <msg>!" until "exit". Two clients talk at once; Ctrl-C ends a
# conversation that is still open, and its client says so.
heading "Lesson 4: tcp-echo-threaded (seed 004: 服务器)"
if start_server tcp-echo-threaded server; then
    note "\$ cargo run -p tcp-echo-threaded -- client --port $PORT   (stdin: zhangsan / 李四)"
    run_client tcp-echo-threaded "$WORK/echo.out" 'zhangsan\n李四\n' client --port "$PORT"
    # A second client stays connected, its stdin held open through a FIFO, until the server stops.
    note "\$ cargo run -p tcp-echo-threaded -- client --port $PORT   (left open; then Ctrl-C on the server)"
    mkfifo "$WORK/echo-open.in"
    "$BIN/tcp-echo-threaded" client --port "$PORT" <"$WORK/echo-open.in" >"$WORK/echo-open.out" 2>&1 &
    OPEN_PID=$!
    exec 3>"$WORK/echo-open.in"
    for _ in $(seq 100); do grep -q 'Welcome!' "$WORK/echo-open.out" && break; sleep 0.05; done
    stop_server tcp-echo-threaded
    wait_exit "$OPEN_PID" 5 || fail "tcp-echo-threaded client did not end when the server stopped"
    exec 3>&-
    show client "$WORK/echo.out"
    show client2 "$WORK/echo-open.out"
    show server "$SERVER_OUT"
    expect "$WORK/echo.out" "Hello, 李四!" "tcp-echo-threaded client"
    expect "$WORK/echo-open.out" "server closed the connection" "tcp-echo-threaded client left open"
    expect "$SERVER_OUT" "closed: the client sent exit (0 live)" "tcp-echo-threaded server"
    expect "$SERVER_OUT" "stopping (Ctrl-C)" "tcp-echo-threaded server"
fi
