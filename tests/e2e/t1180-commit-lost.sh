#!/bin/bash
# t1180-commit-lost: the connection breaks between a COMMIT and its
# answer. watershedd talks to PostgreSQL through a proxy
# (tests/tools/ws_pgproxy.py) that, when armed, lets the sample writer's
# INSERT commit, then withholds the answer and closes the connection:
# the rows are stored, watershedd only knows the write failed. It sends
# the batch again on a new connection; the samples already there are
# skipped (samples are keyed by series and tick), so every tick is
# stored once, none twice, none lost, and the workers get their ACKs.
. "$(dirname "$0")/lib.sh"
echo "1..5"
start_pg
start_fixture
SOCKET=$(printf '%s\n' "$CONNINFO" | sed -n 's/.*host=\([^ ]*\).*/\1/p')/.s.PGSQL.$(printf '%s\n' "$CONNINFO" | sed -n 's/.*port=\([0-9]*\).*/\1/p')
python3 "$(dirname "$0")/../tools/ws_pgproxy.py" --socket "$SOCKET" \
    --port-file "$T/proxy.port" --arm "$T/arm" --log "$T/proxy.log" \
    2>"$T/proxy-stderr.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/proxy.port" ] && break; sleep 0.05; done
PROXY="host=127.0.0.1 port=$(cat "$T/proxy.port") user=watershed dbname=watershed sslmode=disable gssencmode=disable"

WORKER_PORT=$(free_port)
mkdir -p "$T/state"
export WATERSHED_COORDINATOR="ipc://$T/state/watershedd.sock"
"$WATERSHEDD" --db "$PROXY" --state-dir "$T/state" \
    --workers "tcp://127.0.0.1:$WORKER_PORT" --analysis-windows "" \
    2>>"$T/coordinator.log" &
COORD_PID=$!
PIDS+=($COORD_PID)
for _ in $(seq 1 100); do "$WATERSHED" status >/dev/null 2>&1 && break; sleep 0.1; done
start_worker w1
wait_workers 1 || { echo "Bail out! the worker did not connect"; exit 1; }
sources_file 10 1s /s/ >"$T/sources.json"
"$WATERSHED" apply -f "$T/sources.json" >/dev/null \
    || { echo "Bail out! apply failed"; exit 1; }
sleep 3
T0=$(( $(now_ms) / 1000 * 1000 ))
sleep 4
touch "$T/arm"
for _ in $(seq 1 100); do [ -e "$T/arm" ] || break; sleep 0.1; done
sleep 6
T1=$(( $(now_ms) / 1000 * 1000 ))
sleep 3   # the window's last results are written by then

dropped=$(sed -n 's/.*dropped INSERT 0 \([0-9]*\).*/\1/p' "$T/proxy.log" | head -1)
diag "the proxy withheld the answer to a committed INSERT of ${dropped:-?} samples"
ok "a committed INSERT lost its answer" test "${dropped:-0}" -gt 0
ok "watershedd saw the write fail and resumed by itself" \
    test -n "$(grep 'writes resumed' "$T/coordinator.log")"
# No more results: the counters and the table hold still.
kill -TERM "$LAST_WORKER_PID"; wait "$LAST_WORKER_PID" 2>/dev/null
sleep 1
"$WATERSHED" status --json >"$T/status.json"
read -r committed new <<<"$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["counters"]; print(c["samples_committed"], c["samples_new"])' "$T/status.json")"
stored=$(sql "SELECT count(*) FROM samples")
diag "in the database $stored samples: $new new by watershedd's count, plus the $dropped of the lost answer; committed $committed"
ok "the resent batch added nothing: its rows were stored once, by the first try" \
    test "$stored" -eq $(( new + dropped )) -a "$committed" -eq "$stored"
ok "every tick of every series stored once across the lost answer" \
    check_ticks "$T0" "$T1" 10
ok "nothing is missing a record: no missed ticks" \
    test "$(sql "SELECT count(*) FROM missed_ticks")" -eq 0
