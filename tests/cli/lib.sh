# Shared helpers of the CLI test scripts. Source it first: `source "$(dirname "$0")/lib.sh"`.
# Every script is run by ctest as `bash SCRIPT <path-to-cxlsim> <source-dir>`.
# Provides: CXLSIM, SRC, TMP (removed at exit), failures, fail MSG, run STATUS ARGS...
# (keeps stdout in $OUT, stderr in $ERR), expect_out / expect_no_out / expect_err TEXT,
# jqv FILTER (jq over $OUT), finish NAME (prints the result, exits non-zero on any failure).
CXLSIM=$1
SRC=${2:-}
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

run() {
  local want=$1
  shift
  "$CXLSIM" "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  OUT=$(cat "$TMP/out")
  ERR=$(cat "$TMP/err")
  [[ $got == "$want" ]] || fail "cxlsim $* exited $got, expected $want; stderr: $ERR"
}
expect_out() { [[ $OUT == *"$1"* ]] || fail "stdout lacks '$1': ${OUT:0:2000}"; }
expect_no_out() { [[ $OUT != *"$1"* ]] || fail "stdout has '$1': ${OUT:0:2000}"; }
expect_err() { [[ $ERR == *"$1"* ]] || fail "stderr lacks '$1': $ERR"; }
jqv() { jq -r "$1" <<<"$OUT"; }

finish() {
  if ((failures)); then
    echo "$1: $failures failure(s)"
    exit 1
  fi
  echo "$1: all checks passed"
}

# one_root_port_topology FILE: tests/lib/topologies.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/topologies.sh"
