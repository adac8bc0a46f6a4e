#include "vm/qemu.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace cxlsim::vm {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::vector<std::string> qemu_argv(const BootConfig& c) {
  std::vector<std::string> argv = {c.qemu,
                                   "-accel",
                                   "tcg",
                                   "-cpu",
                                   c.cpu,
                                   "-smp",
                                   "1",
                                   "-m",
                                   c.memory,
                                   "-nodefaults",
                                   "-no-reboot",
                                   "-display",
                                   "none",
                                   "-kernel",
                                   c.kernel.string(),
                                   "-initrd",
                                   c.initrd.string(),
                                   "-append",
                                   guest_kernel_cmdline(c.mode, c.memdevs)};
  if (!c.firmware.empty()) argv.insert(argv.end(), {"-L", c.firmware.string()});
  if (!c.qmp_socket.empty()) {
    argv.insert(argv.end(), {"-qmp", "unix:" + c.qmp_socket.string() + ",server=on,wait=off"});
  }
  if (c.mode == GuestMode::shell) {
    argv.insert(argv.end(), {"-serial", "mon:stdio", "-serial", "null"});
  } else {
    argv.insert(argv.end(), {"-monitor", "none", "-serial", "file:" + c.console_log.string(),
                             "-serial", "stdio"});
  }
  argv.insert(argv.end(), c.machine_args.begin(), c.machine_args.end());
  return argv;
}

namespace {

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// QEMU's last stderr lines and the console's last lines, each under a heading; "" when both
// are empty.
std::string console_tail(const fs::path& log, const std::string& qemu_stderr) {
  std::ifstream in(log, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string tail = last_lines(ss.str(), 8);
  std::string err = last_lines(qemu_stderr, 8);
  std::string out;
  if (!err.empty()) out += "\nQEMU's stderr (last lines):\n" + err;
  if (!tail.empty()) out += "\nlast console lines (" + log.string() + "):\n" + tail;
  return out;
}

pid_t spawn(const std::vector<std::string>& argv, posix_spawn_file_actions_t* actions) {
  std::vector<char*> args;
  args.reserve(argv.size());
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  int rc = ::posix_spawnp(&pid, args[0], actions, nullptr, args.data(), environ);
  if (rc != 0) {
    throw VmError("boot guest", fmt::format("cannot run {}: {} (install Debian package "
                                            "qemu-system-x86)",
                                            argv[0], std::strerror(rc)));
  }
  return pid;
}

}  // namespace

std::string describe_qemu_exit(int wstatus) {
  if (WIFSIGNALED(wstatus)) {
    int sig = WTERMSIG(wstatus);
    const char* abbrev = ::sigabbrev_np(sig);
    return fmt::format("QEMU was killed by signal {} (SIG{}{})", sig, abbrev ? abbrev : "?",
                       WCOREDUMP(wstatus) ? ", core dumped" : "");
  }
  if (WIFEXITED(wstatus)) return fmt::format("QEMU exited with status {}", WEXITSTATUS(wstatus));
  return fmt::format("QEMU ended (wait status {:#x})", wstatus);
}

GuestResult run_guest(const BootConfig& config, const std::function<void(std::string_view)>& sink) {
  std::array<int, 2> out_pipe{};
  std::array<int, 2> err_pipe{};
  if (::pipe2(out_pipe.data(), O_CLOEXEC) != 0 || ::pipe2(err_pipe.data(), O_CLOEXEC) != 0) {
    throw VmError("boot guest", fmt::format("cannot create a pipe: {}", std::strerror(errno)));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
  auto t0 = Clock::now();
  pid_t pid = 0;
  try {
    pid = spawn(qemu_argv(config), &actions);
  } catch (...) {
    posix_spawn_file_actions_destroy(&actions);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) ::close(fd);
    throw;
  }
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);

  GuestStream stream;
  GuestResult result;
  std::string qemu_err;
  std::array<pollfd, 2> fds{pollfd{out_pipe[0], POLLIN, 0}, pollfd{err_pipe[0], POLLIN, 0}};
  int open = 2;
  bool timed_out = false;
  std::array<char, 65536> buf{};
  auto deadline = t0 + config.timeout;
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    int n = ::poll(fds.data(), fds.size(), static_cast<int>(std::min<long>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      ssize_t got = ::read(fds[i].fd, buf.data(), buf.size());
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
        continue;
      }
      std::string_view bytes(buf.data(), static_cast<std::size_t>(got));
      if (i == 1) {
        qemu_err.append(bytes);
        continue;
      }
      bool had_begun = stream.began();
      stream.feed(bytes, sink);
      if (!had_begun && stream.began()) result.boot_seconds = seconds_since(t0);
    }
  }
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  result.total_seconds = seconds_since(t0);
  if (timed_out) {
    throw VmError("boot guest",
                  fmt::format("no result after {} s (timeout); QEMU killed{}",
                              config.timeout.count(), console_tail(config.console_log, qemu_err)));
  }
  if (!stream.status()) {
    std::string when = !stream.began() ? "before the guest ran the commands"
                                       : "before the guest's commands finished";
    throw VmError("boot guest", fmt::format("{} {}{}", describe_qemu_exit(wstatus), when,
                                            console_tail(config.console_log, qemu_err)));
  }
  result.status = *stream.status();
  return result;
}

int run_interactive(const BootConfig& config) {
  pid_t pid = spawn(qemu_argv(config), nullptr);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
}

}  // namespace cxlsim::vm
