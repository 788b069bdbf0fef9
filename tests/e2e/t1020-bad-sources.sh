#!/bin/bash
# t1020-bad-sources: fixture endpoints that return malformed JSON, a 500,
# a body over the cap, a non-number, and a reply slower than the timeout.
# Each is recorded as that source's error; the good sources are unharmed.
. "$(dirname "$0")/lib.sh"
echo "1..8"
start_pg
start_fixture
start_coordinator
start_worker w1
ok "worker joined" wait_workers 1
python3 - "$FIXTURE_URL" >"$T/sources.json" <<'PY'
import json, sys
base = sys.argv[1]
def src(name, path, timeout="2s"):
    return {"name": name, "url": base + path, "interval": "1s",
            "timeout": timeout, "retries": 0, "labels": {"src": name},
            "metrics": [{"name": "sales", "type": "gauge", "json": "/sales"},
                        {"name": "signups", "type": "gauge", "json": "/signups"},
                        {"name": "visits", "type": "gauge", "json": "/visits"}]}
sources = [src("s%04d" % i, "/s/s%04d" % i) for i in range(1, 21)]
sources += [src("bad-json", "/bad/json"), src("bad-500", "/bad/500"),
            src("bad-big", "/bad/big"), src("bad-notnumber", "/bad/notnumber"),
            src("bad-slow", "/bad/slow?ms=3000", timeout="500ms")]
print(json.dumps({"sources": sources}))
PY
ok "apply" "$WATERSHED" apply -f "$T/sources.json"
t0=$(now_ms)
sleep 8
t1=$(now_ms)
sleep 2
"$WATERSHED" sources --json >"$T/sources.out"
"$WATERSHED" sources | sed 's/^/# /'
kind() {  # kind SOURCE KIND: the source's last error is of KIND
    python3 - "$T/sources.out" "$1" "$2" <<'PY'
import json, sys
rows = {s["name"]: s for s in json.load(open(sys.argv[1]))}
s = rows[sys.argv[2]]
print("#", s["name"], s["last_error_kind"], s["last_error"])
sys.exit(0 if s["last_error_kind"] == sys.argv[3] and s["last_error"] else 1)
PY
}
ok "malformed JSON is an extraction error" kind bad-json extract
ok "HTTP 500 is an http error" kind bad-500 http
ok "a body over the cap is a size error" kind bad-big size
ok "a string where a number belongs is an extraction error" kind bad-notnumber extract
ok "a slow reply is a timeout" kind bad-slow timeout
from=$(( (t0 / 1000 + 2) * 1000 ))
to=$(( (t1 / 1000 - 1) * 1000 ))
# bad-notnumber still delivers signups and visits (its other rules).
good() {
    local n
    n=$(sql "SELECT count(*) FROM (
        SELECT s.id, count(*) AS n FROM series s JOIN samples x ON x.series_id = s.id
        WHERE s.labels->>'src' LIKE 's0%'
          AND x.ts >= timestamptz 'epoch' + $from * interval '1 ms'
          AND x.ts <  timestamptz 'epoch' + $to * interval '1 ms'
        GROUP BY s.id HAVING count(*) = $(( (to - from) / 1000 ))) ok")
    diag "good series with every tick: $n of 60"
    [ "$n" -eq 60 ]
}
ok "the 20 good sources have every tick" good
exit $tap_failed
