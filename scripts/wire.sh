#!/usr/bin/env bash
# Packet diagrams from real captures (docs/wire/): runs a lesson's conversation,
# captures it with tcpdump on loopback, and draws an SVG sequence diagram.
#
#   sudo scripts/wire.sh tcp-greeter         your own diagram: target/wire/tcp-greeter/*.svg
#   sudo scripts/wire.sh my-talk.run         a conversation you wrote (see --help)
#   sudo scripts/wire.sh --update [LESSON]   rewrite the book's docs/wire/ after a lesson changed
#   sudo scripts/wire.sh --check [LESSON]    what scripts/check-book.sh runs
#   scripts/wire.sh --help                   the conversation format
#
# Capturing needs root (tcpdump opens the loopback interface) and tcpdump
# (apt-get install tcpdump). Build the lessons first as yourself (`cargo build`):
# under sudo, PATH often has no cargo. WIRE_PROFILE=release uses target/release.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in -h | --help | "") exec python3 scripts/wire.py "$@" ;; esac
if [ "$(id -u)" -ne 0 ]; then
    echo "wire.sh: capturing packets needs root (try: sudo $0 $*)" >&2
    exit 1
fi
command -v tcpdump >/dev/null || { echo "wire.sh: needs tcpdump (apt-get install tcpdump)" >&2; exit 1; }
if [ -n "${SUDO_USER:-}" ]; then
    # A build as root would leave root's files in the learner's target/.
    [ -x target/"${WIRE_PROFILE:-debug}"/tcp-greeter ] || {
        echo "wire.sh: build the lessons first, as yourself: cargo build" >&2
        exit 1
    }
elif command -v cargo >/dev/null; then
    profile=()
    [ "${WIRE_PROFILE:-debug}" = release ] && profile=(--release)
    cargo build --workspace --bins --quiet "${profile[@]}" || { echo "wire.sh: the build failed" >&2; exit 1; }
fi
exec python3 scripts/wire.py "$@"
