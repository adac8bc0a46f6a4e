#!/usr/bin/env bash
# cxlsim accel: CUDA Driver API programs (tests/accel_programs/driver_api.c) run through the
# libcuda shim against the device server with the PTX backend (docs/accel.md). Every kernel's
# result is checked exactly against the same computation on the host, by the program itself;
# the PTX is nvcc's (checked in) and clang 14's (built from the same CUDA source) when present.
# Then the errors a program gets (each its CUresult), the device server's vfio-user face, and a
# device server killed in the middle of a command (the program gets an error, never hangs).
source "$(dirname "$0")/lib.sh"
PROG=$(dirname "$CXLSIM")/accel_programs/driver_api
[[ -x $PROG ]] || { echo "accel_test: $PROG not built"; exit 1; }
PTX=("$SRC/src/ptx/testdata/kernels.nvcc.ptx")
CLANG_PTX=$(dirname "$CXLSIM")/src/ptx/testdata/kernels.clang.ptx
[[ -f $CLANG_PTX ]] && PTX+=("$CLANG_PTX")

# wait_for CONDITION: polls a shell condition for up to 60 s (a loaded CI machine starts
# processes slowly); fails when it never holds.
wait_for() {
  for _ in $(seq 600); do eval "$1" && return 0; sleep 0.1; done
  return 1
}

# --- programs, exact results ---
for ptx in "${PTX[@]}"; do
  for t in vector_add saxpy reduce matmul proc_address info; do
    run 0 accel run --quiet -- "$PROG" "$ptx" "$t"
    expect_out "$t:"
  done
done
run 0 accel run --json --threads 2 -- "$PROG" "${PTX[0]}" vector_add
jq -e '.launches == 1 and .bytes_to_device == 800000 and .bytes_from_device == 400000 and
  .exit_status == 0 and .failed_commands == 0 and .backend == "ptx"' <<<"${OUT#*exact}" >/dev/null ||
  fail "accel run --json counters: $OUT"

# Device memory comes from the topology: builtin:type2-accel's device and its HDM size.
run 0 accel run --quiet --topology builtin:type2-accel -- "$PROG" "${PTX[0]}" info
total=$("$CXLSIM" topology show builtin:type2-accel --json | jq '.type2[0].hdm')
expect_out "total $total "
run 0 accel run --quiet --topology builtin:type2-accel --target accel1 -- "$PROG" "${PTX[0]}" info
total=$("$CXLSIM" topology show builtin:type2-accel --json | jq '.type2[1].hdm')
expect_out "total $total "
run 2 accel run --topology builtin:type2-accel --target nope -- "$PROG" "${PTX[0]}" info
expect_err "no Type 2 device"

# --- --coherence: the program's own traffic costed through the coherence engine ---
run 0 accel run --json --coherence -- "$PROG" "${PTX[0]}" vector_add
J=$(sed -n '/^{/,$p' <<<"$OUT")
# upload = 2 arrays of 100000 floats; kernels read 2 and write 1 array; download 1 array.
jq -e '.coherence.phases | map(select(.name | startswith("upload"))) | all(.count == 12500)' \
  <<<"$J" >/dev/null || fail "coherence upload lines: $J"
jq -e '.coherence.phases | map(select(.name | startswith("compute"))) | all(.count == 18750)' \
  <<<"$J" >/dev/null || fail "coherence compute lines: $J"
jq -e '.coherence.phases | map(select(.name | startswith("download"))) | all(.count == 6250)' \
  <<<"$J" >/dev/null || fail "coherence download lines: $J"
# each total is the sum of its mode's phases, and every phase takes time
jq -e '.coherence as $c | ([$c.phases[] | select(.name | endswith("(bias flips)")) | .ns] | add) as $f |
  ([$c.phases[] | select(.name | endswith("(host bias throughout)")) | .ns] | add) as $h |
  ($f - $c.total_ns_with_flips | fabs) < 1 and ($h - $c.total_ns_host_bias | fabs) < 1 and
  all($c.phases[]; .ns > 0)' <<<"$J" >/dev/null || fail "coherence totals: $J"
# Kernels in host bias go through the host's home agent: messages per line; in device bias none.
jq -e '.coherence.phases | (map(select(.name == "compute on the device (host bias throughout)"))[0].messages_per_line > 0) and
  (map(select(.name == "compute on the device (bias flips)"))[0].messages_per_line == 0)' <<<"$J" >/dev/null ||
  fail "coherence messages: $J"
run 0 accel run --coherence -- "$PROG" "${PTX[0]}" vector_add
expect_err "total with bias flips"
# The accelerator's own profile counts: a slower device memory makes host-bias kernels dearer.
run 0 accel run --json --coherence --expander-latency accel0=400 -- "$PROG" "${PTX[0]}" vector_add
slow=$(sed -n '/^{/,$p' <<<"$OUT" | jq '.coherence.total_ns_host_bias')
base=$(jq '.coherence.total_ns_host_bias' <<<"$J")
awk -v s="$slow" -v b="$base" 'BEGIN { exit !(s > b * 1.1) }' ||
  fail "--expander-latency accel0=400 should slow host-bias kernels: $slow vs $base"
run 2 accel run --host spr-xeon -- "$PROG" "${PTX[0]}" info
expect_err "applies only with --coherence"
run 2 accel run --coherence --host-cache 30M:15 -- "$PROG" "${PTX[0]}" info
expect_err "--host-cache does not apply"
run 2 accel run --coherence --device eurosys24-ddr5 -- "$PROG" "${PTX[0]}" info
expect_err "local DRAM"
[[ $OUT != *"info:"* ]] || fail "a bad --device must be refused before the program runs: $OUT"

# --- errors: each failure is the CUresult CUDA gives, the device keeps serving ---
run 0 accel run --json -- "$PROG" "${PTX[0]}" errors
expect_out "every failure has its CUresult"
[[ $(jq -s '.[-1].failed_commands' <<<"$(sed -n '/^{/,$p' <<<"$OUT")") -ge 6 ]] ||
  fail "errors: the device should count its failed commands: $OUT"
run 2 accel run --quiet -- "$PROG" /nonexistent.ptx vector_add
expect_err "CUDA_ERROR_FILE_NOT_FOUND"
# Without a server the shim says there is no device.
CXLSIM_ACCEL_SOCKET=$TMP/none.sock LD_LIBRARY_PATH=$("$CXLSIM" accel shim-dir) \
  "$PROG" "${PTX[0]}" info >"$TMP/o" 2>"$TMP/e" && fail "no server: program succeeded"
grep -q CUDA_ERROR_NO_DEVICE "$TMP/e" || fail "no server: $(cat "$TMP/e")"
run 2 accel run --backend opencl -- "$PROG" "${PTX[0]}" info
expect_err "choose ptx or cuda"
run 1 accel run --backend cuda --cuda-library /nonexistent/libcuda.so.1 -- "$PROG" "${PTX[0]}" info
expect_err "cannot load the CUDA driver"
run 1 accel run --backend cuda --cuda-library libm.so.6 -- "$PROG" "${PTX[0]}" info
expect_err "not a CUDA driver library"
run 2 accel run --backend cuda --memory 1G -- "$PROG" "${PTX[0]}" info
expect_err "does not apply"
run 2 accel run --memory 1000 -- "$PROG" "${PTX[0]}" info
expect_err "multiple of 4 KiB"
run 2 accel run
run 0 accel shim-dir
[[ -f $OUT/libcuda.so.1 && -f $OUT/cuda.h && -e $OUT/libcuda.so ]] || fail "shim-dir $OUT"

# --- the program's status passes through ---
run 7 accel run --quiet -- sh -c 'exit 7'

# --- a device server killed in the middle of a command ---
SOCK=$TMP/accel.sock
"$CXLSIM" accel serve --quiet --socket "$SOCK" --threads 1 2>"$TMP/serve.err" &
server=$!
wait_for "[[ -S $SOCK ]]"
[[ -S $SOCK ]] || fail "accel serve did not listen: $(cat "$TMP/serve.err")"
CXLSIM_ACCEL_SOCKET=$SOCK LD_LIBRARY_PATH=$("$CXLSIM" accel shim-dir) \
  timeout 60 "$PROG" "${PTX[0]}" endless >"$TMP/endless.out" 2>&1 &
prog=$!
wait_for "grep -q running $TMP/endless.out 2>/dev/null" || fail "the endless program never started: $(cat "$TMP/endless.out")"
sleep 0.5
kill -9 $server
wait $prog
status=$?
[[ $status == 3 ]] || fail "killed server: program exited $status (124: it hung): $(cat "$TMP/endless.out")"
grep -q CUDA_ERROR_DEVICE_UNAVAILABLE "$TMP/endless.out" || fail "killed server: $(cat "$TMP/endless.out")"

# --- the cuda backend, with cxlsim's own shim standing in for a GPU's driver (no GPU here) ---
# program -> shim -> server A (--backend cuda: dlopen(libcuda.so.1), every command forwarded to
# the driver API; device memory not mappable, so copies go through DATA) -> shim -> server B
# (ptx). Every result is still exact and every failure keeps its CUresult.
SOCKB=$TMP/b.sock
"$CXLSIM" accel serve --quiet --json --socket "$SOCKB" >"$TMP/b.json" 2>&1 &
server=$!
wait_for "[[ -S $SOCKB ]]"
SHIM=$("$CXLSIM" accel shim-dir)/libcuda.so.1
for t in vector_add saxpy reduce matmul errors proc_address; do
  CXLSIM_ACCEL_SOCKET=$SOCKB run 0 accel run --quiet --backend cuda --cuda-library "$SHIM" -- \
    "$PROG" "${PTX[0]}" "$t"
  expect_out "$t:"
done
kill -TERM $server
wait $server
# server B ran the launches server A forwarded: vector_add, saxpy, reduce, matmul (errors: none)
jq -e '.launches == 4' "$TMP/b.json" >/dev/null || fail "cuda backend chain: $(cat "$TMP/b.json")"

# --- SIGTERM ends the server cleanly, with its counters ---
rm -f "$SOCK"  # the killed server's
"$CXLSIM" accel serve --quiet --json --socket "$SOCK" >"$TMP/serve.json" 2>&1 &
server=$!
wait_for "[[ -S $SOCK ]]"
CXLSIM_ACCEL_SOCKET=$SOCK LD_LIBRARY_PATH=$("$CXLSIM" accel shim-dir) "$PROG" "${PTX[0]}" reduce \
  >/dev/null 2>&1 || fail "reduce against accel serve"
kill -TERM $server
wait $server || fail "accel serve exited $? on SIGTERM"
jq -e '.launches == 1' "$TMP/serve.json" >/dev/null || fail "serve --json: $(cat "$TMP/serve.json")"
[[ ! -e $SOCK ]] || fail "accel serve left its socket behind"

finish accel_test
