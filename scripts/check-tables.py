#!/usr/bin/env python3
"""Check that every Rust name in a chapter's Python -> Rust table is in the lesson's code.

A Python -> Rust table is a Markdown table in docs/{en,zh}/src/lessons/NN-<lesson>.md whose
header's first cell starts with "Python" and whose second cell is "Rust". Only the second
column is read, and only its `code` spans. In each span, after removing string literals
("..."), URLs and file names (main.rs), these tokens count as Rust identifiers:

  a::b::c    a path: its last segment must be in the code; when its first segment is a
             net-common module (sockets::, text::, cli::, stop::, out::, errors::), the last
             segment must be in that module's own file
  foo(       a call: foo must be in the code
  .method    a method or field: method must be in the code
  name!      a macro: name must be in the code

"In the code" means: a whole word of crates/<lesson>/src/**/*.rs or crates/net-common/src,
outside // comments (comments name the Python calls, so they do not count).
A lone word (`TcpStream`, `bind`) is not checked: prose in code spans would give false alarms.

Usage: scripts/check-tables.py [--strict] [chapter.md ...]
Prints one line per name not found. Exit status is 1 only with --strict (or STRICT_TABLES=1)
and at least one finding; otherwise 0, so the findings are warnings.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMON = ROOT / "crates" / "net-common" / "src"

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PATH = re.compile(r"(?<![\w:])([A-Za-z_]\w*(?:::[A-Za-z_]\w*)+)")
CALL = re.compile(r"(?<![\w.:])([A-Za-z_]\w*)\s*\(")
METHOD = re.compile(r"(?<!\.)\.([A-Za-z_]\w*)")
MACRO = re.compile(r"(?<![\w.:])([A-Za-z_]\w*)!")
STRING = re.compile(r'b?"(?:[^"\\]|\\.)*"')
URL = re.compile(r"\w+://\S+")
FILENAME = re.compile(r"\b[\w-]+\.(?:rs|md|toml|py|sh|txt|html)\b")
CODE = re.compile(r"`([^`]+)`")


def without_comments(source):
    """Rust source with // comments removed (a `//` inside a "string" stays)."""
    out = []
    for line in source.split("\n"):
        in_string = False
        i = 0
        while i < len(line):
            c = line[i]
            if c == "\\" and in_string:
                i += 2
                continue
            if c == '"':
                in_string = not in_string
            elif not in_string and line.startswith("//", i):
                break
            i += 1
        out.append(line[:i])
    return "\n".join(out)


def words_of(paths):
    """Every word of the code itself: comments name Python calls, and do not count."""
    words = set()
    for path in paths:
        words.update(WORD.findall(without_comments(path.read_text(encoding="utf-8"))))
    return words


def rust_files(directory):
    return sorted(directory.rglob("*.rs")) if directory.is_dir() else []


def module_words(module):
    files = [COMMON / f"{module}.rs"] + rust_files(COMMON / module)
    return words_of([f for f in files if f.is_file()])


def cells(row):
    """The cells of a Markdown table row; an escaped \\| stays inside its cell."""
    row = row.strip()
    if row.startswith("|"):
        row = row[1:]
    if row.endswith("|") and not row.endswith("\\|"):
        row = row[:-1]
    return [c.replace("\\|", "|").strip() for c in re.split(r"(?<!\\)\|", row)]


def table_rows(text):
    """Yield (line number, second cell) for each body row of each Python -> Rust table."""
    lines = text.split("\n")
    i = 0
    while i < len(lines) - 1:
        head = cells(lines[i]) if lines[i].lstrip().startswith("|") else []
        if (
            len(head) >= 2
            and head[0].startswith("Python")
            and head[1] == "Rust"
            and re.match(r"^\|?\s*:?-{3,}", lines[i + 1].strip())
        ):
            i += 2
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                row = cells(lines[i])
                if len(row) >= 2:
                    yield i + 1, row[1]
                i += 1
        else:
            i += 1


def identifiers(span):
    """The (kind, token) pairs the rule above checks in one code span."""
    span = STRING.sub('""', span)
    span = URL.sub(" ", span)
    span = FILENAME.sub(" ", span)
    found = []
    for path in PATH.findall(span):
        found.append(("path", path))
    no_paths = PATH.sub(" ", span)
    found += [("call", m) for m in CALL.findall(no_paths)]
    found += [("method", m) for m in METHOD.findall(span)]
    found += [("macro", m) for m in MACRO.findall(no_paths)]
    return found


def check_chapter(chapter, common_words, module_cache):
    name = re.sub(r"^\d+-", "", chapter.stem)
    lesson_src = ROOT / "crates" / name / "src"
    if not lesson_src.is_dir():
        return [f"{chapter.relative_to(ROOT)}: no crate crates/{name}/src for this chapter"]
    words = words_of(rust_files(lesson_src)) | common_words
    findings = []
    seen = set()
    for lineno, cell in table_rows(chapter.read_text(encoding="utf-8")):
        for span in CODE.findall(cell):
            for kind, token in identifiers(span):
                problem = None
                if kind == "path":
                    parts = token.split("::")
                    last = parts[-1]
                    if (COMMON / f"{parts[0]}.rs").is_file():
                        if parts[0] not in module_cache:
                            module_cache[parts[0]] = module_words(parts[0])
                        if last not in module_cache[parts[0]]:
                            problem = f"`{last}` is not in crates/net-common/src/{parts[0]}.rs"
                    elif last not in words:
                        problem = f"`{last}` is in neither crates/{name}/src nor net-common"
                elif token not in words:
                    problem = f"`{token}` is in neither crates/{name}/src nor net-common"
                if problem and (lineno, token) not in seen:
                    seen.add((lineno, token))
                    findings.append(
                        f"{chapter.relative_to(ROOT)}:{lineno}: {kind} `{token}` in `{span}`: {problem}"
                    )
    return findings


def main(argv):
    strict = os.environ.get("STRICT_TABLES") == "1"
    args = []
    for arg in argv:
        if arg == "--strict":
            strict = True
        elif arg in ("-h", "--help"):
            print(__doc__)
            return 0
        else:
            args.append(Path(arg).resolve())
    chapters = args or sorted(ROOT.glob("docs/*/src/lessons/*.md"))
    common_words = words_of(rust_files(COMMON))
    module_cache = {}
    findings = []
    for chapter in chapters:
        findings += check_chapter(chapter, common_words, module_cache)
    for line in findings:
        print(("error: " if strict else "warning: ") + line)
    print(
        f"python-to-rust tables: {len(chapters)} chapter(s), {len(findings)} name(s) not in the code"
        + ("" if strict or not findings else " (warnings; STRICT_TABLES=1 makes them errors)")
    )
    return 1 if strict and findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
