# lib.sh - shared by the end-to-end tests (sourced). Starts real
# processes: a throwaway PostgreSQL (ws_testpg, the same code as
# watershedd's embedded default), the HTTP fixture, watershedd and
# workers; TAP output; everything started is stopped on exit.
set -u
: "${WS_BUILD_DIR:?WS_BUILD_DIR must be set (ctest sets it)}"
B=$WS_BUILD_DIR
WATERSHED=$B/cli/watershed
WATERSHEDD=$B/daemon/watershedd
WORKER=$B/workers/watershed-worker
FIXTURE=$B/tests/tools/ws_fixture
TESTPG=$B/tests/tools/ws_testpg

T=$(mktemp -d /tmp/ws-e2e-XXXXXX)
chmod 755 "$T"
PIDS=()
PG_DIR=
tap_n=0
tap_failed=0

ok() {  # ok DESCRIPTION COMMAND...
    local what=$1; shift
    tap_n=$((tap_n + 1))
    if "$@"; then echo "ok $tap_n - $what"
    else echo "not ok $tap_n - $what"; tap_failed=$((tap_failed + 1)); fi
}

diag() { printf '# %s\n' "$*"; }

cleanup() {
    set +e
    for ((i=${#PIDS[@]}-1; i>=0; i--)); do
        kill -TERM "${PIDS[$i]}" 2>/dev/null
    done
    for ((i=${#PIDS[@]}-1; i>=0; i--)); do
        wait "${PIDS[$i]}" 2>/dev/null
    done
    [ -n "$PG_DIR" ] && "$TESTPG" stop "$PG_DIR" >/dev/null 2>&1
    # A sanitizer's report in any process's log fails the test, even
    # when the behaviour checked was right (a leak at exit, a UB line).
    local report
    report=$(grep -l -E 'ERROR: (Address|Leak|Thread|Memory)Sanitizer|runtime error:' \
             "$T"/*.log 2>/dev/null)
    if [ -n "$report" ]; then
        echo "not ok - sanitizer report in: $report"
        tap_failed=$((tap_failed + 1))
    fi
    if [ "$tap_failed" -ne 0 ] || [ "${WS_E2E_KEEP:-0}" = 1 ]; then
        diag "logs kept in $T"
        for f in "$T"/*.log; do
            [ -f "$f" ] || continue
            diag "--- tail of $f"
            tail -15 "$f" | sed 's/^/# /'
        done
    else
        rm -rf "$T"
    fi
    [ "$tap_failed" -eq 0 ] || exit 1
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_pg() {
    local out
    out=$("$TESTPG" start) || { echo "Bail out! ws_testpg start failed"; exit 1; }
    PG_DIR=$(printf '%s\n' "$out" | sed -n 's/^dir=//p')
    CONNINFO=$(printf '%s\n' "$out" | sed -n 's/^conninfo=//p')
}

sql() {  # sql QUERY: one value per line, unaligned
    psql "$CONNINFO" -X -q -t -A -v ON_ERROR_STOP=1 -c "$1"
}

start_fixture() {
    "$FIXTURE" --port 0 --port-file "$T/fixture.port" "$@" 2>"$T/fixture.log" &
    PIDS+=($!)
    for _ in $(seq 1 100); do [ -s "$T/fixture.port" ] && break; sleep 0.05; done
    FIXTURE_PORT=$(cat "$T/fixture.port")
    FIXTURE_URL=http://127.0.0.1:$FIXTURE_PORT
}

# WS_VALGRIND=1: watershedd and the workers run under valgrind memcheck
# (t1300-valgrind), one log per process in $T/valgrind-PID.log; a leak
# definitely lost or any error makes the process exit 99. Start-up waits
# are then 60 s instead of 10 s.
WRAP=()
WAIT_TRIES=100
if [ "${WS_VALGRIND:-0}" = 1 ]; then
    WRAP=(valgrind --leak-check=full --errors-for-leak-kinds=definite
          --error-exitcode=99 --num-callers=30
          "--suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/valgrind.supp"
          "--log-file=$T/valgrind-%p.log")
    WAIT_TRIES=600
fi

# run_coordinator [OPTIONS]: watershedd on $CONNINFO, $T/state and
# $WORKER_PORT, its log appended to $T/coordinator.log; sets COORD_PID
# and waits until it answers.
run_coordinator() {
    "${WRAP[@]}" "$WATERSHEDD" --db "$CONNINFO" --state-dir "$T/state" \
        --workers "tcp://127.0.0.1:$WORKER_PORT" "$@" 2>>"$T/coordinator.log" &
    COORD_PID=$!
    PIDS+=($COORD_PID)
    for _ in $(seq 1 "$WAIT_TRIES"); do
        "$WATERSHED" status >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "Bail out! watershedd did not answer"; exit 1
}

start_coordinator() {
    WORKER_PORT=$(free_port)
    mkdir -p "$T/state"
    export WATERSHED_COORDINATOR="ipc://$T/state/watershedd.sock"
    run_coordinator "$@"
}

start_worker() {  # start_worker NAME [OPTIONS]: sets LAST_WORKER_PID
    local name=$1; shift
    "${WRAP[@]}" "$WORKER" --coordinator "tcp://127.0.0.1:$WORKER_PORT" \
        --name "$name" "$@" 2>"$T/worker-$name.log" &
    LAST_WORKER_PID=$!
    PIDS+=($LAST_WORKER_PID)
}

wait_workers() {  # wait_workers N: until N workers are connected
    for _ in $(seq 1 100); do
        local n
        n=$("$WATERSHED" status --json 2>/dev/null \
            | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["workers"]))' 2>/dev/null)
        [ "${n:-0}" -ge "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

now_ms() { python3 -c 'import time; print(int(time.time()*1000))'; }

# sources_file N INTERVAL PATH_PREFIX > FILE: N sources s0001.. on the
# fixture, three metrics each, labelled src=NAME.
sources_file() {
    python3 - "$1" "$2" "$3" "$FIXTURE_URL" <<'PY'
import json, sys
n, interval, prefix, base = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
sources = []
for i in range(1, n + 1):
    name = "s%04d" % i
    sources.append({
        "name": name, "url": "%s%s%s" % (base, prefix, name),
        "interval": interval, "timeout": "2s", "labels": {"src": name},
        "metrics": [
            {"name": "sales", "type": "gauge", "json": "/sales"},
            {"name": "signups", "type": "gauge", "json": "/signups"},
            {"name": "visits", "type": "gauge", "json": "/visits"}]})
print(json.dumps({"sources": sources}, indent=1))
PY
}

# check_ticks FROM_MS TO_MS SOURCES: every series of every source has one
# sample for every tick in [FROM, TO) and none twice. Prints figures.
check_ticks() {
    local from=$1 to=$2 sources=$3
    local want=$(( (to - from) / 1000 ))
    local out
    out=$(sql "
      WITH w AS (
        SELECT s.id, count(x.ts) AS n, count(DISTINCT x.ts) AS d
        FROM series s LEFT JOIN samples x ON x.series_id = s.id
          AND x.ts >= timestamptz 'epoch' + $from * interval '1 ms'
          AND x.ts <  timestamptz 'epoch' + $to * interval '1 ms'
        GROUP BY s.id)
      SELECT count(*), coalesce(sum(n), 0), count(*) FILTER (WHERE n <> $want),
             coalesce(sum(n - d), 0), coalesce(min(n), 0), coalesce(max(n), 0)
      FROM w")
    local series total wrong dups min max
    IFS='|' read -r series total wrong dups min max <<<"$out"
    diag "window $(( (to - from) / 1000 )) s: $series series (want $((sources * 3)))," \
         "$total samples (want $((sources * 3 * want))), per series min $min max $max," \
         "$wrong series off, $dups duplicates"
    [ "$series" -eq $((sources * 3)) ] && [ "$wrong" -eq 0 ] && [ "$dups" -eq 0 ]
}

# start_hookrecv [OPTIONS]: the webhook receiver (tests/tools/ws_hookrecv)
# on a free port, logging one JSON line per POST to $HOOKRECV_LOG; sets
# HOOKRECV_PID, HOOKRECV_PORT and HOOKRECV_URL. Pass --secret-env NAME to
# verify signatures.
HOOKRECV=$B/tests/tools/ws_hookrecv
start_hookrecv() {
    HOOKRECV_LOG=$T/hookrecv.jsonl
    rm -f "$T/hookrecv.port"
    "$HOOKRECV" --port 0 --port-file "$T/hookrecv.port" --log "$HOOKRECV_LOG" \
        "$@" 2>"$T/hookrecv.log" &
    HOOKRECV_PID=$!
    PIDS+=($HOOKRECV_PID)
    for _ in $(seq 1 100); do [ -s "$T/hookrecv.port" ] && break; sleep 0.05; done
    [ -s "$T/hookrecv.port" ] || { echo "Bail out! ws_hookrecv did not start"; exit 1; }
    HOOKRECV_PORT=$(cat "$T/hookrecv.port")
    HOOKRECV_URL=http://127.0.0.1:$HOOKRECV_PORT
}

# restart_coordinator [OPTIONS]: start watershedd again on the same
# database, state directory and worker endpoint as start_coordinator
# (after it was killed), so that running workers find it again.
restart_coordinator() { run_coordinator "$@"; }
