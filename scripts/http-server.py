#!/usr/bin/env python3
"""A tiny web server for lesson 8 (http-fetch), written with the seeds' raw sockets.

    python3 scripts/http-server.py              # listens on 127.0.0.1:8000
    python3 scripts/http-server.py --port 0     # a port the system picks

It serves a few fixed pages, always with the same headers (no Date), so the
book's transcripts show exactly what a learner sees:

    /            index.html, with Content-Length
    /hello.txt   UTF-8 text, with Content-Length
    /gbk.html    a GBK page: to an HTTP/1.1 request sent chunked, in chunks that
                 split its characters; to HTTP/1.0 (http-fetch) with Content-Length
    /old         301 to /hello.txt
    /cut.bin     promises 1000 bytes, sends 300 and closes: a download cut short
    anything else: 404

HEAD is answered with the head only, and If-Modified-Since with 304 when it
names the pages' Last-Modified date. A request whose lines end in a bare \\n
instead of \\r\\n (seed 004's) gets 400, as strict servers answer. One request
per connection, one connection at a time; every answer ends with the server
closing the connection. Ctrl-C stops it.
"""

import argparse
import socket

LAST_MODIFIED = b'Mon, 01 Jan 2024 00:00:00 GMT'
INDEX = '<!doctype html>\n<title>lesson 8</title>\n<p>你好 from scripts/http-server.py</p>\n'.encode('utf-8')
HELLO = '你好, hello over plain HTTP!\n'.encode('utf-8')
GBK_PAGE = '<p>你好，世界 (a GBK page)</p>\n'.encode('gbk')
NOT_FOUND = b'not found\n'
BAD_REQUEST = b'request lines must end in \\r\\n\n'


def head(status, fields):
    lines = [b'HTTP/1.1 ' + status, b'Server: lesson-8', b'Connection: close'] + fields
    return b'\r\n'.join(lines) + b'\r\n\r\n'


def page(status, content_type, body):
    fields = [b'Content-Type: ' + content_type, b'Content-Length: %d' % len(body)]
    if status.startswith(b'200'):
        fields.append(b'Last-Modified: ' + LAST_MODIFIED)
    return head(status, fields), body


def chunked(content_type, body, size):
    pieces = [b'%x\r\n%s\r\n' % (len(body[i:i + size]), body[i:i + size]) for i in range(0, len(body), size)]
    fields = [b'Content-Type: ' + content_type, b'Transfer-Encoding: chunked']
    return head(b'200 OK', fields), b''.join(pieces) + b'0\r\n\r\n'


def answer(request):
    """The head and body to send for one request head (bytes)."""
    if b'\n' in request.replace(b'\r\n', b''):
        return page(b'400 Bad Request', b'text/plain', BAD_REQUEST)
    request_line, *fields = request.decode('latin-1').split('\r\n')
    method, path, version = (request_line.split(' ') + ['', ''])[:3]
    fields = dict(f.split(':', 1) for f in fields if ':' in f)
    fields = {name.strip().lower(): value.strip() for name, value in fields.items()}
    if path == '/old':
        return head(b'301 Moved Permanently', [b'Location: /hello.txt', b'Content-Length: 0']), b''
    if path == '/cut.bin':
        return head(b'200 OK', [b'Content-Type: application/octet-stream', b'Content-Length: 1000']), b'x' * 300
    pages = {
        '/': (b'text/html; charset=utf-8', INDEX),
        '/index.html': (b'text/html; charset=utf-8', INDEX),
        '/hello.txt': (b'text/plain; charset=utf-8', HELLO),
    }
    if path == '/gbk.html' and version == 'HTTP/1.1':
        # Only an HTTP/1.1 client promises to read chunks.
        response = chunked(b'text/html; charset=gbk', GBK_PAGE, 5)
    elif path == '/gbk.html':
        response = page(b'200 OK', b'text/html; charset=gbk', GBK_PAGE)
    elif path in pages:
        if fields.get('if-modified-since', '').encode() == LAST_MODIFIED:
            response = head(b'304 Not Modified', [b'Last-Modified: ' + LAST_MODIFIED]), b''
        else:
            response = page(b'200 OK', *pages[path])
    else:
        response = page(b'404 Not Found', b'text/plain', NOT_FOUND)
    if method == 'HEAD':
        return response[0], b''
    return response


def serve(conn):
    """Reads one request head, answers it, closes."""
    conn.settimeout(10)
    request = b''
    while b'\r\n\r\n' not in request and b'\n\n' not in request and len(request) < 65536:
        d = conn.recv(1024)
        if not d:
            break
        request += d
    request = request.split(b'\r\n\r\n', 1)[0].split(b'\n\n', 1)[0]
    response_head, body = answer(request)
    conn.sendall(response_head + body)
    first_line = request.split(b'\n', 1)[0].rstrip(b'\r').decode('latin-1')
    return first_line, response_head.split(b' ', 2)[1].decode()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--host', default='127.0.0.1', help='address to bind (default 127.0.0.1)')
    parser.add_argument('--port', type=int, default=8000, help='port to bind (default 8000)')
    args = parser.parse_args()

    family = socket.AF_INET6 if ':' in args.host else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.host, args.port))
    s.listen(16)
    host, port = s.getsockname()[:2]
    print('listening on %s:%d' % (f'[{host}]' if family == socket.AF_INET6 else host, port), flush=True)
    try:
        while True:
            conn, addr = s.accept()
            try:
                first_line, code = serve(conn)
                print('%s:%d "%s" %s' % (addr[0], addr[1], first_line, code), flush=True)
            except OSError as e:
                print('%s:%d error: %s' % (addr[0], addr[1], e), flush=True)
            finally:
                conn.close()
    except KeyboardInterrupt:
        print('stopping (Ctrl-C)', flush=True)
    finally:
        s.close()


if __name__ == '__main__':
    main()
