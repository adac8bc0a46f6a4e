// The accept loop every cxlsim daemon shares (the accelerator's device server, the fabric
// manager): a listening Unix socket whose connections are each served by a thread of their own,
// until stop(). Connections that ended are joined as new ones arrive, so a long-running daemon
// holds threads for live connections only.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace cxlsim {

class UnixServer {
 public:
  // Serves one connected stream until it ends or stopping(); must close fd.
  using Handler = std::function<void(int fd)>;

  UnixServer() = default;
  // Stops, joins every connection's thread, closes the socket and removes its file.
  ~UnixServer();
  UnixServer(const UnixServer&) = delete;
  UnixServer& operator=(const UnixServer&) = delete;

  // Binds and listens on `path` (unix_socket.h listen_unix; throws as it does).
  void listen(const std::string& path);
  // Accepts connections and hands each to `serve_one` on its own thread until stop().
  void serve(const Handler& serve_one);
  // From any thread (or a signal watcher): serve() returns within 100 ms, handlers should end.
  void stop() { stop_ = true; }
  [[nodiscard]] bool stopping() const { return stop_; }

 private:
  struct Connection {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;
  };
  std::atomic<bool> stop_{false};
  int listen_fd_ = -1;
  std::string path_;
  std::vector<Connection> connections_;
};

}  // namespace cxlsim
