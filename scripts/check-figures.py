#!/usr/bin/env python3
"""Check that the built books show every figure, in a real browser.

Run after `mdbook build docs/en` and `mdbook build docs/zh` (scripts/check-book.sh does both):

 1. every SVG in docs/figures/ is well-formed XML with a <title> (what a screen reader says);
 2. every <img src> in the built HTML (docs/{en,zh}/book/**/*.html) names a file that exists;
 3. headless Chromium loads every one of those images and reports its size: an image that
    fails to decode (or is 0 x 0) fails the check;
 4. headless Chromium takes a screenshot of one chapter per language (the concepts page, at
    1280 x 2400) into target/book-screenshots/, and the check fails when it could not.

Steps 3 and 4 need chromium (apt-get install chromium). Without it they are skipped with a
note, except when CI is set, where a missing browser fails the check.
"""

import html
import os
import re
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIGURES = ROOT / "docs" / "figures"
SHOTS = ROOT / "target" / "book-screenshots"
LANGS = ("en", "zh")
CHAPTER = "concepts.html"
IMG = re.compile(r"<img\b[^>]*\bsrc=\"([^\"]+)\"", re.I)
SVG_NS = "{http://www.w3.org/2000/svg}"

failures = []


def fail(message):
    failures.append(message)
    print(f"FAIL: {message}")


def check_sources():
    svgs = sorted(FIGURES.glob("*.svg"))
    if not svgs:
        fail("docs/figures/ holds no SVG")
    for svg in svgs:
        try:
            root = ET.parse(svg).getroot()
        except ET.ParseError as e:
            fail(f"{svg.relative_to(ROOT)} is not well-formed XML: {e}")
            continue
        if root.tag != f"{SVG_NS}svg":
            fail(f"{svg.relative_to(ROOT)}: the root element is {root.tag}, not an svg")
        elif root.find(f"{SVG_NS}title") is None:
            fail(f"{svg.relative_to(ROOT)} has no <title>")
    print(f"docs/figures: {len(svgs)} SVG(s), well-formed, each with a <title>")


def images_of(book):
    """{path relative to the book: [pages that show it]} for every local <img src>."""
    found = {}
    for page in sorted(book.rglob("*.html")):
        if page.name.startswith("_"):
            continue
        for src in IMG.findall(page.read_text(encoding="utf-8")):
            src = html.unescape(src).split("#")[0].split("?")[0]
            if re.match(r"^[a-z]+:", src):
                continue
            target = (page.parent / src).resolve()
            if not target.is_file():
                fail(f"{page.relative_to(ROOT)} shows {src}, which is not in the built book")
                continue
            found.setdefault(os.path.relpath(target, book.resolve()), []).append(page.name)
    return found


def browser():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def run_browser(chrome, *args):
    cmd = [chrome, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=90)


def check_in_browser(chrome, lang, book, images):
    # A page beside the book's own that loads each image and writes what the browser made of it.
    probe = book / "_figures-check.html"
    tags = "\n".join(f'<img src="{html.escape(src)}">' for src in sorted(images))
    probe.write_text(
        "<!doctype html><meta charset=utf-8><body>" + tags + """
<script>
const imgs = [...document.images];
let left = imgs.length;
const done = () => { if (--left === 0) {
  const out = document.createElement('pre'); out.id = 'result';
  out.textContent = imgs.map(i => (i.naturalWidth > 0 && i.naturalHeight > 0 ? 'ok ' : 'broken ')
    + i.getAttribute('src') + ' ' + i.naturalWidth + 'x' + i.naturalHeight).join('\\n');
  document.body.appendChild(out); } };
imgs.forEach(i => { if (i.complete) done(); else { i.onload = done; i.onerror = done; } });
if (imgs.length === 0) { left = 1; done(); }
</script>""",
        encoding="utf-8",
    )
    try:
        done = run_browser(chrome, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    finally:
        probe.unlink()
    result = re.search(r'<pre id="result">(.*?)</pre>', done.stdout, re.S)
    if not result:
        fail(f"docs/{lang}: the browser did not report on the images (exit {done.returncode})")
        return
    lines = html.unescape(result.group(1)).splitlines()
    broken = [line for line in lines if not line.startswith("ok ")]
    for line in broken:
        fail(f"docs/{lang}: the browser cannot show {line.split()[1]}")
    if not broken:
        print(f"docs/{lang}: the browser shows all {len(lines)} image(s) of the book")

    SHOTS.mkdir(parents=True, exist_ok=True)
    shot = SHOTS / f"{lang}-{Path(CHAPTER).stem}.png"
    if shot.exists():
        shot.unlink()
    page = book / CHAPTER
    done = run_browser(chrome, f"--screenshot={shot}", "--window-size=1280,2400", page.as_uri())
    if not shot.is_file() or shot.stat().st_size < 10_000:
        fail(f"docs/{lang}: no screenshot of {CHAPTER} (exit {done.returncode}): {done.stderr.strip()[-200:]}")
    else:
        print(f"docs/{lang}: screenshot of {CHAPTER} in {shot.relative_to(ROOT)} ({shot.stat().st_size} bytes)")


def main():
    check_sources()
    chrome = browser()
    if not chrome:
        if os.environ.get("CI"):
            fail("chromium is not installed (scripts/ci.sh installs it): cannot check the figures render")
        else:
            print("note: no chromium here, so the figures' rendering and the screenshots are not checked")
    for lang in LANGS:
        book = ROOT / "docs" / lang / "book"
        if not (book / CHAPTER).is_file():
            fail(f"docs/{lang}/book/{CHAPTER} is missing: build the book first")
            continue
        images = images_of(book)
        shown = {src for src in images if src.startswith("figures/")}
        for svg in sorted(FIGURES.glob("*.svg")):
            if f"figures/{svg.name}" not in shown:
                fail(f"docs/{lang}: no page shows figures/{svg.name}")
        if chrome:
            check_in_browser(chrome, lang, book, images)
    if failures:
        print(f"figures: {len(failures)} problem(s)")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
