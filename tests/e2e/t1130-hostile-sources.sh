#!/bin/bash
# t1130-hostile-sources: every hostile reply a web server can give ends
# as an error on that one source, of the right kind and naming what went
# wrong, while 10 normal sources at 1 s keep every tick and no process
# crashes or grows. The hostile servers: the fixture's /hostile/*
# endpoints (slow-loris, endless chunked body, 1 GiB body, gzip bomb,
# invalid UTF-8, nesting 100,000 deep, 1e999, -0, NaN, "NaN", redirect
# loop, redirects to file: and gopher:, 429 with Retry-After, HTML with
# 200 and 500, empty body), openssl s_server with a self-signed
# certificate, a refused port, and two ports that never answer (one
# accepts and sleeps, one listens and never accepts).
# ctest: slow
. "$(dirname "$0")/lib.sh"
echo "1..28"
RSS_LIMIT_KB=$((200 * 1024))
RUN_S=30
# Under AddressSanitizer freed memory waits in a quarantine (256 MB by
# default) and each 8 MiB body cut at the cap lands there: the RSS would
# measure the quarantine, not the worker. No effect without ASan.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=16"

start_pg
start_fixture
start_coordinator
start_worker w1
ok "worker joined" wait_workers 1

# A server that accepts and never answers, and one that listens but
# never accepts (its backlog fills, later connects hang in SYN): both
# must be timeouts. Each writes its port to a file.
python3 - "$T/silent.port" "$T/backlog.port" >"$T/silent.log" 2>&1 <<'PY' &
import socket, sys, time
silent = socket.socket(); silent.bind(("127.0.0.1", 0)); silent.listen(64)
backlog = socket.socket(); backlog.bind(("127.0.0.1", 0)); backlog.listen(1)
open(sys.argv[1], "w").write(str(silent.getsockname()[1]))
open(sys.argv[2], "w").write(str(backlog.getsockname()[1]))
silent.settimeout(1)
held = []
while True:
    try:
        conn, _ = silent.accept()
        held.append((time.monotonic(), conn))
    except socket.timeout:
        pass
    # Keep each for 10 s (longer than any source's timeout), then close:
    # the fds stay bounded.
    while held and time.monotonic() - held[0][0] > 10:
        held.pop(0)[1].close()
PY
PIDS+=($!)

# HTTPS with a self-signed certificate: TLS is verified, so a net error.
TLS_PORT=$(free_port)
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -keyout "$T/tls.key" -out "$T/tls.crt" >"$T/openssl-req.log" 2>&1
openssl s_server -accept "$TLS_PORT" -cert "$T/tls.crt" -key "$T/tls.key" \
    -www -quiet </dev/null >"$T/s_server.log" 2>&1 &
PIDS+=($!)
REFUSED_PORT=$(free_port)
for _ in $(seq 1 100); do
    [ -s "$T/silent.port" ] && [ -s "$T/backlog.port" ] && break
    sleep 0.05
done
SILENT_PORT=$(cat "$T/silent.port")
BACKLOG_PORT=$(cat "$T/backlog.port")
# Fill the backlog so that later connects are never accepted.
python3 - "$BACKLOG_PORT" >/dev/null 2>&1 <<'PY' &
import socket, sys, time
held = []
for _ in range(8):
    s = socket.socket(); s.setblocking(False)
    try: s.connect(("127.0.0.1", int(sys.argv[1])))
    except BlockingIOError: pass
    held.append(s)
time.sleep(3600)
PY
PIDS+=($!)

# name|url|interval|expected error_kind|regex the last_error must match
cat >"$T/hostile.txt" <<EOF
h-loris|$FIXTURE_URL/hostile/loris|2s|timeout|timed out after [0-9]+ milli
h-endless|$FIXTURE_URL/hostile/endless|1s|size|body over the 8 MiB cap
h-huge|$FIXTURE_URL/hostile/huge|1s|size|body over the 8 MiB cap
h-gzip-bomb|$FIXTURE_URL/hostile/gzip-bomb|1s|size|body over the 8 MiB cap
h-utf8|$FIXTURE_URL/hostile/utf8|1s|extract|not JSON: unable to decode byte 0xff
h-deep|$FIXTURE_URL/hostile/deep|1s|extract|not JSON: maximum parsing depth reached
h-overflow|$FIXTURE_URL/hostile/overflow|1s|extract|not JSON: real number overflow near '1e999'
h-nan|$FIXTURE_URL/hostile/nan|1s|extract|not JSON: invalid token near 'NaN'
h-nan-string|$FIXTURE_URL/hostile/nan-string|1s|extract|rule 'sales' /sales: found string "NaN", expected a number
h-redirect-loop|$FIXTURE_URL/hostile/redirect-loop|1s|http|more than 5 redirects
h-redirect-file|$FIXTURE_URL/hostile/redirect-file|1s|http|redirect to 'file:///etc/passwd' refused
h-redirect-gopher|$FIXTURE_URL/hostile/redirect-gopher|1s|http|redirect to 'gopher://127.0.0.1:70/1' refused
h-tls|https://127.0.0.1:$TLS_PORT/|2s|net|SSL certificate problem: self.signed certificate
h-refused|http://127.0.0.1:$REFUSED_PORT/|1s|net|Connection refused|Couldn't connect
h-silent|http://127.0.0.1:$SILENT_PORT/|2s|timeout|timed out after [0-9]+ milli
h-backlog|http://127.0.0.1:$BACKLOG_PORT/|2s|timeout|timed out after [0-9]+ milli
h-429|$FIXTURE_URL/hostile/429|1s|http|HTTP 429: .*rate limit exceeded
h-html-200|$FIXTURE_URL/hostile/html-200|1s|extract|not JSON: found HTML
h-html-500|$FIXTURE_URL/hostile/html-500|1s|http|HTTP 500: <html>.*Internal Server Error
h-empty|$FIXTURE_URL/hostile/empty|1s|extract|empty body, expected JSON
EOF

python3 - "$FIXTURE_URL" "$T/hostile.txt" >"$T/sources.json" <<'PY'
import json, sys
base = sys.argv[1]
def src(name, url, interval="1s", timeout="2s", retries=None):
    s = {"name": name, "url": url, "interval": interval, "timeout": timeout,
         "labels": {"src": name},
         "metrics": [{"name": "sales", "type": "gauge", "json": "/sales"},
                     {"name": "signups", "type": "gauge", "json": "/signups"},
                     {"name": "visits", "type": "gauge", "json": "/visits"}]}
    if retries is not None:
        s["retries"] = retries
    return s
sources = [src("n%02d" % i, base + "/s/n%02d" % i) for i in range(1, 11)]
# -0 is a fine 0: this one must succeed.
sources.append(src("h-negzero", base + "/hostile/negzero"))
for line in open(sys.argv[2]):
    name, url, interval = line.rstrip("\n").split("|")[:3]
    sources.append(src(name, url, interval, "2s", 1))
print(json.dumps({"sources": sources}))
PY
ok "apply 10 normal and $(wc -l <"$T/hostile.txt") hostile sources" \
    "$WATERSHED" apply -f "$T/sources.json"

# rss_kb PID: VmRSS in kB, 0 when the process is gone.
rss_kb() {
    awk '/^VmRSS:/ { print $2; found = 1 } END { if (!found) print 0 }' \
        "/proc/$1/status" 2>/dev/null || echo 0
}
t0=$(now_ms)
max_worker=0
max_coord=0
rss_seen=
for _ in $(seq 1 $((RUN_S / 2))); do
    sleep 2
    r=$(rss_kb "$LAST_WORKER_PID"); [ "$r" -gt "$max_worker" ] && max_worker=$r
    rss_seen="$rss_seen $((r / 1024))"
    r=$(rss_kb "$COORD_PID"); [ "$r" -gt "$max_coord" ] && max_coord=$r
done
t1=$(now_ms)
# Let the last ticks of the window be written.
sleep 3
"$WATERSHED" sources --json >"$T/sources.out"
"$WATERSHED" sources | sed 's/^/# /'

while IFS='|' read -r name url interval kind regex; do
    ok "$name: an error of kind $kind matching /$regex/" \
        python3 - "$T/sources.out" "$name" "$kind" "$regex" <<'PY'
import json, re, sys
rows = {s["name"]: s for s in json.load(open(sys.argv[1]))}
s = rows.get(sys.argv[2])
if s is None:
    print("# %s: not listed" % sys.argv[2]); sys.exit(1)
error = s.get("last_error") or ""
print("# %s: %s, failures %s, %s: %s" % (s["name"], s.get("health"),
      s.get("failures"), s.get("last_error_kind"), error))
# Failing; or degraded when only some rules fail (h-nan-string: its
# signups and visits are fine, so its ticks are not failures).
sys.exit(0 if ((s.get("failures") or 0) > 0 or s.get("health") == "degraded")
         and s.get("last_error_kind") == sys.argv[3]
         and re.search(sys.argv[4], error) else 1)
PY
done <"$T/hostile.txt"

negzero() {
    python3 - "$T/sources.out" <<'PY' || return 1
import json, sys
s = {s["name"]: s for s in json.load(open(sys.argv[1]))}["h-negzero"]
print("# h-negzero: failures %s, last error %s" % (s.get("failures"),
                                                   s.get("last_error")))
sys.exit(0 if not s.get("failures") and not s.get("last_error") else 1)
PY
    local out
    out=$(sql "SELECT count(*), count(*) FILTER (WHERE x.value <> 0
                 OR x.value::text <> '0')
               FROM samples x JOIN series s ON s.id = x.series_id
               WHERE s.labels->>'src' = 'h-negzero'")
    diag "h-negzero: samples, those not a plain 0: $out"
    [ "${out%%|*}" -gt 0 ] && [ "${out##*|}" -eq 0 ]
}
ok "-0 and -0.0 are stored as a plain 0, no error" negzero

not_finite() {
    local out
    out=$(sql "SELECT (SELECT count(*) FROM samples
                       WHERE value IN ('NaN', 'Infinity', '-Infinity')),
                      (SELECT count(*) FROM series WHERE metric = 'sales'
                       AND labels->>'src' IN ('h-nan', 'h-nan-string',
                                              'h-overflow'))")
    diag "samples NaN or infinite, sales series of h-nan*/h-overflow: $out"
    [ "$out" = "0|0" ]
}
ok "no NaN or infinity is ever stored" not_finite

# Like lib.sh's check_ticks, over the normal sources only (some hostile
# sources store the rules that still work).
normal_ticks() {
    local from=$1 to=$2 want=$(( ($2 - $1) / 1000 ))
    local out series total wrong dups min max
    out=$(sql "
      WITH w AS (
        SELECT s.id, count(x.ts) AS n, count(DISTINCT x.ts) AS d
        FROM series s LEFT JOIN samples x ON x.series_id = s.id
          AND x.ts >= timestamptz 'epoch' + $from * interval '1 ms'
          AND x.ts <  timestamptz 'epoch' + $to * interval '1 ms'
        WHERE s.labels->>'src' ~ '^n[0-9]+\$'
        GROUP BY s.id)
      SELECT count(*), coalesce(sum(n), 0), count(*) FILTER (WHERE n <> $want),
             coalesce(sum(n - d), 0), coalesce(min(n), 0), coalesce(max(n), 0)
      FROM w")
    IFS='|' read -r series total wrong dups min max <<<"$out"
    diag "window $want s: $series normal series (want 30), $total samples" \
         "(want $((30 * want))), per series min $min max $max," \
         "$wrong series off, $dups duplicates"
    [ "$series" -eq 30 ] && [ "$wrong" -eq 0 ] && [ "$dups" -eq 0 ]
}
from=$(( (t0 / 1000 + 3) * 1000 ))
to=$(( (t1 / 1000 - 1) * 1000 ))
ok "the 10 normal sources have every tick once" normal_ticks "$from" "$to"

alive() { kill -0 "$1" 2>/dev/null; }
ok "the worker is alive" alive "$LAST_WORKER_PID"
ok "the coordinator is alive" alive "$COORD_PID"
r=$(rss_kb "$LAST_WORKER_PID"); [ "$r" -gt "$max_worker" ] && max_worker=$r
r=$(rss_kb "$COORD_PID"); [ "$r" -gt "$max_coord" ] && max_coord=$r
diag "worker RSS every 2 s (MB):$rss_seen"
diag "max RSS: worker $((max_worker / 1024)) MB, coordinator" \
     "$((max_coord / 1024)) MB (bound $((RSS_LIMIT_KB / 1024)) MB each)"
ok "worker and coordinator RSS stay under $((RSS_LIMIT_KB / 1024)) MB" \
    test "$max_worker" -lt "$RSS_LIMIT_KB" -a "$max_coord" -lt "$RSS_LIMIT_KB" \
    -a "$max_worker" -gt 0 -a "$max_coord" -gt 0
exit $tap_failed
