#!/bin/bash
# t1140-command-runs: 1,000 runs of command hooks through watershedd
# ('watershed hook test', 8 at a time): 800 that succeed, 100 that fail
# and 100 killed at their timeout. Afterwards the coordinator has the
# same number of open file descriptors as before, and no child process
# (no zombie, nothing left running).
# ctest: slow (about 40 s)
. "$(dirname "$0")/lib.sh"
echo "1..4"
start_pg
start_coordinator --analysis-windows ""
cat >"$T/hooks.json" <<'JSON'
{"hooks": [
  {"name": "ok", "type": "command", "argv": ["/bin/true"]},
  {"name": "fails", "type": "command", "argv": ["/bin/false"]},
  {"name": "hangs", "type": "command", "argv": ["/bin/sleep", "30"],
   "timeout": "200ms"}]}
JSON
"$WATERSHED" apply -f "$T/hooks.json" >/dev/null
fds() { ls "/proc/$COORD_PID/fd" | wc -l; }
children() { ps -o pid= --ppid "$COORD_PID" | wc -l; }
for _ in 1 2 3; do "$WATERSHED" hook test ok >/dev/null; done
before=$(fds)
{ for i in $(seq 1 1000); do
      if [ $((i % 10)) -eq 0 ]; then echo fails
      elif [ $((i % 10)) -eq 5 ]; then echo hangs
      else echo ok; fi
  done; } | xargs -P 8 -I{} sh -c '"$0" hook test {} >/dev/null 2>&1; echo $?' \
      "$WATERSHED" >"$T/codes"
sleep 1
after=$(fds)
diag "exit codes: $(sort "$T/codes" | uniq -c | tr '\n' ' ')"
diag "open descriptors of watershedd: $before before, $after after; children: $(children)"
ok "1,000 runs answered: 800 delivered (0), 200 not (1)" \
    test "$(grep -c '^0$' "$T/codes")" -eq 800 -a "$(grep -c '^1$' "$T/codes")" -eq 200
ok "the runs are recorded" \
    test "$(sql "SELECT string_agg(state || ' ' || n, ', ' ORDER BY state) FROM
                 (SELECT d.state, count(*) AS n FROM deliveries d
                  JOIN alerts a ON a.id = d.alert_id WHERE a.kind = 'test'
                  GROUP BY d.state) x")" = "delivered 803, given_up 200"
ok "no descriptor leaked" test "$after" -eq "$before"
ok "no child left (no zombie)" test "$(children)" -eq 0
exit $tap_failed
