# Decoders of the Dynamic Capacity payloads as hex byte strings ("02 00 1f ..", as
# `cxlsim mbox raw --json` and tests/conformance/guest/cxl_mbox_mmio print them), applied alike
# to what QEMU's device and cxlsim's device return (qemu10_dc_test.sh). CXL 3.1 tables cited.

def bytes: split(" ") | map(select(length > 0) | ascii_downcase | explode
  | map(if . >= 97 then . - 87 else . - 48 end) | .[0] * 16 + .[1]);
def le($b; $o; $n): reduce range($n - 1; -1; -1) as $i (0; . * 256 + $b[$o + $i]);
def hexof($b; $o; $n): [range($o; $o + $n) | $b[.]]
  | map(. as $v | "0123456789abcdef" | .[($v / 16 | floor):($v / 16 | floor) + 1]
        + .[($v % 16):($v % 16) + 1]) | join("");

# Get Dynamic Capacity Configuration output (Table 8-165; regions of 0x28 bytes, Table 8-166).
def dc_config: bytes as $b | ($b[1]) as $n | {
  available_regions: $b[0], regions_returned: $n,
  regions: [range($n) | 8 + 40 * . | {
    base: le($b; .; 8), decode_length: le($b; . + 8; 8), length: le($b; . + 16; 8),
    block_size: le($b; . + 24; 8), dsmad_handle: le($b; . + 32; 4), flags: le($b; . + 36; 4)}],
  extents_supported: le($b; 8 + 40 * $n; 4), extents_available: le($b; 12 + 40 * $n; 4),
  tags_supported: le($b; 16 + 40 * $n; 4), tags_available: le($b; 20 + 40 * $n; 4)};

# Get Dynamic Capacity Extent List output (Table 8-168; extents of 0x28 bytes, Table 8-51).
def dc_extents: bytes as $b | {
  returned: le($b; 0; 4), total: le($b; 4; 4), generation: le($b; 8; 4),
  extents: [range(le($b; 0; 4)) | 16 + 40 * . | {
    dpa: le($b; .; 8), length: le($b; . + 8; 8), tag: hexof($b; . + 16; 16),
    shared_sequence: le($b; . + 32; 2)}]};

# Get Event Records output (Table 8-59) of the DC log: the DC Event Records (Table 8-56).
def dc_events: bytes as $b | [range(le($b; 20; 2)) | 32 + 128 * . | {
  type: $b[. + 48], region: $b[. + 52], flags: $b[. + 53], dpa: le($b; . + 56; 8),
  length: le($b; . + 64; 8), available_extents: le($b; . + 120; 4), tag: hexof($b; . + 72; 16)}];

# Field by field over both documents' leaves: {path, qemu, cxlsim, verdict}, verdict "agree",
# or the label of a known difference when $known[path] (exact, e.g. "regions.0.dsmad_handle",
# or with indexes as [], e.g. "extents.[].tag") = {label, qemu} names QEMU's value, else "FAIL".
def compare($qemu; $cxlsim; $known):
  [($qemu | paths(scalars)), ($cxlsim | paths(scalars))] | unique | map(. as $p | {
    path: ($p | map(tostring) | join(".")),
    key: ($p | map(if type == "number" then "[]" else . end) | join(".")),
    qemu: ($qemu | getpath($p)), cxlsim: ($cxlsim | getpath($p))})
  | map(. as $f | ($known[$f.path] // $known[$f.key]) as $k | .verdict =
      if $f.qemu == $f.cxlsim then "agree"
      elif $k != null and $k.qemu == $f.qemu then $k.label
      else "FAIL" end | del(.key));
