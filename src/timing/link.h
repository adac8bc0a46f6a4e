// A CXL/PCIe link between two ports, full duplex: one FIFO per direction. Requests and write
// data travel down (toward the device), read data and completions travel up. A message waits
// for the direction to be free, occupies it for its serialisation time (slots x wire bytes per
// slot / raw rate), then arrives after the port + propagation latency and one whole-flit
// accumulation (CRC is checked per flit).
#pragma once

#include <cstdint>
#include <string>

#include "spec/units.h"
#include "timing/flit.h"

namespace cxlsim::timing {

enum class Dir { kDown, kUp };

struct LinkConfig {
  unsigned lanes = 16;
  double gt_per_s = 32.0;       // per lane transfer rate (PCIe Gen5: 32 GT/s)
  double encoding = 128.0 / 130.0;  // 128b/130b for Gen3-5; 1.0 in flit mode (Gen6)
  FlitFormat flit;
  SlotCosts slots;
  Duration port_latency = Duration::ns(25);  // PHY + link layer, both ports, one way
  Duration propagation = Duration::ns(1);

  // Raw rate of one direction after line encoding.
  Bandwidth raw_rate() const;
  // Best-case payload rate of one direction for a stream of one message class.
  Bandwidth payload_rate(Msg m) const;
};

// Per-direction counters.
struct LinkStats {
  uint64_t messages = 0;
  uint64_t payload_bytes = 0;
  Duration busy;
  Duration queueing;  // summed wait before serialisation
};

// Swappable link model (e.g. a replayed curve or a credit-level model).
class LinkModel {
 public:
  virtual ~LinkModel() = default;
  // Sends `m` starting no earlier than `now` (calls per direction must come in time order);
  // returns when it is fully received at the far port.
  virtual Duration send(Dir d, Msg m, Duration now) = 0;
  virtual const LinkStats& stats(Dir d) const = 0;
  virtual const std::string& name() const = 0;
  // Latency of one message of class m on an idle link.
  virtual Duration idle_latency(Msg m) const = 0;
};

class FlitLink final : public LinkModel {
 public:
  FlitLink(std::string name, const LinkConfig& cfg);
  Duration send(Dir d, Msg m, Duration now) override;
  const LinkStats& stats(Dir d) const override { return stats_[d == Dir::kDown ? 0 : 1]; }
  const std::string& name() const override { return name_; }
  Duration idle_latency(Msg m) const override;
  const LinkConfig& config() const { return cfg_; }

 private:
  std::string name_;
  LinkConfig cfg_;
  int64_t ser_ps_[4];   // serialisation time per message class
  int64_t fixed_ps_;    // port + propagation + one flit
  int64_t free_[2] = {0, 0};
  LinkStats stats_[2];
};

}  // namespace cxlsim::timing
