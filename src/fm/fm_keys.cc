#include "fm/fm_keys.h"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <array>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "device/durable_file.h"
#include "spec/error.h"

namespace cxlsim::fm {

namespace {
std::string new_key() {
  std::array<unsigned char, 32> bytes{};
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) {
    throw std::runtime_error("no random bytes for a key");
  }
  std::string hex;
  for (unsigned char b : bytes) hex += fmt::format("{:02x}", b);
  return hex;
}

std::string load_or_create(const std::filesystem::path& path) {
  if (!std::filesystem::exists(path)) {
    std::filesystem::create_directories(path.parent_path());
    device::write_file_durably(path.string(), new_key() + "\n", 0600);
  }
  return read_key_file(path);
}
}  // namespace

std::filesystem::path KeyRing::admin_key_path(const std::filesystem::path& dir) {
  return dir / "admin.key";
}

std::filesystem::path KeyRing::host_key_path(const std::filesystem::path& dir,
                                             const std::string& host) {
  return dir / "keys" / (host + ".key");
}

KeyRing KeyRing::open(const std::filesystem::path& dir, const Topology& pool) {
  KeyRing ring;
  ring.keys_[""] = load_or_create(admin_key_path(dir));
  for (const auto& h : pool.hosts) ring.keys_[h.id] = load_or_create(host_key_path(dir, h.id));
  return ring;
}

std::optional<Principal> KeyRing::authenticate(std::string_view key) const {
  std::optional<Principal> found;
  for (const auto& [name, k] : keys_) {
    // Every key is compared, each in constant time, so timing tells nothing of which matched.
    if (k.size() == key.size() && CRYPTO_memcmp(k.data(), key.data(), k.size()) == 0) {
      found = Principal{name};
    }
  }
  return found;
}

std::string read_key_file(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw ValidationError(fmt::format("key file {}: cannot be read", path.string()));
  std::stringstream ss;
  ss << in.rdbuf();
  std::string key = ss.str();
  const auto b = key.find_first_not_of(" \t\r\n");
  const auto e = key.find_last_not_of(" \t\r\n");
  if (b == std::string::npos) {
    throw ValidationError(fmt::format("key file {}: holds no key", path.string()));
  }
  return key.substr(b, e - b + 1);
}

}  // namespace cxlsim::fm
