#!/usr/bin/env bash
# Builds the book in both languages and checks that it matches the code:
#  - every chapter exists in English (docs/en) and Simplified Chinese (docs/zh);
#  - every lesson crate with exercises has a chapter;
#  - every {{#include file:anchor}} names a file and an ANCHOR that exist
#    (mdbook itself is silent about a missing anchor);
#  - mdbook builds with no warnings, with the pinned version;
#  - every figure exists, is well-formed, and renders in headless Chromium, which also takes
#    a screenshot of one chapter per language (scripts/check-figures.py);
#  - the experiments' Python snippets print what their pages say (scripts/check-experiments.py);
#  - every transcript the book shows is what the programs really print;
#  - every Rust name in a Python -> Rust table is in the lesson's code
#    (scripts/check-tables.py; STRICT_TABLES=0 makes it warn only);
#  - every line of a lesson's source is shown in its chapter (scripts/check-coverage.py);
#  - the Chinese book uses the glossary's words;
#  - every packet diagram (docs/wire) has the structure a fresh capture has
#    (where it can capture: root and tcpdump, as in CI).
set -uo pipefail
cd "$(dirname "$0")/.."
MDBOOK_VERSION=0.4.52
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if [ "$(mdbook --version 2>/dev/null)" != "mdbook v$MDBOOK_VERSION" ]; then
    echo "installing mdbook $MDBOOK_VERSION (a few minutes, once)..."
    cargo install mdbook --locked --version "$MDBOOK_VERSION" --quiet || { echo "cannot install mdbook"; exit 1; }
fi

echo "== chapters in both languages"
en=$(cd docs/en/src && find . -name '*.md' | sort)
zh=$(cd docs/zh/src && find . -name '*.md' | sort)
if [ "$en" != "$zh" ]; then
    fail "chapters differ between docs/en/src and docs/zh/src:"
    diff <(echo "$en") <(echo "$zh") | sed 's/^/  /'
fi
for dir in crates/*/; do
    crate=$(basename "$dir")
    [ -f "$dir/tests/exercises.rs" ] || continue
    ls docs/en/src/lessons/*-"$crate".md >/dev/null 2>&1 || fail "lesson $crate has no chapter"
done

echo "== includes and anchors"
while IFS= read -r found; do
    chapter=${found%%:*}
    target=$(sed -E 's/.*\{\{#include ([^}]*)\}\}.*/\1/' <<<"$found")
    file=${target%%:*}
    anchor=""
    [ "$file" != "$target" ] && anchor=${target#*:}
    path=$(dirname "$chapter")/$file
    if [ ! -f "$path" ]; then
        fail "$chapter includes $file, which does not exist"
    elif [ -n "$anchor" ] && ! grep -q "ANCHOR: $anchor\$" "$path"; then
        fail "$chapter includes $file:$anchor, but the file has no 'ANCHOR: $anchor'"
    fi
done < <(grep -rHo '{{#include [^}]*}}' docs/en/src docs/zh/src)

echo "== mdbook build"
for lang in en zh; do
    log=$(mdbook build "docs/$lang" 2>&1)
    if grep -Eq '\[(WARN|ERROR)\]' <<<"$log"; then
        fail "mdbook build docs/$lang has warnings:"
        grep -E '\[(WARN|ERROR)\]' <<<"$log" | sed 's/^/  /'
    else
        echo "docs/$lang: built with no warnings"
    fi
done

echo "== figures: they exist, and render in a browser"
cmp -s docs/en/theme/wrap.css docs/zh/theme/wrap.css || fail "docs/en/theme/wrap.css and docs/zh/theme/wrap.css differ (keep one CSS for both books)"
python3 scripts/check-figures.py || fail "a figure is missing or does not render"

echo "== experiments (shutdown, blocking) print what the book says"
python3 scripts/check-experiments.py || fail "an experiment in the book prints something else now"

echo "== transcripts"
python3 scripts/transcripts.py --check || fail "a transcript in the book differs from the program's output"

echo "== packet diagrams (docs/wire: captured again and compared)"
if [ "$(id -u)" -eq 0 ] && command -v tcpdump >/dev/null; then
    scripts/wire.sh --check || fail "a packet diagram in the book differs from a fresh capture (see docs/wire, scripts/wire.sh --update)"
else
    echo "skipped: capturing needs root and tcpdump (sudo scripts/wire.sh --check)"
fi

echo "== every line of each lesson's source is shown in its chapter"
python3 scripts/check-coverage.py || fail "a chapter does not show all of its lesson's source"

echo "== Python -> Rust tables name only what the code has"
STRICT_TABLES=${STRICT_TABLES:-1} python3 scripts/check-tables.py || fail "a Python -> Rust table names something the lesson's code does not have"

echo "== the Chinese book uses the glossary's words"
# docs/zh/src/glossary.md fixes the words: 响应 not 回答, 组播 not 多播, 慢速客户端, 会话 not 对话.
terms=$(grep -rcE '回答|多播|慢客户端|对话' docs/zh/src --include='*.md' | grep -v -e ':0$' -e '/glossary.md:' || true)
if [ -n "$terms" ]; then
    sed 's/^\(.*\):\([0-9]*\)$/\1: \2 line(s) with 回答, 多播, 慢客户端 or 对话 (see the glossary)/' <<<"$terms"
    fail "the Chinese book uses words the glossary replaces"
else
    echo "the Chinese pages use the glossary's words"
fi

if [ "$failures" -gt 0 ]; then
    echo "book: $failures problem(s)"
    exit 1
fi
echo "book: both languages build, and every include and transcript matches the code"
