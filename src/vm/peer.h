// The peer a guest runs on: a QEMU version paired with the Linux kernel that probes its CXL
// devices. Two peers (docs/vm.md, "Peers"):
//   * QEMU 7.2 + Linux 6.1: Debian 12's qemu-system-x86 and linux-image-amd64 (the default);
//   * QEMU 10.0 + Linux 6.12: Debian bookworm-backports' packages, downloaded and unpacked into
//     cxlsim's cache beside the installed 7.2, never installed (that would replace 7.2).
// Linux 6.12's cxl_pci fails to probe on QEMU 7.2, so a kernel is never paired across peers.
//
// Cache layout (under cache_root(), see assets.h):
//   vm/qemu-<version>/           the unpacked qemu-system-{x86,common,data} packages
//   vm/qemu-<major>.current      name of the qemu-<version> folder last resolved (one line)
//   vm/kernel-<series>/          kernel packages of a non-default peer (as vm/kernel/)
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "fabric/qemu_cmdline.h"
#include "vm/assets.h"
#include "vm/step.h"

namespace cxlsim::vm {

// A QEMU release, as `qemu-system-x86_64 --version` prints it.
struct QemuVersion {
  unsigned major = 0;
  unsigned minor = 0;
  unsigned micro = 0;
  friend bool operator==(const QemuVersion&, const QemuVersion&) = default;
};

// "7.2.19".
std::string to_string(const QemuVersion& v);

// The version in `--version` output ("QEMU emulator version 10.0.2 (Debian
// 1:10.0.2+ds-1~bpo12+1)"); nullopt when the first line names none.
std::optional<QemuVersion> parse_qemu_version(std::string_view version_output);

// Runs `qemu --version`. Throws VmError("detect QEMU version", ...) when it cannot run or
// prints no version.
QemuVersion detect_qemu_version(const std::filesystem::path& qemu);

enum class PeerKind { qemu72_linux61, qemu10_linux612 };

// What a peer is made of: where its QEMU and kernel come from.
struct Peer {
  PeerKind kind;
  std::string_view name;           // "qemu-7.2+linux-6.1"
  unsigned qemu_major;             // 7, 10
  std::string_view kernel_series;  // "6.1", "6.12"
  std::string_view suite;          // Debian suite of its packages; "" = the installed system
  KernelSource kernel;             // where ensure_kernel finds its kernel
  QemuTarget target;               // the command line spelling (fabric/qemu_cmdline.h)
  // QEMU's -cpu. Linux 6.12 commits a region only when the CPU can invalidate its caches for
  // it (drivers/cxl/core/region.c, cxl_region_invalidate_memregion), which x86 denies when
  // CPUID says a hypervisor runs it ("Failed to synchronize CPU cache state", the commit fails
  // with ENXIO): its peer clears QEMU's hypervisor bit. Linux 6.1 does not check.
  std::string_view cpu;
};

const Peer& peer(PeerKind kind);

// The peer of a `--qemu` value: "7"/"7.2" or "10"/"10.0". Throws ValidationError (exit 2) for
// any other value.
const Peer& peer_named(std::string_view qemu);

// The peer whose QEMU major version is `v.major` (7 or 10). Throws ValidationError for other
// QEMU versions (8, 9: no peer pairs a kernel with them).
const Peer& peer_of(const QemuVersion& v);

// A QEMU ready to run: the binary, the firmware folder for `-L` (empty: the binary's built-in
// default, i.e. the installed system's), its version.
struct PeerQemu {
  std::filesystem::path binary;
  std::filesystem::path firmware;
  QemuVersion version;
};

// Throws VmError("locate bookworm-backports", ...) unless `apt-cache policy` lists `suite`
// (a no-op for the system suite ""), naming scripts/install-deps as the fix.
void require_suite(std::string_view suite);

// The peer's QEMU: qemu-system-x86_64 from PATH for the system peer, else the cached unpacked
// backports packages (downloaded when absent, with progress). Checks the version it finds
// against the peer. Throws VmError naming the failed step.
PeerQemu ensure_qemu(const std::filesystem::path& root, const Peer& p, const Progress& progress);

// cxlsim's own QEMU build (scripts/build-qemu: Debian's QEMU 7.2 source with the cxlsim-accel
// device, docs/accel.md), which a topology with a Type 2 device needs: the folder that
// `root`/qemu-cxlsim-7.2.current names. Throws VmError("locate cxlsim's QEMU", ...) naming
// scripts/build-qemu when it is not built.
PeerQemu cxlsim_qemu(const std::filesystem::path& root);

// The QEMU in a `dpkg-deb -x` tree of qemu-system-x86 + qemu-system-common + qemu-system-data.
// Throws VmError("unpack QEMU packages", ...) when the binary or firmware folder is missing.
PeerQemu qemu_in(const std::filesystem::path& tree);

}  // namespace cxlsim::vm
