#!/bin/bash
# t1500-metrics: watershedd's own /metrics (Prometheus text format 0.0.4)
# on --metrics 127.0.0.1:0. Two scrapes are checked by a strict parser
# (grammar of every line, HELP and TYPE before the samples, no duplicate
# series, counters named _total and never going down); the figures agree
# with the run: samples committed grow, one worker, a source failing
# with HTTP 500 under source_errors{kind="http"}, the goal's status as
# 'progress' reports it. An address in use refuses the start; "off"
# serves nothing.
. "$(dirname "$0")/lib.sh"
echo "1..17"
start_pg
start_fixture
start_coordinator --metrics 127.0.0.1:0 --goal-debounce 200ms \
    --goal-interval 1s --analysis-windows ""
start_worker w1
ok "worker joined" wait_workers 1

metrics_url() {  # the coordinator's metrics_url from 'status --json'
    "$WATERSHED" status --json | python3 -c \
        'import json,sys; print(json.load(sys.stdin)["coordinator"]["metrics_url"])'
}
URL=$(metrics_url)
diag "metrics_url: $URL"
ok "status shows the metrics URL with the port bound" \
    python3 -c 'import re,sys; sys.exit(0 if re.fullmatch(r"http://127\.0\.0\.1:[1-9][0-9]*/metrics", sys.argv[1]) else 1)' "$URL"
ok "the address bound is logged at notice level" \
    grep -q " notice metrics on $URL\$" "$T/coordinator.log"

# The strict parser: exits 1 naming the first line at fault; with a
# second file, also checks that no counter went down from the first.
cat >"$T/promcheck.py" <<'PY'
import math, re, sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r'"(?:[^"\\\n]|\\\\|\\"|\\n)*"'
SAMPLE = re.compile(r"^(%s)(?:\{((?:%s=%s)(?:,%s=%s)*,?)?\})? (\S+)(?: (-?[0-9]+))?$"
                    % (NAME, LABEL, VALUE, LABEL, VALUE))
PAIR = re.compile(r"(%s)=(%s)" % (LABEL, VALUE))
TYPES = {"counter", "gauge", "summary", "histogram", "untyped"}

def fail(n, line, why):
    sys.exit("line %d: %s: %r" % (n, why, line))

def number(text):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.fullmatch(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", text):
        raise ValueError(text)
    return float(text)

def family_of(name, families):
    """The family a sample belongs to: itself, or a summary's or a
    histogram's _sum, _count, _bucket."""
    if name in families:
        return name
    for suffix in ("_sum", "_count", "_bucket"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and families.get(base, {}).get("type") in ("summary", "histogram"):
            return base
    return None

def parse(path):
    text = open(path, encoding="utf-8").read()
    if not text.endswith("\n"):
        sys.exit("%s: does not end with a line feed" % path)
    families, series, done = {}, {}, set()
    current = None
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            m = re.fullmatch(r"# (HELP|TYPE) (%s) (.*)" % NAME, line)
            if not m:
                if line.startswith("# HELP") or line.startswith("# TYPE"):
                    fail(n, line, "malformed HELP or TYPE")
                continue
            kind, name, rest = m.groups()
            f = families.setdefault(name, {})
            if name in done or f.get("samples"):
                fail(n, line, "HELP/TYPE after the family's samples")
            if kind in f:
                fail(n, line, "second " + kind)
            if kind == "TYPE" and rest not in TYPES:
                fail(n, line, "unknown type")
            if kind == "HELP" and not rest.strip():
                fail(n, line, "empty HELP")
            f[kind] = rest
            if kind == "TYPE":
                f["type"] = rest
            if current and current != name:
                done.add(current)
            current = name
            continue
        if not line:
            fail(n, line, "empty line")
        m = SAMPLE.match(line)
        if not m:
            fail(n, line, "not a sample line")
        name, labels, value = m.group(1), m.group(2) or "", m.group(3)
        fam = family_of(name, families)
        if not fam:
            fail(n, line, "sample without HELP and TYPE before it")
        f = families[fam]
        if "HELP" not in f or "TYPE" not in f:
            fail(n, line, "family lacks HELP or TYPE")
        if fam in done:
            fail(n, line, "family's samples are not together")
        if current and current != fam:
            done.add(current)
        current = fam
        pairs = PAIR.findall(labels)
        names = [p[0] for p in pairs]
        if len(set(names)) != len(names):
            fail(n, line, "label repeated")
        key = (name, tuple(sorted(pairs)))
        if key in series:
            fail(n, line, "duplicate series")
        try:
            series[key] = number(value)
        except ValueError:
            fail(n, line, "value is not a float")
        f["samples"] = True
        if f["type"] == "counter" and not fam.endswith("_total"):
            fail(n, line, "counter not named _total")
        if f["type"] == "counter" and not series[key] >= 0:
            fail(n, line, "counter below 0")
    for name, f in families.items():
        if "TYPE" not in f or "HELP" not in f:
            sys.exit("family %s lacks HELP or TYPE" % name)
        if not name.startswith("watershed_"):
            sys.exit("family %s lacks the watershed_ prefix" % name)
    return families, series

first, s1 = parse(sys.argv[1])
if len(sys.argv) > 2:
    _, s2 = parse(sys.argv[2])
    for key, value in s1.items():
        fam = family_of(key[0], first)
        monotonic = first[fam]["type"] == "counter" or (
            first[fam]["type"] == "summary" and key[0] != fam)
        if monotonic and (key not in s2 or s2[key] < value):
            sys.exit("counter %s went from %r to %r" % (key, value, s2.get(key)))
PY

# The parser refuses each planted fault and accepts the good text (a
# checker that cannot fail proves nothing).
ok "the parser refuses planted faults and accepts a good text" \
    python3 - "$T/promcheck.py" "$T" <<'PY'
import subprocess, sys
check, tmp = sys.argv[1:3]
head = "# HELP watershed_a_total A.\n# TYPE watershed_a_total counter\n"
good = head + 'watershed_a_total{k="v"} 1\n'
faults = {
    "sample before HELP": 'watershed_a_total 1\n' + head,
    "counter without _total": good.replace("a_total", "a"),
    "duplicate series": good + 'watershed_a_total{k="v"} 2\n',
    "bad escape": head + 'watershed_a_total{k="\\x"} 1\n',
    "value not a float": head + "watershed_a_total one\n",
    "no final line feed": good[:-1],
    "unknown type": good.replace("counter", "kounter"),
    "no HELP": good.split("\n", 1)[1],
    "family split": good + "# HELP watershed_b B.\n# TYPE watershed_b gauge\n"
                    "watershed_b 1\n" + 'watershed_a_total{k="w"} 1\n',
}
def run(*texts):
    paths = []
    for i, text in enumerate(texts):
        paths.append("%s/planted%d" % (tmp, i))
        open(paths[-1], "w").write(text)
    return subprocess.run([sys.executable, check] + paths,
                          capture_output=True).returncode
bad = [name for name, text in faults.items() if run(text) == 0]
if bad or run(good) != 0 or run(good, good.replace(" 1\n", " 0\n")) == 0:
    sys.exit("planted faults not caught: %s" % bad)
PY

# scrape FILE [PATH [METHOD]]: the body to FILE, "STATUS CONTENT-TYPE"
# to FILE.head; fails on no answer.
scrape() {
    python3 - "$URL" "$1" "${2:-/metrics}" "${3:-GET}" <<'PY'
import sys, urllib.error, urllib.request
base, out, path, method = sys.argv[1:5]
url = base[: -len("/metrics")] + path
try:
    r = urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=5)
except urllib.error.HTTPError as e:
    r = e
body = r.read()
open(out, "wb").write(body)
open(out + ".head", "w").write("%d %s\n" % (r.status, r.headers.get("Content-Type")))
PY
}
# sample FILE SERIES: the value of one series (exact text), or nothing.
sample() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }

today=$(date -u +%F)
start=$(date -u -d '-2 days' +%F)
deadline=$(date -u -d '+30 days' +%F)
python3 - "$FIXTURE_URL" "$start" "$deadline" >"$T/sources.json" <<'PY'
import json, sys
base, start, deadline = sys.argv[1:4]
def src(name, path):
    return {"name": name, "url": base + path, "interval": "1s",
            "timeout": "2s", "retries": 0, "labels": {"src": name},
            "metrics": [{"name": "sales", "type": "gauge", "json": "/sales"}]}
sources = [src("s%04d" % i, "/s/s%04d" % i) for i in range(1, 6)]
sources.append(src("bad-500", "/bad/500"))
print(json.dumps({
    "sources": sources,
    "campaigns": [{"name": "q-metrics", "objective": "metrics",
                   "channel": "email", "start": start, "end": deadline}],
    "goals": [{"name": "sales-up", "kind": "level", "direction": "at_least",
               "target": 1000000, "start": start, "deadline": deadline,
               "metric": "sales", "labels": {"src": "s0001"},
               "campaign": "q-metrics"}]}))
PY
"$WATERSHED" apply -f "$T/sources.json" >"$T/apply.out" 2>&1 \
    || diag "$(cat "$T/apply.out")"
sleep 4
scrape "$T/m1"
sleep 3
scrape "$T/m2"
sed 's/^/# /' "$T/m2"

ok "GET /metrics: 200 with the text format's content type" \
    test "$(cat "$T/m1.head")" = "200 text/plain; version=0.0.4; charset=utf-8"
ok "the first scrape passes the strict parser" python3 "$T/promcheck.py" "$T/m1"
ok "the second passes too, and no counter went down" \
    python3 "$T/promcheck.py" "$T/m1" "$T/m2"
c1=$(sample "$T/m1" watershed_samples_committed_total)
c2=$(sample "$T/m2" watershed_samples_committed_total)
diag "samples committed: $c1 then $c2"
ok "samples_committed grows between the scrapes" test "${c1:-0}" -gt 0 -a "${c2:-0}" -gt "${c1:-0}"
ok "workers_connected is 1" test "$(sample "$T/m2" watershed_workers_connected)" = 1
ok "the HTTP 500 source is under source_errors{kind=\"http\"}" \
    test "$(sample "$T/m2" 'watershed_source_errors{kind="http"}')" = 1
ok "five sources ok, one failing" \
    test "$(sample "$T/m2" 'watershed_sources{health="ok"}')" = 5 \
    -a "$(sample "$T/m2" 'watershed_sources{health="failing"}')" = 1
ok "build_info and uptime" \
    test "$(sample "$T/m2" 'watershed_build_info{version="0.1.0"}')" = 1 \
    -a -n "$(sample "$T/m2" watershed_uptime_seconds)"

# The goal: once evaluated, its status as 'progress' reports it.
for _ in $(seq 1 40); do
    "$WATERSHED" progress --json >"$T/progress.json" 2>/dev/null
    status=$(python3 -c 'import json,sys
g = json.load(open(sys.argv[1]))["goals"]
print(g[0]["evaluation"]["reported_status"] if g and g[0]["evaluation"] else "")' \
        "$T/progress.json" 2>/dev/null)
    [ -n "$status" ] && break
    sleep 0.25
done
sleep 1.2  # one publication later
scrape "$T/m3"
diag "goal status: $status; $(grep '^watershed_goals{' "$T/m3" | grep -v ' 0$')"
ok "the goal counts once, under the status 'progress' reports" \
    test -n "$status" -a "$(sample "$T/m3" "watershed_goals{status=\"$status\"}")" = 1 \
    -a "$(grep '^watershed_goals{' "$T/m3" | awk '{ n += $2 } END { print n }')" = 1

scrape "$T/other" /other
scrape "$T/head" /metrics HEAD
ok "another path is 404; HEAD /metrics is 200 without a body" \
    test "$(cut -d' ' -f1 "$T/other.head")" = 404 \
    -a "$(cut -d' ' -f1 "$T/head.head")" = 200 -a ! -s "$T/head"

# A second watershedd asking for the port the first holds refuses to
# start, in one line naming the option and the address.
port=${URL##*:}; port=${port%/metrics}
"$WATERSHEDD" --db "$CONNINFO" --state-dir "$T/state2" \
    --workers "tcp://127.0.0.1:$(free_port)" \
    --metrics "127.0.0.1:$port" 2>"$T/refused.log"; rc=$?
diag "$(cat "$T/refused.log")"
ok "an address in use refuses the start in one line" \
    test "$rc" -ne 0 -a "$(grep -c "refusing to start: config 'metrics': cannot listen on 127.0.0.1:$port: " "$T/refused.log")" = 1

kill -TERM "$COORD_PID"; wait "$COORD_PID"; rc=$?
ok "watershedd drains and exits 0 on SIGTERM" test "$rc" -eq 0
restart_coordinator --metrics off
ok "with --metrics off status shows metrics_url null" test "$(metrics_url)" = None
exit $tap_failed
