#include "device/runtime_dir.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "spec/error.h"

namespace cxlsim::device {

std::string runtime_dir() {
  if (const char* xdg = std::getenv("XDG_RUNTIME_DIR"); xdg != nullptr && *xdg == '/') {
    return std::string(xdg) + "/cxlsim";
  }
  const char* tmp = std::getenv("TMPDIR");
  const std::string base = tmp != nullptr && *tmp == '/' ? tmp : "/tmp";
  return fmt::format("{}/cxlsim-{}", base, ::getuid());
}

void ensure_runtime_dir() {
  const std::string dir = runtime_dir();
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    throw ValidationError(fmt::format("cannot create '{}': {}", dir, std::strerror(errno)));
  }
  struct stat st {};
  if (::lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != ::getuid() ||
      (st.st_mode & 077) != 0) {
    throw ValidationError(
        fmt::format("'{}' is not a private directory of this user (mode 0700); "
                    "remove it or set XDG_RUNTIME_DIR",
                    dir));
  }
}

void ensure_runtime_dir_for(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash != std::string::npos && path.compare(0, slash, runtime_dir()) == 0 &&
      slash == runtime_dir().size()) {
    ensure_runtime_dir();
  }
}

}  // namespace cxlsim::device
