# Lesson 2: udp-bound-receiver binds a fixed port; GBK is read under auto, and a
# datagram longer than --buffer is reported as truncated.
heading "Lesson 2: udp-bound-receiver (seed 000: udp绑定信息)"
if start_server udp-bound-receiver --count 2 --buffer 16; then
    note "\$ cargo run -p udp-sender -- --port $PORT --encoding gbk -m 你好GBK -m 'a line longer than sixteen bytes'"
    run_client udp-sender "$WORK/sender.out" '' --port "$PORT" --encoding gbk -m 你好GBK -m 'a line longer than sixteen bytes'
    wait_exit "$SERVER_PID" 5 || fail "udp-bound-receiver --count 2 did not exit 0 after two datagrams"
    SERVER_PID=""
    show client "$WORK/sender.out"
    show server "$SERVER_OUT"
    expect "$SERVER_OUT" ": 你好GBK" "udp-bound-receiver"
    expect "$SERVER_OUT" "(truncated: 32 bytes sent, first 16 kept)" "udp-bound-receiver"
fi
