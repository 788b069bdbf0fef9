#!/bin/bash
# t1200-curve: CURVE on the coordinator's two sockets (PROTOCOL.md 12).
# The coordinator has a key pair and an allow-list of one worker key and
# one client key, both sockets on tcp://127.0.0.1. The allowed worker
# collects; a worker with an unknown key, or with none, never joins and
# gets no job; the refusal is logged with the address and the key, once
# a minute; the CLI reads status with the allowed key only. SIGHUP reads
# the allow-list again. Without a key pair, a non-loopback endpoint is
# refused unless --allow-plaintext.
. "$(dirname "$0")/lib.sh"
echo "1..21"
start_pg
start_fixture

K=$T/keys
mkdir -p "$T/state/authorized"
"$WATERSHED" keygen coordinator --dir "$T/state/keys" >/dev/null \
    && for name in w-good w-bad cli-good cli-bad; do
        "$WATERSHED" keygen "$name" --dir "$K" >/dev/null || exit 1
    done
ok "keygen writes NAME.secret with mode 600 and NAME.key" \
    test "$(stat -c %a "$K/w-good.secret")" = 600 -a -s "$K/w-good.key"
cp "$K/w-good.key" "$K/cli-good.key" "$T/state/authorized/"
key_of() { sed -n 's/^public-key = "\(.*\)"$/\1/p' "$1"; }
COORD_KEY=$T/state/keys/coordinator.key

# The coordinator, as lib.sh's start_coordinator but with the clients on
# tcp too, and the CLI with the allowed client key.
WORKER_PORT=$(free_port)
CLIENT_PORT=$(free_port)
export WATERSHED_COORDINATOR="tcp://127.0.0.1:$CLIENT_PORT"
export WATERSHED_CLIENT_KEY=$K/cli-good.secret
export WATERSHED_COORDINATOR_KEY=$COORD_KEY
"$WATERSHEDD" --db "$CONNINFO" --state-dir "$T/state" \
    --workers "tcp://127.0.0.1:$WORKER_PORT" \
    --clients "tcp://127.0.0.1:$CLIENT_PORT" 2>"$T/coordinator.log" &
COORD_PID=$!
PIDS+=($COORD_PID)
for _ in $(seq 1 100); do
    "$WATERSHED" status >/dev/null 2>&1 && break
    sleep 0.1
done

status_field() {  # status_field PYTHON-EXPR on the status JSON as s
    "$WATERSHED" status --json \
        | python3 -c "import json,sys; s=json.load(sys.stdin); print($1)"
}
ok "(d) the CLI with the allowed key reads status: CURVE on, 2 keys" \
    test "$(status_field 's["security"]["curve"], s["security"]["keys_allowed"]')" \
    = "True 2"

# (a) The allowed worker collects.
start_worker w-good --key "$K/w-good.secret" --coordinator-key "$COORD_KEY" \
    --log-level info
ok "(a) the allowed worker joins" wait_workers 1
sources_file 3 1s /s/ >"$T/sources.json"
"$WATERSHED" apply -f "$T/sources.json" >/dev/null
samples=0
for _ in $(seq 1 50); do
    samples=$(sql "SELECT count(*) FROM samples")
    [ "$samples" -ge 9 ] && break
    sleep 0.2
done
ok "(a) the allowed worker's samples are stored ($samples)" test "$samples" -ge 9

# (b) An unknown key and (c) no key: neither joins nor gets a job.
start_worker w-bad --key "$K/w-bad.secret" --coordinator-key "$COORD_KEY" \
    --log-level info
BAD_PID=$LAST_WORKER_PID
WATERSHED_COORDINATOR_KEY= start_worker w-plain --log-level info
PLAIN_PID=$LAST_WORKER_PID
sleep 4
names=$(status_field '" ".join(sorted(w["name"] for w in s["workers"]))')
ok "(b, c) only the allowed worker is in status ($names)" test "$names" = w-good
bad_key=$(key_of "$K/w-bad.key")
ok "(b) the log names the refused key and address" \
    grep -qF "refused a worker from 127.0.0.1: public key \"$bad_key\"" \
    "$T/coordinator.log"
# The refused worker tries again (at least at each liveness timeout).
refused=0
for _ in $(seq 1 100); do
    refused=$(status_field 's["security"]["refused"]')
    [ "$refused" -ge 2 ] && break
    sleep 0.2
done
ok "(b) refusals are counted in status ($refused)" test "$refused" -ge 2
ok "(b) the refusal is logged once although the worker retried" \
    test "$(grep -cF -e "$bad_key" "$T/coordinator.log")" -eq 1
# At --log-level info a worker logs every job it runs.
jobs_run() { grep -c ": job [0-9]" "$T/worker-$1.log"; }
ok "(a) the allowed worker ran jobs ($(jobs_run w-good))" \
    test "$(jobs_run w-good)" -gt 0
ok "(b, c) both refused workers are still running, trying" \
    kill -0 "$BAD_PID" "$PLAIN_PID"
ok "(b) the unknown worker ran no job" test "$(jobs_run w-bad)" -eq 0
ok "(c) the plain worker ran no job" test "$(jobs_run w-plain)" -eq 0

# (d) The CLI without a key, or with an unknown one: exit 3, nothing read.
WATERSHED_CLIENT_KEY= WATERSHED_COORDINATOR_KEY= WATERSHED_TIMEOUT_MS=3000 \
    "$WATERSHED" status >"$T/plain.out" 2>"$T/plain.err"
rc=$?
ok "(d) the CLI without a key fails with exit 3 ($rc)" test "$rc" -eq 3
ok "(d) ... and reads nothing" test ! -s "$T/plain.out"
diag "$(cat "$T/plain.err")"
WATERSHED_CLIENT_KEY=$K/cli-bad.secret WATERSHED_TIMEOUT_MS=3000 \
    "$WATERSHED" status >"$T/bad.out" 2>"$T/bad.err"
rc=$?
ok "(d) the CLI with an unknown key fails with exit 3 ($rc)" test "$rc" -eq 3
ok "(d) ... reads nothing and says the key was refused" \
    test ! -s "$T/bad.out" -a "$(grep -c "refused this client's key" "$T/bad.err")" -eq 1
diag "$(cat "$T/bad.err")"

# SIGHUP: the allow-list is read again; the unknown worker gets in.
cp "$K/w-bad.key" "$T/state/authorized/"
kill -HUP "$COORD_PID"
ok "after SIGHUP the newly allowed worker joins" wait_workers 2
kill -TERM "$BAD_PID" "$PLAIN_PID"

# (e) Without a key pair, an endpoint off the loopback is refused.
mkdir -p "$T/state2"
PORT2=$(free_port)
"$WATERSHEDD" --db "$CONNINFO" --state-dir "$T/state2" \
    --workers "tcp://0.0.0.0:$PORT2" 2>"$T/plain-coordinator.log"
rc=$?
ok "(e) tcp://0.0.0.0 without a key pair is refused ($rc)" test "$rc" -ne 0
ok "(e) ... naming --allow-plaintext" \
    grep -q -- "--allow-plaintext" "$T/plain-coordinator.log"
diag "$(tail -1 "$T/plain-coordinator.log")"
"$WATERSHEDD" --db "$CONNINFO" --state-dir "$T/state2" \
    --workers "tcp://0.0.0.0:$PORT2" --allow-plaintext \
    2>"$T/plaintext-coordinator.log" &
PLAINTEXT_PID=$!
PIDS+=($PLAINTEXT_PID)
started=1
for _ in $(seq 1 100); do
    WATERSHED_CLIENT_KEY= WATERSHED_COORDINATOR_KEY= \
        WATERSHED_COORDINATOR="ipc://$T/state2/watershedd.sock" \
        "$WATERSHED" status >/dev/null 2>&1 && { started=0; break; }
    sleep 0.1
done
ok "(e) with --allow-plaintext it starts" test "$started" -eq 0
kill -TERM "$PLAINTEXT_PID"; wait "$PLAINTEXT_PID"
kill -TERM "$COORD_PID"; wait "$COORD_PID"; rc=$?
ok "watershedd drains and exits 0 on SIGTERM" test "$rc" -eq 0
exit $tap_failed
