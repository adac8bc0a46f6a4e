// cxlsim_conformance_decoders TOPOLOGY WINDOW WAYS GRANULARITY ID,ID,...: creates the region in
// cxlsim's fabric the way Linux 6.1 would and prints, one JSON object per line, the state of
// every decoder it committed, read back from the HDM decoder registers, in the form
// compare_decoders.sh gives Linux's sysfs state:
//   {"port":"<depth>:<serials below>","ways":W,"granularity":G,"start":S,"size":N,"targets":[..]}
//   {"endpoint":<serial>,"ways":W,"granularity":G,"start":S,"size":N,"dpa":D}
// Pass-through ports (one dport) have no registers; Linux shows a software decoder with the
// region's settings, printed here from the region. Exit 1 with Linux's reason when Linux would
// refuse the region, 2 for bad arguments.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "fabric/fabric.h"
#include "fabric/region.h"
#include "fabric/topology_loader.h"
#include "spec/units.h"

namespace {

using cxlsim::Fabric;
using cxlsim::Port;

// "<depth>:<sorted decimal serials of the memdevs below>", the key normalize_list.jq uses.
std::string port_key(const Fabric& f, const Port* port) {
  std::set<uint64_t> serials;
  unsigned depth = 0;
  for (size_t m = 0; m < f.memdev_count(); ++m) {
    auto chain = f.port_chain(m);
    for (size_t i = 0; i < chain.size(); ++i) {
      if (chain[i] == port) {
        serials.insert(f.memdev(m).serial());
        depth = static_cast<unsigned>(i + 1);
      }
    }
  }
  std::string key = std::to_string(depth) + ":";
  bool first = true;
  for (auto s : serials) {
    key += (first ? "" : ",") + std::to_string(s);
    first = false;
  }
  return key;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: cxlsim_conformance_decoders TOPOLOGY WINDOW WAYS GRANULARITY ID,...\n";
    return 2;
  }
  try {
    auto fabric = Fabric::build(cxlsim::load_valid_topology(argv[1]));
    cxlsim::RegionManager regions(*fabric);
    cxlsim::RegionRequest req;
    req.window = std::stoul(argv[2]);
    req.ways = static_cast<unsigned>(std::stoul(argv[3]));
    req.granularity = cxlsim::parse_bytes(argv[4]);
    req.targets = split(argv[5]);
    const cxlsim::Region* region = nullptr;
    try {
      region = &regions.create(req);
    } catch (const cxlsim::RegionError& e) {
      std::cout << nlohmann::json{{"rejected", e.what()}}.dump() << "\n";
      return 1;
    }
    for (const auto& pd : region->ports) {
      nlohmann::json j{{"port", port_key(*fabric, pd.port)}};
      if (pd.passthrough || pd.port->hdm() == nullptr) {
        std::vector<unsigned> targets;
        for (const auto* d : pd.targets) targets.push_back(d->port_number());
        j.update({{"ways", pd.ways},
                  {"granularity", pd.granularity.value()},
                  {"start", region->base.value()},
                  {"size", region->size.value()},
                  {"targets", targets}});
      } else {
        auto s = pd.port->hdm()->state(pd.decoder);
        std::vector<unsigned> targets(s.targets.begin(), s.targets.begin() + s.ways.value_or(0));
        j.update({{"ways", s.ways.value_or(0)},
                  {"granularity", s.granularity.value_or(cxlsim::Bytes(0)).value()},
                  {"start", s.base.value()},
                  {"size", s.size.value()},
                  {"targets", targets}});
      }
      std::cout << j.dump() << "\n";
    }
    for (const auto& t : region->targets) {
      auto s = fabric->memdev(t.memdev).hdm().state(t.decoder);
      std::cout << nlohmann::json{{"endpoint", fabric->memdev(t.memdev).serial()},
                                  {"ways", s.ways.value_or(0)},
                                  {"granularity", s.granularity.value_or(cxlsim::Bytes(0)).value()},
                                  {"start", s.base.value()},
                                  {"size", s.size.value()},
                                  {"dpa", s.dpa_base.value()}}
                       .dump()
                << "\n";
    }
  } catch (const std::exception& e) {
    std::cerr << "cxlsim_conformance_decoders: " << e.what() << "\n";
    return 2;
  }
  return 0;
}
