#!/usr/bin/env bash
# Speed of the Type 2 accelerator from a TCG guest (docs/accel.md#speed), side by side with this
# host: the CUDA Driver API program's `bench` test (tests/accel_programs/driver_api.c: a command
# round trip, cuCtxSynchronize; a kernel launch; 64 MiB copies each way) run once on the host
# through `cxlsim accel run` (the shim's socket transport) and once in a guest of `cxlsim vm run`
# on tests/conformance/accel/guest-accel.toml (cxlsim's QEMU build with the cxlsim-accel device:
# the shim's sysfs transport, BAR2 accesses forwarded by QEMU to the device server, BAR4 mapped).
# Goal (issue #12): a command under 20 us in a TCG guest. On a machine shared with other jobs,
# run it at real-time priority (`chrt -f 1 bench/accel_guest_bench.sh`), else it measures them.
# Usage: bench/accel_guest_bench.sh [BUILD_DIR] (default build/release; needs the cxlsim and
# accel_driver_api targets and scripts/build-qemu).
set -euo pipefail
BUILD=${1:-build/release}
SRC=$(cd "$(dirname "$0")/.." && pwd)
PROG=$BUILD/accel_programs/driver_api
PTX=$SRC/src/ptx/testdata/kernels.nvcc.ptx
[[ -x $PROG ]] || { echo "build the accel_driver_api target first" >&2; exit 2; }
"$SRC/scripts/build-qemu" --print >/dev/null || exit 2
work=$(mktemp -d /tmp/cxlsim-accel-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$BUILD/cxlsim" accel run --quiet -- "$PROG" "$PTX" bench > "$work/host.txt"
echo "/opt/cxlsim/bin/driver_api /tmp/kernels.ptx bench" > "$work/guest.sh"
"$BUILD/cxlsim" vm run "$SRC/tests/conformance/accel/guest-accel.toml" --quiet --timeout 600 \
  --file "$PTX:/tmp/kernels.ptx" --script "$work/guest.sh" > "$work/guest.txt"
# "name: value unit" lines of both runs, joined by name.
awk -F': ' 'FNR == 1 { file++ } /: [0-9.]+ (us|GB\/s)$/ {
    split($2, v, " "); name[$1] = 1; val[file, $1] = v[1]; unit[$1] = v[2]
  }
  END {
    printf "%-52s %12s %12s %8s\n", "", "host", "TCG guest", "ratio"
    for (n in name) {
      ratio = unit[n] == "us" ? val[2, n] / val[1, n] : val[1, n] / val[2, n]
      printf "%-52s %9.2f %-2s %9.2f %-2s %7.1fx\n", n, val[1, n], unit[n] == "us" ? "us" : "GB", val[2, n], unit[n] == "us" ? "us" : "GB", ratio
    }
    printf "goal: command round trip in a TCG guest %.2f us (goal < 20 us)\n", val[2, "command round trip (cuCtxSynchronize)"]
  }' "$work/host.txt" "$work/guest.txt"
echo "(GB = GB/s; ratio: how many times slower the guest is; load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs)"
