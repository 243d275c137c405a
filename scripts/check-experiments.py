#!/usr/bin/env python3
"""Run the book's experiments and check that they print what the book says.

The pages docs/{en,zh}/src/{shutdown,blocking}.md show Python snippets a learner pastes
(a ```sh block holding `python3 - <<'EOF' ... EOF`), each followed by a ```text block with
the output. This script starts lesson 4's server (target/debug/tcp-echo-threaded server
--port 0), runs each snippet with its `PORT = 13145` set to that server's port, and compares
the output with the ```text block. Exit status 1 when one differs or cannot run.

Usage: scripts/check-experiments.py   (after cargo build -p tcp-echo-threaded)
"""

import re
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [f"docs/{lang}/src/{page}.md" for lang in ("en", "zh") for page in ("shutdown", "blocking")]
SNIPPET = re.compile(r"```sh\npython3 - <<'EOF'\n(.*?)\nEOF\n```\n(?:(?!```sh).)*?```text\n(.*?)```", re.S)
SERVER = ROOT / "target" / "debug" / "tcp-echo-threaded"


def main():
    if not SERVER.is_file():
        subprocess.run(["cargo", "build", "--quiet", "-p", "tcp-echo-threaded"], cwd=ROOT, check=True)
    server = subprocess.Popen(
        [str(SERVER), "server", "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    failures = 0
    try:
        first = server.stdout.readline()  # "listening on 127.0.0.1:PORT"
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", first)
        if not m:
            print(f"FAIL: tcp-echo-threaded server said {first!r}, not 'listening on ...'")
            return 1
        port = m.group(1)
        # Keep reading the server's log, so that it never waits on a full pipe.
        threading.Thread(target=lambda: [None for _ in server.stdout], daemon=True).start()
        for page in PAGES:
            found = SNIPPET.findall((ROOT / page).read_text(encoding="utf-8"))
            if not found:
                print(f"FAIL: {page} has no python3 snippet followed by its output")
                failures += 1
            for n, (code, expected) in enumerate(found, 1):
                code = code.replace("PORT = 13145", f"PORT = {port}")
                try:
                    done = subprocess.run(["python3", "-"], input=code, capture_output=True, text=True, timeout=15)
                    out, err = done.stdout, done.stderr
                except subprocess.TimeoutExpired:
                    out, err = "", "(no end within 15 s)\n"
                if out == expected:
                    print(f"{page} #{n}: prints what the page says")
                else:
                    failures += 1
                    print(f"FAIL: {page} #{n} printed:\n{out}{err}the page says:\n{expected}")
    finally:
        server.terminate()
        server.wait(timeout=5)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
