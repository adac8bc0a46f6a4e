#!/usr/bin/env bash
# CLI behaviour of `cxlsim mlc` and `cxlsim replay`. Usage: timing_test.sh <cxlsim> <source-dir>
set -uo pipefail
CXLSIM=$1
SRC=$2
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fails=$((fails + 1)); }
check() { if eval "$2"; then ok "$1"; else bad "$1"; fi; }
jq_py() { python3 -c "import json,sys; j=json.load(open('$1')); print($2)"; }

# --- mlc ---------------------------------------------------------------------------------
check "mlc --help" "$CXLSIM mlc --help | grep -q -- --loaded-latency"
$CXLSIM mlc --loaded-latency --json --window-us 50 >"$T/ll.json" 2>"$T/ll.err"
check "loaded latency: 19 points at MLC's inject delays" \
  "[ \"\$(jq_py $T/ll.json \"','.join(str(p['inject_delay']) for p in j['points'])\")\" = '0,2,8,15,50,100,200,300,400,500,700,1000,1300,1700,2500,3500,5000,9000,20000' ]"
check "loaded latency: heavier load, more bandwidth and latency" \
  "[ \"\$(jq_py $T/ll.json \"j['points'][0]['bandwidth_mbps'] > 10*j['points'][-1]['bandwidth_mbps'] and j['points'][0]['latency_ns'] > j['points'][-1]['latency_ns']\")\" = True ]"
$CXLSIM mlc --loaded-latency --window-us 20 --inject-delays 5000,0,300 --json >"$T/dl.json" 2>/dev/null
check "loaded latency: --inject-delays picks the points, in the given order" \
  "[ \"\$(jq_py $T/dl.json \"','.join(str(p['inject_delay']) for p in j['points'])\")\" = '5000,0,300' ]"
check "loaded latency: a bad --inject-delays is a usage error" "! $CXLSIM mlc --loaded-latency --inject-delays 0,x 2>/dev/null"
check "loaded latency: no progress into a file" "! grep -q 'inject delays' $T/ll.err"
# On a terminal (a pty from script(1)) progress is drawn; --quiet silences it there too.
script -qec "$CXLSIM mlc --loaded-latency --window-us 20 --json >/dev/null" /dev/null >"$T/tty.out" 2>&1
check "loaded latency: progress on a terminal" "grep -q 'inject delays' $T/tty.out"
script -qec "$CXLSIM mlc --loaded-latency --window-us 20 --json --quiet >/dev/null" /dev/null >"$T/tty.quiet" 2>&1
check "loaded latency: --quiet silences it" "! grep -q 'inject delays' $T/tty.quiet"
$CXLSIM mlc --loaded-latency --window-us 50 >"$T/ll.txt" 2>/dev/null
check "loaded latency: MLC table" "grep -q '^Delay' $T/ll.txt && grep -q '^ 20000' $T/ll.txt"

cxl=$($CXLSIM mlc --idle-latency --json | python3 -c "import json,sys; print(json.load(sys.stdin)['idle_latency_ns'])")
ddr=$($CXLSIM mlc --idle-latency --json --device eurosys24-ddr5 | python3 -c "import json,sys; print(json.load(sys.stdin)['idle_latency_ns'])")
check "idle latency: CXL above local DDR5 (link + controller on the path)" "python3 -c 'import sys; sys.exit(0 if $cxl > $ddr + 50 else 1)'"
x8=$($CXLSIM mlc --idle-latency --json --device cxl-x8-asic | python3 -c "import json,sys; print(json.load(sys.stdin)['idle_latency_ns'])")
check "idle latency: FPGA-class and x8 profiles load" "[ -n \"$x8\" ]"

$CXLSIM mlc --max-bandwidth --json --window-us 50 >"$T/bw.json"
check "max bandwidth: five mixes" "[ \"\$(jq_py $T/bw.json 'len(j[\"max_bandwidth_mbps\"])')\" = 5 ]"
check "max bandwidth: x16 read peak under the link's 63 GB/s" \
  "[ \"\$(jq_py $T/bw.json 'j[\"max_bandwidth_mbps\"][\"ALL Reads\"] < 63015')\" = True ]"

LOG="$SRC/data/mlc/cxl-asic_read-seq_16thr.log"
$CXLSIM mlc --loaded-latency --window-us 100 --compare "$LOG" --plot "$T/ll.png" >"$T/cmp.txt" 2>/dev/null
check "compare: prints the error against the log" "grep -q 'latency MAE at equal bandwidth' $T/cmp.txt"
check "plot: a PNG is written" "head -c 8 $T/ll.png | od -c | grep -q 'P   N   G'"
MIX="$SRC/data/mlc/eurosys24/cxl/log_d0_c16_w2_r0"
$CXLSIM mlc --idle-latency --compare "$MIX" >/dev/null 2>"$T/c1"; rc=$?
check "compare: refused without --loaded-latency (exit 2)" "[ $rc = 2 ] && grep -q 'add --loaded-latency' $T/c1"
$CXLSIM mlc --loaded-latency --compare "$MIX" >/dev/null 2>"$T/c2"; rc=$?
check "compare: a mix other than the log's header is refused, naming --rw" "[ $rc = 2 ] && grep -q 'use --rw 2:1' $T/c2"
$CXLSIM mlc --loaded-latency --rw 2:1 --random --compare "$MIX" >/dev/null 2>"$T/c3"; rc=$?
check "compare: another access pattern is refused, naming --random" "[ $rc = 2 ] && grep -q 'drop --random' $T/c3"
$CXLSIM mlc --loaded-latency --rw 2:1 --threads 8 --window-us 20 --compare "$MIX" >/dev/null 2>"$T/c5"; rc=$?
check "compare: another thread count is warned about, naming --threads" "[ $rc = 0 ] && grep -q 'warning: .*--threads 16 runs as many' $T/c5"
$CXLSIM mlc --loaded-latency --rw 2:1 --window-us 20 --inject-delays 0,20000,30000 --compare "$MIX" --json >"$T/c4.json" 2>"$T/c4"
check "compare: inject delays of either side the other lacks are warned about" \
  "grep -q 'warning: .*inject delays 2,8,' $T/c4 && grep -q 'simulated inject delays 30000' $T/c4 && [ \"\$(jq_py $T/c4.json 'len(j[\"compare\"][\"warnings\"])')\" = 2 ]"

$CXLSIM mlc --idle-latency --json --topology builtin:two-level-switch --target cfmw0 >"$T/sw.json" 2>/dev/null
sw=$(jq_py "$T/sw.json" "j['idle_latency_ns']")
check "topology: two switch levels add latency over direct attach" "python3 -c 'import sys; sys.exit(0 if $sw > $cxl + 100 else 1)'"
$CXLSIM mlc --idle-latency --topology builtin:two-level-switch --target nope >/dev/null 2>"$T/e6"; rc=$?
check "topology: unknown --target is exit 2" "[ $rc = 2 ] && grep -q \"'nope'\" $T/e6"

$CXLSIM mlc --idle-latency --json --topology builtin:switch --region window=0,ways=2,granularity=1K,mode=ram --target region0 >"$T/reg.json" 2>/dev/null
check "region: --region SPEC and --target regionN measure the region" "[ \"\$(jq_py $T/reg.json \"j['idle_latency_ns'] > 0\")\" = True ]"
$CXLSIM mlc --idle-latency --json --topology builtin:switch --target mem1 >/dev/null 2>&1
check "region: --target memdev measures a 1-way region on it" "[ $? = 0 ]"
$CXLSIM mlc --idle-latency --topology builtin:switch --region window=0,ways=3,granularity=256 >/dev/null 2>"$T/e7"; rc=$?
check "region: a region Linux refuses is exit 2 with its reason" "[ $rc = 2 ] && grep -q 'invalid interleave' $T/e7"

$CXLSIM mlc --loaded-latency --rw 3-1 >/dev/null 2>"$T/e1"; rc=$?
check "bad --rw: exit 2 with a clear error" "[ $rc = 2 ] && grep -q \"cxlsim: error: invalid --rw '3-1'\" $T/e1"
$CXLSIM mlc --idle-latency --device no-such-device >/dev/null 2>"$T/e2"; rc=$?
check "unknown profile: exit 2 naming it" "[ $rc = 2 ] && grep -q \"no-such-device\" $T/e2"
$CXLSIM mlc >/dev/null 2>"$T/e3"; rc=$?
check "no measurement chosen: exit 2" "[ $rc = 2 ]"

# --- replay ------------------------------------------------------------------------------
python3 - "$T" <<'PY'
import sys, random
random.seed(5)
d = sys.argv[1]
with open(d + "/t.txt", "w") as f:
    f.write("# op address size\n")
    for i in range(20000):
        f.write("%s %x %d\n" % ("W" if i % 3 == 0 else "R", random.randrange(0, 1 << 28) & ~63, 64))
with open(d + "/lackey.txt", "w") as f:
    f.write("==42== Lackey, an example Valgrind tool\n")
    for i in range(2000):
        f.write("I  0400%04x,3\n" % i)
        f.write(" L %x,8\n" % (0x10000000 + 64 * i))
        f.write(" M %x,4\n" % (0x20000000 + 64 * i))
PY
$CXLSIM replay --model requests "$T/t.txt" --json --quiet >"$T/r1.json"
check "replay text: every record becomes a request" "[ \"\$(jq_py $T/r1.json 'j[\"requests\"]')\" = 20000 ]"
check "replay: latency percentiles ordered" "[ \"\$(jq_py $T/r1.json 'j[\"latency_ns\"][\"p50\"] <= j[\"latency_ns\"][\"p99\"] <= j[\"latency_ns\"][\"p999\"]')\" = True ]"
check "replay all-cxl: no DRAM pages" "[ \"\$(jq_py $T/r1.json 'j[\"pages\"][\"dram\"]')\" = 0 ]"
$CXLSIM replay convert "$T/t.txt" "$T/t.bin" 2>/dev/null
check "convert: binary starts with the magic" "head -c 8 $T/t.bin | grep -q CXLTRACE"
$CXLSIM replay --model requests "$T/t.bin" --json --quiet >"$T/r2.json"
check "binary replay equals text replay" "[ \"\$(jq_py $T/r1.json 'j[\"latency_ns\"]')\" = \"\$(jq_py $T/r2.json 'j[\"latency_ns\"]')\" ]"
$CXLSIM replay --model requests "$T/lackey.txt" --json --quiet --placement interleave:1:1 >"$T/r3.json"
check "lackey: loads and modifies (load+store), instruction fetches skipped" "[ \"\$(jq_py $T/r3.json 'j[\"reads\"], j[\"writes\"]')\" = '4000 2000' ]"
check "interleave:1:1 places pages on both" "[ \"\$(jq_py $T/r3.json 'j[\"pages\"][\"dram\"] > 0 and j[\"pages\"][\"cxl\"] > 0')\" = True ]"
$CXLSIM replay --model requests "$T/t.txt" --topology builtin:two-level-switch --json --quiet >"$T/r4.json"
$CXLSIM replay --model requests "$T/t.txt" --topology builtin:switch --region window=0,ways=1,granularity=256,targets=mem1,mode=ram --json --quiet >"$T/r5.json"
check "replay --region: a 1-way region on mem1 sends every request to mem1" "[ \"\$(jq_py $T/r5.json '[c[\"requests\"] for c in j[\"components\"] if c[\"kind\"]==\"target\" and c[\"name\"].startswith(\"mem\")]')\" = '[0, 20000]' ]"
$CXLSIM replay --model requests "$T/t.txt" --topology builtin:switch --region window=0,ways=2,granularity=256,mode=ram --json --quiet >"$T/r6.json"
check "replay --region: a 2-way region spreads requests over both memdevs" "[ \"\$(jq_py $T/r6.json 'sum(1 for c in j[\"components\"] if c[\"kind\"]==\"target\" and c[\"name\"].startswith(\"mem\") and c[\"requests\"] > 5000)')\" = 2 ]"
$CXLSIM replay --model requests "$T/t.txt" --topology builtin:gen4-switch --json --quiet >"$T/r7.json"
check "gen4-switch: links report the width and speed they trained to" "[ \"\$(jq_py $T/r7.json 'sorted(set(c[\"link\"] for c in j[\"components\"] if c[\"kind\"]==\"link-up\"))')\" = \"['x16 16GT/s', 'x8 16GT/s']\" ]"
check "gen4-switch: slower than the same tree at the profile's Gen5 x16" "[ \"\$(python3 -c \"import json; a=json.load(open('$T/r7.json')); b=json.load(open('$T/r6.json')); print(a['latency_ns']['mean'] > b['latency_ns']['mean'])\")\" = True ]"
check "switch topology: components listed per link and device" "[ \"\$(jq_py $T/r4.json 'sum(1 for c in j[\"components\"] if c[\"kind\"]==\"link-up\")')\" = 7 ]"
check "switch topology: slower than direct attach" "[ \"\$(python3 -c \"import json; a=json.load(open('$T/r1.json')); b=json.load(open('$T/r4.json')); print(b['latency_ns']['mean'] > a['latency_ns']['mean'])\")\" = True ]"
$CXLSIM replay --model requests "$T/t.txt" --plot "$T/bw.png" --quiet >/dev/null
check "replay plot written" "[ -s $T/bw.png ]"
$CXLSIM replay --model requests "$T/t.txt" --placement first-touch:64K --json --quiet >"$T/r5.json"
check "first-touch: 16 pages of DRAM then CXL" "[ \"\$(jq_py $T/r5.json 'j[\"pages\"][\"dram\"]')\" = 16 ]"
printf 'R 1000 64\nX 2000\n' >"$T/bad.txt"
$CXLSIM replay --model requests "$T/bad.txt" >/dev/null 2>"$T/e4"; rc=$?
check "bad trace line: exit 2 naming file and line" "[ $rc = 2 ] && grep -q 'bad.txt:2: unknown operation' $T/e4"
$CXLSIM replay --model requests "$T/t.txt" --placement sideways >/dev/null 2>"$T/e5"; rc=$?
check "bad placement: exit 2" "[ $rc = 2 ] && grep -q 'invalid --placement' $T/e5"

# Exit statuses by error kind (cli/exit_status.h), also for the timing commands: a missing input
# is bad input (2), a plot that cannot be written is a failed operation (1).
$CXLSIM mlc --topology "$T/none.toml" --idle-latency >/dev/null 2>"$T/e6"; rc=$?
check "missing topology: exit 2" "[ $rc = 2 ] && grep -q 'none.toml' $T/e6"
$CXLSIM mlc --loaded-latency --window-us 20 --quiet --plot /proc/nope/x.png >/dev/null 2>"$T/e7"; rc=$?
check "unwritable plot: exit 1" "[ $rc = 1 ] && grep -q 'x.png' $T/e7"

[ $fails = 0 ] && echo "all timing CLI checks passed" || echo "$fails timing CLI checks failed"
exit $((fails > 0))
