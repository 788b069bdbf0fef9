#!/bin/bash
# t0110-hookrecv: the webhook receiver the alert-hook tests deliver to
# (tests/tools/ws_hookrecv). Requests are signed here with openssl, not
# with watershed's code, so a wrong ws_alert_verify cannot pass by
# agreeing with a wrong signer: a good signature is 200 and logged
# verified, a bad or missing one and a replayed timestamp are 401;
# /fail-for, /retry-after, /status, /hold behave as documented; a
# repeated Idempotency-Key is logged as a duplicate and counted once in
# /stats; SIGTERM ends it at once, held requests included.
. "$(dirname "$0")/lib.sh"
echo "1..19"

export HOOK_KEY=e2e-hook-secret-7f3a
start_hookrecv --secret-env HOOK_KEY

# sign BODY [TIMESTAMP]: the X-Watershed-Signature value, with openssl.
sign() {
    local t=${2:-$(date +%s)} hex
    hex=$(printf '%s.%s' "$t" "$1" | openssl dgst -sha256 -hmac "$HOOK_KEY" \
          | sed 's/^.*= *//')
    printf 't=%s,v1=%s' "$t" "$hex"
}

# post URL BODY [CURL ARGS...]: POST, saving the answer's headers to
# $T/h and body to $T/b; prints the status.
post() {
    local url=$1 body=$2; shift 2
    curl -s -o "$T/b" -D "$T/h" -w '%{http_code}' -X POST \
        -H 'Content-Type: application/json' --data-binary "$body" "$@" "$url"
}

# spost URL BODY [KEY]: post signed now, with an Idempotency-Key if given.
spost() {
    local args=(-H "X-Watershed-Signature: $(sign "$2")")
    [ -n "${3:-}" ] && args+=(-H "Idempotency-Key: $3")
    post "$1" "$2" "${args[@]}"
}

# logq PYTHON-EXPR: true if the expression holds, with 'lines' the log's
# records and 'last(path)' the newest record for a path.
logq() {
    python3 - "$HOOKRECV_LOG" "$1" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
def last(path):
    return [l for l in lines if l["path"] == path][-1]
ok = eval("(" + sys.argv[2] + ")")
if not ok:
    print("# log:", json.dumps(lines[-3:])[:1500])
sys.exit(0 if ok else 1)
PY
}

# stats PYTHON-EXPR: the same over GET /stats as 's'.
stats() {
    curl -s "$HOOKRECV_URL/stats" | python3 -c '
import json, sys
s = json.load(sys.stdin)
ok = eval("(" + sys.argv[1] + ")")
if not ok:
    print("# stats:", json.dumps(s)[:1500])
sys.exit(0 if ok else 1)' "$1"
}

body='{"alerts":[{"id":1,"kind":"slipped"}],"note":"café, 100%"}'
before=$(now_ms)
code=$(spost "$HOOKRECV_URL/ok/hookA" "$body" d-1)
ok "a correctly signed POST to /ok/... is 200 {\"ok\":true}" \
    test "$code" = 200 -a "$(cat "$T/b")" = '{"ok":true}'
ok "it is logged verified, with its body, key and lowercased headers" \
    logq "(lambda r: r['verified'] is True and r['verify_error'] is None
           and r['body'] == r'''$body''' and r['key'] == 'd-1'
           and r['status'] == 200 and r['duplicate'] is False
           and r['headers']['idempotency-key'] == 'd-1'
           and r['headers']['x-watershed-signature'].startswith('t=')
           and $before <= r['t_ms'] <= $before + 5000)(last('/ok/hookA'))"

bad=$(HOOK_KEY=not-the-key sign "$body")
code=$(post "$HOOKRECV_URL/ok/forged" "$body" \
       -H "X-Watershed-Signature: $bad" -H 'Idempotency-Key: d-forged')
ok "a wrong signature is 401 with an error, logged verified false" \
    eval 'test "$code" = 401 && grep -q "\"error\":\"webhook signature" "$T/b" &&
          logq "last(\"/ok/forged\")[\"verified\"] is False and
                \"signature\" in last(\"/ok/forged\")[\"verify_error\"] and
                last(\"/ok/forged\")[\"status\"] == 401"'

code=$(post "$HOOKRECV_URL/ok/tampered" "$body x" \
       -H "X-Watershed-Signature: $(sign "$body")")
ok "a body changed after signing is 401" test "$code" = 401

code=$(post "$HOOKRECV_URL/ok/unsigned" "$body")
ok "a POST without the signature header is 401 naming the header" \
    eval 'test "$code" = 401 && grep -q "X-Watershed-Signature" "$T/b"'

old=$(( $(date +%s) - 1000 ))
code=$(post "$HOOKRECV_URL/ok/replay" "$body" \
       -H "X-Watershed-Signature: $(sign "$body" "$old")")
ok "a signature 1000 s old is 401 (replay window 300 s)" \
    eval 'test "$code" = 401 && grep -q "replay window" "$T/b" &&
          logq "last(\"/ok/replay\")[\"verified\"] is False"'

code1=$(spost "$HOOKRECV_URL/fail-for/2/x" '{"n":1}')
code2=$(spost "$HOOKRECV_URL/fail-for/2/x" '{"n":2}')
b2=$(cat "$T/b")
sleep 2.1
code3=$(spost "$HOOKRECV_URL/fail-for/2/x" '{"n":3}')
ok "/fail-for/2/x is 500 {\"error\":\"down\"} for 2 s, then 200" \
    test "$code1 $code2 $b2 $code3" = '500 500 {"error":"down"} 200'

code1=$(spost "$HOOKRECV_URL/retry-after/1/7/x" '{"n":1}' d-retry)
retry=$(tr -d '\r' <"$T/h" | sed -n 's/^[Rr]etry-[Aa]fter: //p')
code2=$(spost "$HOOKRECV_URL/retry-after/1/7/x" '{"n":1}' d-retry)
ok "/retry-after/1/7/x is 429 with Retry-After: 7, then 200 (same key)" \
    test "$code1 $retry $code2" = "429 7 200"

code=$(spost "$HOOKRECV_URL/status/418/x" '{}')
ok "/status/418/x answers 418" test "$code" = 418

code1=$(spost "$HOOKRECV_URL/nowhere/x" '{}')
code2=$(spost "$HOOKRECV_URL/fail-for/soon/x" '{}')
code3=$(spost "$HOOKRECV_URL/status/99/x" '{}')
ok "an unknown path is 404, a bad path parameter 400" \
    test "$code1 $code2 $code3" = "404 400 400"

code1=$(spost "$HOOKRECV_URL/ok/hookB" '{"again":1}' d-twice)
code2=$(spost "$HOOKRECV_URL/ok/hookB" '{"again":1}' d-twice)
code3=$(spost "$HOOKRECV_URL/fail-for/60/y" '{"again":1}' d-twice)
ok "a repeated key is 200 again, even on a failing path, logged duplicate" \
    eval 'test "$code1 $code2 $code3" = "200 200 200" &&
          logq "[l[\"duplicate\"] for l in lines if l[\"key\"] == \"d-twice\"]
                == [False, True, True]"'

# Effects: d-1, d-retry, d-twice (d-forged was refused). Requests: every
# POST so far, 17.
ok "/stats: 3 effects, 2 duplicates, 4 failed checks, counts by path" \
    stats "s['effects'] == 3 and s['duplicates'] == 2 and
           s['verified_failures'] == 4 and s['requests'] == 17 and
           s['by_path']['/fail-for/2/x'] == 3 and s['by_path']['/ok/hookB'] == 2"

# /hold: answered after 1.5 s, logged at once, while /ok stays fast.
curl -s -o "$T/hold.b" -w '%{http_code} %{time_total}' -X POST \
    -H "X-Watershed-Signature: $(sign '{"h":1}')" -H 'Idempotency-Key: d-hold' \
    --data-binary '{"h":1}' "$HOOKRECV_URL/hold/1500/x" >"$T/hold.out" &
hold_pid=$!
sleep 0.3
logged=no
logq "last('/hold/1500/x')['status'] == 200" >/dev/null && logged=yes
fast=$(curl -s -o /dev/null -w '%{time_total}' -X POST \
       -H "X-Watershed-Signature: $(sign '{}')" --data-binary '{}' \
       "$HOOKRECV_URL/ok/during-hold")
wait "$hold_pid"
read -r hold_code hold_time <"$T/hold.out"
diag "hold answered $hold_code after $hold_time s; /ok during it took $fast s"
ok "/hold/1500/x is logged at once and answers 200 after >= 1.5 s" \
    python3 -c "import sys; sys.exit(0 if '$logged' == 'yes' and '$hold_code' == '200'
                and 1.5 <= $hold_time < 5 else 1)"
ok "a POST to /ok during the hold answers in < 0.5 s" \
    python3 -c "import sys; sys.exit(0 if $fast < 0.5 else 1)"

# Without --secret-env nothing is checked: verified is null.
"$HOOKRECV" --port 0 --port-file "$T/plain.port" --log "$T/plain.jsonl" \
    2>"$T/hookrecv-plain.log" &
plain_pid=$!
PIDS+=("$plain_pid")
for _ in $(seq 1 100); do [ -s "$T/plain.port" ] && break; sleep 0.05; done
code=$(post "http://127.0.0.1:$(cat "$T/plain.port")/ok/p" '{}')
ok "without --secret-env an unsigned POST is 200, logged verified null" \
    eval 'test "$code" = 200 &&
          HOOKRECV_LOG=$T/plain.jsonl logq "last(\"/ok/p\")[\"verified\"] is None"'

# SIGTERM with a request held for 20 s: exit 0 at once.
curl -s -o /dev/null -w '%{http_code}' -X POST --data-binary '{}' \
    "http://127.0.0.1:$(cat "$T/plain.port")/hold/20000/x" >"$T/held.out" &
held_pid=$!
sleep 0.3
start=$(now_ms)
kill -TERM "$plain_pid"
wait "$plain_pid"; rc=$?
took=$(( $(now_ms) - start ))
wait "$held_pid"
diag "stopped in $took ms; the held request got $(cat "$T/held.out")"
ok "SIGTERM with a request held: exit 0 within 2 s, the hold answered 503" \
    test "$rc" = 0 -a "$took" -lt 2000 -a "$(cat "$T/held.out")" = 503

ok "--secret-env naming an unset variable: exit 2, naming it" \
    eval '"$HOOKRECV" --secret-env WS_NO_SUCH_VAR_E2E 2>"$T/err"; rc=$?;
          test "$rc" = 2 && grep -q "WS_NO_SUCH_VAR_E2E" "$T/err"'

kill -TERM "$HOOKRECV_PID"; wait "$HOOKRECV_PID"; rc=$?
ok "SIGTERM: exit 0" test "$rc" -eq 0
ok "no errors or warnings logged, and the secret never" \
    eval '! grep -h -E " (error|warning) " "$T"/hookrecv*.log &&
          ! grep -q -F "$HOOK_KEY" "$T"/hookrecv*.log "$HOOKRECV_LOG"'
exit $tap_failed
