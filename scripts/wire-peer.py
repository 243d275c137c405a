#!/usr/bin/env python3
"""Seed-style peers for scripts/wire.py's conversations (one send per message, no newline).

    wire-peer.py two-sends MSG1 MSG2 PORT
        connect to 127.0.0.1:PORT, send MSG1 and MSG2 back to back before reading
        anything, read until the welcome and one answer are in, send "exit", read
        until the server closes.
"""

import socket
import sys


def two_sends(first, second, port):
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=5)
    s.send(first.encode())
    s.send(second.encode())
    # "Welcome!" and "Hello, ...!": TCP may hand them over in one recv or two.
    data = b""
    while data.count(b"!") < 2:
        chunk = s.recv(1024)
        if not chunk:
            break
        data += chunk
    print(data.decode("utf-8", "replace"))
    s.send(b"exit")
    while s.recv(1024):
        pass
    s.close()


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "two-sends":
        two_sends(*sys.argv[2:])
    else:
        sys.exit(__doc__)
