#!/usr/bin/env bash
# cxlsim replay on cxlsim run's front end (--model app, the default; docs/trace_format.md):
#  - a Valgrind lackey trace of a pointer chase and of a sequential read, piped straight into
#    `cxlsim replay -`, predicts the slowdown `cxlsim run` predicts for the same program
#    (within 3 %): same private caches, core model, prefetcher, compute time from `I` lines;
#  - sequential 8-byte reads merge in the private caches (requests below the L2 = bytes / 64);
#  - all-dram gives exactly 1; a format without instruction counts says so;
#  - options of the older model are refused without --model requests.
source "$(dirname "$0")/lib.sh"
PROGS=$(dirname "$CXLSIM")/run_programs
for tool in valgrind qemu-x86_64; do
  if ! command -v $tool >/dev/null; then
    echo "replay_app_test: $tool missing (scripts/install-deps); skipped"
    exit 0
  fi
done
for p in chase stream; do
  [[ -x $PROGS/$p ]] || { echo "replay_app_test: $PROGS/$p not built"; exit 1; }
done
val() { jq -r "$2" "$TMP/$1.json"; }
# within A B PCT: |A - B| <= PCT % of B
within() { awk -v a="$1" -v b="$2" -v p="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= p / 100 * b) }'; }
# lackey PROGRAM ARGS...: the program's lackey trace on stdout (its own output discarded).
lackey() { valgrind --tool=lackey --trace-mem=yes --log-fd=3 "$@" 3>&1 >/dev/null 2>/dev/null; }

# --- a pointer chase and a sequential read (4 MiB, twice the L2; LLC off) -----------------------
lackey "$PROGS/chase" 4 60000 | "$CXLSIM" replay - --host-cache off --json --quiet >"$TMP/chase_replay.json" ||
  fail "replay - of the chase's lackey trace failed"
"$CXLSIM" run --quiet --host-cache off --json --output "$TMP/chase_run.json" -- "$PROGS/chase" 4 60000 >/dev/null ||
  fail "run of the chase failed"
lackey "$PROGS/stream" 1 4 1 >"$TMP/stream.lk"
"$CXLSIM" replay "$TMP/stream.lk" --host-cache off --json --quiet >"$TMP/stream_replay.json" || fail "replay of the stream failed"
"$CXLSIM" run --quiet --host-cache off --json --output "$TMP/stream_run.json" -- "$PROGS/stream" 1 4 1 >/dev/null ||
  fail "run of the stream failed"
for w in chase stream; do
  r=$(val ${w}_replay .slowdown) p=$(val ${w}_run .slowdown)
  echo "$w: replay slowdown $r, run slowdown $p"
  awk -v s="$p" 'BEGIN { exit !(s > 1.2) }' || fail "$w: run's slowdown $p shows no memory cost"
  within "$r" "$p" 3 || fail "$w: replay slowdown $r, run $p (not within 3 %)"
  within "$(val ${w}_replay .instructions)" "$(val ${w}_run .instructions)" 3 ||
    fail "$w: replay counted $(val ${w}_replay .instructions) instructions, run $(val ${w}_run .instructions)"
  [[ $(val ${w}_replay .trace_has_instructions) == true ]] || fail "$w: lackey's instruction counts not seen"
done
# The chase's loads are found dependent (each step's load), the stream's are not.
(($(val chase_replay .dependent_loads) >= 60000)) || fail "chase: $(val chase_replay .dependent_loads) dependent loads"
(($(val stream_replay .dependent_loads) < 100)) || fail "stream: $(val stream_replay .dependent_loads) dependent loads"
(($(val stream_replay .prefetches) > 10000)) || fail "stream: the prefetcher did not run ($(val stream_replay .prefetches))"

# all-dram: the prediction is the baseline, exactly.
run 0 replay "$TMP/stream.lk" --placement all-dram --json --quiet
[[ $(jqv .slowdown) == 1 || $(jqv .slowdown) == 1.0 ]] || fail "all-dram slowdown $(jqv .slowdown), expected exactly 1"
[[ $(jqv .pages.cxl) == 0 ]] || fail "all-dram put $(jqv .pages.cxl) pages on CXL"

# --- sequential 8-byte reads merge: 8192 reads of 64 KiB = 1024 line requests --------------------
awk 'BEGIN { for (i = 0; i < 8192; ++i) printf "R %x 8\n", 1048576 + i * 8 }' >"$TMP/seq.txt"
run 0 replay "$TMP/seq.txt" --quiet --json
[[ $(jqv .requests) == 1024 && $(jqv .l2_hits) == 7168 && $(jqv .records) == 8192 ]] ||
  fail "sequential 8-byte reads: $(jqv .requests) requests, $(jqv .l2_hits) L2 hits"
[[ $(jqv .trace_has_instructions) == false && $(jqv .instructions) == 0 ]] || fail "text trace: instructions $(jqv .instructions)"
[[ $(jqv .model) == app ]] || fail "default model $(jqv .model)"
run 0 replay "$TMP/seq.txt" --quiet --plot "$TMP/bw.png"
expect_out "no instruction counts"
expect_out "slowdown"
[[ -s $TMP/bw.png ]] || fail "--plot wrote no PNG"

# --- the older model's options belong to it ---------------------------------------------------
run 2 replay "$TMP/seq.txt" --private-caches
expect_err "--model requests"
run 2 replay "$TMP/seq.txt" --max-outstanding 4
expect_err "--model requests"
run 2 replay "$TMP/seq.txt" --model sideways
run 0 replay "$TMP/seq.txt" --model requests --json --quiet
[[ $(jqv .requests) == 8192 && $(jqv .model) == requests ]] || fail "--model requests: $(jqv .requests) requests"

finish replay_app_test
