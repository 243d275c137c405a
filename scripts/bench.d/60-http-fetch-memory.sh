# http-fetch (lesson 8) streams the body through one 128 KiB buffer, so downloading
# 256 MiB needs little memory whether the body has a Content-Length or runs until
# the server closes. A tiny Python server sends zeros from memory, so no disk is involved.
heading "http-fetch: peak memory downloading 256 MiB (Content-Length and until the close)"
http_fetch_memory_bench() {
    have_bin http-fetch || return 0
    [ -x /usr/bin/time ] || { echo "skipped: needs /usr/bin/time (apt-get install time)"; return 0; }
    local gib=$((256 << 20))
    [ "$SMOKE" = 1 ] && gib=$((64 << 20))
    cat >"$WORK/gib.py" <<'PY'
import http.server
import sys

SIZE = int(sys.argv[1])
BLOCK = bytes(1 << 20)

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Type', 'application/octet-stream')
        if self.path != '/until-close':
            self.send_header('Content-Length', str(SIZE))
        self.end_headers()
        for _ in range(SIZE // len(BLOCK)):
            self.wfile.write(BLOCK)
        # An HTTP/1.0 request (http-fetch's): the connection closes after the answer.

    def log_message(self, *args):
        pass

server = http.server.HTTPServer(('127.0.0.1', 0), Handler)
print('listening on %s:%d' % server.server_address, flush=True)
server.serve_forever()
PY
    start_server gib-python python3 -u "$WORK/gib.py" "$gib" || return 0
    section "### http-fetch: peak memory for $((gib >> 20)) MiB with and without a Content-Length"
    section "From a small Python server that sends zeros from memory; body to /dev/null as a file (\`-o /dev/null\`). Without a Content-Length the body ends when the server closes.
"
    section "| body framing | peak RSS MiB | took |"
    section "|---|---:|---|"
    local path peak took worst=0
    for path in /content-length /until-close; do
        if timeout 300 /usr/bin/time -v -o "$WORK/mem.time" "$BIN/http-fetch" "http://127.0.0.1:$PORT$path" -o /dev/null >"$WORK/mem.out" 2>&1 &&
            grep -q "^wrote $gib bytes to /dev/null\$" "$WORK/mem.out"; then
            peak=$(sed -n 's/^[[:space:]]*Maximum resident set size (kbytes): //p' "$WORK/mem.time")
            took=$(sed -n 's/^[[:space:]]*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$WORK/mem.time")
            echo "  GET $path: peak ${peak} KiB, took $took"
            section "| ${path#/} | $(awk -v k="$peak" 'BEGIN { printf "%.1f", k / 1024 }') | $took |"
            [ "$peak" -gt "$worst" ] && worst=$peak
        else
            echo "  GET $path failed:"; sed 's/^/  | /' "$WORK/mem.out"
            section "| ${path#/} | failed | |"
            worst=999999999
        fi
    done
    stop_server
    local mib
    mib=$(awk -v k="$worst" 'BEGIN { printf "%.1f", k / 1024 }')
    target "http-fetch peak memory, Content-Length and until the close" "< 8 MiB" "$mib MiB (worst)" "$(below "$mib" 8)"
}
http_fetch_memory_bench
