#!/usr/bin/env python3
"""Packet diagrams from real captures: runs a lesson's conversation, captures it
with tcpdump on loopback, and draws one arrow per TCP segment or UDP datagram.

    sudo scripts/wire.sh tcp-greeter        # your own diagram, in target/wire/
    sudo scripts/wire.sh my-talk.run        # a conversation of your own
    sudo scripts/wire.sh --update [FILTER]  # rewrite the book's docs/wire/*/*.svg and .txt
                                            # whose structure changed (--redraw: all)
    sudo scripts/wire.sh --check [FILTER]   # fail if the structure differs from docs/wire

Each docs/wire/<lesson>/<name>.run is one conversation. It uses the steps of the
transcripts (scripts/transcripts.py --help), and a few of its own:

    start N: BIN ARGS ## MORE      start a lesson binary (or !CMD, a helper) in terminal N;
                                   `A || B` tries A, then B if A exits before listening
                                   (a flag another version of the lesson lacks)
    listening N                    wait for `listening on`, `joined G:P` or `port P`; sets {port}
    capture                        start tcpdump on lo, for `port {port}`
    capture: end                   stop it (else it stops at the end)
    run / stdin / type / wait / eof / ctrl-c / exit   as in the transcripts
    file NAME xK: TEXT             write TEXT (\\n escapes) K times to NAME in the work dir
    port P                         {port} is shown as P (as in the transcripts)
    lifeline KEY: LABEL            a column, left to right in the order given. KEY is an
                                   address (127.0.0.1:{port}, 230.0.0.1:{port}), `*` (the
                                   next other address, in order of first packet), or
                                   `out N /REGEX/` (the address terminal N printed)
    members /REGEX/                multicast: a line matching REGEX (groups: sender, text)
                                   in an `out N` terminal shows the datagram reached it

The .txt beside each .svg is the diagram as text, normalized (direction, flags, length,
first bytes; no ports, sequence numbers or times). --check compares its structure: each
direction's packets in order, leaving out bare ACKs and how the two directions
interleave, which depend on timing.
"""

import difflib
import html
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "wire"
OWN = ROOT / "target" / "wire"
# WIRE_BIN: the binaries of another checkout, to try a conversation against them.
BIN = Path(os.environ.get("WIRE_BIN") or ROOT / "target" / os.environ.get("WIRE_PROFILE", "debug"))
WAIT = 10.0
PREVIEW = 24  # first bytes shown per arrow


# ---------------------------------------------------------------- the conversation


class Terminal:
    def __init__(self, number):
        self.number = number
        self.lines = []
        self.lock = threading.Lock()
        self.proc = None
        self.stdin_text = None
        self.shown = []

    def output(self):
        with self.lock:
            return list(self.lines)

    def start(self, spec, port, cwd):
        alternatives = [a.strip() for a in spec.split("||")]
        for i, alt in enumerate(alternatives):
            self._spawn(alt, port, cwd)
            if len(alternatives) == 1:
                return
            if self.wait_listening(quiet=True):
                return
            if i + 1 < len(alternatives):
                self.kill()
                self.shown.pop()
        raise RuntimeError(f"terminal {self.number}: none of {spec!r} started")

    def _spawn(self, spec, port, cwd):
        shown, _, hidden = spec.partition("##")
        shown = shown.strip().replace("{port}", str(port))
        binary, _, shown_args = shown.partition(" ")
        args = shlex.split(shown_args)
        if binary.startswith("!"):
            program = binary[1:]
            args = [str(ROOT / a) if (ROOT / a).is_file() else a for a in args]
            self.shown.append(shown[1:])
        else:
            program = str(BIN / binary)
            if not Path(program).exists():
                raise RuntimeError(f"{program} is missing: build it first (cargo build -p {binary})")
            self.shown.append(f"cargo run -p {binary}" + (" -- " + shown_args.strip() if args else ""))
        hidden_args = shlex.split(hidden.replace("{port}", str(port)))
        with self.lock:
            self.lines = []
        self.proc = subprocess.Popen(
            [program, *args, *hidden_args],
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},  # a helper's lines at once
        )
        if self.stdin_text is not None:
            self.proc.stdin.write(self.stdin_text.encode().decode("unicode_escape").encode("latin-1"))
            self.proc.stdin.close()
            self.stdin_text = None
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for raw in self.proc.stdout:
            with self.lock:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\r\n"))

    def listening_port(self):
        for line in self.output():
            m = (
                re.match(r"listening on \S*:(\d+)", line)
                or re.match(r"joined \S+:(\d+)", line)
                or re.search(r"\bport (\d+)\b", line)
            )
            if m:
                return int(m.group(1))
        return None

    def wait_listening(self, quiet=False):
        deadline = time.time() + WAIT
        while time.time() < deadline:
            if self.listening_port() is not None:
                return True
            if self.proc.poll() is not None:
                time.sleep(0.05)  # the reader may still hold the last lines
                if self.listening_port() is not None:
                    return True
                break
            time.sleep(0.02)
        if quiet:
            return False
        raise RuntimeError(f"terminal {self.number}: no listening line:\n" + "\n".join(self.output()))

    def wait_for(self, text, count=1):
        deadline = time.time() + WAIT
        while time.time() < deadline:
            if sum(text in line for line in self.output()) >= count:
                return
            time.sleep(0.02)
        raise RuntimeError(f"terminal {self.number}: {count}x {text!r} did not appear:\n" + "\n".join(self.output()))

    def type(self, text):
        self.proc.stdin.write((text + "\n").encode())
        self.proc.stdin.flush()

    def eof(self):
        if not self.proc.stdin.closed:
            self.proc.stdin.close()

    def wait_exit(self):
        try:
            self.proc.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"terminal {self.number}: still running after {WAIT}s")
        self.reader.join(timeout=WAIT)
        if self.proc.returncode != 0:  # shown, not fatal: http-fetch exits 3 on a redirect
            print(f"  (terminal {self.number}: {self.shown[-1]} exited with {self.proc.returncode})", file=sys.stderr)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class Capture:
    """tcpdump on lo for one port, written packet by packet to a pcap file."""

    def __init__(self, port, path):
        self.path = path
        # A socket of our own: a datagram to it, sent at the end, shows that tcpdump
        # has written every packet before it.
        self.marker = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.marker.bind(("127.0.0.1", 0))
        self.port = marker_port = self.marker.getsockname()[1]
        self.log = open(str(path) + ".log", "w+b")
        # --immediate-mode and -U hand each packet over and write it at once; -s 512 keeps the first bytes (lengths come
        # from the IP header, not from what was kept).
        self.proc = subprocess.Popen(
            ["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-n", "-s", "512", "-w", str(path), f"port {port} or port {marker_port}"],
            stdout=subprocess.DEVNULL,
            stderr=self.log,
        )
        deadline = time.time() + WAIT
        while b"listening on" not in self._log():
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("tcpdump did not start: " + self._log().decode(errors="replace"))
            time.sleep(0.02)

    def _log(self):
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        """Stops tcpdump once it has written everything; returns the marker's port."""
        if self.proc.poll() is None:
            marker = b"wire.py: end of capture"
            deadline = time.time() + WAIT
            while time.time() < deadline:
                self.marker.sendto(marker, self.marker.getsockname())
                time.sleep(0.05)
                if self.path.exists() and marker in self.path.read_bytes():
                    break
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(timeout=WAIT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.log.close()
            self.marker.close()
        return self.port


def run_conversation(path, workdir):
    """Plays a .run file; returns (packets, spec)."""
    terminals = {}
    spec = {"port": 0, "shown_port": None, "lifelines": [], "members": None, "commands": []}
    capture = None
    cwd = tempfile.mkdtemp(prefix="wire-")

    def term(n):
        return terminals.setdefault(n, Terminal(n))

    try:
        for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("lifeline "):
                key, _, label = line[len("lifeline "):].rpartition(": ")
                spec["lifelines"].append((key.strip(), label.strip()))
                continue
            if line.startswith("members "):
                spec["members"] = line[len("members "):].strip().strip("/")
                continue
            if line.startswith("file "):
                m = re.match(r"file (\S+)(?: x(\d+))?: ?(.*)$", line)
                text = m.group(3).encode().decode("unicode_escape").encode("latin-1") * int(m.group(2) or 1)
                Path(cwd, m.group(1)).write_bytes(text)
                continue
            m = re.match(r"(\w[\w-]*)(?: (\d+))?(?: x(\d+))?(?::\s?(.*))?$", line)
            if not m:
                raise RuntimeError(f"{path}:{lineno}: cannot read {line!r}")
            step, n, count, rest = m.group(1), int(m.group(2) or 0), int(m.group(3) or 1), m.group(4) or ""
            if step == "port":
                spec["shown_port"] = n
            elif step in ("start", "run"):
                term(n).start(rest, spec["port"], cwd)
                spec["commands"].append(term(n).shown[-1])
                if step == "run":
                    term(n).eof()
                    term(n).wait_exit()
            elif step == "stdin":
                term(n).stdin_text = rest
            elif step == "listening":
                term(n).wait_listening()
                spec["port"] = term(n).listening_port()
            elif step == "capture" and rest.strip() in ("", "end"):
                if rest.strip() == "end":
                    marker_port = capture.stop()
                else:
                    capture = Capture(spec["port"], Path(workdir) / "capture.pcap")
            elif step == "type":
                term(n).type(rest)
            elif step == "wait":
                term(n).wait_for(rest, count)
            elif step == "eof":
                term(n).eof()
            elif step == "ctrl-c":
                term(n).proc.send_signal(signal.SIGINT)
                term(n).wait_exit()
            elif step == "exit":
                term(n).wait_exit()
            else:
                raise RuntimeError(f"{path}:{lineno}: unknown step {step!r}")
        for t in terminals.values():
            if t.proc.poll() is None:
                raise RuntimeError(f"{path}: terminal {t.number} is still running at the end")
        if capture is None:
            raise RuntimeError(f"{path}: no `capture` step")
        marker_port = capture.stop()
        capture = None
        if os.environ.get("WIRE_KEEP"):  # for a look with tcpdump -r or wireshark
            shutil.copy(Path(workdir) / "capture.pcap", os.environ["WIRE_KEEP"])
        packets = [p for p in read_pcap(Path(workdir) / "capture.pcap") if f"127.0.0.1:{marker_port}" not in (p["src"], p["dst"])]
    finally:
        if capture is not None:
            capture.stop()
        for t in terminals.values():
            t.kill()
        shutil.rmtree(cwd, ignore_errors=True)
    spec["outputs"] = {n: t.output() for n, t in terminals.items()}
    return packets, spec


# ---------------------------------------------------------------- pcap, IPv4/IPv6, TCP, UDP


def read_pcap(path):
    """The TCP and UDP packets of a classic pcap file (as tcpdump -w writes)."""
    data = path.read_bytes()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        raise RuntimeError(f"{path}: not a pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    packets, offset = [], 24
    while offset + 16 <= len(data):
        sec, frac, caplen, _ = struct.unpack(endian + "IIII", data[offset:offset + 16])
        frame = data[offset + 16:offset + 16 + caplen]
        offset += 16 + caplen
        packet = parse_frame(frame, linktype)
        if packet:
            packet["time"] = sec + frac / (1e9 if nano else 1e6)
            packets.append(packet)
    return packets


def parse_frame(frame, linktype):
    if linktype == 1:  # Ethernet, as Linux shows lo
        ethertype, ip = struct.unpack("!H", frame[12:14])[0], frame[14:]
    elif linktype == 113:  # Linux cooked capture (-i any)
        ethertype, ip = struct.unpack("!H", frame[14:16])[0], frame[16:]
    elif linktype in (0, 12, 101):  # raw IP
        ethertype, ip = (0x86DD if frame[0] >> 4 == 6 else 0x0800), frame
    else:
        return None
    if ethertype == 0x0800:
        header = (ip[0] & 0x0F) * 4
        total, proto = struct.unpack("!H", ip[2:4])[0], ip[9]
        src, dst = socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20])
        body, body_len = ip[header:], total - header
    elif ethertype == 0x86DD:
        body_len, proto = struct.unpack("!H", ip[4:6])[0], ip[6]
        src = "[" + socket.inet_ntop(socket.AF_INET6, ip[8:24]) + "]"
        dst = "[" + socket.inet_ntop(socket.AF_INET6, ip[24:40]) + "]"
        body = ip[40:]
    else:
        return None
    if proto == 6:  # TCP
        sport, dport, seq, ack, off_flags = struct.unpack("!HHIIH", body[:14])
        header = (off_flags >> 12) * 4
        bits = off_flags & 0x3F
        flags = [name for bit, name in ((0x02, "SYN"), (0x01, "FIN"), (0x04, "RST"), (0x08, "PSH"), (0x10, "ACK"), (0x20, "URG")) if bits & bit]
        length = body_len - header
        payload = body[header:header + max(length, 0)]
        kind = "tcp"
    elif proto == 17:  # UDP
        sport, dport, udp_len = struct.unpack("!HHH", body[:6])
        length, payload, flags, seq, ack = udp_len - 8, body[8:udp_len], [], 0, 0
        kind = "udp"
    else:
        return None
    return {
        "kind": kind,
        "src": f"{src}:{sport}",
        "dst": f"{dst}:{dport}",
        "flags": flags,
        "len": length,
        "payload": bytes(payload),
        "seq": seq,
        "ack": ack,
    }


# ---------------------------------------------------------------- who is who


ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def printable(data, limit=PREVIEW):
    """The first bytes as text: UTF-8 where it is, \\xNN where not; control
    characters as escapes (\\r\\n), which read better at this size than the
    pictures the lessons print (U+240D U+240A)."""
    out, i = [], 0
    while i < len(data) and len(out) < limit:
        for size in (1, 2, 3, 4):
            try:
                ch = data[i:i + size].decode("utf-8")
                break
            except UnicodeDecodeError:
                ch = None
        if ch is None:
            out.append(f"\\x{data[i]:02x}")
            i += 1
            continue
        i += size
        out.append(ESCAPES.get(ch) or (f"\\x{ord(ch):02x}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch))
    text = "".join(out)
    return text + ("…" if i < len(data) else "")


class Names:
    """Ports as the book shows them: the server's as the `port` step says, the
    others as 50001, 50002, ... in order of appearance (as the transcripts do)."""

    def __init__(self, port, shown_port):
        self.port, self.shown_port, self.seen = port, shown_port, {}

    def address(self, addr):
        host, _, p = addr.rpartition(":")
        if int(p) == self.port and self.shown_port:
            return f"{host}:{self.shown_port}"
        self.seen.setdefault(p, str(50001 + len(self.seen)))
        return f"{host}:{self.seen[p]}"

    def payload(self, data):
        """Addresses a lesson sends (the chat's "[127.0.0.1:54321] hi") numbered the same way."""
        pattern = rb"(?:\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\]):\d{4,5}\b"
        return re.sub(pattern, lambda m: self.address(m.group(0).decode()).encode(), data)

    def text(self, text):
        if self.shown_port:  # the server's port alone, as in `nc 127.0.0.1 {port}`
            text = re.sub(rf"(?<![:\d]){self.port}\b", str(self.shown_port), text)
        return re.sub(r"((?:\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\]):)(\d{4,5})\b", lambda m: self.address(m.group(0)), text)


def lifelines(packets, spec):
    """[(label, address)] left to right; unknown addresses get a column of their own."""
    port = spec["port"]
    columns, pending = [], []
    for key, label in spec["lifelines"]:
        key = key.replace("{port}", str(port))
        if key == "*":
            pending.append(len(columns))
            columns.append([label, None])
        elif key.startswith("out "):
            m = re.match(r"out (\d+) /(.*)/$", key)
            found = None
            for line in spec["outputs"].get(int(m.group(1)), []):
                hit = re.search(m.group(2), line)
                if hit:
                    found = hit.group(1)
                    break
            columns.append([label, found, int(m.group(1))])
        else:
            columns.append([label, key])
    known = {c[1] for c in columns if c[1]}
    for p in packets:
        for addr in (p["src"], p["dst"]):
            if addr in known:
                continue
            known.add(addr)
            if pending:
                columns[pending.pop(0)][1] = addr
            else:
                columns.append([addr, addr])
    return [c for c in columns if c[1]]


def rows(packets, spec, columns, names):
    """The diagram's rows: one per packet, plus multicast deliveries and pauses."""
    index = {c[1]: i for i, c in enumerate(columns)}
    out, last = [], None
    members = spec.get("members")
    seen = {}
    for p in packets:
        if last is not None and p["time"] - last >= 0.1:
            out.append({"pause": p["time"] - last})
        last = p["time"]
        flags = p["flags"]
        if p["kind"] == "tcp":
            label = tcp_label(flags)
        else:
            label = "UDP"
        out.append({
            "from": index[p["src"]],
            "to": index[p["dst"]],
            "flags": label,
            "len": p["len"],
            "text": printable(names.payload(p["payload"])) if p["len"] else "",
            "time": p["time"],
        })
        if members and p["kind"] == "udp":
            got = []
            text = p["payload"].decode("utf-8", "replace").rstrip("\r\n")
            for i, c in enumerate(columns):
                if len(c) < 3:
                    continue
                used = seen.setdefault(i, set())
                for k, line in enumerate(spec["outputs"].get(c[2], [])):
                    m = re.search(members, line)
                    if k not in used and m and m.group(1) == p["src"] and m.group(2) == text:
                        used.add(k)
                        got.append((i, line))
                        break
            if got:
                out.append({"deliver": index[p["dst"]], "to": got})
    return out


def tcp_label(flags):
    """SYN, SYN-ACK, ACK, PSH ACK, FIN ACK, RST ...: the order people say them in."""
    if "SYN" in flags:
        return "SYN-ACK" if "ACK" in flags else "SYN"
    return " ".join(f for f in ("RST", "FIN", "PSH", "URG", "ACK") if f in flags)


# ---------------------------------------------------------------- text form and SVG


def text_form(spec, columns, table, names):
    """The normalized structure --check compares: no ports, times or sequence numbers."""
    lines = [f"# {len(columns)} lifelines, {sum('flags' in r for r in table)} packets"]
    lines += ["$ " + names.text(c) for c in spec["commands"]]
    for c in columns:
        lines.append(f"lifeline {c[0]}")
    for r in table:
        if "flags" in r:
            text = f' "{r["text"]}"' if r["text"] else ""
            lines.append(f"{columns[r['from']][0]} -> {columns[r['to']][0]}  {r['flags']}  {r['len']}{text}")
        elif "deliver" in r:
            for i, line in r["to"]:
                lines.append(f"  {columns[r['deliver']][0]} => {columns[i][0]}  printed: {names.text(line)}")
    return "\n".join(lines) + "\n"


def svg(name, spec, columns, table, names):
    uid = re.sub(r"[^a-z0-9]", "-", name.lower())
    # Multicast's delivery labels (a member's printed line) need the wider columns.
    col_w, left, row_h = (250 if spec.get("members") else 220), 60, 38
    font = "font-family=\"'DejaVu Sans Mono','Noto Sans Mono CJK SC','Noto Sans CJK SC',monospace\""
    commands = ["$ " + names.text(c) for c in spec["commands"]]
    top = 18 + 16 * len(commands) + 14
    head_h = 40
    width = left + col_w * len(columns) + 20
    xs = [left + col_w * i + col_w // 2 for i in range(len(columns))]
    body = []
    y = top + head_h + 18
    t0 = next((r["time"] for r in table if "time" in r), 0)
    for r in table:
        if "pause" in r:
            body.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" class="t">⋮</text>')
            for x in xs:
                body.append(f'<line x1="{x}" y1="{y - 12}" x2="{x}" y2="{y + 12}" class="gap"/>')
            body.append(f'<text x="{(xs[0] + xs[-1]) / 2}" y="{y + 4}" text-anchor="middle" class="p">⋮ {r["pause"]:.2f} s ⋮</text>')
            y += 28
            continue
        if "deliver" in r:
            x1 = xs[r["deliver"]]
            for i, line in r["to"]:
                x2 = xs[i]
                d = 1 if x2 > x1 else -1
                body.append(f'<line x1="{x1}" y1="{y}" x2="{x2 - d * 4}" y2="{y}" class="mc" marker-end="url(#{uid}-open)"/>')
                body.append(f'<text x="{(x1 + x2) / 2}" y="{y + 14}" text-anchor="middle" class="o">{html.escape(names.text(line))}</text>')
            y += row_h
            continue
        x1, x2 = xs[r["from"]], xs[r["to"]]
        d = 1 if x2 > x1 else -1
        cls = "rst" if "RST" in r["flags"] else "data" if r["len"] else "ctl"
        body.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" class="t">{(r["time"] - t0) * 1000:.1f}</text>')
        body.append(f'<line x1="{x1}" y1="{y}" x2="{x2 - d * 3}" y2="{y}" class="{cls}" marker-end="url(#{uid}-{cls})"/>')
        label = f'<tspan class="f">{html.escape(r["flags"])}</tspan>'
        plain = r["flags"]
        if r["len"]:
            label += f' <tspan class="n">{r["len"]} B</tspan>'
            plain += f' {r["len"]} B'
        body.append(backdrop((x1 + x2) / 2, y - 6, plain))
        body.append(f'<text x="{(x1 + x2) / 2}" y="{y - 6}" text-anchor="middle">{label}</text>')
        if r["text"]:
            body.append(backdrop((x1 + x2) / 2, y + 13, r["text"]))
            body.append(f'<text x="{(x1 + x2) / 2}" y="{y + 13}" text-anchor="middle" class="b">{html.escape(r["text"])}</text>')
        y += row_h + (4 if r["text"] else -8)
    height = y + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" style="max-width:100%;height:auto" {font} font-size="12" role="img" aria-label="{html.escape(name)}">',
        f'<style>#{uid} .f{{font-weight:bold}} #{uid} .n{{fill:#333}} #{uid} .b{{fill:#1a5e1a}} #{uid} .t{{fill:#888;font-size:10px}} #{uid} .p{{fill:#666;font-style:italic}} #{uid} .o{{fill:#7a3e00;font-size:10px}} #{uid} .c{{fill:#555;font-size:11px}} #{uid} .h{{font-weight:bold}} #{uid} .a{{fill:#555;font-size:11px}} #{uid} .life{{stroke:#999;stroke-width:1.5;stroke-dasharray:4 3}} #{uid} .gap{{stroke:#fff;stroke-width:3}} #{uid} .ctl{{stroke:#555;stroke-width:1.2}} #{uid} .data{{stroke:#1f4fa8;stroke-width:2}} #{uid} .rst{{stroke:#b00;stroke-width:2}} #{uid} .mc{{stroke:#7a3e00;stroke-width:1.5;stroke-dasharray:6 3}}</style>',
        f'<g id="{uid}">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        "<defs>",
    ]
    for cls, color in (("ctl", "#555"), ("data", "#1f4fa8"), ("rst", "#b00")):
        parts.append(f'<marker id="{uid}-{cls}" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>')
    parts.append(f'<marker id="{uid}-open" viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0,0 L10,5 L0,10" fill="none" stroke="#7a3e00" stroke-width="1.5"/></marker>')
    parts.append("</defs>")
    for i, c in enumerate(commands):
        parts.append(f'<text x="10" y="{18 + 16 * i}" class="c">{html.escape(c)}</text>')
    parts.append(f'<text x="{left - 8}" y="{top + head_h + 2}" text-anchor="end" class="t">ms</text>')
    for x, c in zip(xs, columns):
        parts.append(f'<rect x="{x - col_w // 2 + 12}" y="{top}" width="{col_w - 24}" height="{head_h - 4}" rx="5" fill="#eef2f8" stroke="#8899bb"/>')
        parts.append(f'<text x="{x}" y="{top + 15}" text-anchor="middle" class="h">{html.escape(c[0])}</text>')
        parts.append(f'<text x="{x}" y="{top + 30}" text-anchor="middle" class="a">{html.escape(names.address(c[1]))}</text>')
        parts.append(f'<line x1="{x}" y1="{top + head_h - 4}" x2="{x}" y2="{height - 6}" class="life"/>')
    parts += body
    parts.append("</g>")
    parts.append("</svg>")
    # No blank line anywhere: the book includes the SVG inline, and a blank line
    # would end markdown's HTML block.
    return "\n".join(parts) + "\n"


def backdrop(x, y, text, size=12):
    """A white box behind a centred label, so that no lifeline runs through it."""
    width = sum(size if unicodedata.east_asian_width(ch) in "WF" else size * 0.6 for ch in text) + 6
    return f'<rect x="{x - width / 2:.1f}" y="{y - size + 1}" width="{width:.1f}" height="{size + 3}" fill="#fff"/>'


def draw(run_path):
    with tempfile.TemporaryDirectory(prefix="wire-pcap-") as workdir:
        packets, spec = run_conversation(run_path, workdir)
    columns = lifelines(packets, spec)
    names = Names(spec["port"], spec["shown_port"])
    for c in columns:  # ports numbered left to right, not in order of mention
        names.address(c[1])
        if c[0] == c[1]:
            c[0] = names.address(c[1])
    table = rows(packets, spec, columns, names)
    name = f"{run_path.parent.name}-{run_path.stem}"
    return text_form(spec, columns, table, names), svg(name, spec, columns, table, names)


def structure(text):
    """What --check compares: for each direction, its packets in order, without the
    bare ACKs (how many there are, and how the two directions interleave, depend on
    timing). Flags, lengths and first bytes stay."""
    lifelines, directions, delivered = [], {}, []
    for line in text.splitlines():
        if line.startswith(("lifeline ", "$ ")):
            lifelines.append(line)
            continue
        m = re.match(r"(.+?) -> (.+?)  (\S+(?: \S+)*?)  (\d+)(.*)$", line)
        if m:
            if m.group(3) == "ACK" and m.group(4) == "0":
                continue
            directions.setdefault(f"{m.group(1)} -> {m.group(2)}", []).append(f"{m.group(3)} {m.group(4)}{m.group(5)}")
        elif "=>" in line:
            delivered.append(line.strip())
    out = lifelines[:]
    for direction, packets in sorted(directions.items()):
        out.append(direction + ":")
        out += ["    " + p for p in packets]
    out += sorted(delivered)
    return [line + "\n" for line in out]


# ---------------------------------------------------------------- command line


def give_back(path):
    """Under sudo, the files written belong to the learner, not root."""
    uid, gid = os.environ.get("SUDO_UID"), os.environ.get("SUDO_GID")
    if uid and gid:
        for p in [path, *path.parents]:
            if p == ROOT or ROOT not in p.parents:
                break
            os.chown(p, int(uid), int(gid))


def main():
    args = sys.argv[1:]
    if args and args[0] in ("-h", "--help"):
        print(__doc__)
        return
    if not args:
        sys.exit(__doc__)
    mode = "own"
    if args[0] in ("--check", "--update", "--redraw"):
        mode, args = args[0], args[1:]
    only = args[0] if args else ""
    if mode == "own" and Path(only).is_file():
        runs = [Path(only).resolve()]
    else:
        runs = [r for r in sorted(DOCS.glob("*/*.run")) if only in str(r.relative_to(DOCS))]
    if not runs:
        sys.exit(f"wire: no conversation matches {only!r} (see docs/wire/*/*.run)")
    failed = 0
    for run in runs:
        lesson = run.parent.name
        label = f"{lesson}/{run.stem}"
        if mode != "own" and not (ROOT / "crates" / lesson).is_dir():
            print(f"skip {label}: there is no crates/{lesson} yet")
            continue
        # A capture whose structure differs is tried again, twice: the order of
        # two processes' sends can, rarely, depend on the scheduler (lesson 4's
        # two quick sends), while a real change in a lesson differs every time.
        txt = run.with_suffix(".txt")
        old = txt.read_text(encoding="utf-8") if txt.exists() else ""
        tries = 3 if mode == "--check" and old else 1
        for attempt in range(1, tries + 1):
            try:
                text, picture = draw(run)
                error = None
            except Exception as e:  # report, go on with the others
                error = e
                continue
            if mode != "--check" or structure(text) == structure(old):
                break
        if error is not None:
            print(f"FAIL {label}: {error}")
            failed += 1
            continue
        if mode == "own":
            target = OWN / lesson
            target.mkdir(parents=True, exist_ok=True)
            (target / f"{run.stem}.svg").write_text(picture, encoding="utf-8")
            (target / f"{run.stem}.txt").write_text(text, encoding="utf-8")
            give_back(target / f"{run.stem}.svg")
            give_back(target / f"{run.stem}.txt")
            sys.stdout.write(text)
            print(f"wrote {(target / run.stem).relative_to(ROOT)}.svg and .txt")
            continue
        if mode in ("--update", "--redraw"):
            # --update keeps a diagram whose structure is the same (its times and
            # ACKs would differ on every run); --redraw rewrites every one.
            if mode == "--update" and old and structure(text) == structure(old) and run.with_suffix(".svg").exists():
                print(f"same {label}")
                continue
            txt.write_text(text, encoding="utf-8")
            run.with_suffix(".svg").write_text(picture, encoding="utf-8")
            give_back(txt)
            give_back(run.with_suffix(".svg"))
            print(f"new  {label}")
        elif not old:
            print(f"MISSING {label}: no docs/wire/{label}.txt yet (scripts/wire.sh --update {lesson})")
        elif structure(text) == structure(old):
            print(f"ok   {label}" + (f" (on try {attempt} of {tries})" if attempt > 1 else ""))
        else:
            print(f"FAIL {label}: the packets differ from docs/wire/{label}.txt, {tries} times (if the change is right: scripts/wire.sh --update {lesson})")
            sys.stdout.writelines(difflib.unified_diff(structure(old), structure(text), "book", "capture"))
            failed += 1
    print(f"wire: {len(runs)} conversation(s), {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
