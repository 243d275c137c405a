# The threaded echo server of seed 004 ("服务器"), for scripts/bench.sh to measure
# lesson 4 (tcp-echo-threaded) against. Kept as the seed wrote it, with three
# changes a benchmark needs:
#   - the port is an argument (0 lets the system pick one), and the first line
#     printed is "listening on HOST:PORT" so the script can read the port;
#   - the backlog is an argument, so both servers get the same listen() queue;
#   - the per-connection prints go to stdout as in the seed (the script sends them
#     to a file), flushed only when the buffer fills, as Python does for a file.
# Usage: python3 echo_server.py [PORT] [BACKLOG]
import socket
import sys
import threading

port = int(sys.argv[1]) if len(sys.argv) > 1 else 13145
backlog = int(sys.argv[2]) if len(sys.argv) > 2 else 5


def tcplink(sock, addr):
    print('Accept new connection from {}...'.format(addr))
    sock.send(b'Welcome!')
    while True:
        data = sock.recv(1024)
        if not data or data.decode('utf8') == 'exit':
            break
        sock.send(('Hello, %s!' % data.decode('utf8')).encode('utf8'))
    sock.close()
    print('Connection from {} closed'.format(addr))


# 创建socket，监听本地端口
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', port))
s.listen(backlog)  # 开始监听，传入参数指定等待连接的最大数量
print('listening on {}:{}'.format(*s.getsockname()), flush=True)

while True:
    # 接受一个新连接
    sock, addr = s.accept()
    t = threading.Thread(target=tcplink, args=(sock, addr))
    t.start()
