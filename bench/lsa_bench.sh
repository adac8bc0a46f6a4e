#!/usr/bin/env bash
# Cost of large label storage areas (docs/mailbox.md, "Label storage"): a QEMU command line with
# N cxl-type3 devices (default 16), each with 256 MiB of persistent memory and a 256 MiB LSA
# (QEMU's documented example sizes), labels written near the end of every LSA with
# `cxlsim mbox labels write`; then wall time and peak RSS (/usr/bin/time -v) of one
# `cxlsim list` and one `mbox labels read`. LSA=ram (default) keeps the LSAs in
# memory-backend-ram objects, so their labels live with the device's command state
# (--state-dir); LSA=file gives each an LSA file. With a second binary OLD, prints both and
# the ratios. Usage: bench/lsa_bench.sh [CXLSIM] [OLD]   (N=4 bench/lsa_bench.sh ...)
set -euo pipefail
NEW=${1:-build/release/cxlsim}
OLD=${2:-}
N=${N:-16}
LSA=${LSA:-ram}
[[ -x /usr/bin/time ]] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The QEMU command line (one host bridge, N root ports, one 4 GiB window).
topology() {
  local dir=$1
  echo "qemu-system-x86_64 -M q35,cxl=on -m 4G \\"
  for ((i = 0; i < N; ++i)); do
    echo "-object memory-backend-file,id=mem$i,share=on,mem-path=$dir/mem$i.raw,size=256M \\"
    if [[ $LSA == ram ]]; then
      echo "-object memory-backend-ram,id=lsa$i,size=256M \\"
    else
      echo "-object memory-backend-file,id=lsa$i,share=on,mem-path=$dir/lsa$i.raw,size=256M \\"
    fi
  done
  echo "-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \\"
  for ((i = 0; i < N; ++i)); do
    echo "-device cxl-rp,port=$i,bus=cxl.1,id=rp$i,chassis=0,slot=$((i + 2)) \\"
    echo "-device cxl-type3,bus=rp$i,memdev=mem$i,lsa=lsa$i,id=pmem$i \\"
  done
  echo "-M cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=4G"
}

# "SECONDS KIB" of one run of a command (its output discarded; fails when it fails).
measure() {
  /usr/bin/time -f '%e %M' -o "$work/time" "$@" >/dev/null
  cat "$work/time"
}

# Prints "list_s list_kib read_s read_kib" for binary $1.
run_one() {
  local bin=$1 dir
  dir=$(mktemp -d -p "$work")
  topology "$dir" >"$dir/q.txt"
  mkdir "$dir/state"
  for ((i = 0; i < N; ++i)); do
    "$bin" mbox "$dir/q.txt" --memdev "pmem$i" --state-dir "$dir/state" labels write \
      --offset 0xfffff00 "de ad be ef" >/dev/null
  done
  local list read
  # `list` reads each device's state from beside its backing file: point that at --state-dir's.
  for ((i = 0; i < N; ++i)); do ln -s "$dir/state/pmem$i.state" "$dir/mem$i.raw.state"; done
  list=$(measure "$bin" list "$dir/q.txt")
  read=$(measure "$bin" mbox "$dir/q.txt" --memdev pmem0 --state-dir "$dir/state" labels read \
    --offset 0xfffff00 --length 4)
  echo "$list $read"
  rm -rf "$dir"
}

printf '%-8s %3s %5s %10s %14s %10s %14s\n' binary N lsa list_s list_peak_MiB read_s read_peak_MiB
show() {
  local name=$1 a
  read -r -a a <<<"$2"
  printf '%-8s %3d %5s %10.2f %14.1f %10.2f %14.1f\n' "$name" "$N" "$LSA" "${a[0]}" \
    "$(awk -v k="${a[1]}" 'BEGIN { print k / 1024 }')" "${a[2]}" \
    "$(awk -v k="${a[3]}" 'BEGIN { print k / 1024 }')"
}
new=$(run_one "$NEW")
show new "$new"
if [[ -n $OLD ]]; then
  old=$(run_one "$OLD")
  show old "$old"
  read -r -a n <<<"$new"
  read -r -a o <<<"$old"
  awk -v ot="${o[0]}" -v nt="${n[0]}" -v om="${o[1]}" -v nm="${n[1]}" 'BEGIN {
    printf "list: old/new wall %.1fx, peak RSS %.1fx\n", ot / (nt > 0.005 ? nt : 0.005), om / nm }'
fi
