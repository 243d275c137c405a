# The UDP echo server of seed 004 ("UDP编程"), for scripts/bench.sh to measure
# lesson 6 (udp-echo) against. As the seed wrote it, except:
#   - the port is an argument (0 lets the system pick one), and the first line
#     printed is "listening on HOST:PORT" so the script can read the port;
#   - the answer is "Hello, %s!" as lesson 6 sends, not the seed's "Echo: %s!",
#     so both servers send the same bytes.
# Usage: python3 udp_echo_server.py [PORT]
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9999

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', port))
print('listening on {}:{}'.format(*s.getsockname()), flush=True)
while True:
    data, addr = s.recvfrom(1024)
    print('Received from %s:%s.' % addr)
    s.sendto(b'Hello, %s!' % data, addr)
