// CXL ports as Linux's cxl_port sees them (CXL 3.1 §9.12): an upstream-facing component (a host
// bridge or a switch upstream port) with downstream ports (dports: root ports or switch
// downstream ports) and, unless it routes pass-through, an HDM Decoder Capability whose target
// lists name dports by port number.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spec/hdm_decoder.h"

namespace cxlsim {

class Port;

enum class DportKind : uint8_t { kRootPort, kSwitchDownstream };

// A downstream port. Below it is at most one of: a switch (its upstream port) or a memdev.
class Dport {
 public:
  Dport(DportKind kind, std::string id, uint8_t port_number, Port* owner)
      : kind_(kind), id_(std::move(id)), port_number_(port_number), owner_(owner) {}
  virtual ~Dport() = default;

  DportKind kind() const { return kind_; }
  const std::string& id() const { return id_; }
  // PCIe Link Capabilities Port Number; what HDM target lists contain.
  uint8_t port_number() const { return port_number_; }
  Port* owner() const { return owner_; }
  Port* child_switch() const { return child_switch_; }
  std::optional<size_t> child_memdev() const { return child_memdev_; }
  bool has_child() const { return child_switch_ || child_memdev_; }
  void attach(Port* sw) { child_switch_ = sw; }
  void attach(size_t memdev) { child_memdev_ = memdev; }

 private:
  DportKind kind_;
  std::string id_;
  uint8_t port_number_;
  Port* owner_;
  Port* child_switch_ = nullptr;
  std::optional<size_t> child_memdev_;
};

enum class PortKind : uint8_t { kHostBridge, kSwitch };

class Port : public HdmDecoderContext {
 public:
  static constexpr unsigned kDefaultDecoderCount = 4;

  Port(PortKind kind, std::string id) : kind_(kind), id_(std::move(id)) {}
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  PortKind kind() const { return kind_; }
  const std::string& id() const { return id_; }
  // The dport this port sits below; nullptr for a host bridge.
  Dport* parent_dport() const { return parent_; }
  void set_parent(Dport* d) { parent_ = d; }

  const std::vector<std::unique_ptr<Dport>>& dports() const { return dports_; }
  Dport& add_dport(std::unique_ptr<Dport> d);
  Dport* find_dport(uint8_t port_number) const;

  // Creates the HDM Decoder Capability once the dports are known: none for a port with a
  // single dport (Linux 6.1 uses a pass-through decoder for it; CXL 3.1 §9.13.1 allows it).
  void finalize(unsigned decoder_count = kDefaultDecoderCount);
  // nullptr when the port routes pass-through.
  HdmDecoderCapability* hdm() { return hdm_.get(); }
  const HdmDecoderCapability* hdm() const { return hdm_.get(); }

  std::vector<uint8_t> dport_numbers() const override;

 private:
  PortKind kind_;
  std::string id_;
  Dport* parent_ = nullptr;
  std::vector<std::unique_ptr<Dport>> dports_;
  std::unique_ptr<HdmDecoderCapability> hdm_;
};

}  // namespace cxlsim
