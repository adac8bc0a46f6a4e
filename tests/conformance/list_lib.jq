# jq library of the conformance suite (jq -L tests/conformance, include "list_lib").
# `cxl list -vvv` in the guest and `cxlsim list --json` for the same topology are compared as
# whole documents after the normalizations below, one function per documented difference
# (docs/regions.md, "What list --json matches"). Nothing else is selected away or rewritten.

# Helpers of compare_decoders.sh, which names a port by its depth and the serials of the
# memdevs below it (the sysfs records it compares carry no PCI address).
def serials: [.. | objects | select(has("memdev") and (.memdev | type) == "object") | .memdev.serial] | sort;
def key: "\(.depth):\(serials | map(tostring) | join(","))";
def entries($prefix): to_entries | map(select(.key | startswith($prefix))) | map(.value[]);

# Probe order. Linux numbers memN, endpointN and the ports of switches (portN after the host
# bridges' port1..portH) as memdevs probe, asynchronously: those names, and decoderN.M, named
# after their port, change from boot to boot. Each becomes a name derived from the PCI address
# of its device or switch upstream port, which the topology fixes: mem@BDF, endpoint@BDF,
# port@BDF, decoder@<owner>.M. root0, decoder0.N and the host bridge ports keep their names.
def probe_names:
  ([.. | objects | select(has("endpoint") and (.memdev | type) == "object")
    | {key: (.endpoint | ltrimstr("endpoint")), value: "endpoint@\(.memdev.host)"}]
   + [.. | objects | select(has("port") and (.depth // 0) >= 2)
      | {key: (.port | ltrimstr("port")), value: "port@\(.host)"}]
   | from_entries) as $ids
  | ([.. | objects | select((.memdev | type) == "string" and has("host"))
      | {key: .memdev, value: "mem@\(.host)"}] | from_entries) as $mems
  | def rename:
      if test("^endpoint[0-9]+$") then $ids[ltrimstr("endpoint")] // .
      elif test("^port[0-9]+$") then $ids[ltrimstr("port")] // .
      elif test("^mem[0-9]+$") then $mems[.] // .
      elif test("^decoder[0-9]+\\.[0-9]+$") then
        capture("^decoder(?<p>[0-9]+)\\.(?<n>[0-9]+)$") as $c
        | if $ids[$c.p] then "decoder@\($ids[$c.p]).\($c.n)" else . end
      else . end;
    walk(if type == "object" then with_entries(.key |= (split(":") | map(rename) | join(":")))
         elif type == "string" then rename
         else . end);

# Region numbering. Linux allocates regionN ids over the whole boot (the suite creates and
# destroys regions one after another, and a refused attempt may use an id too); cxlsim lists
# one fresh fabric per call. Region names are compared as "region".
def region_names: walk(if type == "string" and test("^region[0-9]+$") then "region" else . end);

# Array order. cxl-cli prints dports, child ports, endpoints and region mappings in sysfs or
# probe order (a switch's dports may come as 0, 2, 1, 3; mappings by descending position):
# arrays of objects are sorted by position, then by name.
def sysfs_order:
  walk(if type == "array" and length > 0 and (.[0] | type) == "object"
       then sort_by(.position // -1,
                    (.dport // .port // .endpoint // .decoder // .region // .target // ""))
       else . end);

# Decoders freed by an earlier region of the same boot. When a region is destroyed Linux keeps
# its ways, granularity, mode and targets in the now disabled decoders' sysfs attributes, which
# a fresh fabric cannot know: a disabled decoder is compared by name and state. Used for the
# listings taken after a region was created (the first listing compares disabled decoders whole).
def disabled_decoders:
  walk(if type == "object" and .state == "disabled" and has("decoder")
       then {decoder, state} else . end);

# Linux 6.12 root dports (peer QEMU 10 + Linux 6.12 only, docs/vm.md "Peers"). Linux 6.12
# names a host bridge dport, the root decoders' targets and the host bridge port's host by the
# PCI host bridge (pci0000:BB, alias ACPI0016:NN); Linux 6.1, which cxlsim list follows, by the
# ACPI device (ACPI0016:NN, alias pci0000:BB). Rewrites 6.12's spelling into 6.1's.
def linux612_root_dports:
  ([.. | objects | select((.alias // "" | startswith("ACPI0016:")) and
                          ((.dport // .target // "") | startswith("pci0000:")))
    | {key: (.dport // .target), value: .alias}] | from_entries) as $acpi
  | walk(if type == "object" and ((.alias // "") | startswith("ACPI0016:")) then
           (if has("dport") and $acpi[.dport] then . as $o | $o + {dport: $o.alias, alias: $o.dport}
            else . end)
           | (if has("target") and $acpi[.target] then . as $o | $o + {target: $o.alias, alias: $o.target}
              else . end)
         elif type == "object" and has("host") and $acpi[.host // ""] then .host = $acpi[.host]
         else . end);

# Linux 6.12 single-dport switch ports (peer QEMU 10 + Linux 6.12 only, docs/vm.md "Peers").
# Linux 6.1, which cxlsim list follows, gives a port with one dport one pass-through decoder;
# Linux 6.12 (drivers/cxl/port.c cxl_switch_port_probe) falls back to it only when the port has
# no HDM decoder capability and otherwise enumerates the port's decoders (QEMU 10's switch
# upstream port has 4; its host bridges with one root port none, so they stay pass-through).
# Observed: decoder 0 is then listed as the pass-through one is, the others disabled. Rewrites
# 6.12's listing of such a port to 6.1's: its disabled decoders after the first are dropped.
def linux612_single_dport_decoders:
  walk(if type == "object" and .nr_dports == 1 and has("port") and has("decoders:" + .port)
       then .["decoders:" + .port] |= (.[:1] + (.[1:] | map(select(.state != "disabled"))))
       else . end);

# Every Linux 6.12 rewrite of a listing, above (peer QEMU 10 + Linux 6.12 only).
def linux612: linux612_root_dports | linux612_single_dport_decoders;

# Linux 6.12 1-way port decoders (peer QEMU 10 + Linux 6.12 only, docs/vm.md "Peers"), for
# compare_decoders.sh's records (an array; $root: {granularity, ways} of the root decoder).
# Observed: Linux 6.12 gives a port decoder with one target the granularity of its parent
# times the parent's ways (the root decoder's for a host bridge); Linux 6.1, which cxlsim
# follows, the parent's granularity. One way does not interleave, so decode is unchanged; but
# above 16 KiB the granularity has no encoding and Linux 6.12 refuses the region. Rewrites
# cxlsim's records to 6.12's rule, parents first.
def linux612_granularity($root):
  def depth: .port | split(":")[0] | tonumber;
  def below: .port | split(":")[1] | split(",");
  (map(select(has("port"))) | sort_by(depth)) as $ports
  | (reduce $ports[] as $r ([];
      . as $done
      | ($r | depth) as $d | ($r | below) as $s
      | (if $d == 1 then $root
         else [$done[] | select(depth == $d - 1 and (($s - below) | length) == 0)] | first
         end) as $p
      | . + [if $r.ways == 1 and $p != null then $r + {granularity: ($p.granularity * $p.ways)}
             else $r end]))
    + map(select(has("port") | not));

def normalize: probe_names | sysfs_order;
def normalize_region_list: probe_names | region_names | disabled_decoders | sysfs_order;
