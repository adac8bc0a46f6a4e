#!/usr/bin/env bash
# cxlsim run: real programs under QEMU user mode with the plugin (docs/app_mode.md).
# The estimate is checked against `cxlsim mlc`, computed here on the same profiles:
#  - a pointer chase with all memory on CXL costs per extra dependent load the idle latency of
#    `mlc --idle-latency` (within 5 %); on all-DRAM the DRAM idle latency;
#  - 8 threads streaming reach `mlc --max-bandwidth --threads 8` reads (within 10 %);
#  - an arithmetic-only loop has slowdown 1.00 +- 0.01; all-dram gives exactly 1;
#    interleave:1:1 lies between all-dram and all-cxl;
# then bad input and the program's own status (crash, fork, exec, stdin/stdout pass-through).
source "$(dirname "$0")/lib.sh"
PROGS=$(dirname "$CXLSIM")/run_programs
if ! command -v qemu-x86_64 >/dev/null; then
  echo "run_test: qemu-x86_64 missing (apt-get install qemu-user); skipped"
  exit 0
fi
for p in chase stream compute crash forker; do
  [[ -x $PROGS/$p ]] || { echo "run_test: $PROGS/$p not built"; exit 1; }
done

# run_json NAME ARGS...: cxlsim run --json --output $TMP/NAME.json ARGS (program output discarded).
run_json() {
  local name=$1
  shift
  "$CXLSIM" run --quiet --json --output "$TMP/$name.json" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" ||
    fail "cxlsim run $* exited $?: $(cat "$TMP/$name.err")"
}
val() { jq -r "$2" "$TMP/$1.json"; }
# within A B PCT: |A - B| <= PCT % of B
within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= p / 100 * b) }'; }

# --- pointer chase: the marginal cost of a dependent load -----------------------------------
CXL_IDLE=$("$CXLSIM" mlc --idle-latency --json | jq -r .idle_latency_ns)
DRAM_IDLE=$("$CXLSIM" mlc --idle-latency --device eurosys24-ddr5 --json | jq -r .idle_latency_ns)
# 64 MiB of lines: far beyond the 2 MiB L2; the LLC off so that every load reaches memory, as MLC's.
run_json chase1 --host-cache off -- "$PROGS/chase" 64 50000
run_json chase2 --host-cache off -- "$PROGS/chase" 64 150000
per_cxl=$(awk -v a="$(val chase2 .predicted_ns)" -v b="$(val chase1 .predicted_ns)" 'BEGIN { print (a - b) / 100000 }')
per_dram=$(awk -v a="$(val chase2 .baseline_ns)" -v b="$(val chase1 .baseline_ns)" 'BEGIN { print (a - b) / 100000 }')
echo "chase: $per_cxl ns per extra load on CXL (mlc idle $CXL_IDLE), $per_dram ns on DRAM (mlc idle $DRAM_IDLE)"
within "$per_cxl" "$CXL_IDLE" 5 || fail "chase on CXL: $per_cxl ns per load, mlc --idle-latency $CXL_IDLE ns"
within "$per_dram" "$DRAM_IDLE" 5 || fail "chase on DRAM: $per_dram ns per load, mlc --idle-latency $DRAM_IDLE ns"
[[ $(val chase2 .exit_status) == 0 ]] || fail "chase exit status $(val chase2 .exit_status)"

# all-dram: the prediction is the baseline, exactly; interleave:1:1 lies between.
run_json chase_dram --placement all-dram --host-cache off -- "$PROGS/chase" 64 150000
[[ $(val chase_dram .slowdown) == 1 || $(val chase_dram .slowdown) == 1.0 ]] || fail "all-dram slowdown $(val chase_dram .slowdown), expected exactly 1"
[[ $(val chase_dram .pages.cxl) == 0 ]] || fail "all-dram put $(val chase_dram .pages.cxl) pages on CXL"
run_json chase_il --placement interleave:1:1 --host-cache off -- "$PROGS/chase" 64 150000
il=$(val chase_il .predicted_ns)
awk -v d="$(val chase2 .baseline_ns)" -v i="$il" -v c="$(val chase2 .predicted_ns)" 'BEGIN { exit !(d < i && i < c) }' ||
  fail "interleave:1:1 predicted $il ns, not between all-dram $(val chase2 .baseline_ns) and all-cxl $(val chase2 .predicted_ns)"
pages_il_cxl=$(val chase_il .pages.cxl)
pages_il_dram=$(val chase_il .pages.dram)
((pages_il_cxl > 0 && (pages_il_cxl - pages_il_dram) * (pages_il_cxl - pages_il_dram) <= 4)) ||
  fail "interleave:1:1 placed $pages_il_dram DRAM and $pages_il_cxl CXL pages"

# --- 8 threads streaming: read bandwidth of the extra passes -------------------------------
MLC_BW=$("$CXLSIM" mlc --max-bandwidth --threads 8 --json | jq -r '.max_bandwidth_mbps["ALL Reads"]')
run_json stream1 --host-cache off --epoch-us 10 --plot "$TMP/bw.png" -- "$PROGS/stream" 8 4 1
run_json stream3 --host-cache off -- "$PROGS/stream" 8 4 3
bw=$(awk -v b1="$(val stream1 .memdevs[0].bytes)" -v b3="$(val stream3 .memdevs[0].bytes)" \
  -v t1="$(val stream1 .predicted_ns)" -v t3="$(val stream3 .predicted_ns)" 'BEGIN { print (b3 - b1) / (t3 - t1) * 1000 }')
echo "stream: $bw MB/s over the extra passes (mlc --max-bandwidth --threads 8: $MLC_BW MB/s)"
within "$bw" "$MLC_BW" 10 || fail "8-thread stream reads $bw MB/s, mlc --max-bandwidth --threads 8 $MLC_BW MB/s"
[[ $(val stream3 '.threads | length') == 9 ]] || fail "stream: $(val stream3 '.threads | length') threads, expected 9"
# The time series: 10 us epochs over the whole run, bytes summing to the memdev's.
n_ep=$(val stream1 '.epochs | length')
awk -v n="$n_ep" -v t="$(val stream1 .predicted_ns)" 'BEGIN { e = t / 10000; exit !(n >= e - 1 && n <= e + 1) }' ||
  fail "stream: $n_ep epochs of 10 us for $(val stream1 .predicted_ns) ns"
awk -v s="$(val stream1 '[.epochs[].memdev_gbps.mem0] | add')" -v b="$(val stream1 .memdevs[0].bytes)" \
  'BEGIN { d = s * 10000 - b; if (d < 0) d = -d; exit !(d <= 1e-6 * b) }' || fail "stream: epoch bandwidths do not add up to the memdev's bytes"
[[ -s $TMP/bw.png ]] || fail "--plot wrote no PNG"

# --- sampled simulation (--sample 0.1): the same checks with a tenth of the time in detail -----
# Longer runs than the exact checks' (0.5 s each): which stretches fall in windows varies a little
# from run to run (when the model's clocks reach the plugin), and more extra loads average it out.
run_json chase1s --sample 0.1 --host-cache off -- "$PROGS/chase" 64 50000
run_json chase2s --sample 0.1 --host-cache off -- "$PROGS/chase" 64 450000
per_s=$(awk -v a="$(val chase2s .predicted_ns)" -v b="$(val chase1s .predicted_ns)" 'BEGIN { print (a - b) / 400000 }')
echo "sampled chase: $per_s ns per extra load on CXL (mlc idle $CXL_IDLE)"
within "$per_s" "$CXL_IDLE" 5 || fail "sampled chase on CXL: $per_s ns per load, mlc --idle-latency $CXL_IDLE ns"
awk -v s="$(val chase2s .sampling.sampled_instructions)" -v n="$(val chase2s '[.threads[].instructions] | add')" \
  'BEGIN { exit !(s > 0.5 * n) }' || fail "--sample 0.1 skipped only $(val chase2s .sampling.sampled_instructions) instructions"
[[ $(val chase2 .sampling.sampled_instructions) == 0 ]] || fail "the exact run skipped instructions"
run_json stream1s --sample 0.1 --host-cache off -- "$PROGS/stream" 8 4 1
run_json stream3s --sample 0.1 --host-cache off -- "$PROGS/stream" 8 4 5
bw_s=$(awk -v b1="$(val stream1s .memdevs[0].bytes)" -v b3="$(val stream3s .memdevs[0].bytes)" \
  -v t1="$(val stream1s .predicted_ns)" -v t3="$(val stream3s .predicted_ns)" 'BEGIN { print (b3 - b1) / (t3 - t1) * 1000 }')
echo "sampled stream: $bw_s MB/s over the extra passes (mlc: $MLC_BW MB/s)"
within "$bw_s" "$MLC_BW" 10 || fail "sampled 8-thread stream reads $bw_s MB/s, mlc --max-bandwidth --threads 8 $MLC_BW MB/s"
# The all-DRAM baseline of a sampled multi-threaded run places its windows by the other
# prediction's (AppSkipLedger): its slowdown must stay the exact run's.
sd_s=$(val stream3s .slowdown)
run_json stream5 --host-cache off -- "$PROGS/stream" 8 4 5
within "$sd_s" "$(val stream5 .slowdown)" 5 || fail "sampled stream slowdown $sd_s, exact $(val stream5 .slowdown)"
run 2 run --sample 0 -- "$PROGS/compute" 10
expect_err "--sample must lie in (0, 1]"

# --- arithmetic only: no slowdown ---------------------------------------------------------
run_json compute -- "$PROGS/compute" 50000000
sd=$(val compute .slowdown)
echo "compute: slowdown $sd"
awk -v s="$sd" 'BEGIN { exit !(s >= 0.99 && s <= 1.01) }' || fail "arithmetic loop slowdown $sd, expected 1.00 +- 0.01"
awk -v n="$(val compute .instructions)" 'BEGIN { exit !(n > 50000000 * 3) }' || fail "compute: $(val compute .instructions) instructions"

# --- the program's own input, output and status ------------------------------------------
out=$(echo "hello through qemu" | "$CXLSIM" run --quiet --output "$TMP/cat.txt" -- cat)
[[ $out == "hello through qemu" ]] || fail "stdin/stdout not passed through: '$out'"
grep -q "Predicted" "$TMP/cat.txt" || fail "--output has no report: $(cat "$TMP/cat.txt")"
run 7 run --quiet -- "$PROGS/crash" 7
expect_err "Program exit status 7"
run 139 run --quiet -- "$PROGS/crash"
expect_err "killed by signal 11"
expect_err "Predicted"
run 0 run --quiet --json -- "$PROGS/forker"
[[ $(jqv .unobserved.forked) == true ]] || fail "fork not reported: $(jqv .unobserved)"
run 0 run --quiet --json -- /bin/sh -c 'exec /bin/true'
[[ $(jqv .unobserved.execed) == true ]] || fail "exec not reported: $(jqv .unobserved)"

# --- bad input ----------------------------------------------------------------------------
run 2 run -- "$TMP/no-such-program"
expect_err "not found"
touch "$TMP/plain" && chmod -x "$TMP/plain"
run 2 run -- "$TMP/plain"
expect_err "not executable"
printf '#!/bin/sh\necho hi\n' >"$TMP/script.sh" && chmod +x "$TMP/script.sh"
run 2 run -- "$TMP/script.sh"
expect_err "not an ELF executable (a script"
# An ELF header for AArch64 (e_machine 183).
printf '\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00\xb7\x00' >"$TMP/arm" && head -c 44 /dev/zero >>"$TMP/arm" && chmod +x "$TMP/arm"
run 2 run -- "$TMP/arm"
expect_err "not an x86-64 executable"
run 2 run --placement sideways -- "$PROGS/compute" 10
expect_err "invalid --placement 'sideways'"
run 2 run --topology builtin:nowhere -- "$PROGS/compute" 10
expect_err "nowhere"
run 2 run
expect_err "run needs a program"
run 2 run --qemu /nonexistent/qemu -- "$PROGS/compute" 10
expect_err "cxlsim run needs QEMU user mode"

# --- overcommitted CXL: pages spill to DRAM, and cxlsim says so (replay and run) ---------------
awk 'BEGIN { for (i = 0; i < 65546; ++i) printf "R %x 8\n", i * 4096 }' >"$TMP/spill.txt"
run 0 replay "$TMP/spill.txt" --quiet --region window=0,ways=1,granularity=256,size=256M,mode=ram --json
[[ $(jqv .pages.cxl) == 65536 && $(jqv .pages.spilled_to_dram) == 10 ]] || fail "replay spill: $(jqv .pages)"
expect_err "10 pages (40 KiB) spilled to local DRAM"
run 0 run --quiet --json --output "$TMP/spill.json" --region window=0,ways=1,granularity=256,size=256M,mode=ram -- "$PROGS/stream" 1 264 0
[[ $(val spill .pages.cxl) == 65536 && $(val spill .pages.spilled_to_dram) -gt 2000 ]] || fail "run spill: $(val spill .pages)"
expect_err "spilled to local DRAM"

# --- replay --model requests --private-caches: the same L1D/L2 filter as run -------------------
# 8192 sequential 8-byte reads = 1024 lines: one request per line, the other 7 reads hit.
awk 'BEGIN { for (i = 0; i < 8192; ++i) printf "R %x 8\n", 1048576 + i * 8 }' >"$TMP/seq.txt"
run 0 replay --model requests "$TMP/seq.txt" --quiet --json
[[ $(jqv .requests) == 8192 ]] || fail "replay without private caches: $(jqv .requests) requests"
run 0 replay --model requests "$TMP/seq.txt" --quiet --json --private-caches
[[ $(jqv .requests) == 1024 && $(jqv .l2_hits) == 7168 ]] || fail "replay --private-caches: $(jqv .requests) requests, $(jqv .l2_hits) hits"
# 4 MiB written twice through a 2 MiB L2: every line misses (read for ownership) and all but the
# last 2 MiB come back out as write-backs.
awk 'BEGIN { for (r = 0; r < 2; ++r) for (i = 0; i < 65536; ++i) printf "W %x 64\n", 1048576 + i * 64 }' >"$TMP/wr.txt"
run 0 replay --model requests "$TMP/wr.txt" --quiet --json --private-caches
[[ $(jqv .reads) == 131072 && $(jqv .writes) == $((131072 - 32768)) ]] || fail "replay --private-caches writes: $(jqv .reads) reads, $(jqv .writes) writes"

finish run_test
