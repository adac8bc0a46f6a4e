# jq library of the conformance suite (jq -L tests/conformance, include "list_lib").
# Normalizes `cxl list -vvv` JSON (and `cxlsim list --json`, which uses the same shape) to what
# must agree between Linux and cxlsim, independent of probe order: ports are keyed by depth and
# the serials of the memdevs below them, endpoints by serial; dports and targets by port id.
# Interleave granularity is compared where interleave_ways > 1 (cxl list omits it otherwise).
def serials: [.. | objects | select(has("memdev") and (.memdev | type) == "object") | .memdev.serial] | sort;
def key: "\(.depth):\(serials | map(tostring) | join(","))";
def entries($prefix): to_entries | map(select(.key | startswith($prefix))) | map(.value[]);
def gran: if (.interleave_ways // 1) > 1 then .interleave_granularity else null end;
def targets: [(.targets // [])[] | {position, id}] | sort_by(.position);
def decoders: entries("decoders:") | sort_by(.decoder | split(".")[1] | tonumber);
def port_decoders: decoders | map({resource, size, interleave_ways, interleave_granularity: gran,
                                    state, nr_targets, targets: targets});
def endpoints($parent): entries("endpoints:")[]
  | {serial: .memdev.serial, depth, parent: $parent, pmem_size: (.memdev.pmem_size // 0),
     ram_size: (.memdev.ram_size // 0),
     decoders: (decoders | map({resource, size, interleave_ways, interleave_granularity: gran,
                                state, dpa_resource, dpa_size, mode}))};
# memdev name -> serial, from the memdev objects of the same listing.
def serial_of: [.. | objects | select(has("memdev") and (.memdev | type) == "object") | .memdev
                | {key: .memdev, value: .serial}] | from_entries;
# Regions below a root decoder; memdevs of mappings by serial (names follow probe order).
def regions($serials): entries("regions:")
  | map({resource, size, interleave_ways, interleave_granularity, decode_state,
         mappings: ([.mappings[]? | {position, serial: $serials[.memdev]}] | sort_by(.position))});
def ports: entries("ports:")[] | (key) as $k
  | ({key: $k, depth, nr_dports, dports: ([.dports[]?.id] | sort), decoders: port_decoders},
     (endpoints($k) | {endpoint: .}), ports);

def normalize:
(.[] | select(has("bus"))) as $root
| [$root | ports] as $all
| {root_dports: ([$root.dports[]?.id] | sort),
   root_decoders: ($root | decoders | map({decoder, resource, size, interleave_ways,
                                           interleave_granularity: gran, max_available_extent,
                                           pmem_capable, volatile_capable, targets: targets,
                                           regions: regions($root | serial_of)})),
   ports: ([$all[] | select(has("key"))] | sort_by(.key)),
   endpoints: ([$all[] | select(has("endpoint")) | .endpoint] | sort_by(.serial))};
# The most HDM decoders any port or endpoint of a normalized listing has.
def decoder_count: [(.ports[], .endpoints[]) | .decoders | length] | max // 0;
# Keeps the first $n decoders of every port and endpoint (QEMU 7.2 implements one per
# component; cxlsim's model has more, CXL allows 1 to 32).
def first_decoders($n): .ports[].decoders |= .[:$n] | .endpoints[].decoders |= .[:$n];
# Disabled decoders reduced to their state: after a region is destroyed Linux keeps the old
# ways, granularity and mode in an endpoint decoder's sysfs attributes, which cxlsim's fresh
# fabric (one region per listing) cannot know.
def active_decoders: (.ports[].decoders[], .endpoints[].decoders[]) |= (if .state == "disabled" then {state} else . end);
