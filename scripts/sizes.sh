#!/usr/bin/env bash
# Prints each lesson's size, non-test lines of its src/ (comments and blank lines
# count: a learner reads them), against its budget, and fails when one is over.
# A `#[cfg(test)]` module is test code and does not count.
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 - "$@" <<'PY'
import glob, os, sys

BUDGETS = {
    "udp-sender": 160, "udp-bound-receiver": 160, "tcp-greeter": 160,
    "tcp-echo-threaded": 220, "tcp-chat": 450, "udp-echo": 250,
    "udp-multicast": 220, "http-fetch": 500, "tcp-echo-selectors": 300,
    "net-common": 800,
}

def non_test_lines(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    count, i = 0, 0
    while i < len(lines):
        if lines[i].strip() == "#[cfg(test)]":
            # Skip the attribute and the item it marks, up to its closing brace.
            depth, opened, i = 0, False, i + 1
            while i < len(lines):
                depth += lines[i].count("{") - lines[i].count("}")
                opened = opened or "{" in lines[i]
                i += 1
                if opened and depth <= 0:
                    break
            continue
        count += 1
        i += 1
    return count

over = 0
print(f"{'crate':<22}{'lines':>6}{'budget':>8}")
for crate, budget in BUDGETS.items():
    files = sorted(glob.glob(f"crates/{crate}/src/**/*.rs", recursive=True))
    if not files:
        continue
    n = sum(non_test_lines(f) for f in files)
    mark = "" if n <= budget else "  OVER"
    over += n > budget
    print(f"{crate:<22}{n:>6}{budget:>8}{mark}")
if over:
    print(f"{over} crate(s) over budget: cut machinery, not behaviour")
    sys.exit(1)
print("every lesson is within its budget")
PY
