#!/bin/bash
# t1510-chart: 'watershed chart' against the real daemon. The demo's
# goal: 60 days of EU orders from the demo's own model imported, and
# demo/goals.json applied as scripts/demo applies it (a campaign over the
# last and the next 30 days, two goals, two activities); once the goal
# is evaluated its burn-up is drawn to PNG and SVG and the PNG is read
# back with Python's stdlib (size from IHDR, IDAT inflated and
# unfiltered: several colours, ink in the plot). Then a collected series
# (the fixture's, analysed every 1 s step) with its trend, and the
# errors: a bad suffix, an unknown goal, an unknown metric, labels that
# match two series, a file that cannot be written.
. "$(dirname "$0")/lib.sh"
echo "1..12"
: "${WS_SOURCE_DIR:?WS_SOURCE_DIR must be set (ctest sets it)}"
start_pg
start_fixture
start_coordinator --goal-debounce 1s --goal-interval 5s \
    --analysis-windows 1 --analysis-step 1s --analysis-debounce 3s \
    --analysis-horizon 3
start_worker w1
ok "worker joined" wait_workers 1

# The demo's history and goals, as scripts/demo sets them up.
"$B/demo/watershed-demo" --history orders:eu:60 >"$T/orders-eu.csv"
"$WATERSHED" import --metric orders_today --labels region=eu \
    --type per_period --period 1d "$T/orders-eu.csv" >"$T/import.out" 2>&1 \
    || diag "$(cat "$T/import.out")"
day() { date -u -d "$1" +%Y-%m-%dT00:00:00Z; }
sed -e "s/@START@/$(day '-30 days')/g" -e "s/@END@/$(day '+30 days')/g" \
    -e "s/@LAUNCH@/$(day '-23 days')/g" -e "s/@AD@/$(day '-9 days')/g" \
    -e "s|@STATE@|$T|g" \
    "$WS_SOURCE_DIR/demo/goals.json" >"$T/goals.json"
"$WATERSHED" apply -f "$T/goals.json" >"$T/apply.out" 2>&1; rc=$?
diag "$(head -5 "$T/apply.out")"
ok "60 days of EU orders imported and demo/goals.json applied" \
    test "$rc" -eq 0 -a "$(sql "SELECT count(*) FROM samples")" -eq 60

for _ in $(seq 1 60); do
    "$WATERSHED" goal show eu-orders --json >"$T/show.json" 2>/dev/null \
        && python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["evaluation"] else 1)' \
            "$T/show.json" && break
    sleep 0.5
done
ok "the coordinator evaluated eu-orders" python3 -c '
import json, sys
sys.exit(0 if json.load(open(sys.argv[1]))["evaluation"] else 1)' "$T/show.json"

# check_png FILE WIDTH HEIGHT: a PNG of that size, not blank: at least
# 6 colours, and at least 2% of the middle of the plot not white.
check_png() {
    python3 - "$@" <<'PY'
import struct, sys, zlib
path, want_w, want_h = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = open(path, "rb").read()
if data[:8] != b"\x89PNG\r\n\x1a\n":
    print("# %s: not a PNG" % path); sys.exit(1)
pos, idat, ihdr = 8, b"", None
while pos < len(data):
    length, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + length]
    if kind == b"IHDR":
        ihdr = struct.unpack(">IIBBBBB", body)
    elif kind == b"IDAT":
        idat += body
    pos += 12 + length
width, height, depth, colour, _, _, interlace = ihdr
print("# %s: %dx%d, depth %d, colour type %d" % (path, width, height, depth, colour))
if (width, height) != (want_w, want_h) or depth != 8 or interlace != 0:
    sys.exit(1)
bpp = {2: 3, 6: 4}[colour]
raw = zlib.decompress(idat)
stride = width * bpp
rows, prior = [], bytearray(stride)
for y in range(height):
    kind = raw[y * (stride + 1)]
    line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b = prior[i]
        c = prior[i - bpp] if i >= bpp else 0
        if kind == 1: line[i] = (line[i] + a) & 255
        elif kind == 2: line[i] = (line[i] + b) & 255
        elif kind == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif kind == 4:
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            pred = a if pa <= pb and pa <= pc else b if pb <= pc else c
            line[i] = (line[i] + pred) & 255
    rows.append(bytes(line))
    prior = line
colours = set()
for row in rows:
    for x in range(0, stride, bpp):
        colours.add(row[x:x + 3])
ink = total = 0
for y in range(height // 4, 3 * height // 4):
    for x in range(width // 4, 3 * width // 4):
        total += 1
        ink += rows[y][x * bpp:x * bpp + 3] != b"\xff\xff\xff"
print("# %d colours, %.1f%% ink in the middle" % (len(colours), 100.0 * ink / total))
sys.exit(0 if len(colours) >= 6 and ink >= 0.02 * total else 1)
PY
}

"$WATERSHED" chart eu-orders -o "$T/goal.png" >"$T/out" 2>"$T/err"; rc=$?
diag "$(cat "$T/out" "$T/err")"
ok "chart GOAL -o FILE.png draws the burn-up, 900x500 by default" \
    test "$rc" -eq 0 -a "$(cat "$T/out")" = "wrote $T/goal.png (900x500 png)"
ok "the PNG has its size and is not blank" check_png "$T/goal.png" 900 500

"$WATERSHED" chart eu-orders -o "$T/goal.svg" --width 1200 --height 600 \
    --json >"$T/out" 2>"$T/err"; rc=$?
diag "$(cat "$T/out" "$T/err")"
ok "chart GOAL -o FILE.svg --width --height writes an SVG of that size" \
    python3 - "$rc" "$T/out" "$T/goal.svg" <<'PY'
import json, re, sys
text = open(sys.argv[3]).read()
report = json.load(open(sys.argv[2]))
svg = re.search(r"<svg[^>]*>", text)
ok = (sys.argv[1] == "0" and text.startswith("<?xml") and svg
      and 'width="1200' in svg.group(0) and 'height="600' in svg.group(0)
      and text.rstrip().endswith("</svg>") and report["format"] == "svg"
      and report["width"] == 1200 and report["height"] == 600)
sys.exit(0 if ok else 1)
PY

# A collected series: two fixture sources, sampled and analysed every
# second, so that a trend is stored within seconds.
sources_file 2 1s /s/ >"$T/sources.json"
"$WATERSHED" apply -f "$T/sources.json" >/dev/null 2>&1
for _ in $(seq 1 60); do
    "$WATERSHED" trends --metric sales --labels src=s0001 --json \
        >"$T/trends.json" 2>/dev/null
    python3 -c 'import json,sys; t=json.load(open(sys.argv[1])); sys.exit(0 if t and t[0]["n"] >= 5 else 1)' \
        "$T/trends.json" 2>/dev/null && break
    sleep 0.5
done
"$WATERSHED" chart --metric sales --labels src=s0001 -o "$T/metric.png" \
    --width 640 --height 400 >"$T/out" 2>"$T/err"; rc=$?
diag "$(cat "$T/out" "$T/err")"
ok "chart --metric NAME --labels draws a collected series with its trend" \
    test "$rc" -eq 0 -a -n "$(grep -F "wrote $T/metric.png (640x400 png)" "$T/out")"
ok "the metric's PNG has its size and is not blank" \
    check_png "$T/metric.png" 640 400

"$WATERSHED" chart --metric sales -o "$T/two.png" >"$T/out" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "labels that match two series: exit 1 naming them" \
    test "$rc" -eq 1 -a ! -e "$T/two.png" \
    -a -n "$(grep -F "watershed chart: metric 'sales': 2 series match (src=s0001; src=s0002); pick one with --labels" "$T/err")"

"$WATERSHED" chart eu-orders -o "$T/goal.jpg" >"$T/out" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "a suffix other than .png or .svg is a usage error naming the file" \
    test "$rc" -eq 2 -a ! -e "$T/goal.jpg" \
    -a -n "$(grep -F "watershed chart: file '$T/goal.jpg': unknown type, expected a name ending in .png or .svg" "$T/err")"

"$WATERSHED" chart no-such-goal -o "$T/none.png" >"$T/out" 2>"$T/err"; rc=$?
diag "$(cat "$T/err")"
ok "an unknown goal: exit 1, the goal named, no file" \
    test "$rc" -eq 1 -a ! -e "$T/none.png" \
    -a -n "$(grep -F "watershed chart: goal 'no-such-goal': no such goal" "$T/err")"

"$WATERSHED" chart --metric no_such_metric -o "$T/none.png" >"$T/out" 2>"$T/err"; rc=$?
"$WATERSHED" chart eu-orders -o "$T/no-dir/goal.png" >"$T/out2" 2>"$T/err2"; rc2=$?
diag "$(cat "$T/err" "$T/err2")"
ok "a metric without samples and a file that cannot be written: exit 1, said so" \
    test "$rc" -eq 1 -a "$rc2" -eq 1 -a ! -e "$T/none.png" \
    -a -n "$(grep -F "watershed chart: metric 'no_such_metric': no samples" "$T/err")" \
    -a -n "$(grep -F "watershed chart: cannot write $T/no-dir/goal.png: No such file or directory" "$T/err2")"
exit $tap_failed
