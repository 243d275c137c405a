# http-fetch (lesson 8) against curl: both download the same 256 MiB file of random
# bytes from a local nginx, body to stdout redirected to /dev/null; 5 alternating runs
# in each of two placements: pinned to one CPU together with nginx (taskset), and on
# different CPUs (the client on CPU 0, nginx on CPU 1). Random bytes, not a sparse
# file of zeros: a file of zeros has no line ends, which hid a cost that only text-like
# data pays (a LineWriter on stdout). Throughput, CPU time and peak memory of each.
# The file is made once and deleted at the end (it lives in $WORK).
heading "http-fetch vs curl, 256 MiB of random bytes from nginx"
http_fetch_bench() {
    have_bin http-fetch || return 0
    local missing=()
    command -v nginx >/dev/null || missing+=(nginx)
    command -v curl >/dev/null || missing+=(curl)
    command -v taskset >/dev/null || missing+=("taskset (util-linux)")
    [ -x /usr/bin/time ] || missing+=("time (/usr/bin/time)")
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "skipped: needs ${missing[*]} (apt-get install nginx curl time)"
        section "*Skipped: ${missing[*]} not installed.*"
        target "http-fetch vs curl" "(all)" "-" "skipped: needs ${missing[*]}"
        return 0
    fi
    local size_mib=256 runs=5
    [ "$SMOKE" = 1 ] && size_mib=16 && runs=1
    local www=$WORK/www
    mkdir -p "$www" "$WORK/nginx-tmp"
    chmod a+rx "$WORK" "$www"
    head -c "$((size_mib << 20))" /dev/urandom >"$www/random.bin"
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    # One nginx process (no master, no workers), so taskset can move all of it.
    cat >"$WORK/nginx.conf" <<NGINX
daemon off;
master_process off;
pid $WORK/nginx.pid;
error_log $WORK/nginx.err;
events { worker_connections 64; }
http {
    access_log off;
    sendfile on;
    client_body_temp_path $WORK/nginx-tmp;
    proxy_temp_path $WORK/nginx-tmp;
    fastcgi_temp_path $WORK/nginx-tmp;
    uwsgi_temp_path $WORK/nginx-tmp;
    scgi_temp_path $WORK/nginx-tmp;
    server { listen 127.0.0.1:$port; root $www; }
}
NGINX
    nginx -c "$WORK/nginx.conf" -p "$WORK" >/dev/null 2>&1 &
    local nginx_pid=$!
    CLEANUP_EXTRA="kill $nginx_pid 2>/dev/null"
    local url=http://127.0.0.1:$port/random.bin tries=0
    until curl -sf -o /dev/null -r 0-0 "$url"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            echo "bench: nginx did not start:"; cat "$WORK/nginx.err"
            target "http-fetch vs curl" "(all)" "-" "skipped: nginx did not start"
            kill "$nginx_pid" 2>/dev/null; rm -f "$www/random.bin"; return 0
        fi
        sleep 0.05
    done
    curl -s -o /dev/null "$url"   # warm up, not counted

    # one TOOL: one download to stdout (>/dev/null) on CPU 0; prints "MiB/s peak_KiB cpu_seconds".
    one() {
        local cmd t0 t1
        case $1 in
            curl) cmd=(curl -s "$url") ;;
            http-fetch) cmd=("$BIN/http-fetch" "$url" -o -) ;;
        esac
        t0=$(date +%s%N)
        taskset -c 0 /usr/bin/time -v -o "$WORK/time.txt" "${cmd[@]}" >/dev/null 2>>"$WORK/fetch.err"
        t1=$(date +%s%N)
        awk -v ns=$((t1 - t0)) -v mib="$size_mib" -v rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")" \
            -v user="$(sed -n 's/.*User time (seconds): //p' "$WORK/time.txt")" \
            -v sys="$(sed -n 's/.*System time (seconds): //p' "$WORK/time.txt")" \
            'BEGIN { printf "%.0f %s %.2f\n", mib / (ns / 1e9), rss, user + sys }'
    }
    section "### http-fetch against curl: ${size_mib} MiB of random bytes from a local nginx"
    section "Body to stdout, redirected to /dev/null; $runs alternating runs per placement (who goes first swaps each run). Peak resident memory from \`/usr/bin/time -v\`.
"
    section "| placement | tool | MiB/s per run | MiB/s (median) | CPU s (median) | peak RSS MiB (median) |"
    section "|---|---|---|---:|---:|---:|"
    local placement cpu run tool r rate rss cpu_s order worst=""
    for placement in "one CPU with nginx" "different CPUs"; do
        cpu=0; [ "$placement" = "different CPUs" ] && cpu=1
        taskset -pc "$cpu" "$nginx_pid" >/dev/null
        local c_rate=() h_rate=() c_rss=() h_rss=() c_cpu=() h_cpu=()
        for run in $(seq "$runs"); do
            order=(http-fetch curl); [ $((run % 2)) = 0 ] && order=(curl http-fetch)
            for tool in "${order[@]}"; do
                r=$(one "$tool")
                echo "  $placement, $tool: $r (MiB/s, peak KiB, CPU s)"
                read -r rate rss cpu_s <<<"$r"
                if [ "$tool" = curl ]; then c_rate+=("$rate"); c_rss+=("$rss"); c_cpu+=("$cpu_s")
                else h_rate+=("$rate"); h_rss+=("$rss"); h_cpu+=("$cpu_s"); fi
            done
        done
        local hr cr hm cm ratio_
        hr=$(median "${h_rate[@]}"); cr=$(median "${c_rate[@]}")
        hm=$(awk -v k="$(median "${h_rss[@]}")" 'BEGIN { printf "%.1f", k / 1024 }')
        cm=$(awk -v k="$(median "${c_rss[@]}")" 'BEGIN { printf "%.1f", k / 1024 }')
        ratio_=$(ratio "$hr" "$cr")
        section "| $placement | http-fetch | ${h_rate[*]} | $hr | $(median "${h_cpu[@]}") | $hm |"
        section "| $placement | curl | ${c_rate[*]} | $cr | $(median "${c_cpu[@]}") | $cm |"
        target "http-fetch throughput, $placement" "≥ 0.95× curl" "${ratio_}×" "$(at_least "$ratio_" 0.95)"
        chart "http-fetch / curl ($placement)" "$ratio_" 0.95
        [ "$placement" = "one CPU with nginx" ] && worst=$hm
    done
    target "http-fetch peak memory" "< 8 MiB" "$worst MiB" "$(below "$worst" 8)"
    kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; CLEANUP_EXTRA=""
    rm -f "$www/random.bin"
}
http_fetch_bench
