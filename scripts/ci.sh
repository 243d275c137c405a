#!/usr/bin/env bash
# Everything CI checks, in order. Run it locally too: scripts/ci.sh
# It installs what the tests need (as root, with apt-get) when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
start=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" "$(($(date +%s) - start))"; }

step "tools the tests need"
missing=()
command -v python3 >/dev/null || missing+=(python3)
command -v nc >/dev/null || missing+=(netcat-openbsd)
command -v curl >/dev/null || missing+=(curl)
command -v ip >/dev/null || missing+=(iproute2)
command -v prlimit >/dev/null || missing+=(util-linux)
command -v script >/dev/null || missing+=(bsdutils)
# The book's packet diagrams are captured again (scripts/wire.sh --check).
command -v tcpdump >/dev/null || [ -x /usr/sbin/tcpdump ] || missing+=(tcpdump)
# Debian puts nginx in /usr/sbin, which a non-root PATH may lack.
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ]; then
        apt-get update -qq
        # Installing nginx would start the system's nginx on port 80; a policy-rc.d
        # that says no keeps it stopped (the http-fetch tests start their own).
        policy=/usr/sbin/policy-rc.d added_policy=""
        if [ ! -e "$policy" ]; then
            printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && added_policy=1
        fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
        [ -z "$added_policy" ] || rm -f "$policy"
    else
        echo "missing ${missing[*]}, and not root to install them" >&2
        exit 1
    fi
fi
# The book's check renders every figure and takes screenshots in headless Chromium
# (scripts/check-figures.py); without its recommends it takes about a minute to install.
if ! command -v chromium >/dev/null; then
    if [ "$(id -u)" -eq 0 ]; then
        [ "${#missing[@]}" -gt 0 ] || apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
    else
        echo "missing chromium, and not root to install it" >&2
        exit 1
    fi
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true

step "cargo fmt --check"
cargo fmt --all -- --check

step "every lesson within its size budget (scripts/sizes.sh)"
scripts/sizes.sh

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --all-features --quiet -- -D warnings

step "cargo test --workspace"
cargo test --workspace --quiet

step "ignored tests (python3, nc, curl, nginx, root), except the exercise checks"
cargo test --workspace --quiet -- --ignored --skip exercise::

step "scripts/tour.sh"
scripts/tour.sh

step "the book: both languages, includes, figures, screenshots, transcripts (scripts/check-book.sh)"
scripts/check-book.sh

step "README's flag table matches every program's --help (scripts/flags-table.py --check)"
python3 scripts/flags-table.py --check

step "exercise checks fail unsolved and pass solved (scripts/check-exercises.sh)"
scripts/check-exercises.sh

step "done"
