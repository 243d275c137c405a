# Lesson 4: tcp-echo-threaded serves each connection on its own thread: "Welcome!",
# then "Hello, <msg>!" until "exit". Two clients talk at once; a client left open
# when the server stops learns it at its next recv. --unix talks over a Unix
# domain socket instead of TCP, and Ctrl-C removes the socket file.
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
    # Its stdin ends: it sends "exit", and its recv sees that the server has closed.
    exec 3>&-
    wait_exit "$OPEN_PID" 5 || fail "tcp-echo-threaded client did not end after the server stopped"
    show client "$WORK/echo.out"
    show client2 "$WORK/echo-open.out"
    show server "$SERVER_OUT"
    expect "$WORK/echo.out" "connected to 127.0.0.1:$PORT" "tcp-echo-threaded client"
    expect "$WORK/echo.out" "Hello, 李四!" "tcp-echo-threaded client"
    expect "$WORK/echo-open.out" "server closed the connection" "tcp-echo-threaded client left open"
    expect "$SERVER_OUT" "closed: the client sent exit" "tcp-echo-threaded server"
    expect "$SERVER_OUT" "stopping (Ctrl-C)" "tcp-echo-threaded server"
fi
SOCK=$WORK/echo.sock
note "\$ cargo run -p tcp-echo-threaded -- server --unix $SOCK"
"$BIN/tcp-echo-threaded" server --unix "$SOCK" >"$WORK/unix.server.out" 2>&1 &
UNIX_PID=$!
for _ in $(seq 200); do grep -q '^listening on ' "$WORK/unix.server.out" && break; sleep 0.05; done
note "\$ cargo run -p tcp-echo-threaded -- client --unix $SOCK   (stdin: 本机)"
run_client tcp-echo-threaded "$WORK/unix.out" '本机\n' client --unix "$SOCK"
kill -INT "$UNIX_PID"
wait_exit "$UNIX_PID" 2 || fail "tcp-echo-threaded server --unix did not stop cleanly on Ctrl-C"
show client "$WORK/unix.out"
show server "$WORK/unix.server.out"
expect "$WORK/unix.out" "Hello, 本机!" "tcp-echo-threaded client --unix"
[ -e "$SOCK" ] && fail "tcp-echo-threaded server --unix left its socket file behind"
