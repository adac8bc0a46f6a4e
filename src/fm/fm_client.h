// A client of the fabric manager's socket (fm_server.h): connects, authenticates with a key when
// it has one, and sends requests one at a time. Used by `cxlsim fm`, `cxlsim vm run --fm`, the
// tests and the benchmark.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fm/cci_message.h"

namespace cxlsim::fm {

class FmClient {
 public:
  // Connects to `socket` and, when `key` is not empty, authenticates with it. Throws
  // OperationError naming the socket when it cannot connect, or naming the return code when the
  // key is refused.
  FmClient(const std::string& socket, const std::string& key);
  ~FmClient();
  FmClient(const FmClient&) = delete;
  FmClient& operator=(const FmClient&) = delete;

  // Sends one request and returns its response. Throws OperationError when the connection ends
  // before a response arrives (the server closes it after refusing an unauthenticated request:
  // then the refusal it sent is returned instead, if any).
  CciMessage request(uint16_t opcode, const std::vector<uint8_t>& payload);

  // Sends `opcode` to the device at physical port `port` through Tunnel Management Command and
  // returns the device's response (the tunnel's own failure is returned as a response with that
  // return code).
  CciMessage tunnel(unsigned port, uint16_t opcode, const std::vector<uint8_t>& payload);

  // "admin" or the host the key belongs to ("" before authentication).
  [[nodiscard]] const std::string& principal() const { return principal_; }

 private:
  int fd_ = -1;
  uint8_t tag_ = 0;
  std::string socket_;
  std::string principal_;
};

}  // namespace cxlsim::fm
