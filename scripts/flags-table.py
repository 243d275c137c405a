#!/usr/bin/env python3
"""Generate the README's flag table from the programs' own --help.

  scripts/flags-table.py           rewrite the block in README.md (after a change of flags)
  scripts/flags-table.py --check   exit 1, with a diff, when README.md's block is stale

The lessons are the chapters docs/en/src/lessons/NN-<crate>.md, in order. Each lesson's
binary is built (cargo build -p <crate>), run with --help, and, when its help lists
subcommands, run with `<subcommand> --help` for each. Every flag and its [default: ...] is
read from that text, so the table says what the programs say. The block in README.md lies
between the lines <!-- flags-table:begin --> and <!-- flags-table:end -->.
"""

import difflib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN = "<!-- flags-table:begin (scripts/flags-table.py writes this block) -->"
END = "<!-- flags-table:end -->"
SHARED = ["--host", "--port", "--encoding", "--timeout"]
OPTION = re.compile(r"^\s+(?:-(\w), )?(--[\w-]+)(?: <[^>]+>)?(?:\s{2,}(.*))?$")
DEFAULT = re.compile(r"\[default: ([^\]]*)\]\s*$")


def lessons():
    chapters = sorted((ROOT / "docs/en/src/lessons").glob("[0-9][0-9]-*.md"))
    found = []
    for chapter in chapters:
        number, crate = chapter.stem.split("-", 1)
        if (ROOT / "crates" / crate / "src/main.rs").is_file():
            found.append((int(number), crate))
    return found


def build(crates):
    cmd = ["cargo", "build", "--quiet"]
    for crate in crates:
        cmd += ["-p", crate]
    subprocess.run(cmd, cwd=ROOT, check=True)
    out = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    target = re.search(r'"target_directory":"([^"]+)"', out).group(1)
    return Path(target) / "debug"


def help_text(binary, *args):
    done = subprocess.run([str(binary), *args, "--help"], capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        sys.exit(f"error: {binary.name} {' '.join(args)} --help exited {done.returncode}")
    return done.stdout


def options(text):
    """[(flag, short, default or None)] in the order --help lists them."""
    found = []
    section = None
    for line in text.splitlines():
        if re.match(r"^\S.*:$", line):
            section = line[:-1]
            continue
        m = OPTION.match(line) if section == "Options" else None
        if m:
            short, flag, desc = m.group(1), m.group(2), m.group(3) or ""
            if flag in ("--help", "--version"):
                continue
            d = DEFAULT.search(desc)
            found.append([flag, short, d.group(1) if d else None])
        elif found and section == "Options" and line.startswith(" " * 10):
            d = DEFAULT.search(line)  # a wrapped description
            if d:
                found[-1][2] = d.group(1)
    return found


def subcommands(text):
    names = []
    section = None
    for line in text.splitlines():
        if re.match(r"^\S.*:$", line):
            section = line[:-1]
        elif section == "Commands":
            m = re.match(r"^\s+([\w-]+)\s", line)
            if m and m.group(1) != "help":
                names.append(m.group(1))
    return names


def cell(value):
    return "—" if value is None else f"`{value}`" if value == "" else value


def table():
    found = lessons()
    bindir = build([crate for _, crate in found])
    rows = [
        "| lesson | program | `--host` | `--port`, `-p` | `--encoding`, `-e` | `--timeout`, `-t` | its other flags (default) |",
        "|---|---|---|---|---|---|---|",
    ]
    for number, crate in found:
        binary = bindir / crate
        top = help_text(binary)
        for sub in subcommands(top) or [None]:
            opts = options(help_text(binary, sub) if sub else top)
            by_flag = {flag: default for flag, _, default in opts}
            shared = [cell(by_flag[f]) if f in by_flag else "—" for f in SHARED]
            if "--port" in by_flag and by_flag["--port"] is None:
                shared[1] = "—"
            others = []
            for flag, _, default in opts:
                if flag in SHARED:
                    continue
                others.append(f"`{flag}` ({default})" if default is not None else f"`{flag}`")
            name = f"{crate} {sub}" if sub else crate
            rows.append(
                f"| {number} | `{name}` | " + " | ".join(shared) + " | " + (", ".join(others) or "—") + " |"
            )
    return "\n".join(rows)


def main(argv):
    check = "--check" in argv
    if any(a in ("-h", "--help") for a in argv):
        print(__doc__)
        return 0
    readme = README.read_text(encoding="utf-8")
    if BEGIN not in readme or END not in readme:
        sys.exit(f"error: README.md has no block between {BEGIN} and {END}")
    head, rest = readme.split(BEGIN, 1)
    old, tail = rest.split(END, 1)
    new = "\n" + table() + "\n"
    if check:
        if old == new:
            print("README.md: the flag table matches every program's --help")
            return 0
        sys.stdout.writelines(
            difflib.unified_diff(old.splitlines(True), new.splitlines(True), "README.md (now)", "from --help")
        )
        print("\nREADME.md: the flag table differs from the programs' --help; run scripts/flags-table.py")
        return 1
    README.write_text(head + BEGIN + new + END + tail, encoding="utf-8")
    print("README.md: flag table rewritten from --help")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
