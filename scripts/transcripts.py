#!/usr/bin/env python3
"""Runs the book's transcripts and checks (or rewrites) what the book shows.

Each docs/transcripts/<lesson>/<name>.run is a little script of what a learner
does in one or more terminals; running it writes <name>.txt beside it, which the
book pulls in with {{#include}}. `--check` (what scripts/ci.sh runs) fails when a
program's real output differs from the .txt the book shows.

    scripts/transcripts.py --check          # compare every transcript
    scripts/transcripts.py --write [FILTER] # regenerate after changing a lesson

A .run file has one step per line (# starts a comment):

    port 7788                  the real port of the server is shown as this one
    start N: BIN ARGS ## MORE  start BIN in terminal N; shown as `cargo run -p BIN -- ARGS`,
                               MORE is appended but not shown ({port} = the server's port,
                               in ARGS too, where it is shown as the `port` below)
    start N: !CMD ARGS ## MORE a helper that is not a lesson, such as lesson 8's web server
                               (`!python3 scripts/http-server.py ## --port 0`): shown as
                               `CMD ARGS`; an ARG naming a file of the repository is found there
    listening N                wait for terminal N's `listening on` line; it sets {port}
                               (a multicast peer's `joined GROUP:PORT ...` line works too)
    run N: BIN ARGS ## MORE    start (a lesson, or !CMD), close stdin, wait for the exit
    stdin N: TEXT              the next start/run in terminal N is fed TEXT (\\n for newlines),
                               shown as `printf 'TEXT' | cargo run ...`
    type N: TEXT               type a line into terminal N (shown in its output)
    wait N: TEXT               wait until terminal N has printed a line containing TEXT
    wait N xK: TEXT            ... K such lines
    eof N                      Ctrl-D: close terminal N's stdin (shown as ^D)
    ctrl-c N                   Ctrl-C: SIGINT to terminal N (shown as ^C), then wait for its exit
    exit N                     wait for terminal N's program to exit by itself

Ports the system picks for clients (127.0.0.1:54321) are shown as 50001, 50002, ...
in order of appearance, so the text is the same on every run.

Every program of one .run file runs in the same fresh, empty directory, removed at
the end, so files a lesson saves (http-fetch's downloads) never land in the repository.
"""

import difflib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / "target" / "debug"
DOCS = ROOT / "docs" / "transcripts"
WAIT = 10.0


class Terminal:
    def __init__(self, number):
        self.number = number
        self.lines = []  # what the learner sees, in order
        self.lock = threading.Lock()
        self.proc = None
        self.reader = None
        self.stdin_text = None

    def add(self, line):
        with self.lock:
            self.lines.append(line)

    def output_lines(self):
        with self.lock:
            return list(self.lines)

    def start(self, shown, hidden, port, cwd):
        shown = shown.replace("{port}", str(port))
        binary, _, shown_args = shown.partition(" ")
        args = shlex.split(shown_args)
        if binary.startswith("!"):  # a helper, not a lesson: shown as typed
            binary = binary[1:]
            program = binary
            args = [str(ROOT / a) if (ROOT / a).is_file() else a for a in args]
            command = shown[1:]
        else:
            program = str(BIN / binary)
            command = f"cargo run -p {binary}" + (" -- " + shown_args.strip() if args else "")
        if self.stdin_text is not None:
            command = f"printf '{self.stdin_text}' | " + command
        self.add("$ " + command)
        hidden_args = [h.replace("{port}", str(port)) for h in hidden.split()]
        self.proc = subprocess.Popen(
            [program, *args, *hidden_args],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "RUST_BACKTRACE": "1"},
        )
        if self.stdin_text is not None:
            self.proc.stdin.write(self.stdin_text.encode().decode("unicode_escape").encode("latin-1"))
            self.proc.stdin.close()
            self.stdin_text = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            self.add(raw.decode("utf-8", "replace").rstrip("\r\n"))

    def wait_for(self, text, count=1):
        deadline = time.time() + WAIT
        while time.time() < deadline:
            if sum(text in l for l in self.output_lines()[1:]) >= count:
                return
            time.sleep(0.02)
        raise RuntimeError(f"terminal {self.number}: {count}x {text!r} did not appear:\n" + "\n".join(self.output_lines()))

    def wait_for_first(self, starts):
        deadline = time.time() + WAIT
        while time.time() < deadline:
            if any(l.startswith(starts) for l in self.output_lines()[1:]):
                return
            time.sleep(0.02)
        raise RuntimeError(f"terminal {self.number}: no line starting with {starts!r}:\n" + "\n".join(self.output_lines()))

    def type(self, text):
        self.add(text)
        self.proc.stdin.write((text + "\n").encode())
        self.proc.stdin.flush()

    def eof(self, shown=True):
        if shown:
            self.add("^D")
        if not self.proc.stdin.closed:
            self.proc.stdin.close()

    def wait_exit(self):
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise RuntimeError(f"terminal {self.number}: still running after {WAIT}s:\n" + "\n".join(self.output_lines()))
        self.reader.join(timeout=WAIT)
        if self.proc.returncode != 0:
            self.add(f"(exit status {self.proc.returncode})")

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()


def run_script(path):
    terminals = {}
    port = 0
    shown_port = None

    def term(n):
        return terminals.setdefault(n, Terminal(n))

    cwd = tempfile.mkdtemp(prefix="transcript-")
    try:
        for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            m = re.match(r"(\w[\w-]*)(?: (\d+))?(?: x(\d+))?(?::\s?(.*))?$", line)
            if not m:
                raise RuntimeError(f"{path}:{lineno}: cannot read {line!r}")
            step, n, count, rest = m.group(1), int(m.group(2) or 0), int(m.group(3) or 1), m.group(4) or ""
            if step == "port":
                shown_port = int(n)
            elif step in ("start", "run"):
                shown, _, hidden = rest.partition("##")
                term(n).start(shown.strip(), hidden.strip(), port, cwd)
                if step == "run":
                    term(n).eof(shown=False)
                    term(n).wait_exit()
            elif step == "stdin":
                term(n).stdin_text = rest
            elif step == "listening":
                term(n).wait_for_first(("listening on ", "joined "))
                listening = next(l for l in term(n).output_lines() if l.startswith(("listening on ", "joined ")))
                address = listening.split()[2 if listening.startswith("listening on ") else 1]
                port = int(address.rsplit(":", 1)[1])
            elif step == "type":
                term(n).type(rest)
            elif step == "wait":
                term(n).wait_for(rest, count)
            elif step == "eof":
                term(n).eof()
            elif step == "ctrl-c":
                term(n).add("^C")
                term(n).proc.send_signal(signal.SIGINT)
                term(n).wait_exit()
            elif step == "exit":
                term(n).wait_exit()
            else:
                raise RuntimeError(f"{path}:{lineno}: unknown step {step!r}")
        for t in terminals.values():
            if t.proc.poll() is None:
                raise RuntimeError(f"{path}: terminal {t.number} is still running at the end; end it with ctrl-c, eof or exit")
    finally:
        for t in terminals.values():
            t.kill()
        shutil.rmtree(cwd, ignore_errors=True)

    text = ""
    for n in sorted(terminals):
        if len(terminals) > 1:
            text += f"── terminal {n} ──\n"
        text += "\n".join(terminals[n].output_lines()) + "\n"
        if n != max(terminals):
            text += "\n"
    return normalize(text, port, shown_port)


def normalize(text, port, shown_port):
    if shown_port is not None and port:
        text = re.sub(rf"\b{port}\b", str(shown_port), text)
    seen = {}

    def fake(m):
        real = m.group(2)
        if shown_port is not None and real == str(shown_port):
            return m.group(0)
        seen.setdefault(real, str(50001 + len(seen)))
        return m.group(1) + seen[real]

    return re.sub(r"((?:\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\]):)(\d{4,5})\b", fake, text)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "--check"
    only = sys.argv[2] if len(sys.argv) > 2 else ""
    if mode not in ("--check", "--write"):
        sys.exit(__doc__)
    build = subprocess.run(["cargo", "build", "--workspace", "--bins", "--quiet"], cwd=ROOT)
    if build.returncode != 0:
        sys.exit("transcripts: the build failed")
    failed = 0
    scripts = sorted(DOCS.glob("*/*.run"))
    for script in scripts:
        if only not in str(script):
            continue
        name = script.relative_to(DOCS).with_suffix("")
        try:
            text = run_script(script)
        except Exception as e:  # report and go on with the others
            print(f"FAIL {name}: {e}")
            failed += 1
            continue
        target = script.with_suffix(".txt")
        old = target.read_text(encoding="utf-8") if target.exists() else ""
        if text == old:
            print(f"ok   {name}")
        elif mode == "--write":
            target.write_text(text, encoding="utf-8")
            print(f"new  {name}")
        else:
            print(f"FAIL {name}: the book shows something else than the program prints")
            sys.stdout.writelines(difflib.unified_diff(old.splitlines(True), text.splitlines(True), "book", "program"))
            failed += 1
    print(f"transcripts: {len(scripts)} checked, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
