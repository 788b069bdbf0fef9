#!/bin/bash
# t1030-cli: the client against a real coordinator: apply with errors
# pointing at line and column, nothing applied from a bad file, update,
# dry run and prune, SIGHUP reload, migrate both ways, exit codes.
. "$(dirname "$0")/lib.sh"
echo "1..17"
start_pg
start_fixture
start_coordinator
start_worker w1
ok "worker joined" wait_workers 1

cat >"$T/bad.json" <<JSON
{"sources": [
  {"name": "good", "url": "$FIXTURE_URL/s/good", "interval": "1s",
   "metrics": [{"name": "sales", "type": "gauge", "json": "/sales"}]},
  {"name": "typo", "url": "$FIXTURE_URL/s/typo", "interval": "1s",
   "metrics": [{"name": "sales", "type": "gauge", "json": "/sales",
                "agregate": "sum"}]}
]}
JSON
"$WATERSHED" apply -f "$T/bad.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "a bad file exits 1" test "$rc" -eq 1
ok "the error names file, line, column and field" \
    grep -q "bad.json:6:[0-9]*: /sources/1/metrics/0/agregate" "$T/err"
count() { "$WATERSHED" sources --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
ok "nothing was applied" test "$(count)" -eq 0

printf '{"sources": [\n  {"name": "x",\n' >"$T/broken.json"
"$WATERSHED" apply -f "$T/broken.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "broken JSON names the line" test "$rc" -eq 1 -a -n "$(grep 'broken.json:3:' "$T/err")"

sources_file 3 1s /s/ >"$T/three.json"
ok "apply three sources" "$WATERSHED" apply -f "$T/three.json"
sources_file 2 2s /s/ >"$T/two.json"
"$WATERSHED" apply -f "$T/two.json" --prune --dry-run --json >"$T/dry.json"
ok "dry run reports the update and the prune" python3 - "$T/dry.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["updated"] == ["s0001", "s0002"] and r["deleted"] == ["s0003"] and r["dry_run"] else 1)
PY
ok "dry run changed nothing" test "$(count)" -eq 3
ok "prune for real" "$WATERSHED" apply -f "$T/two.json" --prune
ok "two sources left" test "$(count)" -eq 2
ok "interval updated" test "$("$WATERSHED" sources s0001 --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["interval_ms"])')" -eq 2000

# A source added behind the coordinator's back appears on SIGHUP.
sql "INSERT INTO sources (name, def, interval_ms) SELECT 'manual', def || '{\"name\": \"manual\"}', interval_ms FROM sources WHERE name = 's0001'" >/dev/null
kill -HUP "$COORD_PID"
sleep 0.5
ok "SIGHUP reloads the sources" test "$(count)" -eq 3

"$WATERSHED" samples 2>/dev/null; rc=$?
ok "usage error exits 2" test "$rc" -eq 2
"$WATERSHED" status --coordinator "ipc://$T/nowhere.sock" 2>/dev/null; rc=$?
ok "no coordinator exits 3" test "$rc" -eq 3
ok "migrate through the coordinator" "$WATERSHED" migrate
ok "migrate --db directly" "$WATERSHED" migrate --db "$CONNINFO"
sleep 2
ok "samples arrive for the applied sources" \
    test "$("$WATERSHED" samples sales --labels src=s0001 --json \
        | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -ge 1
exit $tap_failed
