// A CXL Fixed Memory Window (CEDT CFMWS, CXL 3.1 §9.18.1.3): a host physical address range the
// platform routes to host bridges, interleaved across them. Linux calls it a root decoder
// (decoder0.N).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "fabric/host_bridge.h"
#include "fabric/topology.h"
#include "spec/address.h"

namespace cxlsim {

class Cfmws {
 public:
  Cfmws(WindowSpec spec, Hpa base, std::vector<HostBridge*> targets)
      : spec_(std::move(spec)), base_(base), targets_(std::move(targets)) {}

  [[nodiscard]] const std::string& id() const { return spec_.id; }
  [[nodiscard]] const WindowSpec& spec() const { return spec_; }
  [[nodiscard]] Hpa base() const { return base_; }
  [[nodiscard]] Bytes size() const { return spec_.size; }
  [[nodiscard]] Hpa end() const { return base_ + spec_.size; }
  [[nodiscard]] bool contains(Hpa hpa) const { return hpa >= base_ && hpa < end(); }
  [[nodiscard]] unsigned ways() const { return static_cast<unsigned>(targets_.size()); }
  [[nodiscard]] Bytes granularity() const { return spec_.granularity; }
  [[nodiscard]] const std::vector<HostBridge*>& targets() const { return targets_; }

  // The interleave position (index into targets()) that `hpa` routes to: the HDM decoder
  // target selection of CXL 3.1 §8.2.4.20.13 (mod 3 for 3/6/12 ways) applied to the offset
  // from the window base, as QEMU routes it (the same as absolute-HPA selection whenever the
  // base is aligned to ways x granularity).
  [[nodiscard]] unsigned position(Hpa hpa) const;

 private:
  WindowSpec spec_;
  Hpa base_;
  std::vector<HostBridge*> targets_;
};

}  // namespace cxlsim
