# Lesson 1: udp-sender sends each line as a datagram; lesson 2's receiver shows them.
heading "Lesson 1: udp-sender (seed 000: udp 发送数据)"
if start_server udp-bound-receiver; then
    note "\$ cargo run -p udp-sender -- --port $PORT   (stdin: 你好，世界 / hello)"
    run_client udp-sender "$WORK/sender.out" '你好，世界\nhello\n' --port "$PORT"
    # The receiver prints as datagrams arrive; wait until both are there.
    for _ in $(seq 50); do [ "$(grep -c '^from ' "$SERVER_OUT")" -ge 2 ] && break; sleep 0.05; done
    stop_server udp-bound-receiver
    show client "$WORK/sender.out"
    show server "$SERVER_OUT"
    expect "$SERVER_OUT" ": 你好，世界" "udp-bound-receiver"
    expect "$SERVER_OUT" ": hello" "udp-bound-receiver"
fi
