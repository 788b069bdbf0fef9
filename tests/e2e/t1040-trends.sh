#!/bin/bash
# t1040-trends: analysis jobs end to end. Collected series become dirty,
# the coordinator rolls them up (1 s steps here, 1 day by default) and
# sends analysis jobs; a real worker runs ws_trend on them; the results
# land in the trends table and 'watershed trends' shows them.
. "$(dirname "$0")/lib.sh"
echo "1..5"
start_pg
start_fixture
start_coordinator --analysis-windows 1 --analysis-step 1s \
    --analysis-debounce 3s --analysis-horizon 3
start_worker w1
ok "worker joined" wait_workers 1
sources_file 4 1s /s/ >"$T/sources.json"
ok "apply 4 sources" "$WATERSHED" apply -f "$T/sources.json"
sleep 13
"$WATERSHED" trends --json >"$T/trends.json"
"$WATERSHED" trends | sed 's/^/# /'
check() {
    python3 - "$T/trends.json" <<'PY'
import json, sys
trends = json.load(open(sys.argv[1]))
print("# %d trends" % len(trends))
ok = len(trends) == 12
for t in trends:
    a = t["analysis"]
    ok = ok and t["window_days"] == 1 and t["n"] >= 5 and a["n"] == t["n"]
    ok = ok and "mann_kendall" in a and "sen" in a and "ols" in a
    ok = ok and len(a["ols"]["forecast"]) == 3 and "holt_winters" in a
sys.exit(0 if ok else 1)
PY
}
ok "every series has a stored analysis of its last day" check
ok "the text view lists them" test "$("$WATERSHED" trends --metric sales --window 1d | wc -l)" -eq 5
stored=$("$WATERSHED" status --json \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["counters"]["analyses_stored"])')
diag "analyses stored: $stored"
ok "series were analysed more than once (debounced, not per sample)" \
    test "$stored" -ge 24 -a "$stored" -le 90
exit $tap_failed
