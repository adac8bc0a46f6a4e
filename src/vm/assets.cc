#include "vm/assets.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace cxlsim::vm {

namespace fs = std::filesystem;

fs::path cache_root() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg != nullptr && xdg[0] == '/') return fs::path(xdg) / "cxlsim";
  const char* home = std::getenv("HOME");
  if (home != nullptr && home[0] != '\0') return fs::path(home) / ".cache" / "cxlsim";
  throw VmError("locate cache", "neither XDG_CACHE_HOME nor HOME is set");
}

std::string resolve_kernel_package(const Progress& progress, const KernelSource& source) {
  const std::string meta(source.meta_package);
  if (progress) progress(fmt::format("resolving the kernel package ({})", meta));
  std::string out = run_step("resolve kernel package", {"apt-cache", "depends", meta});
  std::istringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    auto pos = line.find("Depends: linux-image-");
    if (pos == std::string::npos) continue;
    std::string name = line.substr(pos + 9);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\r')) name.pop_back();
    if (name.find('<') == std::string::npos) return name;
  }
  throw VmError("resolve kernel package",
                fmt::format("`apt-cache depends {}` names no linux-image package (is the Debian "
                            "package index present? try apt-get update)",
                            meta));
}

Kernel kernel_in(const fs::path& dir, const std::string& package) {
  Kernel k;
  k.package = package;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir / "boot", ec)) {
    std::string name = e.path().filename().string();
    if (name.starts_with("vmlinuz-")) {
      k.image = e.path();
      k.release = name.substr(8);
    }
  }
  if (k.image.empty()) {
    throw VmError("unpack kernel package", fmt::format("{} holds no boot/vmlinuz-*", dir.string()));
  }
  k.modules = dir / "lib" / "modules" / k.release;
  if (!fs::is_directory(k.modules)) {
    throw VmError("unpack kernel package",
                  fmt::format("{} has no modules for {}", dir.string(), k.release));
  }
  return k;
}

void move_into_cache(const fs::path& from, const fs::path& to, const std::string& step) {
  std::error_code ec;
  fs::rename(from, to, ec);  // fails harmlessly when a concurrent cxlsim was first
  if (ec && !fs::is_directory(to)) {
    throw VmError(step, fmt::format("cannot create {}: {}", to.string(), ec.message()));
  }
}

std::string read_first_line(const fs::path& p) {
  std::ifstream in(p);
  std::string line;
  std::getline(in, line);
  return line;
}

bool ensure_pvh_kernel(const fs::path& image, const fs::path& out, const Progress& progress) {
  if (fs::exists(out)) return true;
  std::ifstream in(image, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string bytes = ss.str();
  struct Format {
    std::string_view magic;
    const char* tool;
  };
  using namespace std::string_view_literals;
  const Format formats[] = {{"\xFD"
                             "7zXZ\0"sv,
                             "xz"},
                            {"\x28\xB5\x2F\xFD"sv, "zstd"},
                            {"\x1F\x8B\x08\x00"sv, "gzip"}};
  fs::path tmp = out;
  tmp += fmt::format(".tmp.{}", ::getpid());
  for (const auto& f : formats) {
    auto pos = bytes.find(f.magic);
    if (pos == std::string::npos) continue;
    if (progress) {
      progress(fmt::format("decompressing the kernel for a direct (PVH) boot ({})", f.tool));
    }
    // The payload is followed by other data: the decompressor's complaint about it is expected.
    run_shell_step("decompress kernel",
                   fmt::format("tail -c +{} {} | {} -dc > {} 2>/dev/null || true", pos + 1,
                               shell_quote(image.string()), f.tool, shell_quote(tmp.string())));
    std::ifstream elf(tmp, std::ios::binary);
    char head[4] = {};
    elf.read(head, 4);
    if (elf && std::string_view(head, 4) ==
                   "\x7F"
                   "ELF") {
      fs::rename(tmp, out);
      return true;
    }
    fs::remove(tmp);
  }
  return false;
}

Kernel ensure_kernel(const fs::path& root, const Progress& progress, const KernelSource& source) {
  fs::path kdir = root / "vm" / std::string(source.cache_dir);
  std::string current = read_first_line(kdir / "current");
  if (!current.empty() && fs::is_directory(kdir / current)) {
    Kernel k = kernel_in(kdir / current, current);
    if (ensure_pvh_kernel(k.image, kdir / current / "vmlinux-pvh", progress)) {
      k.pvh = kdir / current / "vmlinux-pvh";
    }
    return k;
  }

  std::string package = resolve_kernel_package(progress, source);
  fs::path unpacked = kdir / package;
  if (!fs::is_directory(unpacked)) {
    fs::path dl = kdir / fmt::format("download.{}", ::getpid());
    fs::remove_all(dl);
    fs::create_directories(dl);
    if (progress) progress(fmt::format("downloading {} (apt-get download)", package));
    run_step("download kernel package", {"apt-get", "download", package}, dl);
    fs::path deb;
    for (const auto& e : fs::directory_iterator(dl)) {
      if (e.path().extension() == ".deb") deb = e.path();
    }
    if (deb.empty()) throw VmError("download kernel package", "apt-get download left no .deb");
    if (progress) progress(fmt::format("unpacking {} (dpkg-deb -x)", deb.filename().string()));
    fs::path tree = dl / "tree";
    run_step("unpack kernel package", {"dpkg-deb", "-x", deb.string(), tree.string()});
    move_into_cache(tree, unpacked, "unpack kernel package");
    fs::remove_all(dl);
  }
  Kernel k = kernel_in(unpacked, package);
  if (ensure_pvh_kernel(k.image, unpacked / "vmlinux-pvh", progress)) {
    k.pvh = unpacked / "vmlinux-pvh";
  }
  std::ofstream(kdir / "current") << package << "\n";
  return k;
}

}  // namespace cxlsim::vm
