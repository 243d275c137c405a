# The chat room server of seed 003 ("多线程socket通信"), for scripts/bench.sh.
# The seed's two typos are fixed so that it runs (read_from_clien ->
# read_from_client, `except e` -> `except Exception as e`); its design is kept:
#   - whatever one recv(2048) returns is taken as one message;
#   - the thread that read a message sends it to every socket in turn, with
#     send() (which may send only part of it) and no lock, so threads relaying
#     at the same time interleave on a socket, and one client that stops reading
#     blocks every thread that sends to it.
# Under load this loses and reorders lines. scripts/bench.sh reports that as a
# finding; it is not the baseline lesson 5 is compared with.
# Changes for the benchmark: loopback, the port as an argument (0 lets the system
# pick one), and a first line "listening on HOST:PORT".
# Usage: python3 chat_relay.py [PORT]
import socket
import sys
import threading

port = int(sys.argv[1]) if len(sys.argv) > 1 else 3000

socket_list = []  # 保存所有socket列表
ss = socket.socket()
ss.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ss.bind(('127.0.0.1', port))
ss.listen()
print('listening on {}:{}'.format(*ss.getsockname()), flush=True)


def read_from_client(s):
    try:
        return s.recv(2048).decode('utf-8')
    # 如果捕获到异常，则表明该socket对应的客户端已经关闭
    except Exception:
        socket_list.remove(s)


# server_target()函数作为线程执行的target，负责处理每个 socket 的数据通信
def server_target(s):
    try:
        while True:  # 采用循环不断地从socket中读取客户端发送过来的数据
            content = read_from_client(s)
            print(content)
            if not content:  # the seed tests `is None`; '' (end of stream) would loop forever
                if s in socket_list:
                    socket_list.remove(s)
                break
            for client_s in socket_list:
                client_s.send(content.encode('utf-8'))  # 遍历 socket_list，向每个 socket 发送一次
    except Exception as e:
        print(e)


while True:
    s, addr = ss.accept()
    socket_list.append(s)
    threading.Thread(target=server_target, args=(s,)).start()  # 每当客户端连接后启动一个线程为该客户端服务
