#include "fabric/port.h"

#include <algorithm>

#include "spec/dvsec.h"

namespace cxlsim {

namespace {

ConfigSpace dport_config(DportKind kind, uint8_t port_number) {
  PortConfigOptions o;
  o.link.port_number = port_number;
  return kind == DportKind::kRootPort ? make_root_port_config_space(o)
                                      : make_switch_downstream_config_space(o);
}

ComponentRegisters dport_component(DportKind kind) {
  return kind == DportKind::kRootPort ? make_root_port_component_registers()
                                      : make_switch_downstream_component_registers();
}

}  // namespace

Dport::Dport(DportKind kind, std::string id, uint8_t port_number, Port* owner)
    : kind_(kind),
      id_(std::move(id)),
      port_number_(port_number),
      owner_(owner),
      config_(dport_config(kind, port_number)),
      component_(dport_component(kind)) {}

Port::Port(PortKind kind, std::string id) : kind_(kind), id_(std::move(id)) {
  if (kind_ == PortKind::kSwitch) {
    config_ = std::make_unique<ConfigSpace>(make_switch_upstream_config_space());
  }
}

Port::~Port() = default;

Dport& Port::add_dport(std::unique_ptr<Dport> d) {
  dports_.push_back(std::move(d));
  return *dports_.back();
}

Dport* Port::find_dport(uint8_t port_number) const {
  for (const auto& d : dports_) {
    if (d->port_number() == port_number) return d.get();
  }
  return nullptr;
}

void Port::finalize(unsigned decoder_count) {
  if (dports_.size() > 1) {
    unsigned targets = 1;
    while (targets < dports_.size() && targets < HdmDecoderCapability::kMaxTargets) targets *= 2;
    hdm_ = std::make_unique<HdmDecoderCapability>(HdmKind::kPort, decoder_count, targets, this);
  }
  component_ = std::make_unique<ComponentRegisters>(
      kind_ == PortKind::kHostBridge
          ? make_host_bridge_component_registers(static_cast<unsigned>(dports_.size()), hdm_.get())
          : make_switch_upstream_component_registers(hdm_.get()));
}

std::vector<uint8_t> Port::dport_numbers() const {
  std::vector<uint8_t> out;
  for (const auto& d : dports_) out.push_back(d->port_number());
  return out;
}

}  // namespace cxlsim
