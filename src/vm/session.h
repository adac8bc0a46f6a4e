// One guest boot of `cxlsim vm` from a topology: assets from the cache (assets.h,
// initramfs.h), the machine (to_qemu_args + backing files, machine.h), the initrd with
// the commands, then QEMU (qemu.h).
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "device/runtime_dir.h"
#include "fabric/topology.h"
#include "vm/initramfs.h"
#include "vm/peer.h"
#include "vm/qemu.h"
#include "vm/step.h"

namespace cxlsim::vm {

struct SessionOptions {
  PeerKind peer = PeerKind::qemu72_linux61;  // QEMU and kernel (vm/peer.h)
  // A QEMU binary to run instead of the peer's; its version (--version) then picks the peer.
  std::filesystem::path qemu;
  std::filesystem::path kernel;  // empty: the peer's Debian kernel from the cache
  std::filesystem::path initrd;  // empty: cxlsim's initramfs for that kernel
  std::filesystem::path cache;   // empty: cache_root()
  std::filesystem::path backing_dir = device::runtime_dir();  // for devices without a backing path
  std::filesystem::path workdir;  // initrd copy and console log; must exist
  std::string memory = "2G";
  std::vector<GuestFile> files;  // carried into the guest's initramfs
  // Type 2 device id -> its device server's socket (cli's AccelServers); a topology with Type 2
  // devices boots on cxlsim's own QEMU build (cxlsim_qemu) unless `qemu` names a binary.
  std::map<std::string, std::string> accel_sockets;
  std::chrono::seconds timeout{600};
  Progress progress;
};

// Fetches/builds what is missing, creates the backing files and returns the boot
// configuration for `topology` running `script` (mode run) or a shell. Throws VmError naming
// the failed step, ValidationError for topologies QEMU 7.2 cannot express.
BootConfig prepare_boot(const Topology& topology, const SessionOptions& options, GuestMode mode,
                        const std::string& script);

}  // namespace cxlsim::vm
