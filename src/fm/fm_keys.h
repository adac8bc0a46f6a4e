// The fabric manager's keys (docs/fm.md "Keys"): one admin key (DIR/admin.key) and one key per
// pool host (DIR/keys/HOST.key), each 32 random bytes written as 64 hex digits in a file of mode
// 0600. A connection presents one key first (Authenticate, fmapi_opcode.h); what it may then see
// and change is its principal's (fabric_manager.h).
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "fabric/topology.h"

namespace cxlsim::fm {

// Who a connection speaks for: the administrator, or one pool host.
struct Principal {
  std::string host;  // empty: the administrator
  [[nodiscard]] bool admin() const { return host.empty(); }
  [[nodiscard]] std::string name() const { return admin() ? "admin" : host; }
  bool operator==(const Principal&) const = default;
};

class KeyRing {
 public:
  // Loads the keys under `dir`, first creating (0600) each one that is missing for the admin and
  // every host of `pool`. Throws std::runtime_error naming a file that cannot be written or read.
  static KeyRing open(const std::filesystem::path& dir, const Topology& pool);

  // The principal whose key `key` is (compared in constant time), or nullopt.
  [[nodiscard]] std::optional<Principal> authenticate(std::string_view key) const;

  [[nodiscard]] static std::filesystem::path admin_key_path(const std::filesystem::path& dir);
  [[nodiscard]] static std::filesystem::path host_key_path(const std::filesystem::path& dir,
                                                           const std::string& host);

 private:
  std::map<std::string, std::string> keys_;  // principal name ("" for admin) -> key text
};

// The key in a key file (surrounding whitespace dropped). Throws ValidationError naming the file
// when it cannot be read or holds no key.
[[nodiscard]] std::string read_key_file(const std::filesystem::path& path);

}  // namespace cxlsim::fm
