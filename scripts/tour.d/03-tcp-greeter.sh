# Lesson 3: tcp-greeter greets each connection and closes it; the client reads until
# the server closes. A GBK greeting still reads right under --encoding auto.
heading "Lesson 3: tcp-greeter (seed 001: 创建一个本地连接)"
if start_server tcp-greeter server; then
    note "\$ cargo run -p tcp-greeter -- client --port $PORT"
    run_client tcp-greeter "$WORK/greeter.out" '' client --port "$PORT"
    stop_server tcp-greeter
    show client "$WORK/greeter.out"
    show server "$SERVER_OUT"
    expect "$WORK/greeter.out" "Welcome to Xiaoyu's Rust service!" "tcp-greeter client"
    expect "$WORK/greeter.out" "connected to 127.0.0.1:$PORT" "tcp-greeter client"
    expect "$WORK/greeter.out" "server closed the connection" "tcp-greeter client"
    expect "$SERVER_OUT" "connection from 127.0.0.1:" "tcp-greeter server"
    expect "$SERVER_OUT" "stopping (Ctrl-C)" "tcp-greeter server"
fi
if start_server tcp-greeter server --encoding gbk; then
    note "\$ cargo run -p tcp-greeter -- server --encoding gbk   (the client reads GBK under auto)"
    run_client tcp-greeter "$WORK/greeter-gbk.out" '' client --port "$PORT"
    stop_server tcp-greeter
    show client "$WORK/greeter-gbk.out"
    expect "$WORK/greeter-gbk.out" "欢迎访问小昱的 Rust 服务！" "tcp-greeter client (GBK greeting)"
fi
