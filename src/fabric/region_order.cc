#include "fabric/region_order.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>

#include "fabric/fabric.h"
#include "spec/hdm_decoder.h"
#include "spec/interleave.h"

namespace cxlsim {

namespace {

using Order = std::optional<std::vector<size_t>>;

// The interleave a port below a decoder of `parent_ways`/`parent_eig` gets with `nr` targets
// (cxl_port_setup_targets: the address bit above the parent's selection); nullopt when it
// exceeds 16 KiB ("invalid interleave").
std::optional<unsigned> port_eig(unsigned parent_ways, unsigned parent_eig, unsigned nr,
                                 bool limit) {
  unsigned eig = parent_eig;
  if (parent_ways > 1 && nr > 1) {
    const unsigned peiw = *ways_to_eiw(parent_ways);
    const unsigned eiw = *ways_to_eiw(nr);
    eig = std::max(parent_eig + peiw, eiw + parent_eig) - eiw + 1;
  }
  if (limit && eig > 6) return std::nullopt;
  return eig;
}

class Search {
 public:
  Search(const TargetOrderQuery& q) : q_(q) {}

  // `k` positions below `port`, whose parent decoder interleaves `parent_ways` at `parent_eig`.
  [[nodiscard]] Order host_port(const Port& port, unsigned k, unsigned parent_ways,
                                unsigned parent_eig) const {
    const auto dports = static_cast<unsigned>(port.dports().size());
    const unsigned max_f =
        port.hdm() ? std::min(dports, HdmDecoderCapability::kMaxTargets) : std::min(dports, 1u);
    for (unsigned f = std::bit_floor(std::min(k, std::max(max_f, 1u))); f >= 1; f /= 2) {
      if (f > max_f) continue;
      const auto eig = port_eig(parent_ways, parent_eig, f, q_.limit_granularity);
      if (!eig) continue;
      std::vector<std::vector<size_t>> children;
      for (const auto& d : port.dports()) {
        if (children.size() == f) break;
        if (auto sub = host_dport(*d, k / f, f, *eig)) children.push_back(std::move(*sub));
      }
      if (children.size() < f) continue;
      std::vector<size_t> out(k);
      for (unsigned j = 0; j < k; ++j) out[j] = children[j % f][j / f];
      return out;
    }
    return std::nullopt;
  }

 private:
  [[nodiscard]] Order host_dport(const Dport& d, unsigned k, unsigned ways, unsigned eig) const {
    if (d.child_switch()) return host_port(*d.child_switch(), k, ways, eig);
    if (d.child_memdev() && k == 1 && q_.memdev_ok(*d.child_memdev())) {
      return std::vector<size_t>{*d.child_memdev()};
    }
    return std::nullopt;
  }

  const TargetOrderQuery& q_;
};

}  // namespace

std::vector<unsigned> allowed_region_ways(unsigned window_ways) {
  std::vector<unsigned> out;
  for (unsigned w : all_ways()) {
    if (window_ways != 0 && w % window_ways == 0 && std::has_single_bit(w / window_ways)) {
      out.push_back(w);
    }
  }
  return out;
}

std::string allowed_region_ways_text(unsigned window_ways) {
  const auto ok = allowed_region_ways(window_ways);
  std::string out;
  for (size_t i = 0; i < ok.size(); ++i) {
    out += fmt::format("{}{}", i == 0 ? "" : i + 1 == ok.size() ? " or " : ", ", ok[i]);
  }
  return out;
}

std::optional<std::vector<size_t>> find_target_order(const Fabric& fabric,
                                                     const TargetOrderQuery& q) {
  const Cfmws& w = fabric.windows().at(q.window);
  const unsigned wways = w.ways();
  const auto allowed = allowed_region_ways(wways);
  if (std::find(allowed.begin(), allowed.end(), q.ways) == allowed.end()) return std::nullopt;
  const auto eig = granularity_to_eig(q.granularity);
  if (!eig) return std::nullopt;
  const unsigned k = q.ways / wways;
  // The root decoder's ways as the host bridges' arithmetic sees them (x3 windows: / 3).
  const unsigned root_ways = std::has_single_bit(wways) ? wways : wways / 3;
  const Search search(q);
  std::vector<std::vector<size_t>> per_target;
  for (const HostBridge* hb : w.targets()) {
    auto o = search.host_port(*hb, k, root_ways, *eig);
    if (!o) return std::nullopt;
    per_target.push_back(std::move(*o));
  }
  std::vector<size_t> out;
  for (unsigned p = 0; p < q.ways; ++p) out.push_back(per_target[p % wways][p / wways]);
  return out;
}

}  // namespace cxlsim
