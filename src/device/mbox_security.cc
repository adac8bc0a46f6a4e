// Persistent Memory Data-at-rest Security (CXL 3.1 §8.2.9.9.6): Get Security State (4500h),
// Set Passphrase (4501h), Disable Passphrase (4502h), Unlock (4503h), Freeze Security State
// (4504h), Passphrase Secure Erase (4505h). A locked device refuses media access
// (MemdevCci::check_access) until unlocked.
#include <algorithm>

#include "device/command_table.h"
#include "device/mbox_payloads.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

constexpr uint8_t kMaster = 0;
constexpr uint8_t kUser = 1;

Passphrase passphrase_at(std::span<const uint8_t> in, const ByteField& f) {
  Passphrase p{};
  const auto bytes = f.get(in);
  std::copy_n(bytes.begin(), std::min(p.size(), bytes.size()), p.begin());
  return p;
}
using P = payload::Passphrases;

// Compares `given` with the stored passphrase, counting failures against the attempt limit.
MboxReturn check(std::optional<PassphraseHash>& stored, uint8_t& attempts,
                 const Passphrase& given) {
  if (attempts >= kPassphraseAttemptLimit) return MboxReturn::kInvalidSecurityState;
  if (!stored || !stored->matches(given)) {
    ++attempts;
    return MboxReturn::kIncorrectPassphrase;
  }
  attempts = 0;
  return MboxReturn::kSuccess;
}

MboxReturn get_security_state(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  payload::SecurityState::kState.put(out, dev.state().security.encode());
  return MboxReturn::kSuccess;
}

// Input (Table 8-145): Passphrase Type (1), reserved (1Fh), Current (20h), New (20h).
MboxReturn set_passphrase(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  auto& s = dev.state().security;
  const auto type = static_cast<uint8_t>(P::kType.get(in));
  if (type > kUser) return MboxReturn::kInvalidInput;
  if (s.frozen || (type == kUser && s.locked)) return MboxReturn::kInvalidSecurityState;
  auto& stored = type == kMaster ? s.master : s.user;
  auto& attempts = type == kMaster ? s.master_attempts : s.user_attempts;
  if (stored) {
    if (auto rc = check(stored, attempts, passphrase_at(in, P::kCurrent));
        rc != MboxReturn::kSuccess) {
      return rc;
    }
  }
  stored = PassphraseHash::of(passphrase_at(in, P::kNew));
  return MboxReturn::kSuccess;
}

// Input (Table 8-146): Passphrase Type (1), reserved (1Fh), Current (20h).
MboxReturn disable_passphrase(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  auto& s = dev.state().security;
  const auto type = static_cast<uint8_t>(P::kType.get(in));
  if (type > kUser) return MboxReturn::kInvalidInput;
  auto& stored = type == kMaster ? s.master : s.user;
  auto& attempts = type == kMaster ? s.master_attempts : s.user_attempts;
  if (s.frozen || s.locked || !stored) return MboxReturn::kInvalidSecurityState;
  if (auto rc = check(stored, attempts, passphrase_at(in, P::kCurrent));
      rc != MboxReturn::kSuccess) {
    return rc;
  }
  stored.reset();
  return MboxReturn::kSuccess;
}

// Input (Table 8-147): Current Passphrase (20h).
MboxReturn unlock(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  auto& s = dev.state().security;
  if (s.frozen || !s.locked) return MboxReturn::kInvalidSecurityState;
  if (auto rc = check(s.user, s.user_attempts, passphrase_at(in, payload::Unlock::kCurrent));
      rc != MboxReturn::kSuccess) {
    return rc;
  }
  s.locked = false;
  return MboxReturn::kSuccess;
}

MboxReturn freeze(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>&) {
  dev.state().security.frozen = true;
  return MboxReturn::kSuccess;
}

// Input (Table 8-148): Passphrase Type (1), reserved (1Fh), Current (20h). Erases user data at
// once; with the master passphrase the user passphrase is removed too. The device is unlocked.
MboxReturn passphrase_secure_erase(MemdevCci& dev, std::span<const uint8_t> in,
                                   std::vector<uint8_t>&) {
  auto& s = dev.state().security;
  const auto type = static_cast<uint8_t>(P::kType.get(in));
  if (type > kUser) return MboxReturn::kInvalidInput;
  if (s.frozen) return MboxReturn::kInvalidSecurityState;
  auto& stored = type == kMaster ? s.master : s.user;
  auto& attempts = type == kMaster ? s.master_attempts : s.user_attempts;
  if (!stored) return MboxReturn::kInvalidSecurityState;
  if (auto rc = check(stored, attempts, passphrase_at(in, P::kCurrent));
      rc != MboxReturn::kSuccess) {
    return rc;
  }
  dev.erase_user_data(false);
  if (type == kMaster) s.user.reset();
  s.locked = false;
  return MboxReturn::kSuccess;
}

}  // namespace

void add_security_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kGetSecurityState, "Get Security State", get_security_state, fixed_input(0),
               0, gate::kNone});
  t.push_back({opcode::kSetPassphrase, "Set Passphrase", set_passphrase, fixed_input(P::kSize),
               effect::kSecurityStateChange, gate::kNone});
  t.push_back({opcode::kDisablePassphrase, "Disable Passphrase", disable_passphrase,
               fixed_input(P::kSizeWithCurrent), effect::kSecurityStateChange, gate::kNone});
  t.push_back({opcode::kUnlock, "Unlock", unlock, fixed_input(payload::Unlock::kSize),
               effect::kSecurityStateChange, gate::kNone});
  t.push_back({opcode::kFreezeSecurityState, "Freeze Security State", freeze, fixed_input(0),
               effect::kSecurityStateChange, gate::kNone});
  t.push_back({opcode::kPassphraseSecureErase, "Passphrase Secure Erase", passphrase_secure_erase,
               fixed_input(P::kSizeWithCurrent),
               effect::kImmediateDataChange | effect::kSecurityStateChange, gate::kMedia});
}

}  // namespace cxlsim::device
