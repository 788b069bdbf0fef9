#!/bin/bash
# t1300-valgrind: watershedd and a worker under valgrind memcheck
# (WS_VALGRIND=1, lib.sh) collect 8 sources at 1 s (3 failing) for 20 s,
# answer a few CLI requests, then stop on SIGTERM. Passes only if both
# exit 0 with no memcheck error and nothing definitely lost
# (--errors-for-leak-kinds=definite --error-exitcode=99);
# third-party noise is suppressed in tests/valgrind.supp. Skipped in a
# sanitizer build (ASan and valgrind do not mix; scripts/test leaves it
# out of that pass).
# ctest: valgrind
if grep -qs '^WS_SANITIZE:BOOL=ON' "${WS_BUILD_DIR:-.}/CMakeCache.txt"; then
    echo "1..0 # SKIP valgrind does not run ASan builds"
    exit 0
fi
command -v valgrind >/dev/null \
    || { echo "Bail out! valgrind is not installed (scripts/bootstrap)"; exit 1; }
export WS_VALGRIND=1
. "$(dirname "$0")/lib.sh"
echo "1..8"
start_pg
start_fixture
start_coordinator
start_worker w1
WORKER_PID=$LAST_WORKER_PID
joined() { for _ in 1 2 3 4 5 6; do wait_workers 1 && return 0; done; return 1; }
ok "the worker joined" joined
# Five good sources and three that fail (bad JSON, HTTP 500, a timeout),
# so that the error paths run under memcheck too.
sources_file 5 1s /s/ | python3 -c '
import json, sys
doc = json.load(sys.stdin)
good = doc["sources"][0]
for name, path, timeout in [("bad-json", "/bad/json", "2s"),
                            ("bad-500", "/bad/500", "2s"),
                            ("bad-slow", "/bad/slow?ms=3000", "500ms")]:
    doc["sources"].append(dict(good, name=name, timeout=timeout, retries=0,
                               url=good["url"].rsplit("/s/", 1)[0] + path,
                               labels={"src": name}))
print(json.dumps(doc))' >"$T/sources.json"
ok "apply 8 sources" "$WATERSHED" apply -f "$T/sources.json"
t0=$(now_ms)
sleep 20
t1=$(now_ms)
sleep 3   # let the last ticks of the window commit
from=$(( (t0 / 1000 + 3) * 1000 ))
to=$(( (t1 / 1000 - 1) * 1000 ))
ok "every tick of every good source stored once" check_ticks "$from" "$to" 5
ok "the three bad sources, and only they, have an error" \
    test "$(sql "SELECT string_agg(s.name, ',' ORDER BY s.name) FROM source_health h JOIN sources s ON s.id = h.source_id WHERE h.last_error IS NOT NULL")" = bad-500,bad-json,bad-slow
clients() {
    "$WATERSHED" status >/dev/null && "$WATERSHED" sources >/dev/null \
        && "$WATERSHED" series >/dev/null
}
ok "status, sources and series answer" clients

# stopped: NAME PID: SIGTERM, wait, and show the exit code (99 = memcheck
# found an error or a definite leak).
stopped() {
    kill -TERM "$2"; wait "$2"; local rc=$?
    diag "$1 exited $rc"
    test "$rc" -eq 0
}
ok "the worker exits 0 under memcheck" stopped worker "$WORKER_PID"
ok "watershedd exits 0 under memcheck" stopped watershedd "$COORD_PID"

# The summaries, for the log; each process wrote one file.
clean() {
    local logs=("$T"/valgrind-*.log) bad=0
    [ -f "${logs[0]}" ] || { diag "no valgrind log"; return 1; }
    for f in "${logs[@]}"; do
        diag "$(basename "$f"): $(grep -h 'ERROR SUMMARY\|definitely lost' "$f" \
            | sed 's/^==[0-9]*== *//' | tr '\n' ' ')"
        grep -q 'ERROR SUMMARY: 0 errors' "$f" || bad=1
        grep -q 'definitely lost: [1-9]' "$f" && bad=1
    done
    [ "${#logs[@]}" -eq 2 ] && [ "$bad" -eq 0 ]
}
ok "both valgrind logs: 0 errors, nothing definitely lost" clean
[ "$tap_failed" -ne 0 ] && for f in "$T"/valgrind-*.log; do
    sed -n '/definitely lost in/,/^==[0-9]*== $/p; /Invalid\|uninitialised/,/^==[0-9]*== $/p' "$f" \
        | head -80 | sed 's/^/# /'
done
exit $tap_failed
