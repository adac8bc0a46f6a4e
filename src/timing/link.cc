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
  const int64_t shortest = *std::min_element(std::begin(ser_ps_), std::end(ser_ps_));
  for (auto& tx : tx_) tx.min_gap = shortest;
}

int64_t FlitLink::Transmitter::reserve_early(int64_t t, int64_t ser, int64_t now) {
  // An earlier arrival may fit into an idle gap left before a later reservation (t < free,
  // t + ser <= gap_max_end).
  int64_t max_end = 0;
  for (int i = 0; i < kGaps; ++i) {
    const int64_t start = std::max(t, gap_start[i]);
    if (start + ser <= gap_end[i]) {
      const int64_t gs = gap_start[i];
      gap_start[i] = start + ser;  // keep the tail of the gap in place
      if (gap_end[i] - gap_start[i] < min_gap) gap_end[i] = gap_start[i] = 0;
      add_gap(gs, start, now);
      return start;
    }
    max_end = std::max(max_end, gap_end[i]);
  }
  gap_max_end = max_end;  // no gap fitted: tighten the bound so later calls skip the scan
  const int64_t start = free;
  free = start + ser;
  return start;
}

LinkStats FlitLink::stats(Dir d) const {
  const int i = d == Dir::kDown ? 0 : 1;
  LinkStats s;
  for (Msg m : {Msg::kReqRead, Msg::kReqWriteData, Msg::kRespData, Msg::kRespNoData}) {
    const uint64_t n = sent_[i][static_cast<int>(m)];
    s.messages += n;
    if (m == Msg::kRespData || m == Msg::kReqWriteData) s.payload_bytes += 64 * n;
    s.busy += Duration::ps(ser_ps_[static_cast<int>(m)] * static_cast<int64_t>(n));
  }
  s.queueing = Duration::ps(queued_ps_[i]);
  return s;
}

Duration FlitLink::idle_latency(Msg m) const {
  return Duration::ps(ser_ps_[static_cast<int>(m)] + fixed_ps_);
}

}  // namespace cxlsim::timing
