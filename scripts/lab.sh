#!/usr/bin/env bash
# A two-host lab on one machine, for lessons that should cross a network.
#
# alice (10.99.0.1) and bob (10.99.0.2) are network namespaces: each has its own
# interfaces, addresses and routes, like a separate computer. A veth pair, a
# virtual cable, joins them. They have no route anywhere else, so nothing they
# send leaves this machine. Creating namespaces needs root.
#
#   sudo scripts/lab.sh up        create alice and bob
#   sudo scripts/lab.sh status    show them, and whether alice reaches bob
#   sudo scripts/lab.sh down      remove them (the cable goes with them)
#
# Run any lesson on either host with `ip netns exec <host> <command>`, as root:
#
#   sudo ip netns exec bob   cargo run -p udp-echo -- server --host 10.99.0.2
#   sudo ip netns exec alice cargo run -p udp-echo -- client --host 10.99.0.2
#   sudo ip netns exec alice cargo run -p udp-multicast -- --interface 10.99.0.1
#   sudo ip netns exec bob   cargo run -p udp-multicast -- --interface 10.99.0.2
#
# (If root has no Rust toolchain, build first as yourself with `cargo build` and
# run target/debug/<lesson> instead of `cargo run -p <lesson> --`.)
#
# LAB_PREFIX=t1- names the hosts t1-alice and t1-bob, so that several labs, such
# as tests running at once, do not clash.
set -euo pipefail

PREFIX=${LAB_PREFIX:-}
case "$PREFIX" in *[!A-Za-z0-9_-]*)
    echo "lab.sh: LAB_PREFIX may hold only letters, digits, '-' and '_'" >&2
    exit 2 ;;
esac
ALICE=${PREFIX}alice
BOB=${PREFIX}bob
HOSTS=("$ALICE:10.99.0.1" "$BOB:10.99.0.2")

usage() {
    echo "usage: $0 up|down|status   (needs root; see the top of this script)" >&2
    exit 2
}

need_root() {
    if [ "$(id -u)" -ne 0 ]; then
        echo "lab.sh: '$1' needs root, to manage network namespaces (try: sudo $0 $1)" >&2
        exit 1
    fi
    command -v ip >/dev/null || { echo "lab.sh: needs the ip command (apt-get install iproute2)" >&2; exit 1; }
}

exists() { [ -e "/run/netns/$1" ]; }

up() {
    need_root up
    if exists "$ALICE" && exists "$BOB"; then
        echo "lab is already up: $ALICE (10.99.0.1) and $BOB (10.99.0.2)"
        return
    fi
    # Half a lab from an earlier failure would make the steps below fail.
    down >/dev/null
    trap 'echo "lab.sh: up failed; removing what was made" >&2; down >/dev/null' ERR

    ip netns add "$ALICE"
    ip netns add "$BOB"
    # The cable, made inside the namespaces: each end is called veth0 there, and
    # no name is taken among the machine's own interfaces.
    ip -n "$ALICE" link add veth0 type veth peer name veth0 netns "$BOB"
    for host in "${HOSTS[@]}"; do
        local ns=${host%%:*} addr=${host#*:}
        ip -n "$ns" addr add "$addr/24" dev veth0
        ip -n "$ns" link set veth0 up
        # A new namespace's loopback is down; lessons bind 127.0.0.1 by default.
        ip -n "$ns" link set lo up
        # Multicast goes out on the cable even for a program that does not name an
        # interface (IP_MULTICAST_IF), such as the seed's multicast chat.
        ip -n "$ns" route add 224.0.0.0/4 dev veth0
    done
    trap - ERR
    echo "lab up: $ALICE (10.99.0.1) and $BOB (10.99.0.2), joined by veth0"
    echo "run a lesson on a host: sudo ip netns exec $ALICE cargo run -p <lesson> -- ..."
}

down() {
    need_root down
    for ns in "$ALICE" "$BOB"; do
        if exists "$ns"; then
            ip netns del "$ns"
        fi
    done
    echo "lab down"
}

status() {
    need_root status
    local up=0
    for host in "${HOSTS[@]}"; do
        local ns=${host%%:*}
        if exists "$ns"; then
            up=$((up + 1))
            echo "$ns:"
            ip -n "$ns" -brief addr show | sed 's/^/  /'
        else
            echo "$ns: not up"
        fi
    done
    if [ "$up" -eq 2 ]; then
        if ! command -v ping >/dev/null; then
            echo "(install ping, from iputils-ping, to check that $ALICE reaches $BOB)"
        elif ip netns exec "$ALICE" ping -c 1 -W 1 10.99.0.2 >/dev/null 2>&1; then
            echo "$ALICE reaches $BOB (ping 10.99.0.2)"
        else
            echo "$ALICE does not reach $BOB (ping 10.99.0.2 failed)"
        fi
    fi
    [ "$up" -eq 2 ]
}

[ $# -eq 1 ] || usage
case "$1" in
    up) up ;;
    down) down ;;
    status) status ;;
    *) usage ;;
esac
