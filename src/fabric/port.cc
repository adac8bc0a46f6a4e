#include "fabric/port.h"

#include <algorithm>

namespace cxlsim {

Dport& Port::add_dport(std::unique_ptr<Dport> d) {
  dports_.push_back(std::move(d));
  return *dports_.back();
}

Dport* Port::find_dport(uint8_t port_number) const {
  for (const auto& d : dports_)
    if (d->port_number() == port_number) return d.get();
  return nullptr;
}

void Port::finalize(unsigned decoder_count) {
  if (dports_.size() <= 1) return;
  unsigned targets = 1;
  while (targets < dports_.size() && targets < HdmDecoderCapability::kMaxTargets) targets *= 2;
  hdm_ = std::make_unique<HdmDecoderCapability>(HdmKind::kPort, decoder_count, targets, this);
}

std::vector<uint8_t> Port::dport_numbers() const {
  std::vector<uint8_t> out;
  for (const auto& d : dports_) out.push_back(d->port_number());
  return out;
}

}  // namespace cxlsim
