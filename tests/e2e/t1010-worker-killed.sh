#!/bin/bash
# t1010-worker-killed: as t1000 (with slow replies), but one worker is
# killed with SIGKILL in the middle of the run. Its jobs are re-dispatched after its heartbeats
# stop: no tick is lost, none is stored twice.
. "$(dirname "$0")/lib.sh"
echo "1..4"
start_pg
start_fixture
start_coordinator --heartbeat 500ms
start_worker w1 --heartbeat 500ms
start_worker w2 --heartbeat 500ms
victim=$LAST_WORKER_PID
ok "two workers joined" wait_workers 2
# Replies take 300 ms, so the victim always dies with jobs in flight.
sources_file 200 1s "/bad/slow?ms=300&id=" >"$T/sources.json"
ok "apply 200 sources" "$WATERSHED" apply -f "$T/sources.json"
t0=$(now_ms)
sleep 4
kill -KILL "$victim"
diag "worker w2 (pid $victim) killed with SIGKILL"
sleep 8
t1=$(now_ms)
sleep 3
from=$(( (t0 / 1000 + 2) * 1000 ))
to=$(( (t1 / 1000 - 1) * 1000 ))
ok "every tick of every source stored once across the kill" \
    check_ticks "$from" "$to" 200
redispatched=$("$WATERSHED" status --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["jobs_redispatched"])')
diag "jobs re-dispatched: $redispatched"
ok "the dead worker's jobs were re-dispatched" test "$redispatched" -gt 0
exit $tap_failed
