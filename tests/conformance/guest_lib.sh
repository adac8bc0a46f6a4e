# cxlsim conformance: the guest half. Runs in cxlsim's initramfs (busybox sh, cxl, ndctl) and
# prints one JSON object per line ({"kind": ...}); everything else on stdout is diagnostics
# the host ignores. run_topology.sh appends the topology's plan (check_list, then one
# check_region per plan line) and `finish`.
#
# Records:
#   {"kind":"memdev","name":"mem0","serial":259}
#   {"kind":"list","data":<cxl list -vvv>}                       (before any region)
#   {"kind":"region","index":I,"created":true|false,"region":"region0","pmem":"pmem0",
#    "base":B,"step":S,"count":N,"error":"..."}
#   {"kind":"region_list","index":I,"data":<cxl list -vvv>}     (with the region committed)
#   {"kind":"decoder","index":I,"decoder":"decoder1.0","interleave_ways":2,...}  sysfs state
#   {"kind":"done"}

sys=/sys/bus/cxl/devices

# Values come in with `read -r v < file`, not $(cat file): under TCG every fork costs.

json_string() { printf '"%s"' "$(printf '%s' "$1" | tr '\n"\\' "   ")"; }

# cxl list -vvv output on one line (cxl prints no newlines inside strings).
list_json() {
  out=$(cxl list -vvv 2>/dev/null | tr -d '\n')
  [ -z "$out" ] && out='[]'
  printf '%s' "$out"
}

memdev_by_serial() {
  for m in $sys/mem*; do
    read -r v < $m/serial
    if [ $((v)) -eq $(($1)) ]; then echo "${m##*/}"; return; fi
  done
  echo "nosuchserial$1"
}

check_list() {
  for m in $sys/mem*; do
    read -r v < $m/serial
    printf '{"kind":"memdev","name":"%s","serial":%d}\n' "${m##*/}" "$((v))"
  done
  printf '{"kind":"list","data":%s}\n' "$(list_json)"
}

# sysfs state of every decoder that decodes something (size != 0).
# (Variables are global in sh: d_* names keep check_region's ways/gran intact.)
dump_decoders() {
  for d in $sys/decoder*; do
    read -r d_size < $d/size
    [ "$((d_size))" -eq 0 ] && continue
    read -r d_ways < $d/interleave_ways
    read -r d_gran < $d/interleave_granularity
    read -r d_start < $d/start
    d_tl=; [ -e $d/target_list ] && read -r d_tl < $d/target_list
    d_dpa=null
    if [ -e $d/dpa_resource ]; then read -r d_dpa < $d/dpa_resource; d_dpa=$((d_dpa)); fi
    printf '{"kind":"decoder","index":%d,"decoder":"%s","interleave_ways":%d,"interleave_granularity":%d,"start":%d,"size":%d,"target_list":"%s","dpa_resource":%s}\n' \
      "$1" "${d##*/}" "$d_ways" "$d_gran" "$((d_start))" "$((d_size))" "$d_tl" "$d_dpa"
  done
}

# Tags: 64-byte text "CXLTAG:<index>:<region offset hex>;" padded with spaces, one every
# `step` bytes from region offset `base`, written with one dd.
write_tags() {
  dev=$1; idx=$2; base=$3; step=$4; count=$5
  j=0
  : > /tmp/tags
  while [ $j -lt $count ]; do
    off=$((base + j * step))
    printf "%-${step}s" "$(printf 'CXLTAG:%d:%x;' $idx $off)" >> /tmp/tags
    j=$((j + 1))
  done
  dd if=/tmp/tags of=/dev/$dev bs=$step seek=$((base / step)) conv=notrunc,fsync 2>/dev/null
}

# check_region INDEX WINDOW WAYS GRANULARITY auto|SERIAL,SERIAL,... : create a region in root
# decoder decoder0.WINDOW (memdevs given by serial, in position order, or cxl's automatic
# order), report it, write tags through a raw namespace, then destroy it. Tags start at region
# offset INDEX MiB * WAYS, so regions of one boot use disjoint device ranges (every region
# starts at DPA 0 of its devices).
check_region() {
  idx=$1; win=$2; ways=$3; gran=$4; targets=$5
  names=""; opt=""
  if [ "$targets" = auto ]; then
    # What cxl-cli uses without targets: cxl list -M -d decoder0.N, first WAYS memdevs.
    order=$(cxl list -M -d decoder0.$win 2>/dev/null | sed -n 's/.*"serial":\([0-9]*\).*/\1/p' | head -n $ways | tr '\n' ',')
  else
    order=$targets
  fi
  printf '{"kind":"attempt","index":%d,"window":%d,"ways":%d,"granularity":%d,"requested":"%s","order":"%s"}\n' \
    "$idx" "$win" "$ways" "$gran" "$targets" "${order%,}"
  if [ "$targets" != auto ]; then
    opt="-m"
    for s in $(echo $targets | tr ',' ' '); do names="$names $(memdev_by_serial $s)"; done
  fi
  out=$(cxl create-region $opt -d decoder0.$win -w $ways -g $gran -t pmem $names 2>/tmp/err)
  region=$(printf '%s\n' "$out" | sed -n 's/.*"region":"\(region[0-9]*\)".*/\1/p' | head -n 1)
  if [ -z "$region" ]; then
    printf '{"kind":"region","index":%d,"created":false,"error":%s}\n' "$idx" "$(json_string "$(cat /tmp/err)")"
    return
  fi
  printf '{"kind":"region_list","index":%d,"data":%s}\n' "$idx" "$(list_json)"
  dump_decoders "$idx"
  ns=$(ndctl create-namespace -r $region -m raw -f 2>/tmp/err)
  pmem=$(printf '%s\n' "$ns" | sed -n 's/.*"blockdev":"\(pmem[0-9]*\)".*/\1/p' | head -n 1)
  step=$((gran / 2)); count=$((ways * 8)); [ $count -lt 32 ] && count=32
  base=$((idx * 1048576 * ways))
  if [ -n "$pmem" ]; then write_tags $pmem $idx $base $step $count; fi
  printf '{"kind":"region","index":%d,"created":true,"region":"%s","pmem":"%s","base":%d,"step":%d,"count":%d,"resource":%d,"size":%d,"targets":"%s","error":%s}\n' \
    "$idx" "$region" "$pmem" "$base" "$step" "$count" "$(($(cat $sys/$region/resource)))" \
    "$(($(cat $sys/$region/size)))" "$(region_serials $region)" "$(json_string "$(cat /tmp/err)")"
  # Not destroy-namespace: it zeroes the namespace's first 8 KiB, where tags are. Zeroing the
  # labels (in the LSA, not the media) frees the devices for the next region instead.
  ndctl disable-namespace all -r $region >/dev/null 2>&1
  cxl destroy-region -f $region >/dev/null 2>&1
  ndctl disable-dimm all >/dev/null 2>&1
  ndctl zero-labels all >/dev/null 2>&1
  ndctl enable-dimm all >/dev/null 2>&1
}

# Serials of a region's memdevs in position order (regionN/targetK -> endpoint decoder ->
# endpoint port -> memdev).
region_serials() {
  r_k=0; r_out=""
  while [ $r_k -lt $(cat $sys/$1/interleave_ways) ]; do
    r_dec=$(cat $sys/$1/target$r_k)
    r_ep=$(basename $(dirname $(readlink -f $sys/$r_dec)))
    r_mem=$(basename $(readlink -f $sys/$r_ep/uport))
    r_out="$r_out,$(($(cat $sys/$r_mem/serial)))"
    r_k=$((r_k + 1))
  done
  echo "${r_out#,}"
}

finish() {
  sync
  echo '{"kind":"done"}'
}

# ---- Host <-> guest sync for hot-plug tests (pool_guest_test.sh) ----
# The host signals the guest only by hot-adding and hot-removing devices; the guest signals the
# host with records on its output stream, which `cxlsim vm run` copies to a file as they come:
#   guest: await_memdevs N TIMEOUT LABEL   polls until exactly N memdevs are listed, prints
#          {"kind":"memdevs","label":LABEL,"count":C,"ok":true|false,"waited_ms":W}
#   host:  await_guest FILE PATTERN TIMEOUT   (bash) waits until FILE has a line matching PATTERN
#          (grep -E; complete lines only), prints the line; exit status 1 on timeout.

# Guest side. Counts with a glob (no fork: forks are slow under TCG); 100 ms polls.
await_memdevs() {
  am_want=$1; am_left=$(($2 * 10)); am_label=$3; am_waited=0
  while :; do
    set -- $sys/mem*
    if [ -e "$1" ]; then am_n=$#; else am_n=0; fi
    [ "$am_n" -eq "$am_want" ] && break
    [ "$am_left" -le 0 ] && break
    sleep 0.1; am_left=$((am_left - 1)); am_waited=$((am_waited + 100))
  done
  am_ok=false; [ "$am_n" -eq "$am_want" ] && am_ok=true
  printf '{"kind":"memdevs","label":"%s","count":%d,"ok":%s,"waited_ms":%d}\n' \
    "$am_label" "$am_n" "$am_ok" "$am_waited"
}

# Host side (bash).
await_guest() {
  local file=$1 pattern=$2 deadline=$(($(date +%s) + $3))
  while [ "$(date +%s)" -le "$deadline" ]; do
    # Complete lines only: the guest may be writing the last one.
    if head -n "$(wc -l < "$file" 2>/dev/null || echo 0)" "$file" 2>/dev/null |
       grep -m1 -E "$pattern"; then return 0; fi
    sleep 0.05
  done
  return 1
}

# Guest side: waits up to $1 s until every memdev has its endpoint port and nvdimm (pmemN), as
# cxl create-region needs; prints {"kind":"endpoints","ok":true|false}.
await_endpoints() {
  ae_left=$(($1 * 10))
  while :; do
    set -- $sys/mem*; ae_m=$#; [ -e "$1" ] || ae_m=0
    set -- $sys/endpoint*; ae_e=$#; [ -e "$1" ] || ae_e=0
    set -- $sys/pmem*; ae_p=$#; [ -e "$1" ] || ae_p=0
    [ "$ae_m" -gt 0 ] && [ "$ae_e" -ge "$ae_m" ] && [ "$ae_p" -ge "$ae_m" ] && break
    [ "$ae_left" -le 0 ] && break
    sleep 0.1; ae_left=$((ae_left - 1))
  done
  ae_ok=false; [ "$ae_left" -gt 0 ] && ae_ok=true
  printf '{"kind":"endpoints","ok":%s}\n' "$ae_ok"
}

# Guest side: a 1-way pmem region on the first memdev in root decoder decoder0.0 with a raw
# namespace; sets $region and $pmem (empty on failure) and prints
# {"kind":"made_region","region":R,"pmem":P,"error":E}.
make_region() {
  set -- $sys/mem*
  mr_out=$(cxl create-region -m -d decoder0.0 -w 1 -g 4096 -t pmem "${1##*/}" 2>/tmp/err)
  region=$(printf '%s\n' "$mr_out" | sed -n 's/.*"region":"\(region[0-9]*\)".*/\1/p' | head -n 1)
  pmem=
  if [ -n "$region" ]; then
    mr_ns=$(ndctl create-namespace -r "$region" -m raw -f 2>>/tmp/err)
    pmem=$(printf '%s\n' "$mr_ns" | sed -n 's/.*"blockdev":"\(pmem[0-9]*\)".*/\1/p' | head -n 1)
  fi
  printf '{"kind":"made_region","region":"%s","pmem":"%s","error":%s}\n' "$region" "$pmem" \
    "$(json_string "$(cat /tmp/err)")"
}
