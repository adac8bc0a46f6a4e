// The fabric manager's socket server: frames (fm_frame.h) in and out of a Unix socket, one thread
// per connection, every request answered by FabricManager::handle (which serializes them).
// A connection first authenticates (Authenticate, C000h, payload: the key text): a wrong key is
// answered Incorrect Passphrase and any other first request Invalid Security State, both with no
// payload, and the connection is then closed: nothing of the pool is seen without a key. A frame
// that does not decode (magic, version, length, category) closes the connection unanswered.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "fm/fabric_manager.h"
#include "spec/unix_server.h"

namespace cxlsim::fm {

class FmServer {
 public:
  explicit FmServer(FabricManager& fm) : fm_(fm) {}
  FmServer(const FmServer&) = delete;
  FmServer& operator=(const FmServer&) = delete;

  // Binds and listens on `path`. Throws ValidationError/OperationError naming it.
  void listen(const std::string& path) { server_.listen(path); }
  // Accepts and serves connections until stop() (from any thread).
  void serve() {
    server_.serve([this](int fd) { serve_stream(fd); });
  }
  void stop() { server_.stop(); }
  // Serves one connected stream in the calling thread until it closes; closes fd.
  void serve_stream(int fd);
  [[nodiscard]] uint64_t requests() const { return requests_; }

 private:
  FabricManager& fm_;
  std::atomic<uint64_t> requests_{0};
  UnixServer server_;  // last: destroyed first, joining the connections' threads
};

}  // namespace cxlsim::fm
