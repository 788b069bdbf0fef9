#!/bin/bash
# t1160-db-outage: PostgreSQL stops for 30 s under collection (20
# sources at 1 s, 3 series each). watershedd buffers up to --buffer-max
# (1,500 samples, reached within the outage), then pauses dispatch (the
# ticks it cannot take are recorded as skipped), shows the outage in
# 'status', and resumes by itself when the database is back: every tick
# is then stored once or counted as skipped, none twice, none lost, and
# the coordinator's memory stays flat. The worker may keep only 100
# results unACKed: those it drops are counted, and lose nothing, since
# the coordinator holds them.
# ctest: slow (about 50 s)
. "$(dirname "$0")/lib.sh"
echo "1..7"
start_pg
start_fixture
start_coordinator --buffer-max 1500 --health-interval 1s \
    --analysis-windows ""
start_worker w1 --max-unacked 100
wait_workers 1
sources_file 20 1s /s/ >"$T/sources.json"
"$WATERSHED" apply -f "$T/sources.json" >/dev/null
sleep 5
rss() { awk '/^VmRSS/ {print $2}' "/proc/$COORD_PID/status"; }
rss_before=$(rss)
"$TESTPG" halt "$PG_DIR" >/dev/null 2>&1
T_HALT=$(now_ms)
sleep 28
"$WATERSHED" status --json >"$T/status-down.json"
"$WATERSHED" status >"$T/status-down.txt"
diag "$(grep -A1 '^database' "$T/status-down.txt")"
rss_down=$(rss)
"$TESTPG" resume "$PG_DIR" >/dev/null 2>&1
T_RESUME=$(now_ms)
diag "outage: $(( (T_RESUME - T_HALT) / 1000 )) s; coordinator RSS ${rss_before} kB before, ${rss_down} kB during"
ok "status shows the database unreachable, since when, and the buffer full" python3 - "$T/status-down.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
d = s["database"]
print("# database:", json.dumps(d))
sys.exit(0 if d["reachable"] is False and d["buffered_samples"] >= 1500
         and d["dispatch_paused"] is True and d["failing_since"]
         and d["retry_in_ms"] is not None else 1)
PY
ok "the log says writes fail and dispatch paused" \
    test -n "$(grep 'samples buffered, retrying in' "$T/coordinator.log")" \
    -a -n "$(grep 'write buffer full' "$T/coordinator.log")"
for _ in $(seq 1 100); do
    grep -q 'writes resumed' "$T/coordinator.log" && break
    sleep 0.2
done
ok "writes resume by themselves" grep -q 'writes resumed' "$T/coordinator.log"
sleep 8
"$WATERSHED" sources --json >"$T/sources-after.json"
sleep 2   # the results up to each source's last tick are all written by then
sql "SELECT s.labels->>'src', (extract(epoch FROM x.ts) * 1000)::bigint
     FROM samples x JOIN series s ON s.id = x.series_id
     WHERE s.metric = 'sales'" >"$T/stored.txt"
python3 - "$T/sources-after.json" "$T/stored.txt" >"$T/ticks.txt" <<'PY'
import json, sys
sources = {s["name"]: s for s in json.load(open(sys.argv[1]))}
ticks = {}
for line in open(sys.argv[2]):
    name, ts = line.strip().split("|")
    ticks.setdefault(name, []).append(int(ts))
expected = stored = dups = lost = failed = 0
for name, s in sources.items():
    # every tick from the first stored up to the last dispatched as of
    # the snapshot of the sources (later ones are not counted there yet)
    mine = [t for t in ticks.get(name, []) if t <= s["last_tick"]]
    want = (s["last_tick"] - min(mine)) // s["interval_ms"] + 1
    expected += want
    stored += len(set(mine))
    dups += len(mine) - len(set(mine))
    failed += s["ticks_failed"]
    lost += want - len(set(mine)) - s["ticks_failed"]
print(expected, stored, failed, dups, lost)
PY
read -r expected stored failed dups lost <"$T/ticks.txt"
diag "ticks expected $expected, stored $stored, skipped $failed, duplicated $dups, lost $lost"
ok "every tick stored once or recorded as skipped: none twice, none lost" \
    test "$dups" -eq 0 -a "$lost" -eq 0 -a "$failed" -gt 0
rss_after=$(rss)
diag "coordinator RSS after: ${rss_after} kB"
ok "memory flat: RSS during and after within 50 MB of before" \
    test "$rss_down" -lt $((rss_before + 51200)) -a "$rss_after" -lt $((rss_before + 51200))
dropped=$("$WATERSHED" status --json | python3 -c '
import json,sys; print(json.load(sys.stdin)["counters"]["results_dropped_by_workers"])')
diag "results the worker stopped keeping (over --max-unacked 100): $dropped"
ok "results a worker drops past its limit are counted (and, held here, not lost)" \
    test "$dropped" -gt 0
ok "the sources collect again" test "$(python3 -c '
import json,sys; print(sum(1 for s in json.load(open(sys.argv[1])) if s["failures"] == 0))' "$T/sources-after.json")" -eq 20
exit $tap_failed
