# Lesson 8: http-fetch writes a GET by hand to a tiny Python web server on
# loopback: a file saved under its URL's name, a body on stdout into a pipe that
# closes early (| head -c 8), and a 301 that is reported, not followed.
heading "Lesson 8: http-fetch (seeds 001 创建一个远程连接, 004 访问网页的示例)"
if ! command -v python3 >/dev/null; then
    note "skipped: lesson 8's tour needs python3 for its web server"
else
    cat >"$WORK/web.py" <<'PY'
import http.server

HELLO = '你好, hello over plain HTTP!\n'.encode('utf-8')

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        if self.path == '/hello.txt':
            self.send_response(200)
            self.send_header('Content-Type', 'text/plain; charset=utf-8')
            self.send_header('Content-Length', str(len(HELLO)))
            self.end_headers()
            self.wfile.write(HELLO)
        elif self.path == '/old':
            self.send_response(301)
            self.send_header('Location', '/hello.txt')
            self.send_header('Content-Length', '0')
            self.end_headers()
        else:
            self.send_error(404)

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
print('listening on %s:%d' % server.server_address, flush=True)
server.serve_forever()
PY
    SERVER_OUT=$WORK/web.out
    python3 -u "$WORK/web.py" >"$SERVER_OUT" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 200); do grep -q '^listening on ' "$SERVER_OUT" && break; sleep 0.05; done
    if ! grep -q '^listening on ' "$SERVER_OUT"; then
        fail "the tour's python web server did not start"
        show server "$SERVER_OUT"
    else
        PORT=$(grep -m1 '^listening on ' "$SERVER_OUT" | cut -d: -f2)
        case $BIN in /*) fetch=$BIN/http-fetch ;; *) fetch=$PWD/$BIN/http-fetch ;; esac
        mkdir -p "$WORK/downloads"

        note "\$ cargo run -p http-fetch -- http://127.0.0.1:$PORT/hello.txt --show-request"
        (cd "$WORK/downloads" && timeout 10 "$fetch" "http://127.0.0.1:$PORT/hello.txt" --show-request) >"$WORK/fetch1.out" 2>&1 \
            || fail "http-fetch hello.txt exited with $?"
        show fetch "$WORK/fetch1.out"
        note "  (saved: $(cat "$WORK/downloads/hello.txt" 2>/dev/null))"
        expect "$WORK/fetch1.out" "> Host: 127.0.0.1:$PORT\\r\\n" "http-fetch --show-request"
        expect "$WORK/fetch1.out" "> GET /hello.txt HTTP/1.0\\r\\n" "http-fetch --show-request"
        expect "$WORK/fetch1.out" "saved 31 bytes to hello.txt" "http-fetch"
        expect "$WORK/downloads/hello.txt" "hello over plain HTTP" "http-fetch's saved file"

        note "\$ cargo run -p http-fetch -- http://127.0.0.1:$PORT/hello.txt -o - | head -c 8"
        timeout 10 "$fetch" "http://127.0.0.1:$PORT/hello.txt" -o - 2>"$WORK/fetch2.err" | head -c 8 >"$WORK/fetch2.out"
        rc=${PIPESTATUS[0]}
        echo >>"$WORK/fetch2.out"
        show fetch "$WORK/fetch2.out"
        [ "$rc" -eq 0 ] || fail "http-fetch -o - | head -c 8 exited with $rc, expected 0"
        expect "$WORK/fetch2.out" "你好, " "http-fetch -o -"
        expect "$WORK/fetch2.err" "HTTP/1.1 200 OK" "http-fetch -o - (the head on stderr)"

        note "\$ cargo run -p http-fetch -- http://127.0.0.1:$PORT/old   (exit status 3: a redirect)"
        timeout 10 "$fetch" "http://127.0.0.1:$PORT/old" >"$WORK/fetch3.out" 2>&1
        rc=$?
        show fetch "$WORK/fetch3.out"
        [ "$rc" -eq 3 ] || fail "http-fetch on a 301 exited with $rc, expected 3"
        expect "$WORK/fetch3.out" "redirect to /hello.txt (not followed)" "http-fetch"
    fi
    kill "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=""
fi
