#include "timing/link.h"

#include <algorithm>
#include <cmath>

namespace cxlsim::timing {

Bandwidth LinkConfig::raw_rate() const {
  return Bandwidth::bytes_per_second(lanes * gt_per_s * 1e9 * encoding / 8.0);
}

Bandwidth LinkConfig::payload_rate(Msg m) const {
  double payload = (m == Msg::kRespData || m == Msg::kReqWriteData) ? 64.0 : 0.0;
  double wire = slots_of(m, slots) * flit.wire_bytes_per_slot();
  return Bandwidth::bytes_per_second(raw_rate().bytes_per_second() * payload / wire);
}

FlitLink::FlitLink(std::string name, const LinkConfig& cfg) : name_(std::move(name)), cfg_(cfg) {
  const double ps_per_byte = 1e12 / cfg_.raw_rate().bytes_per_second();
  for (Msg m : {Msg::kReqRead, Msg::kReqWriteData, Msg::kRespData, Msg::kRespNoData}) {
    double bytes = slots_of(m, cfg_.slots) * cfg_.flit.wire_bytes_per_slot();
    ser_ps_[static_cast<int>(m)] = std::llround(bytes * ps_per_byte);
  }
  fixed_ps_ = (cfg_.port_latency + cfg_.propagation).picoseconds() +
              std::llround(static_cast<double>(cfg_.flit.flit_bytes().value()) * ps_per_byte);
}

Duration FlitLink::send(Dir d, Msg m, Duration now) {
  const int i = d == Dir::kDown ? 0 : 1;
  const int64_t t = now.picoseconds();
  const int64_t start = std::max(t, free_[i]);
  const int64_t ser = ser_ps_[static_cast<int>(m)];
  free_[i] = start + ser;
  LinkStats& s = stats_[i];
  ++s.messages;
  if (m == Msg::kRespData || m == Msg::kReqWriteData) s.payload_bytes += 64;
  s.busy += Duration::ps(ser);
  s.queueing += Duration::ps(start - t);
  return Duration::ps(start + ser + fixed_ps_);
}

Duration FlitLink::idle_latency(Msg m) const {
  return Duration::ps(ser_ps_[static_cast<int>(m)] + fixed_ps_);
}

}  // namespace cxlsim::timing
