#!/usr/bin/env python3
"""Draws scripts/bench.sh's chart as a small SVG, with no libraries.

Reads lines "label<TAB>ratio<TAB>target" (target "-" when there is none) and
writes on stdout one horizontal bar per line: how many times the Rust lesson's
rate the baseline's is (Python, or curl for http-fetch), a dashed line at 1x, and
a tick at the target. No blank lines in the output: the book includes the SVG
inline in Markdown, where a blank line would end the HTML block.

Usage: bench-chart.py CHART.tsv "caption" > chart.svg
"""
import html
import sys

rows = []
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        parts = line.rstrip("\n").split("\t")
        if len(parts) < 2:
            continue
        label, value = parts[0], parts[1]
        goal = parts[2] if len(parts) > 2 else "-"
        try:
            value = float(value)
        except ValueError:
            value = None
        try:
            goal = float(goal)
        except ValueError:
            goal = None
        rows.append((label, value, goal))
caption = sys.argv[2] if len(sys.argv) > 2 else ""

LEFT, RIGHT, TOP, BAR, GAP = 190, 70, 44, 22, 10
WIDTH = 720
plot = WIDTH - LEFT - RIGHT
top = max([1.0] + [v for _, v, _ in rows if v] + [g for _, _, g in rows if g])
scale = max(1, int(top + 0.999))  # whole multiples on the axis
height = TOP + len(rows) * (BAR + GAP) + 40


def x(v):
    return LEFT + plot * v / scale


out = [
    f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
    f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="13" '
    f'role="img" aria-label="Benchmark ratios">',
    f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
    f'<text x="{LEFT}" y="18" font-size="15" font-weight="bold">Rust lesson ÷ baseline (Python; curl for http-fetch)</text>',
    f'<text x="{LEFT}" y="34" fill="#555">{html.escape(caption)}; bar = measured, black tick = target</text>',
]
for i in range(scale + 1):
    style = 'stroke="#333" stroke-dasharray="4 3"' if i == 1 else 'stroke="#ddd"'
    out.append(f'<line x1="{x(i):.1f}" y1="{TOP - 4}" x2="{x(i):.1f}" y2="{height - 34}" {style}/>')
    out.append(f'<text x="{x(i):.1f}" y="{height - 18}" text-anchor="middle" fill="#555">{i}×</text>')
for n, (label, value, goal) in enumerate(rows):
    y = TOP + n * (BAR + GAP)
    out.append(f'<text x="{LEFT - 8}" y="{y + BAR * 0.7:.1f}" text-anchor="end">{html.escape(label)}</text>')
    if value is None:
        out.append(f'<text x="{LEFT + 6}" y="{y + BAR * 0.7:.1f}" fill="#999">not measured</text>')
        continue
    met = goal is None or value >= goal
    color = "#3b7dd8" if met else "#d9534f"
    out.append(f'<rect x="{LEFT}" y="{y}" width="{max(1.0, x(value) - LEFT):.1f}" height="{BAR}" fill="{color}"/>')
    out.append(f'<text x="{x(value) + 6:.1f}" y="{y + BAR * 0.7:.1f}">{value:.2f}×</text>')
    if goal is not None:
        out.append(f'<line x1="{x(goal):.1f}" y1="{y - 3}" x2="{x(goal):.1f}" y2="{y + BAR + 3}" stroke="black" stroke-width="3"/>')
out.append("</svg>")
print("\n".join(out))
