#!/bin/bash
# t1600-install: 'cmake --install' into a fresh prefix puts every file
# where it belongs (binaries, man pages, bash completion, sql/); each man
# page renders without a warning and names every option its program's
# --help lists (so the pages cannot fall behind the option tables); the
# completion loads, completes commands, options and, from a running
# coordinator, source, goal and campaign names, and stays silent and
# quick without one; docker/entrypoint.sh's roles (keys, watershedd,
# watershed-worker, demo-apply) work together with CURVE; every
# installed binary runs --help.
. "$(dirname "$0")/lib.sh"
: "${WS_SOURCE_DIR:?WS_SOURCE_DIR must be set (ctest sets it)}"
S=$WS_SOURCE_DIR
P=$T/prefix
echo "1..25"

cmake --install "$B" --prefix "$P" >"$T/install.log" 2>&1; rc=$?
ok "cmake --install into $P" test "$rc" -eq 0

expected="bin/watershed bin/watershedd bin/watershed-worker bin/watershed-demo
share/man/man1/watershed.1 share/man/man5/watershed.conf.5
share/man/man8/watershedd.8 share/man/man8/watershed-worker.8
share/bash-completion/completions/watershed"
for f in "$S"/sql/*.sql; do
    expected="$expected share/watershed/sql/$(basename "$f")"
done
missing() {
    local f gone=0
    for f in $expected; do
        [ -s "$P/$f" ] || { diag "missing: $f"; gone=1; }
    done
    return "$gone"
}
ok "every file is where it belongs" missing
ok "the binaries are executable" test -x "$P/bin/watershed" -a -x "$P/bin/watershedd" \
    -a -x "$P/bin/watershed-worker" -a -x "$P/bin/watershed-demo"
ok "the installed migrations are the tree's" diff -r "$S/sql" "$P/share/watershed/sql"

renders() {  # renders PAGE: man -l says nothing on stderr
    MANWIDTH=80 man -l "$1" >"$T/page.txt" 2>"$T/man.err" || return 1
    [ -s "$T/page.txt" ] || return 1
    [ ! -s "$T/man.err" ] || { diag "$1: $(cat "$T/man.err")"; return 1; }
}
all_render() {
    local page bad=0
    for page in "$P"/share/man/man*/*; do
        renders "$page" || bad=1
    done
    return "$bad"
}
ok "each man page renders without warnings" all_render

# The options of a program's --help, one per line, without the dashes.
help_options() { "$@" --help | sed -n 's/^  --\([a-z-]*\) .*/\1/p'; }
# documents PAGE PROGRAM...: the page names every --option of the help,
# as roff writes it (\-\-name with \- for each dash).
documents() {
    local page=$1 name roff gone=0; shift
    for name in $(help_options "$@"); do
        roff="\\\\-\\\\-$(printf '%s' "$name" | sed 's/-/\\\\-/g')"
        grep -q -- "$roff" "$page" || { diag "$page lacks --$name"; gone=1; }
    done
    [ -n "$(help_options "$@")" ] && return "$gone"
}
ok "watershedd.8 documents every option" \
    documents "$S/man/watershedd.8" "$P/bin/watershedd"
ok "watershed-worker.8 documents every option" \
    documents "$S/man/watershed-worker.8" "$P/bin/watershed-worker"
conf_names() {  # every setting of both programs is a row of the page
    local name gone=0
    for name in $(help_options "$P/bin/watershedd") \
                $(help_options "$P/bin/watershed-worker"); do
        [ "$name" = config ] && continue
        grep -q "^$(printf '%s' "$name" | sed 's/-/\\\\-/g')	" \
            "$S/man/watershed.conf.5" || { diag "watershed.conf.5 lacks $name"; gone=1; }
    done
    return "$gone"
}
ok "watershed.conf.5 lists every setting of both programs" conf_names
commands() { "$P/bin/watershed" --help | sed -n 's/^  \([a-z]*\)  .*/\1/p'; }
man1_commands() {
    local c gone=0
    for c in $(commands); do
        grep -q "^\.SS \"\{0,1\}$c\b" "$S/man/watershed.1" \
            || { diag "watershed.1 lacks $c"; gone=1; }
    done
    [ "$(commands | wc -l)" -ge 10 ] && return "$gone"
}
ok "watershed.1 has a section for every command" man1_commands

# complete WORDS...: what the completion offers for the last word, one
# line, sorted; run in a fresh bash with the installed script and PATH.
complete_words() {
    PATH="$P/bin:$PATH" bash -c '
        . "$0" || exit 1
        COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
        _watershed || exit 1
        printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " " | sed "s/ $//"' \
        "$P/share/bash-completion/completions/watershed" "$@"
}
ok "the completion loads and registers itself" \
    bash -c '. "$0" && complete -p watershed | grep -q _watershed' \
    "$P/share/bash-completion/completions/watershed"
ok "'watershed so<TAB>' offers source sources" \
    test "$(complete_words watershed so)" = "source sources"
ok "'watershed <TAB>' offers every command of watershed --help" \
    test "$(complete_words watershed '')" = \
         "$( (commands; echo --help) | sort | tr '\n' ' ' | sed 's/ $//')"
ok "'watershed import --d<TAB>' offers --dry-run" \
    test "$(complete_words watershed import --d)" = "--dry-run"
ok "'watershed goal <TAB>' offers the subcommands" \
    test "$(complete_words watershed goal '')" = "backtest eval show"

# No coordinator: nothing, quickly.
export WATERSHED_COORDINATOR="ipc://$T/none.sock"
start=$(date +%s%N)
out=$(complete_words watershed sources '')
ms=$(( ($(date +%s%N) - start) / 1000000 ))
diag "without a coordinator: '$out' in $ms ms"
ok "without a coordinator source names complete to nothing within 2 s" \
    test -z "$out" -a "$ms" -lt 2000

start_pg
start_coordinator
cat >"$T/names.json" <<JSON
{"sources": [
  {"name": "crm-eu", "url": "http://127.0.0.1:9/eu", "interval": "1h",
   "metrics": [{"name": "signups", "type": "gauge", "json": "/n"}]},
  {"name": "crm-us", "url": "http://127.0.0.1:9/us", "interval": "1h",
   "metrics": [{"name": "signups", "type": "gauge", "json": "/n"}]}
 ],
 "campaigns": [
  {"name": "q1-eu", "objective": "EU trial growth", "channel": "email",
   "start": "2027-01-04", "end": "2027-04-04"}
 ],
 "goals": [
  {"name": "eu-signups", "kind": "total", "direction": "at_least",
   "target": 1200, "start": "2027-01-04", "deadline": "2027-04-04",
   "metric": "signups", "labels": {"src": "crm"}, "campaign": "q1-eu"}
 ]}
JSON
"$P/bin/watershed" apply -f "$T/names.json" >"$T/apply.out" 2>&1 \
    || diag "$(cat "$T/apply.out")"
ok "'watershed sources <TAB>' offers the coordinator's sources" \
    test "$(complete_words watershed sources '')" = "crm-eu crm-us"
ok "'watershed goal show eu<TAB>' offers its goal" \
    test "$(complete_words watershed goal show eu)" = "eu-signups"
ok "'watershed progress --campaign <TAB>' offers its campaign" \
    test "$(complete_words watershed progress --campaign '')" = "q1-eu"

# docker/entrypoint.sh's roles with the installed binaries, as the
# compose services run them (the image itself needs a Docker daemon).
kill -TERM "$COORD_PID" 2>/dev/null
wait "$COORD_PID" 2>/dev/null
EP=$S/docker/entrypoint.sh
export WATERSHED_KEYS=$T/keys WATERSHED_STATE_DIR=$T/ep-state
export WATERSHED_COORDINATOR="ipc://$T/ep-state/watershedd.sock"
mkdir -m 0700 "$T/keys" "$T/ep-state"
ep() { PATH="$P/bin:$PATH" "$EP" "$@"; }
keys_made() {
    local f
    for f in coordinator.secret coordinator.key worker.secret worker.key \
             client.secret client.key authorized/worker.key authorized/client.key; do
        [ -s "$T/keys/$f" ] || { diag "missing key file $f"; return 1; }
    done
    [ "$(stat -c %a "$T/keys/worker.secret")" = 600 ]
}
ep keys >"$T/keys.out" 2>&1
ok "the keys role makes three key pairs and the allow-list" keys_made
sums() { (cd "$T/keys" && find . -type f | sort | xargs md5sum); }
before=$(sums)
ep keys >"$T/keys.out" 2>&1; rc=$?
ok "running the keys role again changes nothing" \
    test "$rc" -eq 0 -a "$before" = "$(sums)"

"$P/bin/watershed-demo" --port 0 --port-file "$T/demo.port" 2>"$T/demo.log" &
PIDS+=($!)
EP_PORT=$(free_port)
# Not through ep(): a function in the background is a subshell, and
# cleanup's SIGTERM must reach the process the entrypoint execs.
PATH="$P/bin:$PATH" "$EP" watershedd --db "$CONNINFO" \
    --workers "tcp://127.0.0.1:$EP_PORT" 2>>"$T/ep-coordinator.log" &
PIDS+=($!)
PATH="$P/bin:$PATH" "$EP" watershed-worker \
    --coordinator "tcp://127.0.0.1:$EP_PORT" --name ep-w1 2>"$T/ep-worker.log" &
PIDS+=($!)
for _ in $(seq 1 100); do [ -s "$T/demo.port" ] && break; sleep 0.05; done
WATERSHED_DEMO_URL="http://127.0.0.1:$(cat "$T/demo.port")" \
    WATERSHED_DEMO_SOURCES="$S/demo/sources.json" \
    ep demo-apply >"$T/demo-apply.out" 2>&1; rc=$?
diag "$(cat "$T/demo-apply.out")"
ok "demo-apply waits for the coordinator and applies the demo's sources" \
    test "$rc" -eq 0
curve_worker() {  # CURVE is on and the worker with the shared key joined
    ep watershed status --json 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)
sys.exit(0 if s["security"]["curve"] and len(s["workers"]) == 1 else 1)'
}
retry() { for _ in $(seq 1 50); do "$@" && return 0; sleep 0.2; done; return 1; }
ok "watershedd runs with CURVE and admits the worker's key" retry curve_worker
ok "a client without the client key is refused" \
    test "$(PATH="$P/bin:$PATH" watershed status >/dev/null 2>&1; echo $?)" -ne 0
demo_ok() {
    ep watershed sources --json 2>/dev/null | python3 -c '
import json, sys
ok = [s for s in json.load(sys.stdin) if s["health"] == "ok"]
sys.exit(0 if any(s["name"] == "demo-sales-eu" for s in ok) else 1)'
}
ok "the worker collects the demo source through CURVE" retry demo_ok

helps() {
    local b bad=0
    for b in watershed watershedd watershed-worker watershed-demo; do
        "$P/bin/$b" --help >"$T/help.out" 2>&1 && [ -s "$T/help.out" ] \
            || { diag "$b --help failed"; bad=1; }
    done
    return "$bad"
}
ok "each installed binary runs --help" helps
