#!/usr/bin/env python3
"""Checks that each chapter shows its lesson's whole source.

Every line of a lesson's src/ must reach its chapter through an mdBook
{{#include file:anchor}} (or an include of the whole file), unless the chapter
names the file and says why it is left out. Blank lines, `use` declarations,
`mod x;` lines, ANCHOR markers and `#[cfg(test)]` modules do not need showing.

    scripts/check-coverage.py            report, exit 1 when a line is not shown
    scripts/check-coverage.py --warn     report only
"""
import glob
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INCLUDE = re.compile(r"\{\{#(?:include|rustdoc_include) ([^}:]+)(?::([^}]+))?\}\}")


def uncovered(path, anchors, whole):
    lines = open(path, encoding="utf-8").read().splitlines()
    shown = [whole] * len(lines)
    open_anchor = []
    for i, line in enumerate(lines):
        m = re.search(r"ANCHOR(_END)?: (\w+)", line)
        if m and m.group(1):
            if m.group(2) in open_anchor:
                open_anchor.remove(m.group(2))
            shown[i] = True
            continue
        if m:
            open_anchor.append(m.group(2))
            shown[i] = True
            continue
        if any(a in anchors for a in open_anchor):
            shown[i] = True
    missing = []
    i, in_use = 0, False
    while i < len(lines):
        text = lines[i].strip()
        if text == "#[cfg(test)]":
            depth, opened = 0, False
            i += 1
            while i < len(lines):
                depth += lines[i].count("{") - lines[i].count("}")
                opened = opened or "{" in lines[i]
                i += 1
                if opened and depth <= 0:
                    break
            continue
        if text.startswith("use ") or text.startswith("pub use ") or in_use:
            in_use = not text.endswith(";")
        elif text and not re.fullmatch(r"(pub )?mod \w+;", text) and not shown[i]:
            missing.append(i + 1)
        i += 1
    return missing


def ranges(numbers):
    out, start = [], None
    for n in numbers + [None]:
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    return ", ".join(out)


def main():
    warn_only = "--warn" in sys.argv
    problems = 0
    for chapter in sorted(glob.glob(os.path.join(ROOT, "docs/*/src/lessons/*.md"))):
        lesson = re.sub(r"^\d+-", "", os.path.basename(chapter)[:-3])
        src = os.path.join(ROOT, "crates", lesson, "src")
        if not os.path.isdir(src):
            continue
        text = open(chapter, encoding="utf-8").read()
        anchors, whole = {}, set()
        for m in INCLUDE.finditer(text):
            target = os.path.normpath(os.path.join(os.path.dirname(chapter), m.group(1)))
            if m.group(2):
                anchors.setdefault(target, set()).add(m.group(2))
            else:
                whole.add(target)
        for path in sorted(glob.glob(os.path.join(src, "**/*.rs"), recursive=True)):
            name = os.path.relpath(path, os.path.join(ROOT, "crates", lesson))
            missing = uncovered(path, anchors.get(path, set()), path in whole)
            if not missing:
                continue
            if os.path.basename(path) in text and path not in anchors:
                continue  # the chapter names the file: it says why it is left out
            problems += 1
            rel = os.path.relpath(chapter, ROOT)
            print(f"{rel}: {name} lines {ranges(missing)} are not shown")
    if problems:
        print(f"{problems} source file(s) not fully shown in their chapter")
        return 0 if warn_only else 1
    print("every lesson's source is shown in its chapter")
    return 0


if __name__ == "__main__":
    sys.exit(main())
