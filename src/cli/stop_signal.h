// How a cxlsim daemon (accel serve, fm serve) stops: SIGTERM or SIGINT sets a flag, and a watcher
// thread calls the server's stop() once it is set, so the serve loop ends and the daemon exits
// cleanly (socket removed, report printed).
#pragma once

#include <functional>
#include <thread>

namespace cxlsim::cli {

class StopSignal {
 public:
  // Installs the handlers: construct before the socket appears (a client may stop the daemon at
  // once).
  StopSignal();
  // Sets the flag and joins the watcher.
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Calls `stop` from a watcher thread when a signal arrives (or when this object is destroyed).
  void watch(std::function<void()> stop);

 private:
  std::thread watcher_;
};

}  // namespace cxlsim::cli
