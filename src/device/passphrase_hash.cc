#include "device/passphrase_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace cxlsim::device {

PassphraseHash PassphraseHash::with_salt(const Passphrase& p, const std::array<uint8_t, 16>& salt) {
  PassphraseHash h;
  h.salt = salt;
  if (PKCS5_PBKDF2_HMAC(reinterpret_cast<const char*>(p.data()), static_cast<int>(p.size()),
                        salt.data(), static_cast<int>(salt.size()), kIterations, EVP_sha256(),
                        static_cast<int>(h.hash.size()), h.hash.data()) != 1) {
    throw std::runtime_error("passphrase hash (PBKDF2-HMAC-SHA256) failed");
  }
  return h;
}

PassphraseHash PassphraseHash::of(const Passphrase& p) {
  std::array<uint8_t, 16> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    throw std::runtime_error("no random bytes for a passphrase salt");
  }
  return with_salt(p, salt);
}

bool PassphraseHash::matches(const Passphrase& p) const {
  const PassphraseHash other = with_salt(p, salt);
  return CRYPTO_memcmp(other.hash.data(), hash.data(), hash.size()) == 0;
}

}  // namespace cxlsim::device
