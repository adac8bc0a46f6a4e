#include "fabric/region.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <functional>
#include <set>
#include <utility>

#include "fabric/region_order.h"
#include "spec/interleave.h"

namespace cxlsim {

namespace {

constexpr uint64_t k256M = 256ull << 20;

std::string range(Hpa base, Bytes size) {
  return fmt::format("[mem {:#x}-{:#x}]", base.value(), base.value() + size.value() - 1);
}

bool is_pow2(uint64_t v) { return std::has_single_bit(v); }

// The dport of `port` on the path to memdev `m`.
const Dport* dport_below(const Fabric& f, const Port* port, size_t m) {
  for (const Dport* d = f.endpoint(m).parent; d; d = d->owner()->parent_dport()) {
    if (d->owner() == port) return d;
  }
  return nullptr;
}

}  // namespace

const char* to_string(RegionMode mode) {
  switch (mode) {
    case RegionMode::kPmem:
      return "pmem";
    case RegionMode::kRam:
      return "ram";
    case RegionMode::kDc:
      return "dc";
  }
  return "?";
}

namespace {
// The DPA partition a region of `mode` allocates from: [first, second).
std::pair<uint64_t, uint64_t> partition_of(const Memdev& m, RegionMode mode) {
  switch (mode) {
    case RegionMode::kRam:
      return {0, m.volatile_size().value()};
    case RegionMode::kPmem:
      return {m.volatile_size().value(), m.capacity().value()};
    case RegionMode::kDc:
      return {m.capacity().value(), m.dpa_span().value()};
  }
  return {0, 0};
}
}  // namespace

// Linux's per-region state while a region is assembled: cxl_region_ref per port.
struct RegionManager::Plan {
  struct Ref {
    Port* port = nullptr;
    unsigned decoder = 0;
    bool passthrough = false;
    std::vector<const Dport*> seen;     // distinct next hops: nr_targets
    std::vector<const Dport*> targets;  // filled by setup_targets: nr_targets_set
    unsigned ways = 1;
    Bytes granularity;
  };
  const RegionRequest* request = nullptr;
  const Cfmws* window = nullptr;
  Region region;
  std::map<const Port*, Ref> refs;
  std::vector<Port*> first_use;
};

RegionManager::RegionManager(Fabric& fabric) : fabric_(fabric), names_(fabric) {}

std::string RegionManager::memdev_name(size_t m) const {
  return fmt::format("{}({})", names_.memdev(m), fabric_.memdev(m).id());
}

const Region* RegionManager::find(unsigned region_id) const {
  for (const auto& r : regions_) {
    if (r->id == region_id) return r.get();
  }
  return nullptr;
}

const Region* RegionManager::region_of_endpoint_decoder(size_t memdev, unsigned n) const {
  for (const auto& r : regions_) {
    for (const RegionTarget& t : r->targets) {
      if (t.memdev == memdev && t.decoder == n) return r.get();
    }
  }
  return nullptr;
}

const Region* RegionManager::region_of_port_decoder(const Port* port, unsigned n) const {
  for (const auto& r : regions_) {
    for (const RegionPortDecoder& d : r->ports) {
      if (d.port == port && d.decoder == n) return r.get();
    }
  }
  return nullptr;
}

Bytes RegionManager::free_dpa(size_t memdev, RegionMode mode) const {
  auto [start, end] = partition_of(fabric_.memdev(memdev), mode);
  for (const auto& r : regions_) {
    for (const RegionTarget& t : r->targets) {
      if (t.memdev == memdev && r->mode == mode) {
        start = std::max(start, t.dpa_base.value() + t.dpa_size.value());
      }
    }
  }
  return Bytes(end > start ? end - start : 0);
}

std::vector<size_t> RegionManager::auto_targets(size_t window, unsigned ways, RegionMode mode,
                                                DeviceKind kind,
                                                std::optional<Bytes> granularity) const {
  return find_target_order(fabric_, order_query(window, ways, mode, kind, granularity))
      .value_or(std::vector<size_t>{});
}

TargetOrderQuery RegionManager::order_query(size_t window, unsigned ways, RegionMode mode,
                                            DeviceKind kind,
                                            std::optional<Bytes> granularity) const {
  TargetOrderQuery q;
  q.window = window;
  q.ways = ways;
  q.granularity = granularity.value_or(fabric_.windows().at(window).granularity());
  q.memdev_ok = [this, mode, kind](size_t m) {
    return fabric_.memdev(m).kind() == kind && free_dpa(m, mode).value() >= k256M;
  };
  return q;
}

std::optional<unsigned> RegionManager::free_port_decoder(const Port& port) const {
  const bool passthrough = port.hdm() == nullptr;
  const unsigned count = passthrough ? 1 : port.hdm()->decoder_count();
  for (unsigned n = 0; n < count; ++n) {
    if (!region_of_port_decoder(&port, n) && (passthrough || !port.hdm()->state(n).committed)) {
      return n;
    }
  }
  return std::nullopt;
}

Hpa RegionManager::allocate_hpa(const Cfmws& w, Bytes size) const {
  // alloc_free_mem_region(): candidates ascend from the 256 MiB aligned window base in steps
  // of the requested size; the first that intersects no region is taken.
  uint64_t addr = (w.base().value() + k256M - 1) / k256M * k256M;
  for (; addr + size.value() <= w.end().value(); addr += size.value()) {
    bool busy = false;
    for (const auto& r : regions_) {
      busy |= r->base.value() < addr + size.value() && addr < r->end().value();
    }
    if (!busy) return Hpa(addr);
  }
  throw RegionError(
      fmt::format("{}: failed to allocate HPA: no free {:#x} bytes in {}",
                  names_.root_decoder(static_cast<size_t>(&w - fabric_.windows().data())),
                  size.value(), range(w.base(), w.size())));
}

std::vector<size_t> RegionManager::resolve_targets(const RegionRequest& r, Plan& plan) const {
  std::vector<size_t> out;
  if (r.targets.empty()) {
    out = auto_targets(r.window, r.ways, r.mode, r.kind, r.granularity);
    if (out.size() < r.ways) {
      const Cfmws& w = fabric_.windows().at(r.window);
      size_t eligible = 0;
      for (size_t m = 0; m < fabric_.memdev_count(); ++m) {
        const auto& hbs = w.targets();
        const bool below =
            std::find(hbs.begin(), hbs.end(), fabric_.port_chain(m).front()) != hbs.end();
        eligible +=
            below && fabric_.memdev(m).kind() == r.kind && free_dpa(m, r.mode).value() >= k256M;
      }
      const char* what = r.kind == DeviceKind::kType2 ? "Type 2 devices" : "memdevs";
      if (eligible < r.ways) {
        throw RegionError(fmt::format(
            "{}: a {}-way region needs {} {} with free {} capacity below the "
            "window's host bridges; there are {}",
            names_.root_decoder(r.window), r.ways, r.ways, what, to_string(r.mode), eligible));
      }
      TargetOrderQuery q = order_query(r.window, r.ways, r.mode, r.kind, r.granularity);
      q.limit_granularity = false;
      if (find_target_order(fabric_, q)) {
        throw RegionError(fmt::format(
            "{}: invalid interleave: every order of the {} {} gives a port a "
            "granularity above 16 KiB ({} ways at {} B)",
            names_.root_decoder(r.window), eligible, what, r.ways, q.granularity.value()));
      }
      throw RegionError(fmt::format(
          "{}: no order of the {} {} with free {} capacity below the window's host bridges meets "
          "Linux's rules for {} ways (position p below host bridge p mod {}; at every port a "
          "power-of-2 number of dports, positions sharing a dport nr_targets "
          "apart; port granularity at most 16 KiB)",
          names_.root_decoder(r.window), eligible, what, to_string(r.mode), r.ways, w.ways()));
    }
    plan.region.kind = r.kind;
    return out;
  }
  if (r.targets.size() != r.ways) {
    throw ValidationError(
        fmt::format("{} targets given for a {}-way region", r.targets.size(), r.ways));
  }
  for (const auto& target : r.targets) {
    const size_t m = resolve_memdev(fabric_.topology(), target);
    auto dup = std::find(out.begin(), out.end(), m);
    if (dup != out.end()) {
      throw RegionError(
          fmt::format("{} already specified at position {}", memdev_name(m), dup - out.begin()));
    }
    out.push_back(m);
  }
  // One region, one kind of memory (Linux: cxl_region type vs the endpoint decoder's).
  plan.region.kind = fabric_.memdev(out[0]).kind();
  for (size_t m : out) {
    if (fabric_.memdev(m).kind() != plan.region.kind) {
      throw RegionError(
          fmt::format("{} and {} cannot share a region: Type 2 (device-coherent) and Type 3 "
                      "(host-only coherent) memory do not mix",
                      memdev_name(out[0]), memdev_name(m)));
    }
  }
  return out;
}

void RegionManager::check_restrictions(const Plan& plan) const {
  const Region& reg = plan.region;
  const WindowRestrictions& allowed = plan.window->spec().restrictions;
  const std::string root = names_.root_decoder(reg.window);
  const RegionTarget& first = reg.targets.front();
  if (reg.kind == DeviceKind::kType2) {
    if (!allowed.type2) {
      throw RegionError(
          fmt::format("{}: window '{}' does not allow Type 2 (device-coherent) memory: its CFMWS "
                      "restrictions lack type2 (bit 0); {} is a Type 2 device",
                      root, plan.window->id(), memdev_name(first.memdev)));
    }
    if (reg.mode != RegionMode::kRam) {
      throw RegionError(fmt::format("{} is a Type 2 device: its memory is volatile, use mode=ram",
                                    memdev_name(first.memdev)));
    }
  } else if (!allowed.type3) {
    throw RegionError(
        fmt::format("{}: window '{}' does not allow Type 3 (host-only coherent) memory: its CFMWS "
                    "restrictions lack type3 (bit 1)",
                    root, plan.window->id()));
  }
}

void RegionManager::allocate_dpa(Plan& plan) const {
  Region& reg = plan.region;
  const Bytes dpa_size = reg.size / reg.ways;
  for (RegionTarget& t : reg.targets) {
    const Memdev& m = fabric_.memdev(t.memdev);
    const HdmDecoderCapability& hdm = m.hdm();
    std::optional<unsigned> free;
    for (unsigned n = 0; n < hdm.decoder_count() && !free; ++n) {
      if (!region_of_endpoint_decoder(t.memdev, n) && !hdm.state(n).committed) free = n;
    }
    if (!free) {
      throw RegionError(fmt::format("{}: no decoder available", names_.endpoint(t.memdev)));
    }
    t.decoder = *free;
    const Bytes avail = free_dpa(t.memdev, reg.mode);
    if (avail < dpa_size) {
      throw RegionError(fmt::format("{}: {} capacity {:#x} free, {:#x} needed",
                                    memdev_name(t.memdev), to_string(reg.mode), avail.value(),
                                    dpa_size.value()));
    }
    const uint64_t part_end = partition_of(m, reg.mode).second;
    uint64_t start = part_end - avail.value();
    uint64_t prev_end = 0;  // DPA end of the decoders below this one
    for (const auto& r : regions_) {
      for (const RegionTarget& o : r->targets) {
        if (o.memdev == t.memdev && o.decoder < t.decoder) {
          prev_end = std::max(prev_end, o.dpa_base.value() + o.dpa_size.value());
        }
      }
    }
    if (start < prev_end) {
      throw RegionError(fmt::format(
          "{}: {} allocation at DPA {:#x} is below the previous decoder's end {:#x}",
          names_.endpoint_decoder(t.memdev, t.decoder), to_string(reg.mode), start, prev_end));
    }
    t.dpa_base = Dpa(start);
    t.dpa_size = dpa_size;
    t.dpa_skip = Bytes(start - prev_end);
  }
}

void RegionManager::attach(Plan& plan) const {
  Region& reg = plan.region;
  const Cfmws& w = *plan.window;
  const std::string root = names_.root_decoder(reg.window);
  for (const RegionTarget& t : reg.targets) {
    const std::string who =
        fmt::format("{}:{}", memdev_name(t.memdev), names_.endpoint_decoder(t.memdev, t.decoder));
    const std::vector<Port*> chain = fabric_.port_chain(t.memdev);
    const auto& hbs = w.targets();
    if (std::find(hbs.begin(), hbs.end(), chain.front()) == hbs.end()) {
      throw RegionError(fmt::format("{} invalid target for {}", who, root));
    }
    if (hbs[t.position % w.ways()] != chain.front()) {
      throw RegionError(fmt::format("{} invalid target position for {}", who, root));
    }
    auto order_check = [&](const std::string& port_name, auto uses) {
      for (const auto& r : regions_) {
        if (uses(*r) && r->base > reg.base) {
          throw RegionError(fmt::format("{}: HPA order violation region{}:{} vs {}", port_name,
                                        r->id, range(r->base, r->size), range(reg.base, reg.size)));
        }
      }
    };
    order_check(names_.endpoint(t.memdev), [&](const Region& r) {
      return std::any_of(r.targets.begin(), r.targets.end(),
                         [&](const RegionTarget& o) { return o.memdev == t.memdev; });
    });
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      Port* port = *it;
      const Dport* d = dport_below(fabric_, port, t.memdev);
      auto ref = plan.refs.find(port);
      if (ref != plan.refs.end()) {
        if (std::find(ref->second.seen.begin(), ref->second.seen.end(), d) ==
            ref->second.seen.end()) {
          ref->second.seen.push_back(d);
        }
        continue;
      }
      order_check(names_.port(port), [&](const Region& r) {
        return std::any_of(r.ports.begin(), r.ports.end(),
                           [&](const RegionPortDecoder& u) { return u.port == port; });
      });
      Plan::Ref nr;
      nr.port = port;
      nr.passthrough = port->hdm() == nullptr;
      const std::optional<unsigned> free = free_port_decoder(*port);
      if (!free) throw RegionError(fmt::format("{}: no decoder available", names_.port(port)));
      nr.decoder = *free;
      nr.seen.push_back(d);
      plan.refs.emplace(port, std::move(nr));
    }
  }
}

void RegionManager::setup_targets(Plan& plan) const {
  Region& reg = plan.region;
  for (const RegionTarget& t : reg.targets) {
    const std::vector<Port*> chain = fabric_.port_chain(t.memdev);
    for (size_t level = 0; level < chain.size(); ++level) {
      Port* port = chain[level];
      Plan::Ref& ref = plan.refs.at(port);
      const Dport* d = dport_below(fabric_, port, t.memdev);
      const std::string pname = names_.port(port);
      const auto nr = static_cast<unsigned>(ref.seen.size());
      if (!is_pow2(nr)) throw RegionError(fmt::format("{}: invalid target count {}", pname, nr));
      if (!ref.targets.empty()) {
        // Positions that share a dport are `distance` apart: the product of nr_targets from
        // this port up to the root, times the root decoder's ways. This is Linux 6.1.y
        // stable (as Debian 12's 6.1.192 behaves in tests/conformance: an 8-way region over a
        // 2-way host bridge and two 4-way switches puts positions 0 and 2 on one root port);
        // 6.1.0 used ways / nr_targets, 0 for pass-through.
        unsigned distance = plan.window->ways();
        for (size_t k = 0; k <= level; ++k) {
          distance *= static_cast<unsigned>(plan.refs.at(chain[k]).seen.size());
        }
        if (std::find(ref.targets.begin(), ref.targets.end(), d) != ref.targets.end()) {
          const std::string who = fmt::format("{}:{}", memdev_name(t.memdev),
                                              names_.endpoint_decoder(t.memdev, t.decoder));
          if (t.position < distance) {
            throw RegionError(fmt::format("{}: cannot host {} at {}", pname, who, t.position));
          }
          const RegionTarget& peer = reg.targets[t.position - distance];
          if (dport_below(fabric_, port, peer.memdev) != d) {
            throw RegionError(fmt::format("{}: {} pos {} mismatched peer {}:{}", pname, who,
                                          t.position, memdev_name(peer.memdev),
                                          names_.endpoint_decoder(peer.memdev, peer.decoder)));
          }
          continue;
        }
      } else {
        unsigned parent_iw;
        Bytes parent_ig;
        if (level == 0) {
          // The root decoder's granularity is the region's whenever the window interleaves
          // (6.1.y stable, "Fix x1 root-decoder granularity calculations"); power-of-2
          // arithmetic is used for the ports below a x3/x6/x12 window.
          parent_ig = reg.granularity;
          parent_iw = plan.window->ways();
          if (!is_pow2(parent_iw)) parent_iw /= 3;
        } else {
          const Plan::Ref& parent = plan.refs.at(chain[level - 1]);
          parent_ig = parent.granularity;
          parent_iw = parent.ways;
        }
        const unsigned peig = *granularity_to_eig(parent_ig);
        const unsigned peiw = *ways_to_eiw(parent_iw);
        const unsigned eiw = *ways_to_eiw(nr);
        unsigned eig = peig;
        if (parent_iw > 1 && nr > 1) {
          const unsigned address_bit = std::max(peig + peiw, eiw + peig);
          eig = address_bit - eiw + 1;
        }
        if (eig > 6) {
          throw RegionError(fmt::format("{}: invalid interleave: {}", pname, 256u << eig));
        }
        ref.ways = nr;
        ref.granularity = Bytes(256ull << eig);
        plan.first_use.push_back(port);
      }
      if (ref.targets.size() == nr) {
        throw RegionError(fmt::format("{}: targets full trying to add {} at {}", pname,
                                      memdev_name(t.memdev), t.position));
      }
      ref.targets.push_back(d);
    }
  }
  for (Port* p : plan.first_use) {
    const Plan::Ref& ref = plan.refs.at(p);
    reg.ports.push_back({p, ref.decoder, ref.passthrough, ref.ways, ref.granularity, ref.targets});
  }
}

void RegionManager::program_and_commit(Plan& plan) {
  Region& reg = plan.region;
  // Target Device Type (CXL 3.1 §8.2.4.20.7): HDM-D for Type 2 memory, HDM-H for Type 3.
  const HdmTargetType type =
      reg.kind == DeviceKind::kType2 ? HdmTargetType::kDeviceCoherent : HdmTargetType::kHostOnly;
  for (const RegionTarget& t : reg.targets) {
    HdmDecoderCapability& hdm = fabric_.memdev(t.memdev).hdm();
    if (!hdm.enabled()) hdm.set_enabled(true);
    DecoderSettings s;
    s.base = reg.base;
    s.size = reg.size;
    s.ways = reg.ways;
    s.granularity = reg.granularity;
    s.dpa_skip = t.dpa_skip;
    s.target_type = type;
    hdm.program(t.decoder, s);
  }
  for (const RegionPortDecoder& u : reg.ports) {
    if (u.passthrough) continue;
    DecoderSettings s;
    s.base = reg.base;
    s.size = reg.size;
    s.ways = u.ways;
    s.granularity = u.granularity;
    for (const Dport* d : u.targets) s.targets.push_back(d->port_number());
    s.target_type = type;
    u.port->hdm()->program(u.decoder, s);
  }
  // cxl_region_decode_commit(): per position, bottom up (endpoint, switches, host bridge).
  std::vector<std::pair<HdmDecoderCapability*, unsigned>> committed;
  auto commit = [&](HdmDecoderCapability& hdm, unsigned n, const std::string& name) {
    if (hdm.state(n).committed) return;
    if (!hdm.commit(n)) {
      // A copy: the decommits below may set the decoder's last error again.
      // NOLINTNEXTLINE(performance-unnecessary-copy-initialization)
      const std::string why = hdm.last_error();
      for (auto it = committed.rbegin(); it != committed.rend(); ++it) {
        it->first->decommit(it->second);
      }
      throw RegionError(fmt::format("{}: commit failed: {}", name, why));
    }
    committed.emplace_back(&hdm, n);
  };
  for (const RegionTarget& t : reg.targets) {
    commit(fabric_.memdev(t.memdev).hdm(), t.decoder, names_.endpoint_decoder(t.memdev, t.decoder));
    const std::vector<Port*> chain = fabric_.port_chain(t.memdev);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      const Plan::Ref& ref = plan.refs.at(*it);
      if (!ref.passthrough) {
        commit(*(*it)->hdm(), ref.decoder, names_.port_decoder(*it, ref.decoder));
      }
    }
  }
}

const Region& RegionManager::create(const RegionRequest& r) {
  if (r.window >= fabric_.windows().size()) {
    throw ValidationError(
        fmt::format("window {} does not exist ({} windows)", r.window, fabric_.windows().size()));
  }
  Plan plan;
  plan.request = &r;
  plan.window = &fabric_.windows()[r.window];
  const Cfmws& w = *plan.window;
  const std::string root = names_.root_decoder(r.window);
  // Dynamic capacity is volatile memory (QEMU's volatile-dc-memdev): a window allowing volatile.
  if ((r.mode == RegionMode::kPmem && !w.spec().restrictions.persistent) ||
      (r.mode != RegionMode::kPmem && !w.spec().restrictions.volatile_)) {
    throw RegionError(fmt::format("{}: window does not allow {} regions", root, to_string(r.mode)));
  }
  // interleave_ways_store(): a valid encoding and a power-of-2 multiple of the window's ways.
  if (const auto ok = allowed_region_ways(w.ways());
      std::find(ok.begin(), ok.end(), r.ways) == ok.end()) {
    throw RegionError(fmt::format(
        "invalid interleave: {}: {} interleaves {} host bridge{}, so region ways "
        "must be {}",
        r.ways, root, w.ways(), w.ways() == 1 ? "" : "s", allowed_region_ways_text(w.ways())));
  }
  // interleave_granularity_store(): equal to the window's when the window interleaves.
  const Bytes gran = r.granularity.value_or(w.granularity());
  if (!granularity_to_eig(gran)) {
    throw RegionError(fmt::format("invalid interleave granularity: {}", gran.value()));
  }
  if (w.ways() > 1 && gran != w.granularity()) {
    throw RegionError(
        fmt::format("invalid interleave granularity: {} ({} interleaves {} host bridges at {})",
                    gran.value(), root, w.ways(), w.granularity().value()));
  }
  const std::vector<size_t> memdevs = resolve_targets(r, plan);
  Region& reg = plan.region;
  reg.window = r.window;
  reg.ways = r.ways;
  reg.granularity = gran;
  reg.mode = r.mode;
  for (unsigned p = 0; p < r.ways; ++p) {
    reg.targets.push_back(RegionTarget{p, memdevs[p], 0, Dpa(0), Bytes(0), Bytes(0)});
  }
  check_restrictions(plan);
  if (r.size) {
    if (r.size->value() == 0 || r.size->value() % (k256M * r.ways)) {
      throw RegionError(fmt::format("region size {:#x} is not a nonzero multiple of {} x 256 MiB",
                                    r.size->value(), r.ways));
    }
    reg.size = *r.size;
  } else {
    uint64_t per = ~0ull;
    for (size_t m : memdevs) per = std::min(per, free_dpa(m, r.mode).value() / k256M * k256M);
    if (per == 0) {
      throw RegionError(
          fmt::format("no free {} capacity on the selected memdevs", to_string(r.mode)));
    }
    reg.size = Bytes(per * r.ways);
    const uint64_t window_cap = w.size().value() / (k256M * r.ways) * (k256M * r.ways);
    if (reg.size.value() > window_cap) reg.size = Bytes(window_cap);
  }
  reg.base = allocate_hpa(w, reg.size);
  allocate_dpa(plan);
  attach(plan);
  setup_targets(plan);
  unsigned id = 0;
  while (find(id)) ++id;
  reg.id = id;
  program_and_commit(plan);
  regions_.push_back(std::make_unique<Region>(std::move(reg)));
  return *regions_.back();
}

void RegionManager::destroy(unsigned region_id) {
  auto it = std::find_if(regions_.begin(), regions_.end(),
                         [&](const auto& r) { return r->id == region_id; });
  if (it == regions_.end()) throw RegionError(fmt::format("region{} does not exist", region_id));
  const Region& reg = **it;
  // cxl_decoder_reset() refuses anything but the highest committed decoder of a port.
  auto check = [&](const HdmDecoderCapability& hdm, unsigned n, const std::string& name,
                   auto decoder_name) {
    const unsigned end = hdm.committed_count();
    if (hdm.state(n).committed && end != n + 1) {
      throw RegionError(
          fmt::format("{}: out of order reset, expected {}", name, decoder_name(end - 1)));
    }
  };
  for (const RegionPortDecoder& u : reg.ports) {
    if (!u.passthrough) {
      check(*u.port->hdm(), u.decoder, names_.port_decoder(u.port, u.decoder),
            [&](unsigned n) { return names_.port_decoder(u.port, n); });
    }
  }
  for (const RegionTarget& t : reg.targets) {
    check(fabric_.memdev(t.memdev).hdm(), t.decoder, names_.endpoint_decoder(t.memdev, t.decoder),
          [&](unsigned n) { return names_.endpoint_decoder(t.memdev, n); });
  }
  // cxl_region_decode_reset(): positions last to first, each from the host bridge down.
  for (auto t = reg.targets.rbegin(); t != reg.targets.rend(); ++t) {
    for (Port* port : fabric_.port_chain(t->memdev)) {
      for (const RegionPortDecoder& u : reg.ports) {
        if (u.port == port && !u.passthrough && port->hdm()->state(u.decoder).committed) {
          port->hdm()->decommit(u.decoder);
        }
      }
    }
    fabric_.memdev(t->memdev).hdm().decommit(t->decoder);
  }
  regions_.erase(it);
}

}  // namespace cxlsim
