#include "fabric/fabric.h"

#include <fmt/format.h>

#include <algorithm>
#include <bit>
#include <map>
#include <set>

#include "device/memdev_state_file.h"
#include "fabric/root_port.h"
#include "fabric/switch_port.h"
#include "fabric/topology_validate.h"
#include "spec/dvsec.h"
#include "spec/error.h"
#include "spec/interleave.h"

namespace cxlsim {

namespace {

// A broken invariant of a validated topology: a bug, not bad input (exit status 70).
[[noreturn]] void unvalidated(const std::string& what) {
  throw std::logic_error("Fabric::build: topology was not validated: " + what);
}

MemdevConfig memdev_config(const Type3Spec& t, unsigned decoders) {
  MemdevConfig c;
  c.hdm_decoder_count = decoders;
  c.id = t.id;
  c.serial = t.serial;
  c.volatile_size = t.volatile_size;
  c.persistent_size = t.persistent_size;
  c.lsa_size = t.lsa_size;
  c.partitionable = t.partitionable;
  c.volatile_path = t.volatile_backing.path;
  c.persistent_path = t.persistent_backing.path;
  c.lsa_path = t.lsa_backing.path;
  c.dc_regions = t.dc_regions;
  c.dc_block_size = t.dc_block_size;
  return c;
}

// The committed decoder of `hdm` that maps `hpa` and covers all of [lo, hi).
std::optional<std::pair<unsigned, DecoderState>> find_decoder(const HdmDecoderCapability& hdm,
                                                              Hpa hpa, Hpa lo, Hpa hi) {
  for (unsigned n = 0; n < hdm.decoder_count(); ++n) {
    DecoderState s = hdm.state(n);
    if (!s.committed) break;  // decoders commit in order
    if (hpa >= s.base && hpa < s.base + s.size && s.base <= lo && s.base + s.size >= hi) {
      return std::make_pair(n, s);
    }
  }
  return std::nullopt;
}

// A Type 2 device's memory side: its HDM as one volatile partition (CXL 3.1 §8.1.3 range 1).
MemdevConfig type2_config(const Type2Spec& t, unsigned decoders) {
  MemdevConfig c;
  c.kind = DeviceKind::kType2;
  c.hdm_decoder_count = decoders;
  c.id = t.id;
  c.serial = t.serial;
  c.volatile_size = t.hdm_size;
  c.cache_size = t.cache_size;
  return c;
}

// The endpoint of memdev `m`: its config space (Type 3 memory expander, or Type 2 processing
// accelerator without memory device registers) and component block (HDM routed to the
// memdev's decoders).
Endpoint endpoint_registers(Memdev& m, size_t index, Dport* parent) {
  DeviceConfigOptions o;
  o.persistent_capacity = m.persistent_size();
  Endpoint e{index, parent, nullptr, nullptr};
  try {
    e.config =
        std::make_unique<ConfigSpace>(m.is_type2() ? make_type2_config_space(m.volatile_size(), o)
                                                   : make_type3_config_space(m.volatile_size(), o));
  } catch (const ValidationError& err) {
    throw ValidationError(
        fmt::format("{} '{}': {}", m.is_type2() ? "type2" : "memdev", m.id(), err.what()));
  }
  e.component = std::make_unique<ComponentRegisters>(make_endpoint_component_registers(m.hdm()));
  return e;
}

}  // namespace

std::unique_ptr<Fabric> Fabric::build(const Topology& topology, const FabricOptions& options) {
  // Every topology rule, checked in one place; an empty topology (local DRAM only) has nothing
  // to check and builds an empty fabric.
  if (!topology.empty()) validate_or_throw(topology);
  std::unique_ptr<Fabric> f(new Fabric(topology, options));
  f->assemble();
  f->assign_window_bases();
  f->building_ = false;
  f->recompile();
  return f;
}

void Fabric::assemble() {
  const Topology& t = topology_;
  std::map<std::string, Port*, std::less<>> ports;
  std::map<std::string, Dport*, std::less<>> dports;
  const uint64_t nr_hb = t.host_bridges.size();
  // An explicit option wins over the topology's count, which wins over cxlsim's default.
  const unsigned topology_decoders = t.hdm_decoders.value_or(FabricOptions::kDefaultHdmDecoders);
  const unsigned port_decoders = options_.port_decoders.value_or(topology_decoders);
  const unsigned endpoint_decoders = options_.endpoint_decoders.value_or(topology_decoders);
  for (const HostBridgeSpec& hb : t.host_bridges) {
    const Hpa chbcr(kHostBridgeRegisterBase +
                    (nr_hb - 1 - host_bridges_.size()) * kComponentBlockBarSize.value());
    host_bridges_.push_back(std::make_unique<HostBridge>(hb.id, hb.uid, hb.bus_nr, chbcr));
    ports[hb.id] = host_bridges_.back().get();
  }
  for (const SwitchSpec& s : t.switches) {
    switches_.push_back(std::make_unique<SwitchUpstreamPort>(s.id));
    ports[s.id] = switches_.back().get();
  }
  // References resolve and ids are unique: validate() checked both (topology_validate.h).
  auto owner_of = [&](const std::string& id, PortKind kind) {
    auto it = ports.find(id);
    if (it == ports.end() || it->second->kind() != kind) unvalidated("unknown port '" + id + "'");
    return it->second;
  };
  auto add_dport = [&](Port* owner, std::unique_ptr<Dport> d) {
    const std::string id = d->id();
    dports[id] = &owner->add_dport(std::move(d));
  };
  for (const RootPortSpec& rp : t.root_ports) {
    Port* hb = owner_of(rp.host_bridge, PortKind::kHostBridge);
    add_dport(hb, std::make_unique<RootPort>(rp.id, static_cast<uint8_t>(rp.port_number), hb));
  }
  for (const DownstreamPortSpec& dp : t.downstream_ports) {
    Port* sw = owner_of(dp.switch_id, PortKind::kSwitch);
    add_dport(sw, std::make_unique<SwitchDownstreamPort>(dp.id,
                                                         static_cast<uint8_t>(dp.port_number), sw));
  }
  auto parent_dport = [&](const std::string& parent) {
    auto it = dports.find(parent);
    if (it == dports.end() || it->second->has_child()) unvalidated("parent port '" + parent + "'");
    return it->second;
  };
  for (size_t i = 0; i < t.switches.size(); ++i) {
    Dport* d = parent_dport(t.switches[i].parent);
    d->attach(switches_[i].get());
    switches_[i]->set_parent(d);
  }
  // An endpoint below its parent port.
  auto add_endpoint = [&](const std::string& parent, const auto& config) {
    Dport* d = parent_dport(parent);
    const size_t index = memdevs_.size();
    memdevs_.push_back(std::make_unique<Memdev>(config()));
    d->attach(index);
    endpoints_.push_back(endpoint_registers(*memdevs_.back(), index, d));
  };
  for (const Type3Spec& m : t.type3) {
    add_endpoint(m.parent, [&] {
      MemdevConfig c = memdev_config(m, endpoint_decoders);
      c.map_files = options_.map_backing_files;
      c.state_path =
          device::state_path_for(m.id, m.persistent_backing.path, m.volatile_backing.path,
                                 m.lsa_backing.path, options_.state_dir);
      return c;
    });
    // The device's command state (`cxlsim mbox`: partition, poison, DC extents, ...) is its
    // truth: the fabric asks the device, it keeps no copy.
    memdevs_.back()->restore_state();
  }
  // Type 2 devices follow every Type 3 memdev, so memdev indices (and Linux's memN/endpointN
  // names) of Type 3 devices do not depend on them.
  for (const Type2Spec& a : t.type2) {
    add_endpoint(a.parent, [&] { return type2_config(a, endpoint_decoders); });
  }
  auto observe = [this](HdmDecoderCapability& hdm) {
    hdm.set_commit_observer([this](unsigned, bool) {
      if (!building_) recompile();
    });
  };
  for (auto& hb : host_bridges_) {
    hb->finalize(port_decoders);
    if (hb->hdm()) observe(*hb->hdm());
  }
  for (auto& sw : switches_) {
    sw->finalize(port_decoders);
    if (sw->hdm()) observe(*sw->hdm());
  }
  for (auto& m : memdevs_) observe(m->hdm());
  for (const WindowSpec& w : t.windows) {
    std::vector<HostBridge*> targets;
    for (const std::string& id : w.targets) {
      auto it = std::find_if(host_bridges_.begin(), host_bridges_.end(),
                             [&](const auto& hb) { return hb->id() == id; });
      if (it == host_bridges_.end()) unvalidated("window target '" + id + "'");
      targets.push_back(it->get());
    }
    windows_.emplace_back(w, Hpa(w.base.value_or(0)), std::move(targets));
  }
}

void Fabric::assign_window_bases() {
  const uint64_t align = HdmDecoderCapability::kAlign.value();
  uint64_t next = kFirstWindowBase;
  for (Cfmws& w : windows_) {
    // A given base is 256 MiB aligned (validate() checked it); a computed one is by construction.
    const uint64_t base = w.spec().base ? *w.spec().base : (next + align - 1) / align * align;
    if (base % align) unvalidated("window '" + w.id() + "' base");
    w = Cfmws(w.spec(), Hpa(base), w.targets());
    next = base + w.size().value();
  }
  for (size_t i = 0; i < windows_.size(); ++i) {
    for (size_t j = i + 1; j < windows_.size(); ++j) {
      if (windows_[i].base() < windows_[j].end() && windows_[j].base() < windows_[i].end()) {
        throw ValidationError(
            fmt::format("window '{}' overlaps window '{}'", windows_[j].id(), windows_[i].id()));
      }
    }
  }
}

std::optional<size_t> Fabric::find_memdev(std::string_view id) const {
  for (size_t i = 0; i < memdevs_.size(); ++i) {
    if (memdevs_[i]->id() == id) return i;
  }
  return std::nullopt;
}

std::vector<std::string> Fabric::memdev_path(size_t memdev) const {
  std::vector<std::string> path = {memdevs_.at(memdev)->id()};
  for (const Dport* d = endpoints_.at(memdev).parent; d; d = d->owner()->parent_dport()) {
    path.push_back(d->id());
    path.push_back(d->owner()->id());
  }
  std::reverse(path.begin(), path.end());
  return path;
}

std::vector<Port*> Fabric::port_chain(size_t memdev) const {
  std::vector<Port*> chain;
  for (const Dport* d = endpoints_.at(memdev).parent; d; d = d->owner()->parent_dport()) {
    chain.push_back(d->owner());
  }
  std::reverse(chain.begin(), chain.end());
  return chain;
}

std::vector<ComponentRegisterView> Fabric::components() const {
  std::vector<ComponentRegisterView> out;
  auto add_port = [&](const Port& p, auto& self) -> void {
    const bool hb = p.kind() == PortKind::kHostBridge;
    std::optional<Hpa> chbcr;
    if (hb) chbcr = static_cast<const HostBridge&>(p).chbcr();
    out.push_back({p.id(), hb ? ComponentKind::kHostBridge : ComponentKind::kSwitchUpstream,
                   p.config(), p.component(), p.hdm(), chbcr});
    for (const auto& d : p.dports()) {
      out.push_back({d->id(),
                     d->kind() == DportKind::kRootPort ? ComponentKind::kRootPort
                                                       : ComponentKind::kSwitchDownstream,
                     &d->config(), &d->component(), nullptr, std::nullopt});
      if (d->child_switch()) self(*d->child_switch(), self);
      if (d->child_memdev()) {
        const Endpoint& e = endpoints_[*d->child_memdev()];
        const Memdev& m = *memdevs_[e.memdev];
        out.push_back({m.id(), ComponentKind::kEndpoint, e.config.get(), e.component.get(),
                       &m.hdm(), std::nullopt});
      }
    }
  };
  for (const auto& hb : host_bridges_) add_port(*hb, add_port);
  return out;
}

std::optional<ComponentRegisterView> Fabric::find_component(std::string_view id) const {
  for (ComponentRegisterView& v : components()) {
    if (v.id == id) return std::move(v);
  }
  return std::nullopt;
}

Cedt Fabric::cedt() const {
  Cedt t;
  for (const auto& hb : host_bridges_) {
    t.structures.emplace_back(
        Chbs{hb->uid(), Chbs::kVersionCxl2, hb->chbcr(), kComponentBlockBarSize});
  }
  for (const Cfmws& w : windows_) {
    std::vector<uint32_t> uids;
    for (const HostBridge* hb : w.targets()) uids.push_back(hb->uid());
    t.structures.emplace_back(make_cfmws(w.base(), w.size(), std::move(uids), w.granularity(),
                                         w.spec().restrictions.encode()));
  }
  return t;
}

std::optional<DecodeTrace> Fabric::trace(Hpa hpa) const { return walk(hpa, hpa, hpa + Bytes(1)); }

std::optional<DecodeTrace> Fabric::walk(Hpa hpa, Hpa lo, Hpa hi) const {
  DecodeTrace t;
  auto w = std::find_if(windows_.begin(), windows_.end(),
                        [&](const Cfmws& c) { return c.contains(hpa); });
  if (w == windows_.end()) return std::nullopt;
  t.window = static_cast<size_t>(w - windows_.begin());
  const unsigned pos = w->position(hpa);
  const Port* port = w->targets()[pos];
  t.steps.push_back(
      {w->id(), std::nullopt, w->base(), w->size(), w->ways(), w->granularity(), pos, port->id()});
  for (;;) {
    const Dport* d = nullptr;
    DecodeStep step{port->id(), std::nullopt, lo, hi - lo, 1, Bytes(0), 0, ""};
    if (!port->hdm()) {
      if (port->dports().size() != 1) return std::nullopt;
      d = port->dports()[0].get();
    } else {
      auto dec = find_decoder(*port->hdm(), hpa, lo, hi);
      if (!dec) return std::nullopt;
      const DecoderState& s = dec->second;
      step.decoder = dec->first;
      step.decoder_base = s.base;
      step.decoder_size = s.size;
      step.ways = *s.ways;
      step.granularity = *s.granularity;
      step.position = interleave_target(hpa.value(), step.ways, step.granularity);
      d = port->find_dport(s.targets[step.position]);
      if (!d) return std::nullopt;
    }
    step.target = d->id();
    t.steps.push_back(std::move(step));
    if (d->child_switch()) {
      port = d->child_switch();
      continue;
    }
    if (!d->child_memdev()) return std::nullopt;
    const Memdev& m = *memdevs_[*d->child_memdev()];
    if (!m.hdm().enabled()) return std::nullopt;
    auto dec = find_decoder(m.hdm(), hpa, lo, hi);
    if (!dec) return std::nullopt;
    const DecoderState& s = dec->second;
    t.memdev = *d->child_memdev();
    t.endpoint_decoder = dec->first;
    t.endpoint_decoder_base = s.base;
    t.endpoint_decoder_size = s.size;
    t.endpoint_ways = *s.ways;
    t.endpoint_granularity = *s.granularity;
    t.dpa = s.dpa_base +
            Bytes(hpa_offset_to_dpa_offset((hpa - s.base).value(), *s.ways, *s.granularity));
    if (t.dpa >= Dpa(0) + m.dpa_span()) return std::nullopt;
    return t;
  }
}

void Fabric::recompile() {
  table_.clear();
  std::set<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& m : memdevs_) {
    for (unsigned n = 0; n < m->hdm().decoder_count(); ++n) {
      const DecoderState s = m->hdm().state(n);
      if (!s.committed) break;
      ranges.emplace(s.base.value(), s.size.value());
    }
  }
  for (const auto& range : ranges) {
    const uint64_t base = range.first, size = range.second;  // clang 14 cannot capture bindings
    auto w = std::find_if(windows_.begin(), windows_.end(), [&](const Cfmws& c) {
      return c.contains(Hpa(base)) && Hpa(base) + Bytes(size) <= c.end();
    });
    if (w != windows_.end()) compile_range(*w, Hpa(base), Bytes(size));
  }
}

void Fabric::compile_range(const Cfmws& w, Hpa base, Bytes size) {
  // Granule: the finest granularity involved; period: the least common multiple of every
  // level's ways x granularity (a power of two, times 3 if any level interleaves mod 3).
  uint64_t granule = 16384, pow2_period = 256;
  bool mod3 = false;
  auto level = [&](unsigned ways, Bytes gran) {
    granule = std::min(granule, gran.value());
    const unsigned p2 = ways % 3 == 0 ? ways / 3 : ways;
    pow2_period = std::max(pow2_period, p2 * gran.value());
    mod3 |= ways % 3 == 0;
  };
  if (w.ways() > 1) level(w.ways(), w.granularity());
  auto scan = [&](const HdmDecoderCapability& hdm) {
    for (unsigned n = 0; n < hdm.decoder_count(); ++n) {
      const DecoderState s = hdm.state(n);
      if (!s.committed) break;
      if (s.base <= base && s.base + s.size >= base + size) level(*s.ways, *s.granularity);
    }
  };
  for (const auto& hb : host_bridges_) {
    if (hb->hdm()) scan(*hb->hdm());
  }
  for (const auto& sw : switches_) {
    if (sw->hdm()) scan(*sw->hdm());
  }
  for (const auto& m : memdevs_) scan(m->hdm());
  const Hpa lo = base, hi = base + size;
  table_.add(RegionDecodeTable(base, size, Bytes(granule), Bytes(pow2_period * (mod3 ? 3 : 1)),
                               [this, lo, hi](Hpa h) -> std::optional<DecodeResult> {
                                 auto t = walk(h, lo, hi);
                                 if (!t) return std::nullopt;
                                 return DecodeResult{t->memdev, t->dpa};
                               }));
}

namespace {
// [dpa, dpa + len) ranges of `dc`'s regions that no accepted extent covers.
std::vector<std::pair<uint64_t, uint64_t>> unaccepted(const device::DynamicCapacity& dc) {
  std::vector<std::pair<uint64_t, uint64_t>> gaps;
  for (const auto& r : dc.regions) {
    uint64_t at = r.base;
    const uint64_t end = r.base + r.length;
    for (const auto& e : dc.accepted) {  // sorted by DPA, non-overlapping
      if (e.dpa + e.length <= at || e.dpa >= end) continue;
      if (e.dpa > at) gaps.emplace_back(at, e.dpa - at);
      at = std::max(at, e.dpa + e.length);
    }
    if (at < end) gaps.emplace_back(at, end - at);
  }
  return gaps;
}
}  // namespace

std::vector<MediaFault> Fabric::media_faults(Hpa base, Bytes size) const {
  std::vector<MediaFault> out;
  const auto within = [&](Hpa h) { return h >= base && h < base + size; };
  // The HPA of the first of [dpa, dpa + len)'s end lines that maps into the range.
  const auto reached = [&](size_t m, uint64_t dpa, uint64_t len) -> std::optional<Hpa> {
    for (const uint64_t d : {dpa, dpa + len - device::kPoisonGranule}) {
      const auto h = dpa_to_hpa(m, Dpa(d));
      if (h && within(*h)) return h;
    }
    return std::nullopt;
  };
  for (size_t m = 0; m < memdevs_.size(); ++m) {
    const device::MemdevCci& cci = memdevs_[m]->cci();
    const auto add = [&](uint64_t dpa, uint64_t len, device::MediaAccess what) {
      if (auto h = reached(m, dpa, len)) out.push_back({m, Dpa(dpa), Bytes(len), *h, what});
    };
    if (cci.state().security.locked || cci.media_disabled()) {
      add(0, memdevs_[m]->dpa_span().value(),
          cci.state().security.locked ? device::MediaAccess::kLocked
                                      : device::MediaAccess::kMediaDisabled);
      continue;
    }
    for (const auto& r : cci.state().poison.all()) {
      add(r.dpa, r.length, device::MediaAccess::kPoisoned);
    }
    for (const auto& [dpa, len] : unaccepted(cci.state().dc)) {
      add(dpa, len, device::MediaAccess::kNoCapacity);
    }
  }
  return out;
}

NoCapacityError Fabric::no_capacity(size_t memdev, Dpa dpa, Hpa hpa) const {
  // NOLINTNEXTLINE(modernize-return-braced-init-list): the inherited constructor is explicit
  return NoCapacityError(fmt::format(
      "memdev '{}': DPA {:#x} (HPA {:#x}) is dynamic capacity outside every accepted extent",
      memdevs_[memdev]->id(), dpa.value(), hpa.value()));
}

device::MediaAccess Fabric::read(Hpa hpa, std::span<std::byte> out) const {
  device::MediaAccess status = device::MediaAccess::kOk;
  while (!out.empty()) {
    const auto r = decode(hpa);
    if (!r) {
      throw DecodeError(
          fmt::format("HPA {:#x} is not mapped by any committed decoder", hpa.value()));
    }
    const size_t n = std::min<uint64_t>(out.size(), 256 - hpa.value() % 256);
    const auto a = memdevs_[r->memdev]->read(r->dpa, out.first(n));
    if (a == device::MediaAccess::kNoCapacity) throw no_capacity(r->memdev, r->dpa, hpa);
    if (status == device::MediaAccess::kOk) status = a;
    out = out.subspan(n);
    hpa = hpa + Bytes(n);
  }
  return status;
}

device::MediaAccess Fabric::write(Hpa hpa, std::span<const std::byte> in) {
  device::MediaAccess status = device::MediaAccess::kOk;
  while (!in.empty()) {
    const auto r = decode(hpa);
    if (!r) {
      throw DecodeError(
          fmt::format("HPA {:#x} is not mapped by any committed decoder", hpa.value()));
    }
    const size_t n = std::min<uint64_t>(in.size(), 256 - hpa.value() % 256);
    const auto a = memdevs_[r->memdev]->write(r->dpa, in.first(n));
    if (a == device::MediaAccess::kNoCapacity) throw no_capacity(r->memdev, r->dpa, hpa);
    if (status == device::MediaAccess::kOk) status = a;
    in = in.subspan(n);
    hpa = hpa + Bytes(n);
  }
  return status;
}

}  // namespace cxlsim
