#!/bin/bash
# t1110-hook-crash: watershedd killed with SIGKILL between sending an
# alert and recording the receiver's answer. The receiver holds each
# request 3 s, so the kill lands while the POST is in flight.
#   A: only watershedd dies. The worker still gets the answer and sends
#      the result to the restarted coordinator: recorded, never re-sent.
#   B: watershedd and the worker die. The delivery stays 'sending'; when
#      its lease runs out the restarted coordinator sends it again, once,
#      with the same idempotency key, and the receiver drops the repeat.
# ctest: slow (about 60 s: a lease has to run out)
. "$(dirname "$0")/lib.sh"
echo "1..8"
export HOOK_KEY=crash-secret-$$
OPTS=(--goal-debounce 200ms --goal-interval 1s --analysis-windows "")
start_pg
start_hookrecv --secret-env HOOK_KEY
start_coordinator "${OPTS[@]}"
start_worker w1

python3 - "$T" <<'PY'
import datetime, sys
d = sys.argv[1]
today = datetime.datetime.now(datetime.timezone.utc).date()
with open(d + "/history.csv", "w") as f:
    f.write("t,value\n")
    for i in range(90):
        day = today - datetime.timedelta(days=89 - i)
        f.write("%s,%d\n" % (day.isoformat(), 40))
start = today - datetime.timedelta(days=60)
deadline = today + datetime.timedelta(days=30)
open(d + "/dates", "w").write("%s %s\n" % (start, deadline))
PY
read -r START DEADLINE <"$T/dates"
"$WATERSHED" import --metric signups --labels region=eu --type per_period \
    "$T/history.csv" >/dev/null 2>&1

# config GOAL PATH: a goal far off track and its hook, which the
# receiver holds 3 s.
config() {
    cat <<JSON
{"goals": [{"name": "$1", "kind": "total", "direction": "at_least",
            "target": 9000, "start": "$START", "deadline": "$DEADLINE",
            "metric": "signups", "labels": {"region": "eu"}}],
 "hooks": [{"name": "hook-$1", "type": "webhook", "url": "$HOOKRECV_URL$2",
            "secret_env": "HOOK_KEY", "match": {"goals": ["$1"]}}]}
JSON
}
# requests PATH: "count keys duplicates" of the receiver's log for PATH
requests() {
    python3 - "$HOOKRECV_LOG" "$1" <<'PY'
import json, sys
try:
    lines = [json.loads(l) for l in open(sys.argv[1])]
except FileNotFoundError:
    lines = []
r = [l for l in lines if l["path"] == sys.argv[2]]
print(len(r), len({l["key"] for l in r}), sum(1 for l in r if l["duplicate"]))
PY
}
wait_request() {  # wait_request PATH: until the receiver has logged one
    for _ in $(seq 1 200); do
        [ "$(requests "$1" | cut -d' ' -f1)" -ge 1 ] && return 0
        sleep 0.1
    done
    return 1
}
state() {  # state GOAL: "state attempts" of the goal's delivery
    sql "SELECT d.state || ' ' || d.attempts FROM deliveries d
         JOIN alerts a ON a.id = d.alert_id JOIN goals g ON g.id = a.goal_id
         WHERE g.name = '$1'"
}

# A: watershedd alone.
config goal-a /hold/3000/a >"$T/a.json"
"$WATERSHED" apply -f "$T/a.json" >/dev/null 2>&1
ok "A: the slip's POST reaches the receiver" wait_request /hold/3000/a
{ kill -KILL "$COORD_PID"; wait "$COORD_PID"; } 2>/dev/null
diag "A: watershedd killed with the POST in flight: delivery '$(state goal-a)'"
sleep 4
restart_coordinator "${OPTS[@]}"
for _ in $(seq 1 400); do
    [ "$(state goal-a | cut -d' ' -f1)" = delivered ] && break
    sleep 0.1
done
diag "A: after the restart: '$(state goal-a)', receiver: $(requests /hold/3000/a)"
ok "A: recorded as delivered after the restart" \
    test "$(state goal-a | cut -d' ' -f1)" = delivered
sleep 2
read -r n keys dups <<<"$(requests /hold/3000/a)"
ok "A: at most one re-send, with the same key" \
    test "$n" -le 2 -a "$keys" -eq 1 -a "$dups" -eq $((n - 1))
n_a=$n

# B: watershedd and the worker.
config goal-b /hold/3000/b >"$T/b.json"
"$WATERSHED" apply -f "$T/b.json" >/dev/null 2>&1
ok "B: the slip's POST reaches the receiver" wait_request /hold/3000/b
{ kill -KILL "$COORD_PID" "$LAST_WORKER_PID"
  wait "$COORD_PID" "$LAST_WORKER_PID"; } 2>/dev/null
ok "B: the delivery is left 'sending' by the crash" \
    test "$(state goal-b)" = "sending 1"
sleep 1
restart_coordinator "${OPTS[@]}"
start_worker w2
T0=$(now_ms)
for _ in $(seq 1 600); do
    [ "$(state goal-b | cut -d' ' -f1)" = delivered ] && break
    sleep 0.1
done
diag "B: delivered $(( ($(now_ms) - T0) / 1000 )) s after the restart: '$(state goal-b)', receiver: $(requests /hold/3000/b)"
ok "B: sent again once its lease ran out, and recorded" \
    test "$(state goal-b)" = "delivered 2"
read -r n keys dups <<<"$(requests /hold/3000/b)"
ok "B: exactly one re-send, same key, dropped by the receiver as a repeat" \
    test "$n" -eq 2 -a "$keys" -eq 1 -a "$dups" -eq 1
ok "goal A's delivered alert was not sent again by the second restart" \
    test "$(requests /hold/3000/a | cut -d' ' -f1)" -eq "$n_a"
exit $tap_failed
