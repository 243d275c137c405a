#!/usr/bin/env bash
# Proves every exercise check is real, through the course tool learners use: each
# check must FAIL on the lessons as shipped (`course check` exits 1, not 2, which
# would mean the check could not run), and PASS once its reference solution
# (exercises/<lesson>/<name>.patch) is applied to a scratch copy of the tree. Every
# lesson has at least three exercises, every check has a solution and every
# solution a check, and course finds exactly the checks the compiled tests hold.
#
#   scripts/check-exercises.sh            every lesson
#   scripts/check-exercises.sh tcp-chat   one lesson
#
# A learner runs one check with: cargo run -q -p course -- check chat/nick
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
only=${1:-}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cargo build -q -p course || { echo "FAIL: course does not build"; exit 1; }
course=${CARGO_TARGET_DIR:-$root/target}/debug/course

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# The scratch copy holds what git would: tracked files and new, not ignored ones.
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    xargs -0 cp -P --parents -t "$scratch"
# One target directory for every solution, so each only rebuilds its lesson.
scratch_target=$root/target/exercises

for dir in exercises/*/; do
    lesson=$(basename "$dir")
    [ -n "$only" ] && [ "$lesson" != "$only" ] && continue
    echo "== $lesson"
    if ! cargo test -q -p "$lesson" --test exercises --no-run 2>/dev/null; then
        fail "$lesson: the exercise checks do not build"
        continue
    fi
    checks=$(cargo test -q -p "$lesson" --test exercises -- --ignored --list 2>/dev/null |
        sed -n 's/^exercise::\(.*\): test$/\1/p' | sort)
    found=$("$course" list --names | sed -n "s|^$lesson/||p" | sort)
    solutions=$(find "$dir" -name '*.patch' -printf '%f\n' | sed 's/\.patch$//' | sort)
    [ "$checks" = "$solutions" ] ||
        fail "$lesson: checks ($(echo $checks)) and solutions ($(echo $solutions)) do not match"
    [ "$checks" = "$found" ] ||
        fail "$lesson: course finds ($(echo $found)), the tests hold ($(echo $checks))"
    [ "$(echo "$checks" | grep -c .)" -ge 3 ] || fail "$lesson: fewer than three exercises"

    for name in $solutions; do
        "$course" check --no-record "$lesson/$name" >"$scratch/.log" 2>&1
        case $? in
            0) fail "$lesson/$name: the check passes on the unmodified lesson, so it proves nothing" ;;
            1) echo "  $name: fails on the lesson as shipped" ;;
            *) fail "$lesson/$name: the check could not run"; tail -20 "$scratch/.log" ;;
        esac
        patch=$root/$dir$name.patch
        if ! (cd "$scratch" && git apply "$patch"); then
            fail "$lesson/$name: the reference solution does not apply"
            continue
        fi
        if (cd "$scratch" && CARGO_TARGET_DIR=$scratch_target "$course" check --no-record "$lesson/$name" >"$scratch/.log" 2>&1); then
            echo "  $name: passes with exercises/$lesson/$name.patch"
        else
            fail "$lesson/$name: the check fails even with the reference solution"
            tail -20 "$scratch/.log"
        fi
        (cd "$scratch" && git apply -R "$patch") || fail "$lesson/$name: cannot undo the solution"
    done
done

if [ "$failures" -gt 0 ]; then
    echo "exercises: $failures problem(s)"
    exit 1
fi
echo "exercises: every check fails unsolved and passes solved"
