// Test support (header only, for *_test.cc): rapidcheck generators of valid topologies, a
// canonical order for comparing topologies whose element order is not significant, and a fabric
// rig for region tests.
#pragma once

#include <rapidcheck.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <string>

#include "fabric/fabric.h"
#include "fabric/region.h"
#include "fabric/topology.h"

namespace cxlsim::testing {

// A fabric with the host agent that creates regions on it.
struct Rig {
  explicit Rig(const Topology& t) : fabric(Fabric::build(t)), regions(*fabric) {}
  std::unique_ptr<Fabric> fabric;
  RegionManager regions;
};

// Linux's reason for refusing `r`, or "" when the region is created.
inline std::string error_of(Rig& rig, const RegionRequest& r) {
  try {
    rig.regions.create(r);
  } catch (const RegionError& e) {
    return e.what();
  }
  return "";
}

// `qemu_form`: only what a QEMU 7.2 command line can express, in the form import produces
// (persistent capacity and an LSA on every device, backend object ids and paths set, windows
// "cfmw<N>" without base and with QEMU's 0x0f restrictions, uid == bus_nr, no Type 2, one HDM
// decoder, devices not partitionable).
inline rc::Gen<Topology> gen_valid_topology(bool qemu_form) {
  return rc::gen::exec([qemu_form] {
    Topology t;
    auto printable = rc::gen::container<std::string>(rc::gen::inRange<char>(32, 127));
    if (!qemu_form) t.name = *printable;
    if (qemu_form) {
      t.hdm_decoders = 1;
    } else if (*rc::gen::arbitrary<bool>()) {
      t.hdm_decoders = *rc::gen::element(1u, 2u, 4u, 8u, 32u);
    }
    unsigned devices = 0, switches = 0, slot = 0;
    // Attaches a device or (above depth 2, sometimes) a switch below `port`.
    std::function<void(const std::string&, int)> attach = [&](const std::string& port, int depth) {
      int what = *rc::gen::inRange(0, depth < 2 ? 4 : 3);
      if (what == 3) {
        std::string sw = "sw" + std::to_string(switches++);
        t.switches.push_back({sw, port});
        int ndp = *rc::gen::inRange(1, 4);  // 1..3: keeps every subtree within 60 buses
        for (int k = 0; k < ndp; ++k) {
          std::string dp = sw + "p" + std::to_string(k);
          t.downstream_ports.push_back({dp, sw, static_cast<unsigned>(k), 1, slot++});
          attach(dp, depth + 1);
        }
        return;
      }
      if (what == 2 && !qemu_form && *rc::gen::inRange(0, 3) == 0) {
        Type2Spec d{"acc" + std::to_string(devices), port,
                    MiB(256) * *rc::gen::inRange<uint64_t>(1, 8),
                    MiB(*rc::gen::inRange<uint64_t>(0, 64)), 1000 + devices};
        ++devices;
        t.type2.push_back(d);
        return;
      }
      Type3Spec d;
      d.id = "mem" + std::to_string(devices);
      d.parent = port;
      d.persistent_size = MiB(256) * *rc::gen::inRange<uint64_t>(qemu_form ? 1 : 0, 8);
      if (!qemu_form) {
        d.volatile_size =
            MiB(256) * *rc::gen::inRange<uint64_t>(d.persistent_size == Bytes(0) ? 1 : 0, 8);
      }
      d.lsa_size = KiB(*rc::gen::inRange<uint64_t>(qemu_form ? 1 : 0, 1024));
      d.partitionable = !qemu_form && *rc::gen::arbitrary<bool>();
      int serial_kind = *rc::gen::inRange(0, 3);
      d.serial = serial_kind == 0   ? 0
                 : serial_kind == 1 ? devices + 1
                                    : 0xfffffffffffffffeull - devices;  // above INT64_MAX
      if (qemu_form) {
        d.persistent_backing = {d.id + "-p", "/tmp/x/" + d.id + ".raw"};
        d.lsa_backing = {d.id + "-l", "/tmp/x/" + d.id + "-lsa.raw"};
      } else if (*rc::gen::arbitrary<bool>()) {
        // Any printable text, under a prefix that keeps each store's file its own (one file
        // backing two stores is an error).
        d.persistent_backing = {*printable, d.id + ".p/" + *printable};
        d.volatile_backing = {"", d.id + ".v/" + *printable};
      }
      ++devices;
      t.type3.push_back(std::move(d));
    };
    int nhb = *rc::gen::inRange(1, 5);
    for (int i = 0; i < nhb; ++i) {
      unsigned bus = 10u + 60u * static_cast<unsigned>(i);
      std::string hb = "hb" + std::to_string(i);
      t.host_bridges.push_back({hb, qemu_form ? bus : 100u + static_cast<unsigned>(i), bus});
      int nrp = *rc::gen::inRange(1, 4);
      for (int j = 0; j < nrp; ++j) {
        std::string rp = hb + "rp" + std::to_string(j);
        t.root_ports.push_back({rp, hb, static_cast<unsigned>(3 - j), 0, slot++});
        attach(rp, 0);
      }
    }
    int nwin = *rc::gen::inRange(1, 4);
    for (int w = 0; w < nwin; ++w) {
      WindowSpec win;
      win.id = qemu_form ? "cfmw" + std::to_string(w) : "win" + std::to_string(w);
      if (!qemu_form && *rc::gen::arbitrary<bool>()) {
        win.base = (uint64_t{1} << 40) * static_cast<uint64_t>(w + 1);
      }
      unsigned ways = *rc::gen::element<unsigned>(1, 2, 3, 4);
      ways = std::min<unsigned>(ways, static_cast<unsigned>(nhb));
      // CFMWS size: a multiple of 256 MiB x the interleave ways (CXL 3.1 §9.18.1.3).
      win.size = MiB(256) * ways * *rc::gen::inRange<uint64_t>(1, 256);
      for (unsigned k = 0; k < ways; ++k) {
        win.targets.push_back(
            "hb" + std::to_string((k + static_cast<unsigned>(w)) % static_cast<unsigned>(nhb)));
      }
      win.granularity = Bytes(uint64_t{256} << *rc::gen::inRange(0, 7));
      if (qemu_form) {
        win.restrictions = WindowRestrictions{true, true, true, true, false};
      } else {
        win.restrictions = WindowRestrictions{
            *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>(),
            *rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>()};
      }
      t.windows.push_back(std::move(win));
    }
    if (!qemu_form) {  // QEMU 7.2 has no link width/speed properties
      auto link = [] {
        LinkCaps c;
        if (*rc::gen::inRange(0, 3) == 0) c.width = *rc::gen::element(1u, 2u, 4u, 8u, 16u);
        if (*rc::gen::inRange(0, 3) == 0) c.speed = static_cast<LinkSpeed>(*rc::gen::inRange(1, 7));
        return c;
      };
      for (auto& e : t.root_ports) e.link = link();
      for (auto& e : t.switches) e.link = link();
      for (auto& e : t.downstream_ports) e.link = link();
      for (auto& e : t.type3) e.link = link();
      for (auto& e : t.type2) e.link = link();
    }
    return t;
  });
}

// `t` with every element list sorted by id.
inline Topology canonical(Topology t) {
  auto by_id = [](auto& v) {
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  };
  by_id(t.host_bridges);
  by_id(t.root_ports);
  by_id(t.switches);
  by_id(t.downstream_ports);
  by_id(t.type3);
  by_id(t.type2);
  return t;
}

}  // namespace cxlsim::testing
