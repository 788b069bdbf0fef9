#!/bin/bash
# t1170-fault-injection: two minutes of collection from 500 sources at
# 1 s (3 series each) while things break: every 10 s a worker (of 3) is
# killed with SIGKILL and started again; at 25 s watershedd is killed
# with SIGKILL and started again; from 60 s to 90 s PostgreSQL is
# stopped. Ten goals are off track and a webhook gets a reminder for
# each every minute, so alerts are delivered through all of it.
# Afterwards every tick of every source in the window is either stored
# or recorded in missed_ticks (none twice, none lost), no alert reached
# the receiver twice, and each process stayed within its memory bound.
# ctest: slow (about 3 minutes)
. "$(dirname "$0")/lib.sh"
echo "1..6"
SOURCES=500
RUN_S=${WS_FAULT_SECONDS:-120}
BUFFER_MAX=20000
MAX_UNACKED=20000
start_pg
start_fixture
start_hookrecv
COORD_OPTS=(--buffer-max $BUFFER_MAX --goal-debounce 200ms --goal-interval 1s
            --analysis-windows "")
start_coordinator "${COORD_OPTS[@]}"
WPIDS=()
for i in 1 2 3; do
    start_worker "w$i" --max-unacked $MAX_UNACKED
    WPIDS[$i]=$LAST_WORKER_PID
done
wait_workers 3 || { echo "Bail out! workers did not connect"; exit 1; }

# Ten goals on imported history, on track, then pushed off track: each
# has slipped, and the hook repeats it every minute while it stays so.
python3 - "$T" "$HOOKRECV_URL" <<'PY'
import datetime, json, sys
d, url = sys.argv[1:]
today = datetime.datetime.now(datetime.timezone.utc).date()
with open(d + "/history.csv", "w") as f:
    f.write("t,value\n")
    for i in range(90):
        f.write("%s,%d\n" % (today - datetime.timedelta(days=89 - i), 40))
with open(d + "/drop.csv", "w") as f:
    f.write("t,value\n")
    for i in range(25):
        f.write("%s,1\n" % (today - datetime.timedelta(days=24 - i)))
start, deadline = today - datetime.timedelta(days=60), today + datetime.timedelta(days=30)
goals = [{"name": "g%02d" % i, "kind": "total", "direction": "at_least",
          "target": 3000, "start": str(start), "deadline": str(deadline),
          "metric": "signups", "labels": {"region": "r%02d" % i},
          "campaign": "q"} for i in range(10)]
doc = {"campaigns": [{"name": "q", "objective": "sign-ups", "channel": "email",
                      "start": str(start), "end": str(deadline)}],
       "goals": goals,
       "hooks": [{"name": "receiver", "type": "webhook", "url": url + "/ok/fault",
                  "format": "watershed", "repeat_interval": "1m",
                  "match": {"campaigns": ["q"]}}]}
json.dump(doc, open(d + "/goals.json", "w"))
PY
for i in $(seq 0 9); do
    "$WATERSHED" import --metric signups --labels "region=r$(printf %02d "$i")" \
        --type per_period "$T/history.csv" >/dev/null 2>&1
done
"$WATERSHED" apply -f "$T/goals.json" >/dev/null 2>&1 \
    || { echo "Bail out! apply of the goals failed"; exit 1; }
count_status() {
    sql "SELECT count(*) FROM goals g WHERE (SELECT reported_status
         FROM goal_progress p WHERE p.goal_id = g.id
         ORDER BY evaluated_at DESC LIMIT 1) = '$1'"
}
for _ in $(seq 1 150); do [ "$(count_status on_track)" -eq 10 ] && break; sleep 0.2; done
for i in $(seq 0 9); do
    "$WATERSHED" import --metric signups --labels "region=r$(printf %02d "$i")" \
        --type per_period "$T/drop.csv" >/dev/null 2>&1
done
for _ in $(seq 1 150); do [ "$(count_status off_track)" -eq 10 ] && break; sleep 0.2; done
diag "goals off track: $(count_status off_track) of 10"

sources_file $SOURCES 1s /s/ >"$T/sources.json"
"$WATERSHED" apply -f "$T/sources.json" >/dev/null \
    || { echo "Bail out! apply of the sources failed"; exit 1; }
sleep 5
T0=$(now_ms)

# rss PID: resident kB, 0 if gone. The peak of every process of a role
# (workers and watershedd are restarted) is kept.
rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
peak_coord=0 peak_worker=0
sample_rss() {
    local r
    r=$(rss "$COORD_PID"); [ "${r:-0}" -gt "$peak_coord" ] && peak_coord=$r
    for i in 1 2 3; do
        r=$(rss "${WPIDS[$i]}"); [ "${r:-0}" -gt "$peak_worker" ] && peak_worker=$r
    done
}
kills=0
for s in $(seq 1 "$RUN_S"); do
    sleep 1
    sample_rss
    if [ $((s % 10)) -eq 0 ] && [ "$s" -lt "$RUN_S" ]; then
        i=$(( (s / 10 - 1) % 3 + 1 ))
        kill -KILL "${WPIDS[$i]}" 2>/dev/null
        wait "${WPIDS[$i]}" 2>/dev/null
        start_worker "w$i" --max-unacked $MAX_UNACKED
        WPIDS[$i]=$LAST_WORKER_PID
        kills=$((kills + 1))
    fi
    if [ "$s" -eq 25 ]; then
        kill -KILL "$COORD_PID"; wait "$COORD_PID" 2>/dev/null
        sleep 1
        restart_coordinator "${COORD_OPTS[@]}"
    fi
    [ "$s" -eq 60 ] && "$TESTPG" halt "$PG_DIR" >/dev/null 2>&1
    [ "$s" -eq 90 ] && "$TESTPG" resume "$PG_DIR" >/dev/null 2>&1
done
T1=$(now_ms)
diag "run: $(( (T1 - T0) / 1000 )) s, $kills workers killed, watershedd killed once, PostgreSQL stopped 60..90 s"

# Settle: the results of the window's last ticks are written, and the
# restarted watershedd has checked what its predecessor lost.
for _ in $(seq 1 60); do
    "$WATERSHED" status --json >"$T/status.json" 2>/dev/null
    python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); sys.exit(0 if s["database"]["reachable"] and s["database"]["buffered_samples"] == 0 else 1)' "$T/status.json" && break
    sleep 1
done
sleep 8
grep -h 'recorded as not collected' "$T/coordinator.log" | sed 's/^/# /'

sql "
  WITH w AS (SELECT timestamptz 'epoch' + $T0 * interval '1 ms' AS lo,
                    timestamptz 'epoch' + $T1 * interval '1 ms' AS hi),
  src AS (SELECT id FROM sources WHERE name LIKE 's____'),
  stored AS (SELECT DISTINCT se.source_id, x.ts FROM samples x
             JOIN series se ON se.id = x.series_id, w
             WHERE se.source_id IN (SELECT id FROM src)
               AND x.ts >= w.lo AND x.ts < w.hi),
  missed AS (SELECT m.source_id, t AS ts, m.reason FROM missed_ticks m, w,
             generate_series(m.first_tick, m.last_tick, interval '1 s') AS t
             WHERE m.source_id IN (SELECT id FROM src)
               AND t >= w.lo AND t < w.hi),
  phase AS (SELECT source_id,
                   min((extract(epoch FROM ts) * 1000)::bigint % 1000) AS ms
            FROM (SELECT * FROM stored UNION ALL
                  SELECT source_id, ts FROM missed) a GROUP BY source_id),
  expected AS (SELECT p.source_id, t AS ts FROM phase p, w,
               generate_series(date_trunc('second', w.lo) - interval '1 s'
                               + p.ms * interval '1 ms', w.hi,
                               interval '1 s') AS t
               WHERE t >= w.lo AND t < w.hi)
  SELECT (SELECT count(*) FROM src),
         (SELECT count(*) FROM phase),
         (SELECT count(*) FROM expected),
         (SELECT count(*) FROM stored),
         (SELECT count(*) FROM (SELECT DISTINCT source_id, ts FROM missed) m
          WHERE NOT EXISTS (SELECT 1 FROM stored s
                            WHERE s.source_id = m.source_id AND s.ts = m.ts)),
         (SELECT count(*) FROM stored s JOIN (SELECT DISTINCT source_id, ts
          FROM missed) m USING (source_id, ts))
         + (SELECT count(*) FROM (SELECT source_id, ts FROM missed
            GROUP BY 1, 2 HAVING count(*) > 1) d),
         (SELECT count(*) FROM expected e
          WHERE NOT EXISTS (SELECT 1 FROM stored s
                            WHERE s.source_id = e.source_id AND s.ts = e.ts)
            AND NOT EXISTS (SELECT 1 FROM missed m
                            WHERE m.source_id = e.source_id AND m.ts = e.ts)),
         (SELECT count(*) FROM stored s
          WHERE NOT EXISTS (SELECT 1 FROM expected e
                            WHERE e.source_id = s.source_id AND e.ts = s.ts)),
         (SELECT coalesce(string_agg(reason || ' ' || n, ', ' ORDER BY reason), '')
          FROM (SELECT reason, count(*) AS n FROM missed GROUP BY reason) r)
" >"$T/ticks.txt"
IFS='|' read -r nsrc nphase expected stored missed dups lost offgrid reasons <"$T/ticks.txt"
if [ "$lost" != 0 ] || [ "$dups" != 0 ]; then
    # Where the lost and doubled ticks are: seconds into the run, sources.
    sql "
      WITH w AS (SELECT timestamptz 'epoch' + $T0 * interval '1 ms' AS lo,
                        timestamptz 'epoch' + $T1 * interval '1 ms' AS hi),
      src AS (SELECT id FROM sources WHERE name LIKE 's____'),
      stored AS (SELECT DISTINCT se.source_id, x.ts FROM samples x
                 JOIN series se ON se.id = x.series_id, w
                 WHERE se.source_id IN (SELECT id FROM src)
                   AND x.ts >= w.lo - interval '5 s' AND x.ts < w.hi + interval '5 s'),
      missed AS (SELECT m.source_id, t AS ts FROM missed_ticks m,
                 generate_series(m.first_tick, m.last_tick, interval '1 s') AS t),
      phase AS (SELECT source_id, min((extract(epoch FROM ts) * 1000)::bigint % 1000) AS ms
                FROM stored GROUP BY source_id),
      expected AS (SELECT p.source_id, t AS ts FROM phase p, w,
                   generate_series(date_trunc('second', w.lo) - interval '1 s'
                                   + p.ms * interval '1 ms', w.hi, interval '1 s') AS t
                   WHERE t >= w.lo AND t < w.hi)
      SELECT 'lost at ' || floor(extract(epoch FROM e.ts - w.lo)) || ' s: '
             || count(*) || ' ticks of ' || count(DISTINCT e.source_id) || ' sources'
      FROM expected e, w
      WHERE NOT EXISTS (SELECT 1 FROM stored s WHERE s.source_id = e.source_id AND s.ts = e.ts)
        AND NOT EXISTS (SELECT 1 FROM missed m WHERE m.source_id = e.source_id AND m.ts = e.ts)
      GROUP BY 1 ORDER BY min(e.ts) LIMIT 20" | sed 's/^/# /'
    sql "SELECT source_id, first_tick, last_tick, ticks, reason, left(error, 60)
         FROM missed_ticks ORDER BY recorded_at DESC LIMIT 10" | sed 's/^/# /'
fi
diag "ticks expected $expected, stored $stored, recorded as missed $missed ($reasons), duplicated $dups, lost $lost"
ok "every tick of the $SOURCES sources is stored or recorded as missed: none twice, none lost" \
    test "$nsrc" -eq "$SOURCES" -a "$nphase" -eq "$SOURCES" -a "$dups" -eq 0 -a "$lost" -eq 0 \
    -a "$offgrid" -eq 0 -a "$expected" -ge $(( SOURCES * (RUN_S - 2) )) \
    -a "$expected" -eq $(( stored + missed ))
ok "most ticks are stored (over 60%) despite the faults" \
    test $(( stored * 100 )) -ge $(( expected * 60 ))

python3 - "$HOOKRECV_LOG" >"$T/hooks.txt" <<'PY'
import json, sys
posts = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
keys = [p.get("key") for p in posts]
dups = sum(1 for p in posts if p.get("duplicate"))
print(len(posts), len(set(keys)), dups)
PY
read -r posts keys hook_dups <"$T/hooks.txt"
delivered=$(sql "SELECT count(*) FROM deliveries WHERE state = 'delivered'")
diag "webhook: $posts POSTs, $keys distinct alerts, $hook_dups answered twice; $delivered deliveries recorded delivered"
ok "alerts were delivered through the faults, none twice" \
    test "$posts" -ge 10 -a "$hook_dups" -eq 0 -a "$keys" -eq "$posts"
ok "every acknowledged delivery is recorded delivered" test "$delivered" -eq "$keys"

# Memory bounds (README "Memory"): watershedd 64 MB + 64 bytes a
# buffered sample; a worker 32 MB + 2 KB a result kept unACKed.
bound_coord=$(( 64 * 1024 + BUFFER_MAX * 64 / 1024 ))
bound_worker=$(( 32 * 1024 + MAX_UNACKED * 2 ))
diag "peak RSS: watershedd $peak_coord kB (bound $bound_coord), workers $peak_worker kB (bound $bound_worker)"
ok "watershedd stayed within its memory bound" test "$peak_coord" -gt 0 -a "$peak_coord" -le "$bound_coord"
ok "each worker stayed within its memory bound" test "$peak_worker" -gt 0 -a "$peak_worker" -le "$bound_worker"
