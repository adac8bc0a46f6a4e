#!/usr/bin/env bash
# Speed of `cxlsim run` (docs/app_mode.md#speed): wall time of a pointer chase, a multi-threaded
# stream and a compute-only loop natively, under plain qemu-x86_64, under `cxlsim run` (every
# access in detail) and under `cxlsim run --sample $SAMPLE` (default 0.05; docs/app_mode.md#sampled-
# simulation), and the ratios. Usage: bench/run_bench.sh [BUILD_DIR] (default build/release; needs the
# cxlsim and run_* targets). Each time is the best of REPS runs (default 3; the machine may be
# shared: the best run is the least disturbed). WORKLOADS picks rows (default "chase stream
# compute"), e.g. WORKLOADS=stream REPS=3 bench/run_bench.sh.
set -euo pipefail
BUILD=${1:-build/release}
CXLSIM=$BUILD/cxlsim
PROGS=$BUILD/run_programs
REPS=${REPS:-3}
SAMPLE=${SAMPLE:-0.05}
for p in chase stream compute; do [[ -x $PROGS/$p ]] || { echo "build the run_$p target first" >&2; exit 2; }; done

# best SECONDS of REPS runs of a command (its output discarded)
best() {
  local b=""
  for ((i = 0; i < REPS; ++i)); do
    local s e
    s=$(date +%s.%N)
    "$@" >/dev/null 2>&1 || true
    e=$(date +%s.%N)
    b=$(awk -v b="$b" -v t="$(awk -v s="$s" -v e="$e" 'BEGIN { print e - s }')" 'BEGIN { print (b == "" || t < b) ? t : b }')
  done
  echo "$b"
}

printf '%-34s %9s %9s %9s %9s %9s %9s %10s\n' workload native_s qemu_s run_s sampled_s vs_native vs_qemu sampled_vs
printf '%-34s %9s %9s %9s %9s %9s %9s %10s\n' '' '' '' '' "($SAMPLE)" '(run)' '(run)' native
bench() {
  local name=$1
  shift
  local n q c s
  n=$(best "$@")
  q=$(best qemu-x86_64 "$@")
  c=$(best "$CXLSIM" run --quiet --output /dev/null -- "$@")
  s=$(best "$CXLSIM" run --quiet --output /dev/null --sample "$SAMPLE" -- "$@")
  printf '%-34s %9.3f %9.3f %9.3f %9.3f %9.2f %9.2f %10.2f\n' "$name" "$n" "$q" "$c" "$s" \
    "$(awk -v a="$c" -v b="$n" 'BEGIN { print a / b }')" "$(awk -v a="$c" -v b="$q" 'BEGIN { print a / b }')" \
    "$(awk -v a="$s" -v b="$n" 'BEGIN { print a / b }')"
}
WORKLOADS=${WORKLOADS:-chase stream compute}
for w in $WORKLOADS; do
  case $w in
    chase) bench "pointer chase 256 MiB, 4M loads" "$PROGS/chase" 256 4000000 ;;
    stream) bench "stream 8 threads x 32 MiB, 8 passes" "$PROGS/stream" 8 32 8 ;;
    compute) bench "compute loop 300M iterations" "$PROGS/compute" 300000000 ;;
    *) echo "unknown workload '$w' (chase, stream, compute)" >&2; exit 2 ;;
  esac
done
echo "(load average: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs)"
