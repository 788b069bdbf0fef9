#!/bin/bash
# t1070-goal-cli: the goal commands of the CLI against the real daemon.
# 60 days of daily sign-ups with a weekly cycle (two channels) are
# imported, a campaign with a reachable and an unreachable total goal is
# applied (attainability printed, 'unlikely' warned, weekday checkpoints
# offered), and once the daemon has evaluated them: 'watershed progress'
# (lines, counts, --json, --as-of, --campaign), 'goal show' (--json with
# history, series, segments, attainability, activity effects; --pace),
# 'goal backtest', and the exit codes of an unknown goal and of no
# coordinator.
. "$(dirname "$0")/lib.sh"
echo "1..17"
# The checks below match bars and sparklines by character.
ugrep() { LC_ALL=C.UTF-8 grep "$@"; }
start_pg
start_coordinator --goal-debounce 1s --goal-interval 5s --analysis-windows ""
start_worker w1

# Daily sign-ups for the 60 days up to today (UTC) per channel: 50 on
# weekdays, 10 at weekends, email two thirds of it.
python3 - "$T" <<'PY'
import datetime, sys
today = datetime.datetime.now(datetime.timezone.utc).date()
for channel, share in (("email", 2 / 3), ("ads", 1 / 3)):
    with open("%s/%s.csv" % (sys.argv[1], channel), "w") as f:
        f.write("t,value\n")
        for i in range(60):
            day = today - datetime.timedelta(days=59 - i)
            base = 10 if day.weekday() >= 5 else 50 + (i * 7) % 5 - 2
            f.write("%s,%.2f\n" % (day.isoformat(), base * share))
start = today - datetime.timedelta(days=30)
deadline = today + datetime.timedelta(days=30)
open("%s/dates" % sys.argv[1], "w").write(
    "%s %s %s\n" % (start.isoformat(), deadline.isoformat(),
                    (today - datetime.timedelta(days=400)).isoformat()))
PY
read -r START DEADLINE LONG_AGO <"$T/dates"
for channel in email ads; do
    "$WATERSHED" import --metric signups --labels region=eu,channel=$channel \
        --type per_period "$T/$channel.csv" >"$T/out" 2>&1 || diag "$(cat "$T/out")"
done
ok "60 days of two channels imported" test "$(sql "SELECT count(*) FROM samples")" -eq 120

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
 "goals": [$(goal eu-signups 2200), $(goal eu-stretch 20000)],
 "activities": [{"campaign": "q-eu", "kind": "email", "at": "$START",
                 "note": "launch", "segment": {"channel": "email"}}]}
JSON
"$WATERSHED" apply -f "$T/goals.json" >"$T/apply.out" 2>"$T/apply.err"; rc=$?
diag "$(cat "$T/apply.out" "$T/apply.err")"
ok "apply prints each goal's attainability" \
    test "$rc" -eq 0 \
    -a -n "$(grep "^goal 'eu-signups': attainable: needs .*/day" "$T/apply.out")" \
    -a -n "$(grep "^goal 'eu-stretch': unlikely: " "$T/apply.out")"
ok "apply warns on stderr that the unreachable goal looks unlikely" \
    grep -q "^warning: goal 'eu-stretch' looks unlikely: needs .*/day for .* days against .*/day (.*) shown" "$T/apply.err"
ok "apply offers weekday checkpoints for the weekly cycle" \
    grep -q "^goal 'eu-signups': weekly cycle over .*'watershed goal show eu-signups --pace'" "$T/apply.out"

# Wait until the daemon has evaluated both goals.
for _ in $(seq 1 60); do
    "$WATERSHED" progress --json >"$T/progress.json" 2>/dev/null
    python3 - "$T/progress.json" <<'PY' && break
import json, sys
goals = json.load(open(sys.argv[1]))["goals"]
sys.exit(0 if len(goals) == 2 and all(g["evaluation"] for g in goals) else 1)
PY
    sleep 0.5
done
ok "progress --json has both goals evaluated, by campaign and goal" python3 - "$T/progress.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
g = r["goals"]
ok = (r["as_of"] is None and [x["goal"] for x in g] == ["eu-signups", "eu-stretch"]
      and all(x["campaign"] == "q-eu" and x["def"]["kind"] == "total"
              and isinstance(x["evaluated_at"], int)
              and "reported_status" in x["evaluation"]
              and 0 < x["evaluation"]["progress"] < 1
              and x["evaluation"]["projected_low"] <= x["evaluation"]["projected_high"]
              for x in g)
      and g[1]["evaluation"]["status"] == "off_track")
sys.exit(0 if ok else 1)
PY

NO_COLOR=1 "$WATERSHED" progress >"$T/progress.txt" 2>&1; rc=$?
diag "$(cat "$T/progress.txt")"
ok "progress prints a line per goal with bar, % against expected, projection, days left" \
    test "$rc" -eq 0 \
    -a -n "$(ugrep -E '^q-eu +eu-signups +[█▉▊▋▌▍▎▏░│]{20} [0-9]+% of [0-9]+% expected +[0-9,]+ \[[0-9,]+–[0-9,]+\] sign-ups +[a-z_]+.* [0-9]+d left$' "$T/progress.txt")" \
    -a -n "$(grep -E '^q-eu +eu-stretch .* (on_track|off_track|at_risk)' "$T/progress.txt")"
ok "progress ends with the counts per status, without colour off a terminal" \
    test -n "$(grep -E '^2 goals: ' "$T/progress.txt")" \
    -a -z "$(grep -P '\x1b\[' "$T/progress.txt")"
"$WATERSHED" progress --as-of "$LONG_AGO" --json >"$T/old.json" 2>&1
"$WATERSHED" progress --campaign nowhere >"$T/none.txt" 2>&1
"$WATERSHED" progress --as-of "$LONG_AGO" eu-signups >"$T/old.txt" 2>&1
ok "progress --as-of before any evaluation, --campaign and GOAL filter" \
    python3 - "$T/old.json" "$T/none.txt" "$T/old.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = (isinstance(r["as_of"], int) and len(r["goals"]) == 2
      and all(g["evaluation"] is None for g in r["goals"])
      and "no goals" in open(sys.argv[2]).read()
      and "1 goal: 1 not evaluated yet" in open(sys.argv[3]).read()
      and "eu-stretch" not in open(sys.argv[3]).read())
sys.exit(0 if ok else 1)
PY

"$WATERSHED" goal show eu-signups --json >"$T/show.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "goal show --json has the evaluation, history and the series" \
    python3 - "$T/show.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = r["series"]
ok = (r["goal"] == "eu-signups" and r["campaign"]["name"] == "q-eu"
      and r["evaluation"]["status"] and len(r["history"]) >= 1
      and all("progress" in h and "evaluated_at" in h for h in r["history"])
      and len(s["t"]) == len(s["x"]) >= 59
      and all(b - a == r["step_ms"] for a, b in zip(s["t"], s["t"][1:])))
sys.exit(0 if ok else 1)
PY
ok "goal show --json adds attainability, segments and activity effects" \
    python3 - "$T/show.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
a, v, e = r["attainability"], r["segments_view"], r["activity_effects"]
ok = (a["verdict"] == "attainable" and a["demonstrated_rate"] > 30
      and v["label"] == "channel"
      and sorted(x["value"] for x in v["segments"]) == ["ads", "email"]
      and len(e) == len(r["activities"]) == 1 and e[0]["status"] == "ok"
      and "text" in e[0])
sys.exit(0 if ok else 1)
PY
NO_COLOR=1 "$WATERSHED" goal show eu-signups >"$T/show.txt" 2>&1; rc=$?
diag "$(head -12 "$T/show.txt")"
ok "goal show prints the summary, a sparkline, attainability, segments, activities" \
    test "$rc" -eq 0 \
    -a -n "$(grep -E '^  needs [0-9.,]+/day for the next [0-9.]+ days; doing ' "$T/show.txt")" \
    -a -n "$(ugrep -E '^history: +[▁▂▃▄▅▆▇█ ]+ +progress' "$T/show.txt")" \
    -a -n "$(ugrep -E '^expected: +[▁▂▃▄▅▆▇█ ]+' "$T/show.txt")" \
    -a -n "$(grep '^attainability: attainable: ' "$T/show.txt")" \
    -a -n "$(grep '^segments: channel:' "$T/show.txt")" \
    -a -n "$(grep -A1 ' email {channel=email}: launch$' "$T/show.txt" | tail -1 | grep -E '^    .')"

"$WATERSHED" goal show eu-signups --pace >"$T/pace.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "goal show --pace prints weekday checkpoints to paste" \
    python3 - "$T/pace.json" "$rc" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["checkpoints"]
p = [x["progress"] for x in c]
ok = (sys.argv[2] == "0" and len(c) > 10 and p == sorted(p)
      and all(0 < x < 1 for x in p))
sys.exit(0 if ok else 1)
PY

"$WATERSHED" goal show eu-signups --as-of "$LONG_AGO" --json >"$T/old-show.json" 2>"$T/err"
ok "goal show --as-of before the first evaluation has no history" \
    python3 - "$T/old-show.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(0 if r["evaluation"] is None and r["history"] == [] else 1)
PY

NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)
"$WATERSHED" goal backtest eu-stretch --from "$START" --to "$NOW" --json \
    >"$T/backtest.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "goal backtest --json replays the history and reports the slip" \
    python3 - "$T/backtest.json" "$rc" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
kinds = [a["kind"] for a in r["alerts"]]
ok = (sys.argv[2] == "0" and r["goal"] == "eu-stretch"
      and r["evaluations"] >= 30 and r["outcome"] == "open"
      and "slipped" in kinds and r["final_reported_status"] == "off_track"
      and r["hysteresis"]["hold"] >= 1)
sys.exit(0 if ok else 1)
PY
NO_COLOR=1 "$WATERSHED" goal backtest eu-stretch --from "$START" --to "$NOW" \
    --step 2d >"$T/backtest.txt" 2>&1; rc=$?
diag "$(cat "$T/backtest.txt")"
ok "goal backtest prints the alerts, outcome and false alarms" \
    test "$rc" -eq 0 \
    -a -n "$(grep -E "^backtest of goal 'eu-stretch' .* every 2d: [0-9]+ evaluations" "$T/backtest.txt")" \
    -a -n "$(ugrep -E '^  [0-9T:-]+Z +slipped +on_track → (at_risk|off_track)' "$T/backtest.txt")" \
    -a -n "$(grep '^outcome: open' "$T/backtest.txt")" \
    -a -n "$(grep '^false alarms: ' "$T/backtest.txt")"

"$WATERSHED" goal show nosuch >"$T/out" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "an unknown goal exits 1 naming it" \
    test "$rc" -eq 1 -a -n "$(grep "nosuch" "$T/err")"
"$WATERSHED" progress --coordinator "ipc://$T/nothing.sock" >"$T/out" 2>&1; rc1=$?
"$WATERSHED" goal show eu-signups --coordinator "ipc://$T/nothing.sock" \
    >"$T/out" 2>&1; rc2=$?
ok "no coordinator: exit 3" test "$rc1" -eq 3 -a "$rc2" -eq 3
exit $tap_failed
