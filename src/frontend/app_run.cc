#include "frontend/app_run.h"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <memory>
#include <new>
#include <thread>

#include "spec/error.h"

namespace cxlsim::frontend {

std::string find_on_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= p.size()) {
    const size_t end = std::min(p.find(':', start), p.size());
    const std::string dir = end > start ? p.substr(start, end - start) : ".";
    std::string cand = dir;
    cand.append("/").append(name);
    struct stat st {};
    if (::stat(cand.c_str(), &st) == 0 && S_ISREG(st.st_mode) &&
        ::access(cand.c_str(), X_OK) == 0) {
      return cand;
    }
    start = end + 1;
  }
  return "";
}

std::string resolve_program(const std::string& name) {
  std::string path = find_on_path(name);
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) {
    throw ValidationError(fmt::format("program '{}' not found{}", name,
                                      name.find('/') == std::string::npos ? " on $PATH" : ""));
  }
  if (!S_ISREG(st.st_mode)) {
    throw ValidationError(fmt::format("program '{}' is not a regular file", path));
  }
  if (::access(path.c_str(), X_OK) != 0) {
    throw ValidationError(fmt::format("program '{}' is not executable", path));
  }
  std::ifstream in(path, std::ios::binary);
  Elf64_Ehdr h{};
  in.read(reinterpret_cast<char*>(&h), sizeof h);
  if (!in || std::memcmp(h.e_ident, ELFMAG, SELFMAG) != 0) {
    const bool script = h.e_ident[0] == '#' && h.e_ident[1] == '!';
    throw ValidationError(fmt::format(
        "program '{}' is not an ELF executable{}", path,
        script ? " (a script: run its interpreter, e.g. cxlsim run -- /bin/sh SCRIPT)" : ""));
  }
  if (h.e_ident[EI_CLASS] != ELFCLASS64 || h.e_machine != EM_X86_64) {
    throw ValidationError(fmt::format("program '{}' is not an x86-64 executable (ELF machine {})",
                                      path, h.e_machine));
  }
  if (h.e_type != ET_EXEC && h.e_type != ET_DYN) {
    throw ValidationError(fmt::format("program '{}' is not an executable", path));
  }
  return path;
}

namespace {

std::string plugin_arg(const AppRunSetup& s, int fd, int clocks_fd) {
  std::string a = fmt::format("{},fd={},l1={}:{},l2={}:{}", s.plugin, fd, s.core.l1d_size.value(),
                              s.core.l1d_ways, s.core.l2_size.value(), s.core.l2_ways);
  if (clocks_fd >= 0) {
    a += fmt::format(",sample={}:{}:{}:{},clocks={}", s.sampling.window_ps, s.sampling.period_ps,
                     s.sampling.warm_ps, s.ps_per_insn, clocks_fd);
  }
  return a;
}

// The threads' clocks of a sampled run, in shared memory the plugin maps too (app_sampling.h).
class SharedClocks {
 public:
  SharedClocks() {
    fd_ = ::memfd_create("cxlsim-clocks", MFD_CLOEXEC);
    if (fd_ < 0 || ::ftruncate(fd_, sizeof(AppSampleClocks)) != 0) {
      throw ValidationError(fmt::format("shared clocks: {}", std::strerror(errno)));
    }
    void* p = ::mmap(nullptr, sizeof(AppSampleClocks), PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    if (p == MAP_FAILED) {
      throw ValidationError(fmt::format("shared clocks: {}", std::strerror(errno)));
    }
    clocks_ = new (p) AppSampleClocks();
  }
  ~SharedClocks() {
    ::munmap(clocks_, sizeof(AppSampleClocks));
    ::close(fd_);
  }
  SharedClocks(const SharedClocks&) = delete;
  SharedClocks& operator=(const SharedClocks&) = delete;
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] AppSampleClocks* clocks() const { return clocks_; }

 private:
  int fd_ = -1;
  AppSampleClocks* clocks_ = nullptr;
};

}  // namespace

AppRunOutcome run_app(const AppRunSetup& s, AppModel& predicted, AppModel& baseline) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw ValidationError(fmt::format("pipe: {}", std::strerror(errno)));
  }
  ::fcntl(fds[0], F_SETPIPE_SZ, 1 << 20);
  std::unique_ptr<SharedClocks> clocks;
  if (s.sampling.enabled()) {
    clocks = std::make_unique<SharedClocks>();
    predicted.publish_clocks(clocks->clocks());
    auto ledger = std::make_shared<AppSkipLedger>();
    predicted.share_skips(ledger, false);
    baseline.share_skips(ledger, true);
  }
  const int clocks_fd = clocks ? clocks->fd() : -1;
  // Everything the child needs is built before fork (no allocation after it).
  std::vector<std::string> args = {s.qemu, "-plugin", plugin_arg(s, fds[1], clocks_fd)};
  args.insert(args.end(), s.argv.begin(), s.argv.end());
  std::vector<char*> cargs;
  cargs.reserve(args.size());
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw ValidationError(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    ::fcntl(fds[1], F_SETFD, 0);  // the plugin's end stays open across exec
    if (clocks_fd >= 0) ::fcntl(clocks_fd, F_SETFD, 0);
    ::execv(s.qemu.c_str(), cargs.data());
    const char msg[] = "cxlsim: error: cannot execute QEMU\n";
    [[maybe_unused]] const auto w = ::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  ::close(fds[1]);
  AppFeed feed(2);
  std::exception_ptr errs[3];
  AppRunOutcome out;
  std::thread reader([&] {
    try {
      read_app_stream(fds[0], feed);
    } catch (...) {
      errs[0] = std::current_exception();
    }
  });
  std::atomic<int> models_done{0};
  auto model = [&](AppModel& m, unsigned i, AppResult& r) {
    return std::thread([&, i] {
      try {
        r = m.run(feed, i);
      } catch (...) {
        errs[1 + i] = std::current_exception();
      }
      ++models_done;
    });
  };
  std::thread m0 = model(predicted, 0, out.predicted);
  std::thread m1 = model(baseline, 1, out.baseline);
  int status = 0;
  if (!s.progress) {
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  } else {
    bool running = true;
    while (running || models_done.load() < 2) {
      if (running) {
        const pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid || (w < 0 && errno != EINTR)) running = false;
      }
      s.progress(predicted.progress_ns(), baseline.progress_ns(), running);
      if (running || models_done.load() < 2) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  reader.join();
  m0.join();
  m1.join();
  ::close(fds[0]);
  if (WIFEXITED(status)) {
    out.status.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    out.status.signal = WTERMSIG(status);
    out.status.exit_code = 128 + out.status.signal;
  }
  if (out.status.exit_code == 127 && out.predicted.threads.empty()) {
    throw ValidationError(
        fmt::format("could not start '{}' (is it QEMU user mode, qemu-x86_64 7.2?)", s.qemu));
  }
  for (auto& e : errs) {
    if (e) std::rethrow_exception(e);
  }
  return out;
}

}  // namespace cxlsim::frontend
