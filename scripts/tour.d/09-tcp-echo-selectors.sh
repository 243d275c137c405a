# Lesson 9: tcp-echo-selectors serves lesson 4's protocol from ONE thread with an
# event loop. Lesson 4's client talks to it unchanged; a second client stays connected
# until Ctrl-C; then the same server on a Unix domain socket (--unix), whose file is
# removed when it stops.
heading "Lesson 9: tcp-echo-selectors (seed 003: selectors模块)"
if start_server tcp-echo-selectors server; then
    note "\$ cargo run -p tcp-echo-threaded -- client --port $PORT   (lesson 4's client; stdin: zhangsan / 李四)"
    run_client tcp-echo-threaded "$WORK/sel.out" 'zhangsan\n李四\n' client --port "$PORT"
    note "\$ cargo run -p tcp-echo-threaded -- client --port $PORT   (left open; Ctrl-C on the server; then Ctrl-D)"
    mkfifo "$WORK/sel-open.in"
    "$BIN/tcp-echo-threaded" client --port "$PORT" <"$WORK/sel-open.in" >"$WORK/sel-open.out" 2>&1 &
    SEL_OPEN_PID=$!
    exec 4>"$WORK/sel-open.in"
    for _ in $(seq 100); do grep -q 'Welcome!' "$WORK/sel-open.out" && break; sleep 0.05; done
    threads=$(awk '/^Threads:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null)
    note "server threads with a client connected: ${threads:-?} (the loop, the log writer, the Ctrl-C handler)"
    stop_server tcp-echo-selectors
    # Like the seed's, lesson 4's client waits for your next line, not for the
    # server; Ctrl-D (the end of its input) makes it send exit and see the close.
    exec 4>&-
    wait_exit "$SEL_OPEN_PID" 5 || fail "lesson 4's client did not end when tcp-echo-selectors stopped"
    show client "$WORK/sel.out"
    show client2 "$WORK/sel-open.out"
    show server "$SERVER_OUT"
    expect "$WORK/sel.out" "Hello, 李四!" "lesson 4's client against tcp-echo-selectors"
    expect "$WORK/sel-open.out" "server closed the connection" "lesson 4's client left open"
    expect "$SERVER_OUT" "closed: the client sent exit (0 live)" "tcp-echo-selectors server"
    expect "$SERVER_OUT" "stopping (Ctrl-C)" "tcp-echo-selectors server"
    [ "${threads:-3}" -le 3 ] || fail "tcp-echo-selectors used $threads threads for one client"
fi
SOCK=$WORK/echo.sock
note "\$ cargo run -p tcp-echo-selectors -- server --unix $SOCK"
if start_server tcp-echo-selectors server --unix "$SOCK"; then
    if command -v python3 >/dev/null; then
        python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
print(s.recv(1024).decode())
s.send(b"local\n")
print(s.recv(1024).decode(), end="")
s.send(b"exit")
s.close()' "$SOCK" >"$WORK/sel-unix.out" 2>&1 || fail "the Unix socket client failed"
        show client "$WORK/sel-unix.out"
        expect "$WORK/sel-unix.out" "Hello, local!" "tcp-echo-selectors over --unix"
    fi
    stop_server tcp-echo-selectors
    show server "$SERVER_OUT"
    [ -e "$SOCK" ] && fail "tcp-echo-selectors left its socket file $SOCK behind"
fi
