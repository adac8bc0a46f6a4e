// The fabric manager of a pool: answers FM-API requests (CXL 3.2 §7.6.7) for an authenticated
// principal, keeps the pool state (pool.h) durable in its state directory (pool_state_file.h)
// and hot-plugs bound LDs into the hosts' running guests (GuestPort). Transport-free: the socket
// server (fm_server.h) and the fuzz harness drive it through handle().
//
// Scope of a host's key (docs/fm.md): it may identify, list its own VCS (others read as invalid
// VCS IDs), list and release its own DC extents, read its own DC region configuration, read LD
// info of an MLD it has an LD of, and attach its own guest. Everything else (bind, unbind, LD
// allocations, DC add, other hosts) answers Invalid Security State for it.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "fabric/topology.h"
#include "fm/cci_message.h"
#include "fm/fm_keys.h"
#include "fm/pool.h"
#include "fm/pool_state_file.h"

namespace cxlsim::fm {

// The memory behind an LD that a guest maps (QEMU memory-backend-file, share=on: every host the
// LD is bound to maps the same file; each guest keeps its own label area beside it).
struct LdBacking {
  std::string id;  // QEMU device id, e.g. "mld0-ld3"
  std::filesystem::path path;
  uint64_t size = 0;
};

// A running guest of one pool host. Methods throw std::runtime_error when the guest cannot be
// reached or refuses; the fabric manager then answers an error and changes nothing.
class GuestPort {
 public:
  virtual ~GuestPort() = default;
  virtual void hot_add(unsigned vppb, const LdBacking& ld) = 0;
  virtual void hot_remove(unsigned vppb, const LdBacking& ld) = 0;
  // Whether the guest has committed an HDM decoder of the device (a region uses it).
  virtual bool in_use(const LdBacking& ld) = 0;
};
// Connects to the guest of `host` whose QMP socket is `qmp`.
using GuestConnector =
    std::function<std::unique_ptr<GuestPort>(const std::string& host, const std::string& qmp)>;

struct FabricManagerOptions {
  std::filesystem::path state_dir;  // created when missing
  GuestConnector connect_guest;     // empty: attaching a guest is refused (Unsupported)
};

class FabricManager {
 public:
  // Loads DIR/state.json (or starts empty), creates missing keys. Throws ParseError for a state
  // file the pool cannot take, std::runtime_error for I/O.
  FabricManager(const Topology& pool, FabricManagerOptions options);

  // The response to `request` from `who` (a response message with the request's tag and opcode).
  [[nodiscard]] CciMessage handle(const Principal& who, const CciMessage& request);

  [[nodiscard]] const KeyRing& keys() const { return keys_; }
  [[nodiscard]] std::filesystem::path state_path() const;
  // A copy of the pool state (for tests and `fm state`).
  [[nodiscard]] Pool pool() const;
  [[nodiscard]] LdBacking backing(const LdRef& ld) const;

 private:
  struct Reply {
    MboxReturn rc = MboxReturn::kSuccess;
    std::vector<uint8_t> payload;
  };
  using Payload = std::span<const uint8_t>;

  Reply dispatch(const Principal& who, uint16_t opcode, Payload in);
  Reply identify() const;
  Reply identify_switch() const;
  Reply vcs_info(const Principal& who, Payload in) const;
  Reply bind(const Principal& who, Payload in);
  Reply unbind(const Principal& who, Payload in);
  Reply tunnel(const Principal& who, Payload in);
  Reply device_command(const Principal& who, const std::string& device, uint16_t opcode,
                       Payload in);
  Reply ld_info(const Principal& who, const MldSpec& m) const;
  Reply get_ld_allocations(const Principal& who, const MldSpec& m, Payload in) const;
  Reply set_ld_allocations(const Principal& who, const MldSpec& m, Payload in);
  Reply dcd_info(const DcdSpec& d) const;
  Reply dc_region_config(const Principal& who, const DcdSpec& d, Payload in) const;
  Reply dc_extent_lists(const Principal& who, const DcdSpec& d, Payload in) const;
  Reply dc_add(const Principal& who, const DcdSpec& d, Payload in);
  Reply dc_release(const Principal& who, const DcdSpec& d, Payload in);
  Reply pool_names() const;
  Reply attach_guest(const Principal& who, Payload in);
  Reply pool_state() const;

  // Host ID of a DCD command as a host name the principal may use, or the refusal.
  std::optional<std::string> dcd_host(const Principal& who, uint64_t host_id, Reply* refusal) const;
  // Makes `next` the state after writing it durably; Internal Error when the write fails.
  MboxReturn commit(Pool next, GuestMap guests);
  std::unique_ptr<GuestPort> guest_of(const std::string& host) const;

  mutable std::mutex mu_;
  FabricManagerOptions options_;  // attach (C002h) with an empty QMP path detaches a guest
  KeyRing keys_;
  Pool pool_;
  GuestMap guests_;
};

}  // namespace cxlsim::fm
