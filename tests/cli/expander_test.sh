#!/usr/bin/env bash
# Per-expander latency and bandwidth overrides (--expander-latency ID=READ[,WRITE],
# --expander-bandwidth ID=READ[,WRITE]; CXLMemSim's -l and -b) on mlc, replay and run: the device's
# profile is tuned so that `cxlsim mlc` on that device reports the numbers asked for, the other
# devices keep theirs, names resolve as list prints them (memN) or by topology id, and bad values
# exit 2 with a message.
source "$(dirname "$0")/lib.sh"
# within A B PCT: |A - B| <= PCT % of B
within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= p / 100 * b) }'; }

# --- mlc reports what was asked, on the default device and through a switch ------------------
run 0 mlc --idle-latency --max-bandwidth --expander-latency mem0=300,350 --expander-bandwidth mem0=20,15 --json
lat=$(jqv .idle_latency_ns) rd=$(jqv '.max_bandwidth_mbps["ALL Reads"]') wr=$(jqv '.max_bandwidth_mbps["Stream-triad like (NT writes)"]')
echo "mem0=300 ns, 20/15 GB/s: mlc idle $lat ns, reads $rd MB/s, writes $wr MB/s"
within "$lat" 300 2 || fail "idle latency $lat ns, asked 300"
within "$rd" 20000 2 || fail "read bandwidth $rd MB/s, asked 20 GB/s"
within "$wr" 15000 2 || fail "write bandwidth $wr MB/s, asked 15 GB/s"
# Units are accepted as types.
run 0 mlc --idle-latency --expander-latency mem0=0.5us --json
within "$(jqv .idle_latency_ns)" 500 2 || fail "0.5us: idle latency $(jqv .idle_latency_ns)"
run 0 mlc --max-bandwidth --expander-bandwidth mem0=12000MB/s --json
within "$(jqv '.max_bandwidth_mbps["ALL Reads"]')" 12000 2 || fail "12000MB/s: $(jqv '.max_bandwidth_mbps["ALL Reads"]')"

# qemu-switch's memdevs are cxl-pmem0..3 in the topology and mem0..3 in `cxl list`: either name
# works, and only that device changes.
T=builtin:qemu-switch
run 0 mlc --idle-latency --topology $T --target cxl-pmem2 --json
other=$(jqv .idle_latency_ns)
for name in mem1 cxl-pmem1; do
  run 0 mlc --idle-latency --topology $T --target cxl-pmem1 --expander-latency $name=600 --json
  within "$(jqv .idle_latency_ns)" 600 2 || fail "$name=600 through a switch: $(jqv .idle_latency_ns)"
  run 0 mlc --idle-latency --topology $T --target cxl-pmem2 --expander-latency $name=600 --json
  [[ $(jqv .idle_latency_ns) == "$other" ]] || fail "$name=600 changed cxl-pmem2: $(jqv .idle_latency_ns), was $other"
done
run 2 mlc --idle-latency --topology $T --expander-latency mem1=600 --expander-latency cxl-pmem1=700
expect_err "name the same memdev"

# --- replay: the memory's latency is the override (one request at a time, no queueing) ------
awk 'BEGIN { srand(3); for (i = 0; i < 3000; ++i) printf "R %x 64\n", int(rand() * 2^30) * 64 }' >"$TMP/rand.txt"
run 0 replay "$TMP/rand.txt" --model requests --max-outstanding 1 --json --quiet
base=$(jqv .latency_ns.mean)
idle=$("$CXLSIM" mlc --idle-latency --json | jq .idle_latency_ns)
run 0 replay "$TMP/rand.txt" --model requests --max-outstanding 1 --json --quiet --expander-latency mem0=600
d=$(awk -v a="$(jqv .latency_ns.mean)" -v b="$base" 'BEGIN { print a - b }')
want=$(awk -v i="$idle" 'BEGIN { print 600 - i }')
echo "replay: mean latency +$d ns with mem0=600 (mlc idle $idle: +$want expected)"
within "$d" "$want" 3 || fail "replay: latency grew by $d ns, expected $want"
# WRITE: an idle write takes WRITE - READ longer than an idle read.
awk 'BEGIN { srand(4); for (i = 0; i < 3000; ++i) printf "W %x 64\n", int(rand() * 2^30) * 64 }' >"$TMP/w.txt"
run 0 replay "$TMP/w.txt" --model requests --max-outstanding 1 --json --quiet --expander-latency mem0=300,300
w0=$(jqv .latency_ns.mean)
run 0 replay "$TMP/w.txt" --model requests --max-outstanding 1 --json --quiet --expander-latency mem0=300,600
d=$(awk -v a="$(jqv .latency_ns.mean)" -v b="$w0" 'BEGIN { print a - b }')
within "$d" 300 1 || fail "write latency 600 vs 300: writes took $d ns longer, expected 300"
run 0 replay "$TMP/rand.txt" --json --quiet --host-cache off
p0=$(jqv .predicted_ns)
run 0 replay "$TMP/rand.txt" --json --quiet --host-cache off --expander-bandwidth mem0=2 --expander-latency mem0=600
awk -v a="$(jqv .predicted_ns)" -v b="$p0" 'BEGIN { exit !(a > 1.5 * b) }' || fail "replay (app model): $(jqv .predicted_ns) ns with a slower mem0, $p0 without"

# --- run: a pointer chase pays the override per dependent load ----------------------------
PROGS=$(dirname "$CXLSIM")/run_programs
if command -v qemu-x86_64 >/dev/null && [[ -x $PROGS/chase ]]; then
  for n in 20000 60000; do
    "$CXLSIM" run --quiet --host-cache off --expander-latency mem0=400 --json --output "$TMP/c$n.json" -- "$PROGS/chase" 8 $n >/dev/null ||
      fail "run with --expander-latency failed"
  done
  per=$(awk -v a="$(jq .predicted_ns "$TMP/c60000.json")" -v b="$(jq .predicted_ns "$TMP/c20000.json")" 'BEGIN { print (a - b) / 40000 }')
  echo "run: $per ns per extra dependent load with mem0=400"
  within "$per" 400 5 || fail "run: $per ns per dependent load, asked 400"
  run 2 run --expander-latency mem9=400 -- "$PROGS/chase" 1 1
  expect_err "no memdev 'mem9'"
else
  echo "expander_test: qemu-x86_64 or run_programs/chase missing; run checks skipped"
fi

# --- bad values: exit 2 with a message, in every command ------------------------------------
for c in mlc replay; do
  args=(--idle-latency)
  [[ $c == replay ]] && args=("$TMP/rand.txt" --quiet)
  run 2 $c "${args[@]}" --expander-latency mem0=-5
  expect_err "is not a latency"
  run 2 $c "${args[@]}" --expander-latency mem0=0
  expect_err "must be positive"
  run 2 $c "${args[@]}" --expander-bandwidth mem0=0
  expect_err "must be positive"
  run 2 $c "${args[@]}" --expander-bandwidth mem0=-3
  expect_err "is not a bandwidth"
  run 2 $c "${args[@]}" --expander-bandwidth mem0=fast
  expect_err "is not a bandwidth"
  run 2 $c "${args[@]}" --expander-latency mem7=300
  expect_err "no memdev 'mem7'"
  run 2 $c "${args[@]}" --expander-latency mem0
  expect_err "expected ID=READ[,WRITE]"
  run 2 $c "${args[@]}" --expander-latency mem0=50
  expect_err "below the"
  run 2 $c "${args[@]}" --expander-bandwidth mem0=5000
  expect_err "above the"
done

finish expander_test
