# Lesson 4's echo protocol on one thread with selectors, written from seed 003's
# description ("selectors模块": register every socket's events with the selector, and
# handle EVENT_READ and EVENT_WRITE when it reports them, instead of looping on a
# blocking accept() or recv()). For scripts/bench.sh to measure lesson 9
# (tcp-echo-selectors) against. The same rules as lesson 9:
#   - "Welcome!", then "Hello, <msg>!" for each message until "exit"; each line in one
#     recv is a message and its answer ends with the line's own ending, a recv without
#     a newline is one message (as in seed 004);
#   - answers wait in the connection's own outgoing buffer; while more than 64 KiB
#     wait, the server stops reading from that client (backpressure);
#   - the port and backlog are arguments (0 lets the system pick a port); the first
#     line printed is "listening on HOST:PORT"; the per-connection prints go to stdout
#     as in the seed, flushed only when the buffer fills, as Python does for a file.
# Usage: python3 selectors_echo_server.py [PORT] [BACKLOG]
import selectors
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 13145
backlog = int(sys.argv[2]) if len(sys.argv) > 2 else 5
MAX_WAITING = 64 * 1024

sel = selectors.DefaultSelector()


class Conn:
    def __init__(self, addr):
        self.addr = addr
        self.out = bytearray(b'Welcome!')
        self.ended = False
        self.events = selectors.EVENT_READ | selectors.EVENT_WRITE


def accept(s):
    # 有客户端连接进来时触发 EVENT_READ
    sock, addr = s.accept()
    sock.setblocking(False)
    print('Accept new connection from {}...'.format(addr))
    conn = Conn(addr)
    sel.register(sock, conn.events, conn)


def answer(conn, data):
    text = data.decode('utf8', 'replace')
    pieces = text.split('\n')
    for i, msg in enumerate(pieces):
        last = i == len(pieces) - 1
        if last and msg == '':
            break
        end = '' if last else '\n'
        if not last and msg.endswith('\r'):
            msg, end = msg[:-1], '\r\n'
        if msg == 'exit':
            conn.ended = True
            return
        conn.out += ('Hello, %s!%s' % (msg, end)).encode('utf8')


def close(sock, conn):
    sel.unregister(sock)
    sock.close()
    print('Connection from {} closed'.format(conn.addr))


def serve(sock, mask, conn):
    try:
        # 当 socket 有数据可读时触发 EVENT_READ
        if mask & selectors.EVENT_READ:
            data = sock.recv(1024)
            if not data:
                conn.ended = True
            else:
                answer(conn, data)
        # 当 socket 可以写数据时触发 EVENT_WRITE
        if conn.out:
            sent = sock.send(conn.out)
            del conn.out[:sent]
    except BlockingIOError:
        pass
    except OSError:
        close(sock, conn)
        return
    if conn.ended and not conn.out:
        close(sock, conn)
        return
    events = selectors.EVENT_WRITE if conn.out else 0
    if not conn.ended and len(conn.out) <= MAX_WAITING:
        events |= selectors.EVENT_READ
    if events != conn.events:
        sel.modify(sock, events, conn)
        conn.events = events


# 创建socket，监听本地端口
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port))
s.listen(backlog)
s.setblocking(False)
sel.register(s, selectors.EVENT_READ, None)
print('listening on {}:{}'.format(*s.getsockname()), flush=True)

while True:
    for key, mask in sel.select():
        if key.data is None:
            accept(key.fileobj)
        else:
            serve(key.fileobj, mask, key.data)
