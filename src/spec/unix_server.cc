#include "spec/unix_server.h"

#include <sys/socket.h>
#include <unistd.h>

#include "spec/unix_socket.h"

namespace cxlsim {

UnixServer::~UnixServer() {
  stop_ = true;
  for (auto& c : connections_) c.thread.join();
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
    ::unlink(path_.c_str());
  }
}

void UnixServer::listen(const std::string& path) {
  listen_fd_ = listen_unix(path);
  path_ = path;
}

void UnixServer::serve(const Handler& serve_one) {
  while (!stop_) {
    if (!wait_readable(listen_fd_, 100)) continue;
    const int c = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) continue;
    std::erase_if(connections_, [](Connection& k) {
      if (!k.done->load()) return false;
      k.thread.join();
      return true;
    });
    auto done = std::make_shared<std::atomic<bool>>(false);
    connections_.push_back({std::thread([&serve_one, c, done] {
                              serve_one(c);
                              *done = true;
                            }),
                            done});
  }
}

}  // namespace cxlsim
