#!/bin/bash
# t1080-goal-eval: the daemon evaluates goals through a worker. 90 days of
# daily sign-ups are imported, a campaign with three goals (one on track,
# one far off track, one achieved) and an activity is applied, and the
# coordinator queues evaluation jobs; their snapshots land in
# goal_progress with the figures the data decides, and the off-track
# goal is reported off track only after its verdict held (hysteresis).
. "$(dirname "$0")/lib.sh"
echo "1..18"
start_pg
start_coordinator --goal-debounce 200ms --goal-interval 1s \
    --analysis-windows ""
start_worker w1

# Daily sign-ups for the 90 days up to today (UTC), 35..45 a day.
python3 - "$T/signups.csv" "$T/dates" <<'PY'
import datetime, sys
today = datetime.datetime.now(datetime.timezone.utc).date()
with open(sys.argv[1], "w") as f:
    f.write("t,value\n")
    for i in range(90):
        day = today - datetime.timedelta(days=89 - i)
        f.write("%s,%d\n" % (day.isoformat(), 40 + (i * 7) % 11 - 5))
start = today - datetime.timedelta(days=60)
deadline = today + datetime.timedelta(days=30)
open(sys.argv[2], "w").write("%s %s\n" % (start.isoformat(), deadline.isoformat()))
PY
read -r START DEADLINE <"$T/dates"
"$WATERSHED" import --metric signups --labels region=eu --type per_period \
    "$T/signups.csv" >"$T/out" 2>&1
ok "90 days of history imported" test "$(sql "SELECT count(*) FROM samples")" -eq 90

goal() {  # goal NAME TARGET
    printf '{"name": "%s", "kind": "total", "direction": "at_least",
      "target": %s, "start": "%s", "deadline": "%s", "unit": "sign-ups",
      "metric": "signups", "labels": {"region": "eu"}, "campaign": "q-eu"}' \
        "$1" "$2" "$START" "$DEADLINE"
}
cat >"$T/goals.json" <<JSON
{"campaigns": [
  {"name": "q-eu", "objective": "EU sign-ups", "channel": "email",
   "start": "$START", "end": "$DEADLINE"}],
 "goals": [$(goal eu-on-track 3000), $(goal eu-off-track 8000),
           $(goal eu-achieved 1500)],
 "activities": [{"campaign": "q-eu", "kind": "email", "at": "$START",
                 "note": "launch"}]}
JSON
"$WATERSHED" apply -f "$T/goals.json" >"$T/out" 2>&1; rc=$?
diag "$(cat "$T/out")"
ok "the campaign, three goals and an activity are applied" test "$rc" -eq 0

# latest NAME FIELD: a field of the goal's newest snapshot.
latest() {
    sql "SELECT $2 FROM goal_progress p JOIN goals g ON g.id = p.goal_id
         WHERE g.name = '$1' ORDER BY evaluated_at DESC LIMIT 1"
}
for _ in $(seq 1 150); do
    [ "$(latest eu-off-track reported_status)" = off_track ] && break
    sleep 0.2
done
sql "SELECT g.name, p.status, p.reported_status, p.current, p.projected
     FROM goal_progress p JOIN goals g ON g.id = p.goal_id
     ORDER BY evaluated_at" | tail -6 | sed 's/^/# /'

expected=$(python3 - "$T/signups.csv" "$START" <<'PY'
import sys
rows = [l.strip().split(",") for l in open(sys.argv[1])][1:]
print(sum(int(v) for t, v in rows if t >= sys.argv[2]))
PY
)
ok "on track: status on_track, current the sum since the start" \
    test "$(latest eu-on-track status)" = on_track \
    -a "$(latest eu-on-track 'current::bigint')" = "$expected" \
    -a "$(latest eu-on-track n)" -eq 61
ok "the projection of the on-track goal meets its target" \
    test "$(latest eu-on-track "(projected >= 3000 AND projected_low <= projected AND projected <= projected_high)::text")" = true
ok "off track: the verdict is off_track from the first evaluation" \
    test "$(sql "SELECT count(*) FROM goal_progress p JOIN goals g ON g.id = p.goal_id
                 WHERE g.name = 'eu-off-track' AND status <> 'off_track'")" -eq 0
ok "off track: reported only after the verdict held" \
    test "$(sql "SELECT reported_status || ' ' || (evaluation->'pending'->>'status')
                 FROM goal_progress p JOIN goals g ON g.id = p.goal_id
                 WHERE g.name = 'eu-off-track' ORDER BY evaluated_at LIMIT 1")" = "on_track off_track" \
    -a "$(latest eu-off-track reported_status)" = off_track
ok "achieved: status and reported status achieved" \
    test "$(latest eu-achieved status)" = achieved \
    -a "$(latest eu-achieved reported_status)" = achieved
ok "the evaluation says what is needed against what is done" \
    test -n "$(latest eu-off-track "evaluation->>'summary'" | grep 'needs .*/day')"
"$WATERSHED" progress --json >"$T/progress.json"
ok "progress --json gives each goal its newest evaluation" python3 - "$T/progress.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
by = {g["goal"]: g for g in r["goals"]}
ok = (sorted(by) == ["eu-achieved", "eu-off-track", "eu-on-track"]
      and all(g["campaign"] == "q-eu" and g["evaluation"]["n"] == 61
              for g in by.values())
      and by["eu-on-track"]["evaluation"]["reported_status"] == "on_track"
      and by["eu-off-track"]["evaluation"]["reported_status"] == "off_track"
      and by["eu-achieved"]["evaluation"]["status"] == "achieved")
sys.exit(0 if ok else 1)
PY
# alerts NAME: kind from to severity of the goal's alerts, one a line.
alerts() {
    sql "SELECT a.kind || ' ' || coalesce (a.from_state, '-') || ' '
                || a.to_state || ' ' || a.severity
         FROM alerts a JOIN goals g ON g.id = a.goal_id
         WHERE g.name = '$1' ORDER BY a.id"
}
ok "the slip raised one alert, critical" \
    test "$(alerts eu-off-track)" = "slipped on_track off_track critical"
ok "achieving raised one alert; on track raised none" \
    test "$(alerts eu-achieved | cut -d' ' -f1,3)" = "achieved achieved" \
    -a -z "$(alerts eu-on-track)"
ok "the alert carries its evidence" test "$(sql "SELECT
    (evidence ? 'required_rate' AND evidence ? 'actual_rate'
     AND evidence ? 'projected_low' AND evidence ? 'window'
     AND (evidence->>'n')::int = 61 AND evidence ? 'newest_sample')::text
    FROM alerts a JOIN goals g ON g.id = a.goal_id
    WHERE g.name = 'eu-off-track'")" = true
"$WATERSHED" alerts --goal eu-off-track >"$T/alerts.txt"; rc=$?
diag "$(cat "$T/alerts.txt")"
ok "watershed alerts lists the slip" \
    test "$rc" -eq 0 -a "$(grep -c 'slipped .*critical .*goal eu-off-track .*on_track -> off_track' "$T/alerts.txt")" -eq 1
"$WATERSHED" alerts --json --limit 10 >"$T/alerts.json"
ok "watershed alerts --json: newest first, with evidence and deliveries" python3 - "$T/alerts.json" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
ok = (len(a) == 2 and a[0]["id"] > a[1]["id"]
      and sorted(x["kind"] for x in a) == ["achieved", "slipped"]
      and all(x["deliveries"] == [] and "n" in x["evidence"] for x in a))
sys.exit(0 if ok else 1)
PY
"$WATERSHED" silence add --goal eu-off-track --for 2d \
    --reason "known: the launch slipped" >"$T/out" 2>&1; rc=$?
diag "$(cat "$T/out")"
ok "a silence is added" test "$rc" -eq 0 \
    -a "$("$WATERSHED" silence list --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(len(s), s[0]["goal"], s[0]["active"])')" = "1 eu-off-track True"
"$WATERSHED" silence add --goal eu-off-track --campaign q-eu --for 1h \
    --reason x >"$T/out" 2>&1; rc=$?
ok "a silence with two targets is refused, naming why" \
    test "$rc" -eq 1 -a -n "$(grep 'exactly one' "$T/out")"
id=$("$WATERSHED" silence list --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$WATERSHED" silence expire "$id" >/dev/null
ok "an expired silence leaves the active list" \
    test "$("$WATERSHED" silence list --json)" = "[]" \
    -a "$("$WATERSHED" silence list --all --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" -eq 1
grep -q "goal 'eu-off-track': on_track -> off_track" "$T/coordinator.log"
ok "the coordinator logs the slip" test $? -eq 0
exit $tap_failed
