#!/bin/bash
# t1060-import: 'watershed import' backfills 90 days of history through
# the real coordinator: stored once (a second import inserts nothing), a
# corrected value updated, a dry run writing nothing, a file with bad rows
# refused whole with each bad line named, labels kept on the series.
. "$(dirname "$0")/lib.sh"
echo "1..13"
start_pg
start_coordinator

# days FIRST N SLOPE > FILE: N daily rows from FIRST (ISO dates).
days() {
    python3 - "$@" <<'PY'
import datetime, sys
first = datetime.date.fromisoformat(sys.argv[1])
n, slope = int(sys.argv[2]), float(sys.argv[3])
print("t,value")
for i in range(n):
    print("%s,%g" % ((first + datetime.timedelta(days=i)).isoformat(), 100 + slope * i))
PY
}
days 2027-01-01 90 2.5 >"$T/signups.csv"

"$WATERSHED" import --metric signups --labels region=eu,channel=email \
    "$T/signups.csv" --json >"$T/first.json" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "a 90-day file imports" test "$rc" -eq 0
ok "the report counts 90 inserted over the file's range" python3 - "$T/first.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = (r["rows"] == 90 and r["inserted"] == 90 and r["updated"] == 0
      and r["unchanged"] == 0 and r["created"] and r["type"] == "gauge"
      and r["from"] == 1798761600000 and r["to"] == 1798761600000 + 89 * 86400000
      and r["labels"] == {"region": "eu", "channel": "email"})
sys.exit(0 if ok else 1)
PY
"$WATERSHED" samples signups --labels region=eu --json >"$T/samples.json"
ok "samples shows the 90 days" python3 - "$T/samples.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ok = (len(s) == 90 and s[0]["value"] == 100 and s[-1]["value"] == 100 + 2.5 * 89
      and all(b["ts"] - a["ts"] == 86400000 for a, b in zip(s, s[1:])))
sys.exit(0 if ok else 1)
PY

"$WATERSHED" import --metric signups --labels region=eu,channel=email \
    "$T/signups.csv" >"$T/out" 2>&1; rc=$?
diag "$(cat "$T/out")"
ok "importing the same file again inserts nothing" \
    test "$rc" -eq 0 -a -n "$(grep '90 rows .*: 0 inserted, 0 updated, 90 unchanged' "$T/out")"
ok "still 90 samples" test "$(sql "SELECT count(*) FROM samples")" -eq 90

# A corrected file: one value changed, rows shuffled, read from stdin.
sed 's/^2027-02-01,.*/2027-02-01,1000/' "$T/signups.csv" >"$T/changed.csv"
{ head -1 "$T/changed.csv"; tail -n +2 "$T/changed.csv" | sort -r; } >"$T/fixed.csv"
"$WATERSHED" import -m signups -l region=eu,channel=email --dry-run - \
    <"$T/fixed.csv" >"$T/out" 2>&1
diag "$(cat "$T/out")"
ok "a dry run counts the correction and changes nothing" \
    test -n "$(grep '0 to insert, 1 to update, 89 unchanged' "$T/out")" \
    -a "$(sql "SELECT count(*) FROM samples WHERE value = 1000")" -eq 0
"$WATERSHED" import -m signups -l region=eu,channel=email - \
    <"$T/fixed.csv" --json >"$T/fixed.json" 2>"$T/err"
ok "the corrected value is updated, the rest unchanged" \
    test "$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["inserted"], r["updated"], r["unchanged"])' "$T/fixed.json")" = "0 1 89" \
    -a "$(sql "SELECT count(*) FROM samples WHERE value = 1000 AND ts = '2027-02-01'")" -eq 1

# Two bad rows among good ones: both named, nothing stored.
days 2026-06-01 30 1 >"$T/bad.csv"
sed -i -e 's/^2026-06-05,.*/2026-06-05,n\/a/' -e 's/^2026-06-20,/2026-06-31,/' "$T/bad.csv"
"$WATERSHED" import --metric visits "$T/bad.csv" >"$T/out" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "a file with 2 bad rows exits 1" test "$rc" -eq 1
ok "both bad lines are named with their reason" \
    test -n "$(grep "bad.csv:6: value 'n/a' is not a finite number" "$T/err")" \
    -a -n "$(grep "bad.csv:21: t '2026-06-31' is not an ISO 8601 time" "$T/err")" \
    -a -n "$(grep 'bad.csv: 2 bad rows; nothing imported' "$T/err")"
ok "nothing of it is stored" \
    test "$(sql "SELECT count(*) FROM series WHERE metric = 'visits'")" -eq 0

"$WATERSHED" series --json >"$T/series.json"
"$WATERSHED" series >"$T/series.txt"
diag "$(cat "$T/series.txt")"
ok "series lists the labels with 90 samples" python3 - "$T/series.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
ok = (len(s) == 1 and s[0]["metric"] == "signups"
      and s[0]["labels"] == {"region": "eu", "channel": "email"}
      and s[0]["samples"] == 90)
sys.exit(0 if ok else 1)
PY
ok "the human list shows the label filter" grep -Eq 'signups +(channel=email,region=eu|region=eu,channel=email) +gauge +90 ' "$T/series.txt"

# The series keeps its type: another one is refused by the coordinator.
"$WATERSHED" import -m signups -l region=eu,channel=email --type counter \
    "$T/signups.csv" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "another type for a stored series is refused" \
    test "$rc" -eq 1 -a -n "$(grep "is a gauge, the import says counter" "$T/err")"
exit $tap_failed
