// CXL ports as Linux's cxl_port sees them (CXL 3.1 §9.12): an upstream-facing component (a host
// bridge or a switch upstream port) with downstream ports (dports: root ports or switch
// downstream ports) and, unless it routes pass-through, an HDM Decoder Capability whose target
// lists name dports by port number.
//
// Every port carries the registers its real counterpart has (docs/registers.md, "Where the
// registers live"): dports and switch upstream ports a PCIe configuration space with their CXL
// DVSECs (src/spec/dvsec.h) and a component register block (src/spec/component_registers.h);
// host bridges a component register block only (the CHBCR the CEDT CHBS points at). A port's
// block forwards HDM offsets to the port's own HdmDecoderCapability, which it owns and which
// therefore outlives the block.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "spec/component_registers.h"
#include "spec/config_space.h"
#include "spec/hdm_decoder.h"

namespace cxlsim {

class Port;

enum class DportKind : uint8_t { kRootPort, kSwitchDownstream };

// A downstream port. Below it is at most one of: a switch (its upstream port) or a memdev.
class Dport {
 public:
  // Builds the port's config space (root port or switch downstream port; Link Capabilities
  // Port Number = `port_number`) and its component register block (RAS, Link; no HDM).
  Dport(DportKind kind, std::string id, uint8_t port_number, Port* owner);
  virtual ~Dport() = default;
  Dport(const Dport&) = delete;
  Dport& operator=(const Dport&) = delete;

  [[nodiscard]] DportKind kind() const { return kind_; }
  [[nodiscard]] const std::string& id() const { return id_; }
  // PCIe Link Capabilities Port Number; what HDM target lists contain.
  [[nodiscard]] uint8_t port_number() const { return port_number_; }
  [[nodiscard]] Port* owner() const { return owner_; }
  [[nodiscard]] Port* child_switch() const { return child_switch_; }
  [[nodiscard]] std::optional<size_t> child_memdev() const { return child_memdev_; }
  [[nodiscard]] bool has_child() const { return child_switch_ || child_memdev_; }
  void attach(Port* sw) { child_switch_ = sw; }
  void attach(size_t memdev) { child_memdev_ = memdev; }

  ConfigSpace& config() { return config_; }
  [[nodiscard]] const ConfigSpace& config() const { return config_; }
  ComponentRegisters& component() { return component_; }
  [[nodiscard]] const ComponentRegisters& component() const { return component_; }

 private:
  DportKind kind_;
  std::string id_;
  uint8_t port_number_;
  Port* owner_;
  ConfigSpace config_;
  ComponentRegisters component_;
  Port* child_switch_ = nullptr;
  std::optional<size_t> child_memdev_;
};

enum class PortKind : uint8_t { kHostBridge, kSwitch };

class Port : public HdmDecoderContext {
 public:
  static constexpr unsigned kDefaultDecoderCount = 4;

  // A switch upstream port gets its config space here (its Link Capabilities Port Number is
  // 0: nothing above it refers to it by number).
  Port(PortKind kind, std::string id);
  ~Port() override;
  Port(const Port&) = delete;
  Port& operator=(const Port&) = delete;

  [[nodiscard]] PortKind kind() const { return kind_; }
  [[nodiscard]] const std::string& id() const { return id_; }
  // The dport this port sits below; nullptr for a host bridge.
  [[nodiscard]] Dport* parent_dport() const { return parent_; }
  void set_parent(Dport* d) { parent_ = d; }

  [[nodiscard]] const std::vector<std::unique_ptr<Dport>>& dports() const { return dports_; }
  Dport& add_dport(std::unique_ptr<Dport> d);
  [[nodiscard]] Dport* find_dport(uint8_t port_number) const;

  // Creates the HDM Decoder Capability once the dports are known: none for a port with a
  // single dport (Linux 6.1 uses a pass-through decoder for it; CXL 3.1 §9.13.1 allows it).
  // Then builds the component register block, which routes to it.
  void finalize(unsigned decoder_count = kDefaultDecoderCount);
  // nullptr when the port routes pass-through.
  HdmDecoderCapability* hdm() { return hdm_.get(); }
  [[nodiscard]] const HdmDecoderCapability* hdm() const { return hdm_.get(); }

  [[nodiscard]] std::vector<uint8_t> dport_numbers() const override;

  // PCIe configuration space: a switch upstream port's; nullptr for a host bridge (its
  // registers are found through the CEDT, not through a PCI function).
  ConfigSpace* config() { return config_.get(); }
  [[nodiscard]] const ConfigSpace* config() const { return config_.get(); }
  // The component register block; nullptr until finalize().
  ComponentRegisters* component() { return component_.get(); }
  [[nodiscard]] const ComponentRegisters* component() const { return component_.get(); }

 private:
  PortKind kind_;
  std::string id_;
  Dport* parent_ = nullptr;
  std::vector<std::unique_ptr<Dport>> dports_;
  std::unique_ptr<HdmDecoderCapability> hdm_;
  std::unique_ptr<ConfigSpace> config_;
  // Declared after hdm_: destroyed before the capability it routes to.
  std::unique_ptr<ComponentRegisters> component_;
};

}  // namespace cxlsim
