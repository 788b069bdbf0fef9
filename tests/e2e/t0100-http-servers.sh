#!/usr/bin/env bash
#  t0100-http-servers - the two local HTTP servers every other e2e test
#  and bench stands on: ws_fixture answers each endpoint as documented
#  (good, bad, slow, flaky), keeps connections alive and takes parallel
#  load; watershed-demo serves its metrics in the shape demo/sources.json
#  reads; both stop cleanly (exit 0) on SIGTERM. Requests go through
#  python3's urllib/http.client (the curl command may not be installed).
set -e

BUILD=${WS_BUILD_DIR:?WS_BUILD_DIR must name the build folder}
SOURCE=${WS_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
FIXTURE=$BUILD/tests/tools/ws_fixture
DEMO=$BUILD/demo/watershed-demo

T=$(mktemp -d)
PIDS=()
cleanup () {
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf "$T"
}
trap cleanup EXIT

echo "1..27"
N=0
FAILED=0
#  check "description" command...: one TAP line; output of a failure
#  becomes a comment. Runs in this shell (not a subshell), so start can
#  set variables.
check () {
    local what=$1
    shift
    N=$((N + 1))
    if "$@" >"$T/out" 2>&1; then
        echo "ok $N - $what"
    else
        echo "not ok $N - $what"
        sed 's/^/#   /' "$T/out"
        FAILED=$((FAILED + 1))
    fi
}

#  start NAME COMMAND...: run a server in the background with --port 0
#  and a port file; wait for the file (it appears once listening).
start () {
    local name=$1
    shift
    "$@" --port 0 --port-file "$T/$name.port" 2>"$T/$name.log" &
    PIDS+=($!)
    eval "${name}_PID=$!"
    for _ in $(seq 100); do
        [ -s "$T/$name.port" ] && break
        sleep 0.05
    done
    [ -s "$T/$name.port" ] || { cat "$T/$name.log"; return 1; }
    eval "${name}_URL=http://127.0.0.1:$(cat "$T/$name.port")"
}

#  stop_ok PID: SIGTERM, then it must exit 0 within 5 s.
stop_ok () {
    local pid=$1 rc
    kill -TERM "$pid"
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "pid $pid still running 5 s after SIGTERM"
        return 1
    fi
    if wait "$pid"; then rc=0; else rc=$?; fi
    [ "$rc" = 0 ] || { echo "exit status $rc"; return 1; }
}

cat >"$T/h.py" <<'EOF'
import concurrent.futures, http.client, json, re, sys, threading, time
import urllib.error, urllib.parse, urllib.request

def get(url, headers=None, timeout=10):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()

def get_json(url, status=200, **kw):
    code, headers, body = get(url, **kw)
    assert code == status, f"{url}: HTTP {code}, expected {status}: {body[:200]!r}"
    return json.loads(body), headers

def is_int(v): return isinstance(v, int) and not isinstance(v, bool)
def is_num(v): return isinstance(v, (int, float)) and not isinstance(v, bool)

def s_shape(doc, id_):
    assert doc["id"] == id_, doc
    for k in ("sales", "signups", "visits"):
        assert is_int(doc[k]) and doc[k] >= 0, (k, doc)
    assert doc["regions"] == [{"name": "eu", "v": 1}, {"name": "us", "v": 2}], doc

def c_s(base):
    sales = set()
    for _ in range(6):
        doc, headers = get_json(base + "/s/abc")
        s_shape(doc, "abc")
        assert headers["Content-Type"] == "application/json", headers
        sales.add(doc["sales"])
    assert len(sales) > 1, f"values do not vary: {sales}"
    get_json(base + "/s/a%22b", status=400)

def c_bad_json(base):
    code, _, body = get(base + "/bad/json")
    assert code == 200 and body == b'{"sales": 12,', (code, body)
    try:
        json.loads(body)
    except ValueError:
        return
    raise AssertionError("truncated JSON parsed")

def c_bad_notnumber(base):
    doc, _ = get_json(base + "/bad/notnumber")
    assert doc == {"sales": "n/a", "signups": 3, "visits": 4}, doc

def c_bad_500(base):
    doc, _ = get_json(base + "/bad/500", status=500)
    assert doc == {"error": "boom"}, doc

def c_bad_big(base):
    code, _, body = get(base + "/bad/big")
    assert code == 200 and len(body) == 9 * 1024 * 1024, (code, len(body))
    doc = json.loads(body)
    assert doc["sales"] == 1 and set(doc["pad"]) == {"x"}

def c_slow(base):
    # Fresh connections to a fast endpoint must not wait for the slow one.
    result = {}
    def slow():
        t = time.monotonic()
        result["doc"], _ = get_json(base + "/bad/slow?ms=800")
        result["took"] = time.monotonic() - t
    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.1)
    for i in range(10):
        t = time.monotonic()
        get_json(base + f"/s/during{i}")
        took = time.monotonic() - t
        assert took < 0.4, f"/s/during{i} took {took:.3f}s while a slow request waited"
    thread.join()
    assert result["doc"] == {"sales": 1, "signups": 1, "visits": 1}, result
    assert 0.75 <= result["took"] < 3, result
    get_json(base + "/bad/slow?ms=abc", status=400)

def c_flaky(base):
    for attempt in (1, 2):
        doc, headers = get_json(base + "/flaky/t1?fail=2", status=503)
        assert headers.get("Retry-After") == "0", headers
        assert "error" in doc
    doc, _ = get_json(base + "/flaky/t1?fail=2")
    s_shape(doc, "t1")
    doc, _ = get_json(base + "/flaky/t2?fail=0")
    s_shape(doc, "t2")

def c_status(base):
    doc, _ = get_json(base + "/status/418", status=418)
    assert doc == {"status": 418}, doc
    doc, _ = get_json(base + "/status/503", status=503)
    get_json(base + "/status/abc", status=400)

def c_echo_headers(base):
    doc, _ = get_json(base + "/echo-headers", headers={"X-Ws-Test": "hello-123"})
    found = {k.lower(): v for k, v in doc.items()}
    assert found.get("x-ws-test") == "hello-123", doc

def c_not_found(base):
    doc, _ = get_json(base + "/nope", status=404)
    assert "/nope" in doc["error"], doc

def c_keepalive(base):
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    conn.request("GET", "/s/k0")
    r = conn.getresponse(); r.read()
    sock = conn.sock
    for i in range(1, 50):
        conn.request("GET", f"/s/k{i}")
        r = conn.getresponse()
        doc = json.loads(r.read())
        assert r.status == 200 and doc["id"] == f"k{i}", (r.status, doc)
        assert conn.sock is sock, f"request {i} needed a new connection"
    conn.close()

def c_parallel(base):
    def one(i):
        doc, _ = get_json(base + f"/s/p{i}")
        s_shape(doc, f"p{i}")
        return True
    with concurrent.futures.ThreadPoolExecutor(max_workers=50) as pool:
        done = list(pool.map(one, range(200)))
    assert len(done) == 200 and all(done)

def c_stats(base):
    doc, _ = get_json(base + "/stats")
    by = doc["by_path"]
    assert is_int(doc["requests"]) and doc["requests"] >= sum(by.values()) - 1, doc
    assert by["/s"] >= 200 + 50 + 6, by
    assert by["/bad/500"] == 1 and by["/flaky"] == 4 and by["/bad/big"] == 1, by

def c_threads_mode(base):
    c_s(base)
    t = time.monotonic()
    doc, _ = get_json(base + "/bad/slow?ms=300")
    assert doc["sales"] == 1 and time.monotonic() - t >= 0.28
    c_keepalive(base)

def c_slow_forever(base):
    # Fire a slow request and leave it waiting (the test then stops the
    # server under it).
    u = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=5)
    conn.request("GET", "/bad/slow?ms=20000")
    time.sleep(0.2)
    sys.exit(0)

def c_demo_health(base):
    doc, _ = get_json(base + "/health")
    assert doc == {"ok": True}, doc

def c_demo_sales(base):
    for region in ("eu", "us", "apac"):
        doc, _ = get_json(base + f"/api/sales?region={region}")
        assert set(doc) == {"region", "date", "orders_today", "revenue_today",
                            "orders_total", "cart_abandon_rate"}, doc
        assert doc["region"] == region
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", doc["date"]), doc
        assert is_int(doc["orders_today"]) and doc["orders_today"] >= 0, doc
        assert is_num(doc["revenue_today"]) and doc["revenue_today"] >= 0, doc
        assert is_int(doc["orders_total"]) and doc["orders_total"] >= doc["orders_today"], doc
        assert is_num(doc["cart_abandon_rate"]) and 0 <= doc["cart_abandon_rate"] <= 1, doc
    assert "'xx'" in get_json(base + "/api/sales?region=xx", status=400)[0]["error"]
    assert "region" in get_json(base + "/api/sales", status=400)[0]["error"]

def c_demo_signups(base):
    doc, _ = get_json(base + "/api/signups")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", doc["updated"]), doc
    assert [r["name"] for r in doc["regions"]] == ["eu", "us", "apac"], doc
    for r in doc["regions"]:
        assert is_int(r["trials_today"]) and is_int(r["signups_total"]), r
        assert r["signups_total"] > 0, r

def c_demo_social(base):
    doc, _ = get_json(base + "/api/social")
    assert set(doc["followers"]) == {"x", "linkedin", "instagram"}, doc
    assert all(is_int(v) and v > 0 for v in doc["followers"].values()), doc
    assert is_int(doc["mentions_last_hour"]) and doc["mentions_last_hour"] >= 0, doc

def c_demo_not_found(base):
    doc, _ = get_json(base + "/nope", status=404)
    assert "/nope" in doc["error"], doc

def c_demo_midnight(base):
    # Started at 23:59:58.8 UTC: "today" restarts, the totals do not drop.
    before, _ = get_json(base + "/api/sales?region=eu")
    signups_before, _ = get_json(base + "/api/signups")
    time.sleep(1.6)
    after, _ = get_json(base + "/api/sales?region=eu")
    signups_after, _ = get_json(base + "/api/signups")
    assert before["date"] == "2026-11-23" and after["date"] == "2026-11-24", (before, after)
    assert after["orders_today"] < before["orders_today"], (before, after)
    assert after["orders_total"] >= before["orders_total"], (before, after)
    for b, a in zip(signups_before["regions"], signups_after["regions"]):
        assert a["signups_total"] >= b["signups_total"], (b, a)

def pointer_values(doc, pointer):
    # RFC 6901 with "*" matching every member or element.
    nodes = [doc]
    for raw in pointer.split("/")[1:]:
        seg = raw.replace("~1", "/").replace("~0", "~")
        nxt = []
        for n in nodes:
            if seg == "*":
                nxt += list(n.values()) if isinstance(n, dict) else list(n)
            elif isinstance(n, dict) and seg in n:
                nxt.append(n[seg])
            elif isinstance(n, list) and seg.isdigit() and int(seg) < len(n):
                nxt.append(n[int(seg)])
        nodes = nxt
    return nodes

def c_demo_sources(base, path):
    # The apply file: JSON, the keys of lib/ws_source.h, and every rule
    # reads numbers from the live demo.
    with open(path) as f:
        sources = json.load(f)["sources"]
    assert 4 <= len(sources) <= 10, len(sources)
    allowed = {"name", "url", "method", "headers", "body", "interval",
               "timeout", "retries", "enabled", "labels", "metrics"}
    names = set()
    for s in sources:
        assert {"name", "url", "metrics"} <= set(s) <= allowed, s
        assert re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", s["name"]) and s["name"] not in names
        names.add(s["name"])
        assert s["interval"] == "5s", s
        u = urllib.parse.urlsplit(s["url"])
        assert u.scheme == "http" and u.hostname == "127.0.0.1" and u.port == 8089, s["url"]
        doc, _ = get_json(base + u.path + ("?" + u.query if u.query else ""))
        series = set()
        for m in s["metrics"]:
            assert {"name", "type", "json"} <= set(m) <= {"name", "type", "period", "json", "aggregate", "labels"}, m
            assert m["type"] in ("gauge", "counter", "per_period"), m
            assert ("period" in m) == (m["type"] == "per_period"), m
            wild = "*" in m["json"].split("/")
            assert ("aggregate" in m) == wild, m
            values = pointer_values(doc, m["json"])
            assert values and all(is_num(v) for v in values), (s["name"], m, values)
            if not wild:
                assert len(values) == 1, m
            key = (m["name"], json.dumps(m.get("labels", {}), sort_keys=True))
            assert key not in series, f"{s['name']}: duplicate series {key}"
            series.add(key)

globals()["c_" + sys.argv[1]](*sys.argv[2:])
EOF
py () { python3 "$T/h.py" "$@"; }

check "ws_fixture starts on a free port and writes the port file" \
    start FX "$FIXTURE"
check "watershed-demo starts on a free port and writes the port file" \
    start DM "$DEMO"
check "fixture: /s/<id> shape, values vary, bad id is 400" py s "$FX_URL"
check "fixture: /bad/json is truncated JSON" py bad_json "$FX_URL"
check "fixture: /bad/notnumber" py bad_notnumber "$FX_URL"
check "fixture: /bad/500" py bad_500 "$FX_URL"
check "fixture: /bad/big is 9 MiB of valid JSON" py bad_big "$FX_URL"
check "fixture: /bad/slow waits without stalling other requests" \
    py slow "$FX_URL"
check "fixture: /flaky fails N times with Retry-After: 0, then works" \
    py flaky "$FX_URL"
check "fixture: /status/<code>" py status "$FX_URL"
check "fixture: /echo-headers returns the request headers" \
    py echo_headers "$FX_URL"
check "fixture: unknown path is a 404 JSON error" py not_found "$FX_URL"
check "fixture: 50 requests over one keep-alive connection" \
    py keepalive "$FX_URL"
check "fixture: 200 parallel requests to /s/... succeed" py parallel "$FX_URL"
check "fixture: /stats counts by endpoint family" py stats "$FX_URL"
check "fixture --mode threads: /s, slow, keep-alive" \
    eval 'start FT "$FIXTURE" --mode threads && py threads_mode "$FT_URL"'
check "demo: /health" py demo_health "$DM_URL"
check "demo: /api/sales for eu, us, apac; bad or missing region is 400" \
    py demo_sales "$DM_URL"
check "demo: /api/signups" py demo_signups "$DM_URL"
check "demo: /api/social" py demo_social "$DM_URL"
check "demo: unknown path is a 404 JSON error" py demo_not_found "$DM_URL"
check "demo --now: today restarts at midnight UTC, totals never drop" \
    eval 'start DN "$DEMO" --now 2026-11-23T23:59:58.8Z &&
          py demo_midnight "$DN_URL" && stop_ok "$DN_PID"'
check "demo/sources.json: valid, and every rule reads a number" \
    py demo_sources "$DM_URL" "$SOURCE/demo/sources.json"
check "fixture --mode threads: SIGTERM with a slow request waiting, exit 0" \
    eval 'py slow_forever "$FT_URL" && stop_ok "$FT_PID"'
check "fixture: SIGTERM with a slow request suspended, exit 0" \
    eval 'py slow_forever "$FX_URL" && stop_ok "$FX_PID"'
check "demo: SIGTERM, exit 0" stop_ok "$DM_PID"
check "no errors or warnings logged" \
    eval '! grep -h -E " (error|warning) " "$T"/*.log'

[ "$N" = 27 ] || { echo "# ran $N checks, planned 27"; exit 1; }
[ "$FAILED" = 0 ]
