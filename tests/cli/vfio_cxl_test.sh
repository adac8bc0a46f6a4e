#!/usr/bin/env bash
# cxlsim accel serve's vfio-cxl face (docs/vfio_cxl.md): the option's checks, and the libcuda
# shim still driving a device that has the face, with its DPA live from the start (firmware
# committed: the shim maps BAR4) and without (no decoder committed: BAR4 is not mappable, the
# shim copies through DATA). The VMM's side of the face is src/accel/vfio_cxl_test.cc.
source "$(dirname "$0")/lib.sh"
PROG=$(dirname "$CXLSIM")/accel_programs/driver_api
[[ -x $PROG ]] || { echo "vfio_cxl_test: $PROG not built"; exit 1; }
PTX=$SRC/src/ptx/testdata/kernels.nvcc.ptx

run 2 accel serve --socket "$TMP/x.sock" --vfio-cxl v4
expect_err "choose v1, v2, v3 or off"
run 2 accel serve --socket "$TMP/x.sock" --vfio-cxl off --precommit
expect_err "--precommit needs the vfio-cxl face"
run 2 accel serve --socket "$TMP/x.sock" --backend cuda --cuda-library /nonexistent --vfio-cxl v1
run 0 accel serve --help
expect_out "--vfio-cxl"

wait_for() {
  for _ in $(seq 600); do eval "$1" && return 0; sleep 0.1; done
  return 1
}

# serve LAYOUT [ARGS...]: a server on $SOCK, its banner in $TMP/serve.err.
serve() {
  SOCK=$TMP/$1.sock
  "$CXLSIM" accel serve --socket "$SOCK" --threads 1 --vfio-cxl "$@" 2>"$TMP/serve.err" &
  server=$!
  wait_for "[[ -S $SOCK ]]" || fail "accel serve --vfio-cxl $*: $(cat "$TMP/serve.err")"
}
for args in "v1 --precommit --topology builtin:type2-accel --target accel1" "v2" "v3 --precommit"; do
  read -r -a a <<<"$args"
  serve "${a[@]}"
  # The banner is written after the socket appears.
  wait_for "grep -q 'vfio-cxl ${a[0]}' $TMP/serve.err" || fail "$args: banner $(cat "$TMP/serve.err")"
  [[ $args == *precommit* ]] && { wait_for "grep -q 'precommitted at HPA 0x' $TMP/serve.err" || fail "$args: not precommitted: $(cat "$TMP/serve.err")"; }
  CXLSIM_ACCEL_SOCKET=$SOCK LD_LIBRARY_PATH=$("$CXLSIM" accel shim-dir) \
    timeout 120 "$PROG" "$PTX" vector_add >"$TMP/prog.out" 2>&1 || fail "$args: $(cat "$TMP/prog.out")"
  grep -q "vector_add:" "$TMP/prog.out" || fail "$args: $(cat "$TMP/prog.out")"
  kill -TERM $server
  wait $server || fail "$args: server exited $?"
done

finish vfio_cxl_test
