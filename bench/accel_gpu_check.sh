#!/usr/bin/env bash
# The accelerator's cuda backend against a real GPU (docs/accel.md#compute-backends): every
# driver_api test (tests/accel_programs/driver_api.c) through `cxlsim accel run --backend cuda`,
# which forwards each command to the machine's own libcuda.so.1, from nvcc's PTX and from nvcc's
# fatbin; each program checks its results exactly against the host. Then the bench (command
# round trip, 64 MiB copies each way) on the cuda and on the ptx backend side by side.
# Usage: bench/accel_gpu_check.sh [BUILD_DIR] (default build/release; needs a GPU and its driver).
set -uo pipefail
BUILD=${1:-build/release}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PROG=$BUILD/accel_programs/driver_api
[[ -x $PROG ]] || { echo "build the accel_driver_api target first" >&2; exit 2; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
status=0
for img in kernels.nvcc.ptx kernels.nvcc.fatbin; do
  for t in vector_add saxpy reduce matmul errors proc_address info image; do
    out=$(timeout 120 "$BUILD/cxlsim" accel run --quiet --backend cuda -- "$PROG" "$SRC/src/ptx/testdata/$img" "$t" 2>&1)
    rc=$?
    printf '%-4s %-20s %-12s %s\n' "[$rc]" "$img" "$t" "$(tail -2 <<<"$out" | tr '\n' ' ' | cut -c1-150)"
    ((rc == 0)) || status=1
  done
done
for b in cuda ptx; do
  echo "--- bench, --backend $b"
  timeout 120 "$BUILD/cxlsim" accel run --quiet --backend "$b" -- "$PROG" "$SRC/src/ptx/testdata/kernels.nvcc.ptx" bench || status=1
done
exit $status
