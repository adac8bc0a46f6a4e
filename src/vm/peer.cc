#include "vm/peer.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <charconv>
#include <fstream>

#include "spec/error.h"
#include "vm/assets.h"

namespace cxlsim::vm {

namespace fs = std::filesystem;

namespace {

constexpr std::array<Peer, 2> kPeers = {
    Peer{PeerKind::qemu72_linux61, "qemu-7.2+linux-6.1", 7, "6.1", "", KernelSource{},
         QemuTarget::v7_2, "max"},
    Peer{PeerKind::qemu10_linux612, "qemu-10.0+linux-6.12", 10, "6.12", "bookworm-backports",
         KernelSource{"linux-image-amd64/bookworm-backports", "kernel-6.12"}, QemuTarget::v10_0,
         "max,hypervisor=off"}};

// The QEMU packages a non-system peer unpacks: the binary, its shared modules, its firmware.
constexpr std::array<std::string_view, 3> kQemuPackages = {"qemu-system-x86", "qemu-system-common",
                                                           "qemu-system-data"};

std::optional<unsigned> parse_number(std::string_view& s) {
  unsigned v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end == s.data()) return std::nullopt;
  s.remove_prefix(static_cast<std::size_t>(end - s.data()));
  return v;
}

}  // namespace

std::string to_string(const QemuVersion& v) {
  return fmt::format("{}.{}.{}", v.major, v.minor, v.micro);
}

std::optional<QemuVersion> parse_qemu_version(std::string_view out) {
  out = out.substr(0, out.find('\n'));
  constexpr std::string_view kPrefix = "QEMU emulator version ";
  auto pos = out.find(kPrefix);
  if (pos == std::string_view::npos) return std::nullopt;
  out.remove_prefix(pos + kPrefix.size());
  QemuVersion v;
  auto major = parse_number(out);
  if (!major || !out.starts_with('.')) return std::nullopt;
  out.remove_prefix(1);
  auto minor = parse_number(out);
  if (!minor) return std::nullopt;
  v.major = *major;
  v.minor = *minor;
  if (out.starts_with('.')) {
    out.remove_prefix(1);
    v.micro = parse_number(out).value_or(0);
  }
  return v;
}

QemuVersion detect_qemu_version(const fs::path& qemu) {
  std::string out = run_step("detect QEMU version", {qemu.string(), "--version"});
  auto v = parse_qemu_version(out);
  if (!v) {
    throw VmError("detect QEMU version", fmt::format("`{} --version` names no version: {}",
                                                     qemu.string(), last_lines(out, 1)));
  }
  return *v;
}

const Peer& peer(PeerKind kind) {
  for (const auto& p : kPeers) {
    if (p.kind == kind) return p;
  }
  return kPeers[0];
}

const Peer& peer_named(std::string_view qemu) {
  for (const auto& p : kPeers) {
    const std::string major = fmt::format("{}", p.qemu_major);
    if (qemu == major || qemu == (p.qemu_major == 7 ? "7.2" : major + ".0")) return p;
  }
  throw ValidationError(
      fmt::format("--qemu {}: expected 7 (QEMU 7.2 + Linux 6.1) or 10 "
                  "(QEMU 10.0 + Linux 6.12)",
                  qemu));
}

const Peer& peer_of(const QemuVersion& v) {
  for (const auto& p : kPeers) {
    if (p.qemu_major == v.major) return p;
  }
  throw ValidationError(
      fmt::format("QEMU {} pairs with no guest kernel cxlsim knows: cxlsim "
                  "boots QEMU 7.2 (Linux 6.1) or QEMU 10 (Linux 6.12)",
                  to_string(v)));
}

void require_suite(std::string_view suite) {
  if (suite.empty()) return;
  std::string out = run_step("locate " + std::string(suite), {"apt-cache", "policy"});
  if (out.find(fmt::format("n={},", suite)) != std::string::npos) return;
  throw VmError("locate " + std::string(suite),
                fmt::format("apt knows no {} source; run scripts/install-deps (adds it and runs "
                            "apt-get update; nothing from it is installed)",
                            suite));
}

PeerQemu qemu_in(const fs::path& tree) {
  PeerQemu q;
  q.binary = tree / "usr" / "bin" / "qemu-system-x86_64";
  q.firmware = tree / "usr" / "share" / "qemu";
  if (!fs::is_regular_file(q.binary) || !fs::is_directory(q.firmware)) {
    throw VmError(
        "unpack QEMU packages",
        fmt::format("{} holds no usr/bin/qemu-system-x86_64 with usr/share/qemu", tree.string()));
  }
  return q;
}

namespace {

// Downloads and unpacks the peer's QEMU packages into vm/qemu-<version>; returns that folder.
fs::path download_qemu(const fs::path& vm, const Peer& p, const Progress& progress) {
  fs::path dl = vm / fmt::format("qemu-download.{}", ::getpid());
  fs::remove_all(dl);
  fs::create_directories(dl);
  std::vector<std::string> argv = {"apt-get", "download"};
  for (auto pkg : kQemuPackages) argv.push_back(fmt::format("{}/{}", pkg, p.suite));
  if (progress) {
    progress(fmt::format("downloading QEMU {} from {} (apt-get download)", p.qemu_major, p.suite));
  }
  run_step("download QEMU packages", argv, dl);
  fs::path tree = dl / "tree";
  for (const auto& e : fs::directory_iterator(dl)) {
    if (e.path().extension() != ".deb") continue;
    if (progress) progress(fmt::format("unpacking {} (dpkg-deb -x)", e.path().filename().string()));
    run_step("unpack QEMU packages", {"dpkg-deb", "-x", e.path().string(), tree.string()});
  }
  PeerQemu q = qemu_in(tree);
  q.version = detect_qemu_version(q.binary);
  fs::path unpacked = vm / fmt::format("qemu-{}", to_string(q.version));
  move_into_cache(tree, unpacked, "unpack QEMU packages");
  fs::remove_all(dl);
  std::ofstream(vm / fmt::format("qemu-{}.current", p.qemu_major))
      << unpacked.filename().string() << "\n";
  return unpacked;
}

}  // namespace

PeerQemu ensure_qemu(const fs::path& root, const Peer& p, const Progress& progress) {
  PeerQemu q;
  if (p.suite.empty()) {
    q.binary = "qemu-system-x86_64";
  } else {
    fs::path vm = root / "vm";
    std::string current = read_first_line(vm / fmt::format("qemu-{}.current", p.qemu_major));
    fs::path tree = current.empty() ? fs::path() : vm / current;
    if (tree.empty() || !fs::is_directory(tree)) {
      require_suite(p.suite);
      tree = download_qemu(vm, p, progress);
    }
    q = qemu_in(tree);
  }
  q.version = detect_qemu_version(q.binary);
  if (q.version.major != p.qemu_major) {
    throw VmError("detect QEMU version",
                  fmt::format("{} is QEMU {}, peer {} needs QEMU {}", q.binary.string(),
                              to_string(q.version), p.name, p.qemu_major));
  }
  return q;
}

PeerQemu cxlsim_qemu(const fs::path& root) {
  const std::string current = read_first_line(root / "qemu-cxlsim-7.2.current");
  PeerQemu q;
  q.binary = root / current / "bin" / "qemu-system-x86_64";
  if (current.empty() || !fs::is_regular_file(q.binary)) {
    throw VmError("locate cxlsim's QEMU",
                  fmt::format("the topology has a Type 2 device, which needs QEMU 7.2 with "
                              "cxlsim's cxlsim-accel device, and {} names no build of it: run "
                              "scripts/build-qemu (it builds it once into {}, ~10 min on 2 "
                              "cores)",
                              (root / "qemu-cxlsim-7.2.current").string(), root.string()));
  }
  q.version = detect_qemu_version(q.binary);
  return q;
}

}  // namespace cxlsim::vm
