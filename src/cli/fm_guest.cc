#include "cli/fm_guest.h"

#include <chrono>
#include <memory>

#include "vm/pool_guest.h"
#include "vm/qmp.h"

namespace cxlsim::cli {

namespace {
// Linux cancels a removal within 5 s of the attention button, then releases the device.
constexpr std::chrono::milliseconds kRemoveTimeout(30000);

class QmpGuest : public fm::GuestPort {
 public:
  QmpGuest(Topology guest, std::string host, std::string qmp)
      : guest_(std::move(guest)), host_(std::move(host)), qmp_(std::move(qmp)) {}

  void hot_add(unsigned vppb, const fm::LdBacking& ld) override {
    auto q = vm::Qmp::connect(qmp_);
    vm::hot_add_ld(q, guest_, vppb, backing(ld));
  }
  void hot_remove(unsigned /*vppb*/, const fm::LdBacking& ld) override {
    auto q = vm::Qmp::connect(qmp_);
    vm::hot_remove_ld(q, ld.id, kRemoveTimeout);
  }
  bool in_use(const fm::LdBacking& ld) override {
    auto q = vm::Qmp::connect(qmp_);
    return vm::ld_decoder_committed(q, ld.id);
  }

 private:
  [[nodiscard]] vm::LdBacking backing(const fm::LdBacking& ld) const {
    return {ld.id, ld.path, Bytes(ld.size), vm::guest_lsa_path(ld.path, host_)};
  }

  Topology guest_;
  std::string host_;
  std::string qmp_;
};
}  // namespace

fm::GuestConnector qmp_guest_connector(const Topology& pool) {
  return [pool](const std::string& host, const std::string& qmp) -> std::unique_ptr<fm::GuestPort> {
    // Reachable now, or the attach is refused (a socket that is not a running guest).
    vm::Qmp::connect(qmp);
    return std::make_unique<QmpGuest>(vm::pool_host_guest_topology(pool, host), host, qmp);
  };
}

}  // namespace cxlsim::cli
