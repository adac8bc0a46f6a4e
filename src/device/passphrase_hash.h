// A security passphrase as the device keeps it (Persistent Memory Data-at-rest Security,
// CXL 3.1 §8.2.9.9.6): never the secret itself but a salted PBKDF2-HMAC-SHA256 of it
// (OpenSSL), so that a saved device state does not reveal the passphrase.
#pragma once

#include <array>
#include <cstdint>

namespace cxlsim::device {

// The 32-byte passphrase field of the security commands (Tables 8-145 to 8-148).
using Passphrase = std::array<uint8_t, 32>;

struct PassphraseHash {
  static constexpr int kIterations = 4096;
  std::array<uint8_t, 16> salt{};
  std::array<uint8_t, 32> hash{};

  // A hash of `p` under a fresh random salt. Throws std::runtime_error when no random bytes
  // can be had.
  static PassphraseHash of(const Passphrase& p);
  // A hash of `p` under `salt`.
  static PassphraseHash with_salt(const Passphrase& p, const std::array<uint8_t, 16>& salt);
  // Whether `p` is the passphrase this hash was made from (constant-time comparison).
  [[nodiscard]] bool matches(const Passphrase& p) const;
  bool operator==(const PassphraseHash&) const = default;
};

}  // namespace cxlsim::device
