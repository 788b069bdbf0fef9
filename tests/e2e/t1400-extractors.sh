#!/bin/bash
# t1400-extractors: every example of docs/extractors.md (one source per
# extractor kind: json, regex, xpath over HTML and XML, csv, prometheus,
# conversions) is applied against the fixture, which serves
# tests/data/extract/ under /doc/; watershed collects them, and the
# values stored in PostgreSQL are the ones the page says. Then the
# errors: an XPath with a syntax error is refused at apply naming the
# rule, and a regex that finds nothing is an error of its source that
# names the rule and the pattern while the others go on.
. "$(dirname "$0")/lib.sh"
echo "1..8"
start_pg
start_fixture --docs "$WS_SOURCE_DIR/tests/data/extract"
start_coordinator --analysis-windows ""
export E2E_API_TOKEN=271828   # the worker reads the bearer token from here
start_worker w1
wait_workers 1 || { echo "Bail out! the worker did not connect"; exit 1; }

# The page's examples: each ```json block a source, each "expect" line
# under it a value.
python3 - "$WS_SOURCE_DIR/docs/extractors.md" "$FIXTURE_URL" "$T" <<'PY'
import json, re, sys
text, url, d = open(sys.argv[1]).read(), sys.argv[2], sys.argv[3]
sources = [json.loads(b.replace("http://127.0.0.1:8080", url))
           for b in re.findall(r"```json\n(.*?)```", text, re.S)]
expect = []
for metric, labels, value in re.findall(
        r"<!-- expect: ([A-Za-z_:][A-Za-z0-9_:.]*)\{([^}]*)\} = ([-0-9.e]+) -->", text):
    pairs = dict(p.split("=", 1) for p in labels.split(",") if p)
    expect.append({"metric": metric, "labels": pairs, "value": float(value)})
json.dump({"sources": sources}, open(d + "/sources.json", "w"), indent=1)
json.dump(expect, open(d + "/expect.json", "w"))
print("# %d examples, %d values expected" % (len(sources), len(expect)))
PY
"$WATERSHED" apply -f "$T/sources.json" >"$T/apply.out" 2>&1; rc=$?
diag "$(tail -1 "$T/apply.out")"
ok "the page's examples are applied" test "$rc" -eq 0

check_values() {
    sql "SELECT s.metric, s.labels::text, x.value FROM series s
         JOIN LATERAL (SELECT value FROM samples WHERE series_id = s.id
                       ORDER BY ts DESC LIMIT 1) x ON true" >"$T/stored.txt"
    python3 - "$T/expect.json" "$T/stored.txt" <<'PY'
import json, sys
expect = json.load(open(sys.argv[1]))
stored = {}
for line in open(sys.argv[2]):
    metric, labels, value = line.rstrip("\n").split("|")
    stored[(metric, json.dumps(json.loads(labels), sort_keys=True))] = float(value)
bad = 0
for e in expect:
    key = (e["metric"], json.dumps(e["labels"], sort_keys=True))
    got = stored.get(key)
    if got is None or abs(got - e["value"]) > 1e-9 * max(1, abs(e["value"])):
        print("# %s%s: expected %r, stored %r" % (e["metric"], e["labels"], e["value"], got))
        bad += 1
print("# %d of %d values as the page says" % (len(expect) - bad, len(expect)))
sys.exit(1 if bad else 0)
PY
}
for _ in $(seq 1 40); do check_values >/dev/null 2>&1 && break; sleep 0.5; done
ok "every value stored is the one docs/extractors.md states" check_values

cat >"$T/bad-xpath.json" <<EOF2
{"sources": [{"name": "bad-xpath", "url": "$FIXTURE_URL/doc/broken.html",
  "metrics": [{"name": "p", "type": "gauge", "xpath": "//span[@class="}]}]}
EOF2
"$WATERSHED" apply -f "$T/bad-xpath.json" >"$T/bad.out" 2>&1; rc=$?
diag "$(head -2 "$T/bad.out")"
ok "an XPath syntax error is refused at apply, naming the rule" \
    test "$rc" -ne 0 -a -n "$(grep '/metrics/0' "$T/bad.out" | grep -i xpath)"

cat >"$T/nomatch.json" <<EOF2
{"sources": [{"name": "no-match", "url": "$FIXTURE_URL/doc/broken.html", "interval": "1s",
  "metrics": [{"name": "discount", "type": "gauge", "regex": "Discount: ([0-9]+)%"}]}]}
EOF2
"$WATERSHED" apply -f "$T/nomatch.json" >/dev/null 2>&1
for _ in $(seq 1 40); do
    "$WATERSHED" sources --json >"$T/sources-now.json" 2>/dev/null
    grep -q 'no match' "$T/sources-now.json" && break
    sleep 0.5
done
python3 - "$T/sources-now.json" >"$T/nomatch.txt" <<'PY'
import json, sys
for s in json.load(open(sys.argv[1])):
    if s["name"] == "no-match":
        print(s.get("last_error") or "")
PY
diag "no-match: $(cat "$T/nomatch.txt")"
ok "a regex that finds nothing is its source's error, naming rule and pattern" \
    grep -q "rule 'discount' regex 'Discount: (\[0-9\]+)%': no match" "$T/nomatch.txt"

# A request as real APIs want it: bearer auth from the worker's
# environment, a User-Agent, query parameters and a POST body holding the
# tick's period. The fixture echoes the request; regex rules read back
# what arrived, and the period must be the tick's own.
cat >"$T/request.json" <<EOF2
{"sources": [{"name": "api", "url": "$FIXTURE_URL/echo?fixed=1", "interval": "1s",
  "method": "POST", "body": "{\"query\": \"{ visits(from: {from:epoch}) }\"}",
  "auth": {"type": "bearer", "token_env": "E2E_API_TOKEN"},
  "user_agent": "acme-marketing/7", "params": {"to": "{to:epoch}", "day": "{to:date}"},
  "metrics": [
    {"name": "token", "type": "gauge", "regex": "Bearer (\\\\d+)"},
    {"name": "agent", "type": "gauge", "regex": "acme-marketing/(\\\\d+)"},
    {"name": "param_to", "type": "gauge", "regex": "\"to\":\"(\\\\d+)\""},
    {"name": "body_from", "type": "gauge", "regex": "visits\\\\(from: (\\\\d+)\\\\)"},
    {"name": "fixed", "type": "gauge", "regex": "\"fixed\":\"(\\\\d+)\""}]}]}
EOF2
"$WATERSHED" apply -f "$T/request.json" >"$T/request.out" 2>&1 \
    || diag "$(cat "$T/request.out")"
api_values() {
    sql "SELECT s.metric, x.value, floor(extract(epoch FROM x.ts))::bigint
         FROM series s JOIN LATERAL (SELECT value, ts FROM samples
         WHERE series_id = s.id ORDER BY ts DESC LIMIT 1) x ON true
         WHERE s.metric IN ('token', 'agent', 'param_to', 'body_from', 'fixed')
         ORDER BY s.metric"
}
for _ in $(seq 1 40); do [ "$(api_values | wc -l)" -eq 5 ] && break; sleep 0.5; done
api_values >"$T/api.txt"
diag "$(tr '\n' ' ' <"$T/api.txt")"
ok "auth, User-Agent, params and body arrive, with the tick's period" python3 - "$T/api.txt" <<'PY'
import sys
v = {m: (float(x), int(t)) for m, x, t in (l.strip().split("|") for l in open(sys.argv[1]))}
ok = (v["token"][0] == 271828 and v["agent"][0] == 7 and v["fixed"][0] == 1
      and v["param_to"][0] == v["param_to"][1]
      and v["body_from"][0] == v["body_from"][1] - 1)
sys.exit(0 if ok else 1)
PY

# 'watershed source test': one fetch through the worker, each rule's
# matches and samples, nothing stored.
"$WATERSHED" source test widget-page >"$T/test1.txt" 2>&1; rc=$?
sed 's/^/# /' "$T/test1.txt" | head -12
ok "source test NAME shows each rule's match, its number and its sample" \
    test "$rc" -eq 0 -a -n "$(grep -F 'match 1: "1,299.50" -> 1299.5' "$T/test1.txt")" \
    -a -n "$(grep -F 'sample widget_stock{} = 17' "$T/test1.txt")"
cat >"$T/trial.json" <<EOF2
{"sources": [{"name": "trial", "url": "$FIXTURE_URL/doc/spend.csv",
  "metrics": [{"name": "trial_spend", "type": "gauge", "aggregate": "sum",
               "csv": {"column": "Spend (EUR)"}, "labels_from": {"region": "Region"}},
              {"name": "trial_typo", "type": "gauge", "csv": {"column": "Spend(EUR)"}}]}]}
EOF2
"$WATERSHED" source test -f "$T/trial.json" --json >"$T/test2.json" 2>&1; rc=$?
ok "source test -f: a source not applied, each rule's outcome, exit 1 when one fails, nothing stored" \
    python3 - "$T/test2.json" "$rc" "$(sql "SELECT count(*) FROM series WHERE metric LIKE 'trial%'")" <<'PY'
import json, sys
r, rc, stored = json.load(open(sys.argv[1])), int(sys.argv[2]), int(sys.argv[3])
rules = {x["metric"]: x for x in r["report"]["rules"]}
good = {s["labels"]["region"]: s["value"] for s in rules["trial_spend"]["samples"]}
typo = rules["trial_typo"]["error"] or ""
print("# trial_spend %s; trial_typo: %s" % (good, typo))
sys.exit(0 if rc == 1 and r["ok"] is False and good.get("EU") == 4850.5
         and "no column 'Spend(EUR)'" in typo and stored == 0 else 1)
PY

# 100 MB of repeated tags: the body cap (8 MiB) ends it as a size error
# of that source, before any parser sees it.
cat >"$T/tags.json" <<EOF2
{"sources": [{"name": "tags", "url": "$FIXTURE_URL/hostile/tags", "retries": 0,
  "metrics": [{"name": "divs", "type": "gauge", "xpath": "count(//div)"}]}]}
EOF2
"$WATERSHED" source test -f "$T/tags.json" --json >"$T/tags.out" 2>&1; rc=$?
ok "100 MB of tags are refused by the body cap, a size error of the source" \
    python3 - "$T/tags.out" "$rc" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
print("# %s after %d ms, %d bytes read" % (r["error"], r["duration_ms"], r["bytes"]))
sys.exit(0 if int(sys.argv[2]) == 1 and r["error_kind"] == "size" else 1)
PY
