#!/bin/bash
# t1100-hook-delivery: alerts reach hooks through the real processes. A
# goal pushed from on_track to off_track by imported samples produces
# exactly one delivery per hook: a signed POST in each of the three
# formats (checked by the receiver fixture, which verifies the
# signature), and a command run without a shell that gets a hostile
# description as plain data. A receiver that answers 500 for 30 s gets
# the alert exactly once after it recovers; a 404 is given up at once; a
# silenced goal produces no delivery; 'watershed hook test' goes the
# real path; a goal still off track is repeated after repeat_interval.
# ctest: slow (about 90 s: the 30 s outage, then a minute to the repeat)
. "$(dirname "$0")/lib.sh"
echo "1..23"
export HOOK_KEY=e2e-secret-$$
export HOOK_TEAM=growth-ops   # for the workers: a header says ${HOOK_TEAM}
start_pg
start_hookrecv --secret-env HOOK_KEY
start_coordinator --goal-debounce 200ms --goal-interval 1s \
    --analysis-windows "" --hook-backoff 1s --hook-backoff-max 6s
start_worker w1

python3 - "$T" <<'PY'
import datetime, sys
d = sys.argv[1]
today = datetime.datetime.now(datetime.timezone.utc).date()
with open(d + "/history.csv", "w") as f:
    f.write("t,value\n")
    for i in range(90):
        day = today - datetime.timedelta(days=89 - i)
        f.write("%s,%d\n" % (day.isoformat(), 40 + (i * 7) % 11 - 5))
with open(d + "/drop.csv", "w") as f:  # the last 25 days: nearly nothing
    f.write("t,value\n")
    for i in range(25):
        day = today - datetime.timedelta(days=24 - i)
        f.write("%s,%d\n" % (day.isoformat(), 1))
start = today - datetime.timedelta(days=60)
deadline = today + datetime.timedelta(days=30)
open(d + "/dates", "w").write("%s %s\n" % (start, deadline))
PY
read -r START DEADLINE <"$T/dates"
for region in eu us; do
    "$WATERSHED" import --metric signups --labels region=$region \
        --type per_period "$T/history.csv" >/dev/null 2>&1
done

# The command hook: a recorder that writes what it got, one JSON line.
cat >"$T/recorder.py" <<'PY'
import json, os, sys
data = {"argv": sys.argv, "env": {k: v for k, v in os.environ.items()},
        "stdin": sys.stdin.read()}
with open(sys.argv[1], "a") as f:
    f.write(json.dumps(data) + "\n")
PY
HOSTILE='it'"'"'s "Q1"; $(touch '"$T"'/pwned) `touch '"$T"'/pwned2` & rm -rf /nonexistent
second line | cat /etc/passwd'
python3 - "$T" "$START" "$DEADLINE" "$HOOKRECV_URL" "$HOSTILE" <<'PY'
import json, sys
d, start, deadline, url, hostile = sys.argv[1:]
def goal(name, region, description=None):
    g = {"name": name, "kind": "total", "direction": "at_least",
         "target": 3000, "start": start, "deadline": deadline,
         "unit": "sign-ups", "metric": "signups",
         "labels": {"region": region}, "campaign": "q"}
    if description:
        g["description"] = description
    return g
def webhook(name, path, fmt, goals, **extra):
    h = {"name": name, "type": "webhook", "url": url + path, "format": fmt,
         "secret_env": "HOOK_KEY", "match": {"goals": goals}}
    h.update(extra)
    return h
doc = {"campaigns": [{"name": "q", "objective": "sign-ups",
                      "channel": "email", "start": start, "end": deadline}],
       "goals": [goal("eu-signups", "eu", hostile), goal("us-signups", "us")],
       "hooks": [
           webhook("to-watershed", "/ok/watershed", "watershed", ["eu-signups"],
                   headers={"X-Team": "${HOOK_TEAM} pays $$5"}),
           webhook("to-alertmanager", "/ok/am", "alertmanager", ["eu-signups"]),
           webhook("to-slack", "/ok/slack", "slack", ["eu-signups"]),
           webhook("flaky", "/fail-for/30/flaky", "watershed", ["eu-signups"]),
           webhook("gone", "/status/404/gone", "watershed", ["eu-signups"]),
           webhook("reminder", "/ok/reminder", "watershed", ["eu-signups"],
                   repeat_interval="1m"),
           webhook("us-hook", "/ok/us", "watershed", ["us-signups"]),
           {"name": "recorder", "type": "command",
            "argv": ["/usr/bin/python3", d + "/recorder.py", d + "/command.jsonl"],
            "match": {"goals": ["eu-signups"]}, "timeout": "20s"}]}
json.dump(doc, open(d + "/config.json", "w"), indent=1)
PY
"$WATERSHED" apply -f "$T/config.json" >"$T/out" 2>&1; rc=$?
diag "$(tail -3 "$T/out")"
ok "a campaign, two goals and eight hooks are applied" test "$rc" -eq 0
[ "$rc" -eq 0 ] || { echo "Bail out! apply failed"; exit 1; }

latest() {  # latest GOAL: its newest reported status
    sql "SELECT reported_status FROM goal_progress p JOIN goals g
         ON g.id = p.goal_id WHERE g.name = '$1'
         ORDER BY evaluated_at DESC LIMIT 1"
}
for _ in $(seq 1 100); do
    [ "$(latest eu-signups)" = on_track ] && [ "$(latest us-signups)" = on_track ] && break
    sleep 0.2
done
ok "both goals are on track at first" \
    test "$(latest eu-signups) $(latest us-signups)" = "on_track on_track"
"$WATERSHED" silence add --goal us-signups --for 1h --reason "known: US launch moved" >/dev/null

T0=$(now_ms)
for region in eu us; do
    "$WATERSHED" import --metric signups --labels region=$region \
        --type per_period "$T/drop.csv" >/dev/null 2>&1
done
for _ in $(seq 1 100); do
    [ "$(latest eu-signups)" = off_track ] && [ "$(latest us-signups)" = off_track ] && break
    sleep 0.2
done
ok "the imported drop pushes both goals off track" \
    test "$(latest eu-signups) $(latest us-signups)" = "off_track off_track"

# delivered HOOK: the state of the hook's delivery of the slip
state() {
    sql "SELECT d.state FROM deliveries d JOIN hooks h ON h.id = d.hook_id
         JOIN alerts a ON a.id = d.alert_id WHERE h.name = '$1'
         AND a.kind = 'slipped' ORDER BY d.id LIMIT 1"
}
for _ in $(seq 1 100); do
    [ "$(state to-watershed)$(state to-alertmanager)$(state to-slack)$(state recorder)" \
        = delivereddelivereddelivereddelivered ] && break
    sleep 0.2
done
diag "first deliveries after $(( $(now_ms) - T0 )) ms"
ok "one slipped alert for each goal" \
    test "$(sql "SELECT count(*) FROM alerts WHERE kind = 'slipped' AND repeat_of IS NULL")" -eq 2
ok "the three webhooks and the command have delivered the slip" \
    test "$(state to-watershed) $(state to-alertmanager) $(state to-slack) $(state recorder)" \
    = "delivered delivered delivered delivered"

python3 - "$HOOKRECV_LOG" "$T/formats" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
by = {}
for l in lines:
    by.setdefault(l["path"], []).append(l)
out = []
def one(path):
    return by.get(path, [])
w, a, s = one("/ok/watershed"), one("/ok/am"), one("/ok/slack")
out.append("counts %d %d %d" % (len(w), len(a), len(s)))
ok = all(x["verified"] is True and x["key"] and x["status"] == 200
         for x in w + a + s)
out.append("verified %s" % ok)
if w:
    b = json.loads(w[0]["body"])
    al = b["alerts"][0]
    ev = al["evidence"]
    out.append("watershed %s %s %s %s %s" % (
        b["version"], b["kind"], al["goal"], al["from"] + ">" + al["to"],
        all(k in ev for k in ("window", "n", "current", "required_rate",
                              "actual_rate", "projected", "projected_low",
                              "projected_high", "newest_sample", "sources"))))
    out.append("key %s" % (b["delivery_id"] == w[0]["key"]))
    out.append("header %s" % w[0]["headers"].get("x-team"))
if a:
    b = json.loads(a[0]["body"])
    out.append("alertmanager %s %s %s %s" % (
        b["version"], b["status"], b["receiver"],
        b["alerts"][0]["labels"].get("goal")))
if s:
    b = json.loads(s[0]["body"])
    out.append("slack %s" % ("blocks" in b and "text" in b))
open(sys.argv[2], "w").write("\n".join(out) + "\n")
PY
sed 's/^/# /' "$T/formats"
ok "each format hook got exactly one request, signed and verified" \
    test "$(sed -n 1,2p "$T/formats" | tr '\n' ' ')" = "counts 1 1 1 verified True "
ok "the watershed payload: version 1, kind slipped, the goal and its evidence" \
    grep -qx "watershed 1 slipped eu-signups on_track>off_track True" "$T/formats"
ok "the idempotency key is the payload's delivery_id" grep -qx "key True" "$T/formats"
ok "a header's \${NAME} comes from the worker's environment, \$\$ is a dollar" \
    grep -qx 'header growth-ops pays $5' "$T/formats"
ok "the Alertmanager payload: version 4, firing, receiver and goal label" \
    grep -qx "alertmanager 4 firing to-alertmanager eu-signups" "$T/formats"
ok "the Slack payload has text and blocks" grep -qx "slack True" "$T/formats"

python3 - "$T/command.jsonl" "$HOSTILE" "$T" <<'PY' >"$T/command.txt"
import json, os, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
r = runs[0]
payload = json.loads(r["stdin"])
print("runs", len(runs))
print("env", r["env"].get("WATERSHED_DESCRIPTION") == sys.argv[2],
      r["env"].get("WATERSHED_GOAL"), r["env"].get("WATERSHED_ALERT_KIND"))
print("stdin", payload["alerts"][0]["evidence"]["description"] == sys.argv[2])
print("argv", r["argv"] == [sys.argv[3] + "/recorder.py", sys.argv[3] + "/command.jsonl"])
print("secret", "HOOK_KEY" in r["env"])
PY
sed 's/^/# /' "$T/command.txt"
ok "the command ran once, the hostile description plain data in env and stdin" \
    test "$(tr '\n' ' ' <"$T/command.txt")" = "runs 1 env True eu-signups slipped stdin True argv True secret False "
ok "no shell ever ran the hostile text" test ! -e "$T/pwned" -a ! -e "$T/pwned2"

for _ in $(seq 1 50); do [ "$(state gone)" = given_up ] && break; sleep 0.2; done
ok "a 404 is given up at once, after one attempt, saying why" \
    test "$(sql "SELECT d.state || ' ' || d.attempts || ' ' || (d.last_error LIKE 'HTTP 404%not retried%')::text
                 FROM deliveries d JOIN hooks h ON h.id = d.hook_id WHERE h.name = 'gone'")" = "given_up 1 true"

ok "the silenced goal's alert has no delivery and names its silence" \
    test "$(sql "SELECT count(d.id) || ' ' || (a.silenced_by IS NOT NULL)::text
                 FROM alerts a JOIN goals g ON g.id = a.goal_id
                 LEFT JOIN deliveries d ON d.alert_id = a.id
                 WHERE g.name = 'us-signups' GROUP BY a.id, a.silenced_by")" = "0 true" \
    -a "$(grep -c '"/ok/us"' "$HOOKRECV_LOG")" -eq 0

"$WATERSHED" hook test to-slack >"$T/test.txt" 2>&1; rc=$?
diag "$(cat "$T/test.txt")"
ok "hook test: delivered through a worker, with the receiver's answer" \
    test "$rc" -eq 0 -a -n "$(grep "^hook 'to-slack': delivered in .* (HTTP 200)" "$T/test.txt")" \
    -a "$(grep -c '"/ok/slack"' "$HOOKRECV_LOG")" -eq 2
"$WATERSHED" hook test gone >"$T/test.txt" 2>&1; rc=$?
ok "hook test of a failing hook: exit 1, the error shown" \
    test "$rc" -eq 1 -a -n "$(grep 'HTTP 404' "$T/test.txt")"
"$WATERSHED" hook test nosuch >"$T/test.txt" 2>&1; rc=$?
ok "hook test of an unknown hook names it" \
    test "$rc" -eq 1 -a -n "$(grep "hook 'nosuch': no such hook" "$T/test.txt")"

# The flaky receiver answers 500 for 30 s from its first request.
for _ in $(seq 1 300); do [ "$(state flaky)" = delivered ] && break; sleep 0.2; done
python3 - "$HOOKRECV_LOG" <<'PY' >"$T/flaky.txt"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
f = [l for l in lines if l["path"] == "/fail-for/30/flaky"]
ok = [l for l in f if l["status"] == 200]
print(len(f), len(ok), len({l["key"] for l in f}), sum(1 for l in f if l["duplicate"]))
PY
read -r flaky_all flaky_ok flaky_keys flaky_dups <"$T/flaky.txt"
diag "flaky receiver: $flaky_all requests, $flaky_ok answered 200, $flaky_keys key(s)"
ok "500 for 30 s, then 200: delivered exactly once, every attempt with the same key" \
    test "$(state flaky)" = delivered -a "$flaky_ok" -eq 1 -a "$flaky_keys" -eq 1 \
    -a "$flaky_dups" -eq 0 -a "$flaky_all" -ge 4
ok "its attempts are counted" \
    test "$(sql "SELECT attempts FROM deliveries d JOIN hooks h ON h.id = d.hook_id
                 WHERE h.name = 'flaky'")" -eq "$flaky_all"

"$WATERSHED" alerts --goal eu-signups --json >"$T/alerts.json"
ok "alerts --json shows each delivery's state" python3 - "$T/alerts.json" <<'PY'
import json, sys
a = [x for x in json.load(open(sys.argv[1])) if x["repeat_of"] is None]
d = {x["hook"]: x for x in a[-1]["deliveries"]}
sys.exit(0 if d["flaky"]["state"] == "delivered" and d["gone"]["state"] == "given_up"
         and d["recorder"]["state"] == "delivered" and len(d) == 7 else 1)
PY
# A goal still off track: the hook with repeat_interval 1m hears it
# again (a reminder, its own key); the others do not.
for _ in $(seq 1 450); do
    [ "$(grep -c '"/ok/reminder"' "$HOOKRECV_LOG")" -ge 2 ] && break
    sleep 0.2
done
python3 - "$HOOKRECV_LOG" <<'PY' >"$T/reminder.txt"
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
r = [l for l in lines if l["path"] == "/ok/reminder"]
w = [l for l in lines if l["path"] == "/ok/watershed"]
gap = (r[1]["t_ms"] - r[0]["t_ms"]) / 1000 if len(r) > 1 else 0
b = json.loads(r[1]["body"])["alerts"][0] if len(r) > 1 else {}
print(len(r), len(w), len({x["key"] for x in r}), gap >= 59,
      b.get("kind"), "still off_track" in b.get("summary", ""))
PY
diag "reminder: $(cat "$T/reminder.txt")"
ok "repeat_interval: one reminder after a minute, its own key; other hooks not repeated" \
    test "$(cat "$T/reminder.txt")" = "2 1 2 True slipped True"
"$WATERSHED" status >"$T/status.txt"
diag "$(grep '^hooks' "$T/status.txt")"
ok "status counts the hooks' deliveries" \
    test -n "$(grep -E '^hooks +8: ([7-9]|[1-9][0-9]) delivered, [0-9]+ attempts failed, [1-9][0-9]* given up' "$T/status.txt")"
exit $tap_failed
