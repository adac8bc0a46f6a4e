// The search for a region's target order: which memdev takes each interleave position so that
// Linux 6.1.y accepts the region (drivers/cxl/core/region.c: cxl_region_attach position checks,
// cxl_port_attach_region, cxl_port_setup_targets with check_last_peer). RegionManager applies
// the same rules when it creates a region; this finds an order whenever one exists.
//
// What the rules leave as choices: position p goes below window target p mod W (W = window
// ways). A port hosting k positions (an arithmetic progression, every D-th position) uses
// f = nr_targets dports, f a power of 2 (pass-through ports: 1); a dport's positions must each
// be `distance` = D x f after the previous one there (check_last_peer, 6.1.y), so dport i of f
// hosts the positions with index i mod f and k / f positions each. The ports' interleave
// granularities follow from the f along the path and must stay encodable (<= 16 KiB). Decoder
// availability and HPA order are not searched: create() reports them as Linux does. Subtrees
// are independent, so choosing, for each f from the widest, the first f dports (topology order)
// whose subtrees can host k / f positions is complete: it fails only where every order fails.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "spec/units.h"

namespace cxlsim {

class Fabric;

struct TargetOrderQuery {
  size_t window = 0;
  unsigned ways = 1;
  Bytes granularity;                             // the region's
  std::function<bool(size_t memdev)> memdev_ok;  // may take a position (kind, free capacity)
  // false: ignore the 16 KiB limit on port granularities (to tell whether it is the reason).
  bool limit_granularity = true;
};

// The region ways a window over `window_ways` targets allows, ascending (interleave_ways_store():
// an encodable ways value that is window ways x a power of 2): 1, 2, 4, 8, 16 for one host
// bridge; 3, 6, 12 for three.
std::vector<unsigned> allowed_region_ways(unsigned window_ways);
// The same list for messages: "1, 2, 4, 8 or 16".
std::string allowed_region_ways_text(unsigned window_ways);

// Memdevs in position order, or nullopt when no order satisfies the rules (including ways
// that are not the window's ways x a power of 2, or an unencodable granularity).
std::optional<std::vector<size_t>> find_target_order(const Fabric& fabric,
                                                     const TargetOrderQuery& query);

}  // namespace cxlsim
