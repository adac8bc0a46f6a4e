# Host side of the pool conformance scripts (pool_guest_test.sh, pool_fm_test.sh), sourced after
# setting cxlsim and src: the work folder, the guest protocol (guest_lib.sh), the tools they need,
# and their check and timing helpers. pool_setup NAME sets $here and $work
# (CXLSIM_CONFORMANCE_DIR, or a new /tmp/cxlsim-NAME.XXXXXX) and exits 77 when QEMU, jq or
# cxl-cli is missing.
pool_setup() {
  here=$src/tests/conformance
  work=${CXLSIM_CONFORMANCE_DIR:-$(mktemp -d "/tmp/cxlsim-$1.XXXXXX")}
  mkdir -p "$work"
  source "$here/guest_lib.sh"
  for tool in qemu-system-x86_64 jq cxl ndctl; do
    command -v "$tool" > /dev/null || { echo "SKIPPED: $tool is not installed" >&2; exit 77; }
  done
  failures=0
}
pass() { echo "pass $*"; }
fail() { echo "FAIL $*"; failures=$((failures + 1)); }
now_ms() { date +%s%3N; }
# record HOST PATTERN TIMEOUT: the guest's last record matching PATTERN (guest_lib.sh await_guest).
record() { await_guest "$work/$1.out" "$2" "$3" | tail -n 1; }
