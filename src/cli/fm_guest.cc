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
  QmpGuest(Topology guest, std::string host, vm::Qmp qmp)
      : guest_(std::move(guest)), host_(std::move(host)), qmp_(std::move(qmp)) {}

  void hot_add(unsigned vppb, const fm::LdBacking& ld) override {
    vm::hot_add_ld(qmp_, guest_, vppb, backing(ld));
  }
  void hot_remove(unsigned /*vppb*/, const fm::LdBacking& ld) override {
    vm::hot_remove_ld(qmp_, ld.id, kRemoveTimeout);
  }
  bool in_use(const fm::LdBacking& ld) override { return vm::ld_decoder_committed(qmp_, ld.id); }

 private:
  [[nodiscard]] vm::LdBacking backing(const fm::LdBacking& ld) const {
    return {ld.id, ld.path, Bytes(ld.size), vm::guest_lsa_path(ld.path, host_)};
  }

  Topology guest_;
  std::string host_;
  vm::Qmp qmp_;  // one connection for the fabric manager's one request
};
}  // namespace

fm::GuestConnector qmp_guest_connector(const Topology& pool) {
  return [pool](const std::string& host, const std::string& qmp) -> std::unique_ptr<fm::GuestPort> {
    // Connected now (a socket that is not a running guest is refused), and kept for the
    // request's operations: the fabric manager asks for a guest per request.
    return std::make_unique<QmpGuest>(vm::pool_host_guest_topology(pool, host), host,
                                      vm::Qmp::connect(qmp));
  };
}

}  // namespace cxlsim::cli
