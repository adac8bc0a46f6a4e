#!/usr/bin/env bash
# Speed of the Type 2 accelerator's command interface (docs/accel.md#speed): a CUDA Driver API
# program (tests/accel_programs/driver_api.c, test `bench`) through the libcuda shim and the
# device server on this host: the round trip of one command, a kernel launch, and 64 MiB copies
# each way, beside the issue's goals (under 20 us per command in a TCG guest; at least 1 GB/s for
# large copies on the host). Usage: bench/accel_bench.sh [BUILD_DIR] (default build/release; needs
# the cxlsim and accel_driver_api targets).
set -euo pipefail
BUILD=${1:-build/release}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PROG=$BUILD/accel_programs/driver_api
[[ -x $PROG ]] || { echo "build the accel_driver_api target first" >&2; exit 2; }
"$BUILD/cxlsim" accel run --quiet -- "$PROG" "$SRC/src/ptx/testdata/kernels.nvcc.ptx" bench |
  awk '{ print } /round trip/ { rt = $(NF-1) } /copy host to device/ { i = $(NF-1) } /copy device to host/ { o = $(NF-1) }
       END { printf "goals: command %.2f us (goal < 20 us, in a guest); copies %.2f / %.2f GB/s (goal >= 1)\n", rt, i, o }'
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs)"
