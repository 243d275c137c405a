# http-fetch (lesson 8) against curl: both download the same 1 GiB file from a local
# nginx, body to stdout redirected to /dev/null; 7 alternating runs (at least 5); the
# throughput and the peak resident memory (/usr/bin/time -v) of each.
# Writing to a real file is also measured, but only reported: the page cache makes
# it swing by ±50% from run to run.
heading "http-fetch vs curl, 1 GiB from nginx"
http_fetch_bench() {
    have_bin http-fetch || return 0
    local missing=()
    command -v nginx >/dev/null || missing+=(nginx)
    command -v curl >/dev/null || missing+=(curl)
    [ -x /usr/bin/time ] || missing+=("time (/usr/bin/time)")
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "skipped: needs ${missing[*]} (apt-get install nginx curl time)"
        section "*Skipped: ${missing[*]} not installed.*"
        target "http-fetch vs curl" "(all)" "-" "skipped: needs ${missing[*]}"
        return 0
    fi
    local size_mib=1024 runs=7
    [ "$SMOKE" = 1 ] && size_mib=64 && runs=1
    local www=$WORK/www
    mkdir -p "$www" "$WORK/nginx-tmp"
    chmod a+rx "$WORK" "$www"
    # A sparse file: its pages are zeros in the page cache, so the disk is not measured.
    truncate -s "${size_mib}M" "$www/big.bin"
    local port
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$WORK/nginx.conf" <<NGINX
daemon off;
worker_processes 1;
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
    local url=http://127.0.0.1:$port/big.bin tries=0
    until curl -sf -o /dev/null -r 0-0 "$url"; do
        tries=$((tries + 1))
        if [ "$tries" -gt 100 ]; then
            echo "bench: nginx did not start:"; cat "$WORK/nginx.err"
            target "http-fetch vs curl" "(all)" "-" "skipped: nginx did not start"
            kill "$nginx_pid" 2>/dev/null; return 0
        fi
        sleep 0.05
    done

    # The first read of the file fills the page cache and is several times slower:
    # one download to warm it, not counted.
    curl -s -o /dev/null "$url"

    # one TOOL OUT: one download; prints "MiB/s peak_KiB cpu_seconds".
    one() {
        local tool=$1 out=$2 t0 t1 cmd
        case $tool in
            curl) cmd=(curl -s "$url" -o "$out") ;;
            http-fetch) cmd=("$BIN/http-fetch" "$url" -o "$out") ;;
        esac
        # "-o -" goes to stdout; stdout itself goes to /dev/null.
        [ "$out" = - ] && [ "$tool" = curl ] && cmd=(curl -s "$url")
        t0=$(date +%s%N)
        /usr/bin/time -v -o "$WORK/time.txt" "${cmd[@]}" >/dev/null 2>>"$WORK/fetch.err"
        t1=$(date +%s%N)
        awk -v ns=$((t1 - t0)) -v mib="$size_mib" -v rss="$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$WORK/time.txt")" \
            -v user="$(sed -n 's/.*User time (seconds): //p' "$WORK/time.txt")" \
            -v sys="$(sed -n 's/.*System time (seconds): //p' "$WORK/time.txt")" \
            'BEGIN { printf "%.0f %s %.2f\n", mib / (ns / 1e9), rss, user + sys }'
    }
    local tool run r order c_rate=() h_rate=() c_rss=() h_rss=() c_cpu=() h_cpu=() cf=() hf=()
    for run in $(seq "$runs"); do
        # Alternate, and swap who goes first each run.
        order=(http-fetch curl); [ $((run % 2)) = 0 ] && order=(curl http-fetch)
        for tool in "${order[@]}"; do
            r=$(one "$tool" -)
            echo "  $tool to stdout: $r (MiB/s, peak KiB, CPU s)"
            read -r rate rss cpu <<<"$r"
            if [ "$tool" = curl ]; then c_rate+=("$rate"); c_rss+=("$rss"); c_cpu+=("$cpu")
            else h_rate+=("$rate"); h_rss+=("$rss"); h_cpu+=("$cpu"); fi
        done
    done
    for run in 1 2; do
        for tool in http-fetch curl; do
            r=$(one "$tool" "$WORK/out.bin"); rm -f "$WORK/out.bin"
            echo "  $tool to a file: $r"
            if [ "$tool" = curl ]; then cf+=("${r%% *}"); else hf+=("${r%% *}"); fi
        done
    done
    kill "$nginx_pid" 2>/dev/null; wait "$nginx_pid" 2>/dev/null; CLEANUP_EXTRA=""

    local hr cr hm cm ratio_
    hr=$(median "${h_rate[@]}"); cr=$(median "${c_rate[@]}")
    hm=$(awk -v k="$(median "${h_rss[@]}")" 'BEGIN { printf "%.1f", k / 1024 }')
    cm=$(awk -v k="$(median "${c_rss[@]}")" 'BEGIN { printf "%.1f", k / 1024 }')
    ratio_=$(ratio "$hr" "$cr")
    section "### http-fetch against curl: ${size_mib} MiB from a local nginx"
    section "Body to stdout, redirected to /dev/null; $runs alternating runs each (MiB/s per run: http-fetch ${h_rate[*]}; curl ${c_rate[*]}). Peak resident memory from \`/usr/bin/time -v\`.
"
    section "| tool | MiB/s (median) | peak RSS MiB (median) | CPU s per download (median) | to a real file, MiB/s (2 runs, not judged) |"
    section "|---|---:|---:|---:|---:|"
    section "| http-fetch | $hr | $hm | $(median "${h_cpu[@]}") | ${hf[*]} |"
    section "| curl | $cr | $cm | $(median "${c_cpu[@]}") | ${cf[*]} |"
    target "http-fetch throughput" "≥ 0.95× curl" "${ratio_}×" "$(at_least "$ratio_" 0.95)"
    target "http-fetch peak memory" "< 8 MiB" "$hm MiB" "$(below "$hm" 8)"
    chart "http-fetch / curl" "$ratio_" 0.95
}
http_fetch_bench
