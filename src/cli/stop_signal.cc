#include "cli/stop_signal.h"

#include <chrono>
#include <csignal>

namespace cxlsim::cli {

namespace {
volatile std::sig_atomic_t g_stop = 0;  // NOLINT: a signal handler's flag has to be global
extern "C" void on_stop_signal(int /*sig*/) { g_stop = 1; }
}  // namespace

StopSignal::StopSignal() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
}

StopSignal::~StopSignal() {
  g_stop = 1;
  if (watcher_.joinable()) watcher_.join();
}

void StopSignal::watch(std::function<void()> stop) {
  watcher_ = std::thread([stop = std::move(stop)] {
    while (g_stop == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop();
  });
}

}  // namespace cxlsim::cli
