#!/bin/bash
# t1090-apply-hooks: alert hooks declared with 'watershed apply' through
# the real coordinator: two hooks stored with their normalised
# definitions and a "hooks" report section, unchanged on a second apply,
# updated when changed, a bad repeat_interval and a relative argv[0]
# located by file:line:col with nothing applied, prune, and the tables of
# sql/0006 (deliveries unique per alert and hook).
. "$(dirname "$0")/lib.sh"
echo "1..15"
start_pg
start_coordinator

cat >"$T/hooks.json" <<'JSON'
{"hooks": [
  {"name": "ops-webhook", "type": "webhook",
   "url": "https://hooks.example/ops", "format": "alertmanager",
   "secret_env": "OPS_HOOK_KEY", "headers": {"X-Team": "${TEAM}"},
   "match": {"kinds": ["slipped", "missed"], "min_severity": "warning"},
   "repeat_interval": "4h"},
  {"name": "pager", "type": "command",
   "argv": ["/usr/local/bin/page", "--quiet"],
   "env": {"PAGER_TOKEN": "${PAGER_TOKEN}"}, "send_resolved": false}
 ]}
JSON
"$WATERSHED" apply -f "$T/hooks.json" --json >"$T/report.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "a file with two hooks applies" test "$rc" -eq 0
ok "the report has a hooks section" python3 - "$T/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["hooks"]["created"] == ["ops-webhook", "pager"]
         and r["goals"]["created"] == [] else 1)
PY
ok "both hooks are stored with their type" \
    test "$(sql "SELECT string_agg(name || ':' || type, ',' ORDER BY name) FROM hooks")" = "ops-webhook:webhook,pager:command"
ok "the stored definition is normalised (defaults written out)" \
    test "$(sql "SELECT def->>'max_age' || ' ' || (def->>'send_resolved') || ' ' || (def->>'timeout') FROM hooks WHERE name = 'pager'")" = "1d false 10s"
ok "the secret's variable name is stored, never a value" \
    test "$(sql "SELECT def->>'secret_env' FROM hooks WHERE name = 'ops-webhook'")" = OPS_HOOK_KEY

"$WATERSHED" apply -f "$T/hooks.json" >"$T/out" 2>&1; rc=$?
diag "$(cat "$T/out")"
ok "applying again reports the hooks unchanged" \
    test "$rc" -eq 0 -a -n "$(grep '^hooks *unchanged *2' "$T/out")"

sed 's/"4h"/"2h"/' "$T/hooks.json" >"$T/changed.json"
"$WATERSHED" apply -f "$T/changed.json" >"$T/out" 2>&1; rc=$?
diag "$(cat "$T/out")"
ok "a changed hook is updated, the other unchanged" \
    test "$rc" -eq 0 -a -n "$(grep '^hooks *updated *ops-webhook' "$T/out")" \
    -a "$(sql "SELECT def->>'repeat_interval' FROM hooks WHERE name = 'ops-webhook'")" = 2h

cat >"$T/bad.json" <<'JSON'
{"hooks": [
  {"name": "fine", "type": "webhook", "url": "http://127.0.0.1:9/x"},
  {"name": "too-eager", "type": "webhook", "url": "http://127.0.0.1:9/y",
   "repeat_interval": "10s"}
 ]}
JSON
"$WATERSHED" apply -f "$T/bad.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "a bad repeat_interval exits 1" test "$rc" -eq 1
ok "the error names file, line, column and field" \
    grep -q "bad.json:4:[0-9]*: /hooks/1/repeat_interval: .*out of range" "$T/err"
ok "nothing was applied" test "$(sql "SELECT count(*) FROM hooks WHERE name = 'fine'")" -eq 0

cat >"$T/relative.json" <<'JSON'
{"hooks": [
  {"name": "local", "type": "command", "argv": ["notify-send", "x"]}
 ]}
JSON
"$WATERSHED" apply -f "$T/relative.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "a command hook with a relative argv[0] is refused" \
    test "$rc" -eq 1 -a -n "$(grep 'relative.json:2:[0-9]*: /hooks/0/argv/0: .*absolute path' "$T/err")" \
    -a "$(sql "SELECT count(*) FROM hooks WHERE name = 'local'")" -eq 0

cat >"$T/keep.json" <<'JSON'
{"hooks": [
  {"name": "pager", "type": "command",
   "argv": ["/usr/local/bin/page", "--quiet"],
   "env": {"PAGER_TOKEN": "${PAGER_TOKEN}"}, "send_resolved": false}
 ]}
JSON
"$WATERSHED" apply -f "$T/keep.json" --prune --json >"$T/prune.json" 2>"$T/err"
diag "$(cat "$T/err")"
ok "prune deletes the hooks the file does not name" python3 - "$T/prune.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["hooks"]["deleted"] == ["ops-webhook"]
         and r["hooks"]["unchanged"] == ["pager"] else 1)
PY

# The delivery table: one row per (alert, hook), the idempotency key unique.
# The alert is marked routed and the delivery due tomorrow, so that the
# running coordinator leaves both alone.
sql "INSERT INTO alerts (fingerprint, kind, summary, evidence, routed_at) VALUES ('t1090', 'trend', 's', '{}', now())" >/dev/null
ins="INSERT INTO deliveries (alert_id, hook_id, idempotency_key, next_attempt_at) SELECT a.id, h.id, 'k-' || a.id || '-' || h.id, now() + interval '1 day' FROM alerts a, hooks h WHERE a.fingerprint = 't1090' AND h.name = 'pager'"
sql "$ins" >/dev/null 2>&1
ok "a delivery is stored pending" \
    test "$(sql "SELECT state || ' ' || attempts FROM deliveries")" = "pending 0"
ok "a second delivery of the same alert to the same hook is refused" \
    test -z "$(sql "$ins" 2>/dev/null)" -a "$(sql "SELECT count(*) FROM deliveries")" -eq 1
ok "a silence needs exactly one target" \
    test -z "$(sql "INSERT INTO silences (goal, campaign, until, reason) VALUES ('g', 'c', now(), 'r') RETURNING id" 2>/dev/null)"
exit $tap_failed
