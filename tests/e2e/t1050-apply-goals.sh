#!/bin/bash
# t1050-apply-goals: 'watershed apply' of a file with sources, campaigns,
# goals and activities through the real coordinator: per-kind report,
# stored rows, unchanged on a second apply, a bad goal located by line
# and column with nothing applied, an unknown campaign refused.
. "$(dirname "$0")/lib.sh"
echo "1..12"
start_pg
start_fixture
start_coordinator

cat >"$T/all.json" <<JSON
{"sources": [
  {"name": "crm", "url": "$FIXTURE_URL/s/crm", "interval": "1h",
   "metrics": [{"name": "signups", "type": "gauge", "json": "/sales"}]}
 ],
 "campaigns": [
  {"name": "q1-eu", "objective": "EU trial growth", "channel": "email",
   "start": "2027-01-04", "end": "2027-04-04", "budget": 25000}
 ],
 "goals": [
  {"name": "eu-signups", "kind": "total", "direction": "at_least",
   "target": 1200, "start": "2027-01-04", "deadline": "2027-04-04",
   "metric": "signups", "labels": {"src": "crm"}, "campaign": "q1-eu"}
 ],
 "activities": [
  {"campaign": "q1-eu", "kind": "email", "at": "2027-01-10T09:00:00Z",
   "segment": {"region": "eu"}, "note": "launch mail"},
  {"campaign": "q1-eu", "kind": "blog_article", "at": "2027-01-12"}
 ]}
JSON
"$WATERSHED" apply -f "$T/all.json" --json >"$T/report.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "apply all four kinds" test "$rc" -eq 0
ok "the report has a section per kind" python3 - "$T/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = (r["sources"]["created"] == ["crm"] and r["created"] == ["crm"]
      and r["campaigns"]["created"] == ["q1-eu"]
      and r["goals"]["created"] == ["eu-signups"]
      and len(r["activities"]["created"]) == 2 and not r["dry_run"])
sys.exit(0 if ok else 1)
PY
ok "the goal is stored with its campaign" test "$(sql "SELECT c.name FROM goals g JOIN campaigns c ON c.id = g.campaign_id WHERE g.name = 'eu-signups'")" = q1-eu
ok "the activities are stored" test "$(sql "SELECT count(*) FROM activities WHERE campaign_id = (SELECT id FROM campaigns WHERE name = 'q1-eu')")" -eq 2

"$WATERSHED" apply -f "$T/all.json" >"$T/out" 2>&1; rc=$?
diag "$(cat "$T/out")"
ok "applying again succeeds" test "$rc" -eq 0
ok "the human report lists each kind unchanged" \
    test "$(grep -c '^\(sources\|campaigns\|goals\|activities\) *unchanged' "$T/out")" -eq 4

cat >"$T/bad.json" <<'JSON'
{"campaigns": [
  {"name": "q2-us", "objective": "US", "channel": "paid_search",
   "start": "2027-04-01", "end": "2027-07-01"}
 ],
 "goals": [
  {"name": "g1", "kind": "total", "direction": "at_least", "target": 10,
   "start": "2027-04-01", "deadline": "2027-07-01"},
  {"name": "g2", "kind": "total", "direction": "at_least",
   "target": "lots", "start": "2027-04-01", "deadline": "2027-07-01"}
 ]}
JSON
"$WATERSHED" apply -f "$T/bad.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "a bad goal exits 1" test "$rc" -eq 1
ok "the error names file, line, column and field" \
    grep -q "bad.json:9:[0-9]*: /goals/1/target" "$T/err"
ok "nothing was applied" test "$(sql "SELECT count(*) FROM campaigns WHERE name = 'q2-us'")" -eq 0

cat >"$T/orphan.json" <<'JSON'
{"goals": [
  {"name": "g3", "kind": "total", "direction": "at_least", "target": 10,
   "start": "2027-04-01", "deadline": "2027-07-01", "campaign": "nowhere"}
 ]}
JSON
"$WATERSHED" apply -f "$T/orphan.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "a goal on an unknown campaign is refused by the coordinator" \
    test "$rc" -eq 1 -a -n "$(grep "orphan.json:[0-9]*:[0-9]*: /goals/0/campaign: .*'nowhere'" "$T/err")"

printf '{"goals": [], "budgets": []}\n' >"$T/unknown.json"
"$WATERSHED" apply -f "$T/unknown.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "an unknown top-level key is named" \
    test "$rc" -eq 1 -a -n "$(grep 'unknown.json:1:[0-9]*: /budgets' "$T/err")"

"$WATERSHED" apply -f "$T/orphan.json" --dry-run >/dev/null 2>&1
sed 's/"nowhere"/"q1-eu"/' "$T/orphan.json" >"$T/g3.json"
"$WATERSHED" apply -f "$T/g3.json" --prune --json >"$T/prune.json"
ok "prune of goals only touches goals" python3 - "$T/prune.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = (r["goals"]["created"] == ["g3"] and r["goals"]["deleted"] == ["eu-signups"]
      and r["campaigns"]["deleted"] == [] and r["deleted"] == [])
sys.exit(0 if ok else 1)
PY
exit $tap_failed
