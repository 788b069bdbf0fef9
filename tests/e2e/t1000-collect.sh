#!/bin/bash
# t1000-collect: 200 sources at 1 s through watershedd and two workers;
# after 10 s every source has one sample per elapsed tick, none twice.
. "$(dirname "$0")/lib.sh"
echo "1..5"
start_pg
start_fixture
start_coordinator
start_worker w1
start_worker w2
ok "two workers joined" wait_workers 2
sources_file 200 1s /s/ >"$T/sources.json"
ok "apply 200 sources" "$WATERSHED" apply -f "$T/sources.json"
t0=$(now_ms)
sleep 10
t1=$(now_ms)
sleep 2   # let the last ticks of the window commit
# Whole seconds inside the run, a second of margin at each end.
from=$(( (t0 / 1000 + 2) * 1000 ))
to=$(( (t1 / 1000 - 1) * 1000 ))
ok "every tick of every source stored once" check_ticks "$from" "$to" 200
ok "no source has an error" \
    test "$(sql "SELECT count(*) FROM source_health WHERE last_error IS NOT NULL")" -eq 0
"$WATERSHED" status | sed 's/^/# /'
kill -TERM "$COORD_PID"; wait "$COORD_PID"; rc=$?
ok "watershedd drains and exits 0 on SIGTERM" test "$rc" -eq 0
exit $tap_failed
