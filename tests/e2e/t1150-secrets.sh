#!/bin/bash
# t1150-secrets: secrets never leave where they belong. A source sends a
# token from the worker's environment in a header, a webhook signs with
# a key from watershedd's environment and sends the token in a header
# too, and watershedd's database conninfo carries a password. After
# collection, failures (a 401 source, a 500 hook) and a delivery, none
# of the three values appears in any log, in 'status', 'sources',
# 'alerts' or 'hook test' output (text or JSON), or in a dump of the
# database. The values were used: the receiver saw the token and
# verified the signature.
. "$(dirname "$0")/lib.sh"
echo "1..6"
export SRC_TOKEN="tok-$$-Zq8rW2xY"
export HOOK_KEY="hk-$$-Pw7tQ1vN"
DB_PASSWORD="db-$$-Lm4sK9cB"
start_pg
start_fixture
start_hookrecv --secret-env HOOK_KEY
PLAIN_CONNINFO=$CONNINFO
CONNINFO="$CONNINFO password=$DB_PASSWORD"
start_coordinator --analysis-windows ""
start_worker w1
wait_workers 1
cat >"$T/config.json" <<JSON
{"sources": [
  {"name": "with-token", "url": "$FIXTURE_URL/s/a", "interval": "1s",
   "headers": {"Authorization": "Bearer \${SRC_TOKEN}"},
   "metrics": [{"name": "sales", "type": "gauge", "json": "/sales"}]},
  {"name": "refused", "url": "$FIXTURE_URL/status/401", "interval": "1s",
   "headers": {"Authorization": "Bearer \${SRC_TOKEN}"},
   "metrics": [{"name": "sales", "type": "gauge", "json": "/sales"}]}],
 "hooks": [
  {"name": "signed", "type": "webhook", "url": "$HOOKRECV_URL/ok/signed",
   "secret_env": "HOOK_KEY", "headers": {"X-Token": "\${SRC_TOKEN}"}},
  {"name": "broken", "type": "webhook", "url": "$HOOKRECV_URL/status/500/broken",
   "secret_env": "HOOK_KEY", "headers": {"X-Token": "\${SRC_TOKEN}"}}]}
JSON
"$WATERSHED" apply -f "$T/config.json" >"$T/apply.out" 2>&1
sleep 4
"$WATERSHED" hook test signed >"$T/hooktest.out" 2>&1; rc=$?
"$WATERSHED" hook test broken >>"$T/hooktest.out" 2>&1
ok "the hook test through the worker is signed and verified, the token sent" \
    test "$rc" -eq 0 -a "$(python3 - "$HOOKRECV_LOG" "$SRC_TOKEN" <<'PY'
import json, sys
l = [json.loads(x) for x in open(sys.argv[1]) if '"/ok/signed"' in x][0]
print(l["verified"] is True and l["headers"].get("x-token") == sys.argv[2])
PY
)" = True
ok "the token source collects, the 401 source fails" \
    test "$(sql "SELECT count(*) FROM samples")" -ge 2 \
    -a -n "$("$WATERSHED" sources --json | grep -o 'HTTP 401')"
for what in status sources alerts; do
    "$WATERSHED" "$what" >"$T/out-$what.txt" 2>&1
    "$WATERSHED" "$what" --json >"$T/out-$what.json" 2>&1
done
"$WATERSHED" alerts --json --kind test >"$T/out-tests.json" 2>&1
pg_dump "$PLAIN_CONNINFO" >"$T/dump.sql" 2>"$T/dump.err"
ok "the dump of the database is whole" test -s "$T/dump.sql" -a -n "$(grep -c 'COPY public.deliveries' "$T/dump.sql")"
# leaks FILE...: lines of the files that hold a secret value
leaks() {
    grep -l -F -e "$SRC_TOKEN" -e "$HOOK_KEY" -e "$DB_PASSWORD" "$@" 2>/dev/null
}
printf 'x %s y\n' "$DB_PASSWORD" >"$T/planted"
ok "the check finds a secret where there is one" test -n "$(leaks "$T/planted")"
files=("$T"/coordinator.log "$T"/worker-w1.log "$T"/apply.out "$T"/hooktest.out \
       "$T"/out-* "$T"/dump.sql)
diag "checked: ${#files[@]} files, $(cat "${files[@]}" | wc -c) bytes"
found=$(leaks "${files[@]}")
[ -n "$found" ] && diag "secret found in: $found"
ok "no secret in logs, CLI output (text and JSON) or the database" test -z "$found"
ok "the errors name what failed without the secrets" \
    test -n "$(grep -o 'HTTP 500' "$T/hooktest.out")" \
    -a -n "$(grep -o 'HTTP 401' "$T/out-sources.json")"
exit $tap_failed
