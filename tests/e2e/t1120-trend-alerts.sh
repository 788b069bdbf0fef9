#!/bin/bash
# t1120-trend-alerts: trend events reach hooks too. Two imported series,
# one rising steadily and one with a step in its level, are analysed by
# a worker; the coordinator records a "trend" alert and a "change_point"
# alert and delivers each, in a message of its own kind, to the hook
# that takes those kinds, while a hook for goals only gets nothing.
. "$(dirname "$0")/lib.sh"
echo "1..5"
export HOOK_KEY=trend-secret-$$
start_pg
start_hookrecv --secret-env HOOK_KEY
start_coordinator --analysis-windows 28 --analysis-debounce 100ms \
    --goal-interval 1h
start_worker w1

cat >"$T/hooks.json" <<JSON
{"hooks": [
  {"name": "trends", "type": "webhook", "url": "$HOOKRECV_URL/ok/trends",
   "secret_env": "HOOK_KEY", "match": {"kinds": ["trend", "change_point"]}},
  {"name": "goals-only", "type": "webhook", "url": "$HOOKRECV_URL/ok/goals",
   "match": {"kinds": ["slipped", "missed"]}}]}
JSON
"$WATERSHED" apply -f "$T/hooks.json" >/dev/null 2>&1
ok "two hooks applied" test "$(sql "SELECT count(*) FROM hooks")" -eq 2

python3 - "$T" <<'PY'
import datetime, sys
d = sys.argv[1]
today = datetime.datetime.now(datetime.timezone.utc).date()
with open(d + "/rising.csv", "w") as f, open(d + "/step.csv", "w") as g:
    f.write("t,value\n"); g.write("t,value\n")
    for i in range(28):
        day = today - datetime.timedelta(days=27 - i)
        f.write("%s,%d\n" % (day, 100 + 5 * i + (i * 7) % 3))
        g.write("%s,%d\n" % (day, (50 if i < 14 else 80) + (i * 5) % 3))
PY
"$WATERSHED" import --metric visits --labels page=pricing "$T/rising.csv" >/dev/null 2>&1
"$WATERSHED" import --metric visits --labels page=home "$T/step.csv" >/dev/null 2>&1

kinds() {  # the alert kinds the receiver got at PATH, sorted, one line
    python3 - "$HOOKRECV_LOG" "$1" <<'PY'
import json, sys
try:
    lines = [json.loads(l) for l in open(sys.argv[1])]
except FileNotFoundError:
    lines = []
out = []
for l in lines:
    if l["path"] == sys.argv[2]:
        b = json.loads(l["body"])
        out.append("%s:%s" % (b["kind"], "+".join(sorted({a["kind"] for a in b["alerts"]}))))
print(" ".join(sorted(out)))
PY
}
for _ in $(seq 1 150); do
    case "$(kinds /ok/trends)" in *change_point*trend*) break ;; esac
    sleep 0.2
done
diag "alerts: $(sql "SELECT string_agg(kind || ' ' || summary, ' | ') FROM alerts")"
diag "received at /ok/trends: $(kinds /ok/trends)"
ok "a trend alert and a change point alert were recorded" \
    test "$(sql "SELECT count(DISTINCT kind) FROM alerts WHERE kind IN ('trend', 'change_point')")" -eq 2
ok "both were delivered to the trend hook, each message of one kind" \
    test -n "$(kinds /ok/trends | grep 'change_point:change_point' | grep 'trend:trend')" \
    -a -z "$(kinds /ok/trends | grep '+')"
ok "every trend hook request was signed and verified" \
    test "$(python3 -c 'import json,sys; print(all(json.loads(l)["verified"] for l in open(sys.argv[1]) if json.loads(l)["path"] == "/ok/trends"))' "$HOOKRECV_LOG")" = True
ok "the goals-only hook got nothing" test -z "$(kinds /ok/goals)"
exit $tap_failed
