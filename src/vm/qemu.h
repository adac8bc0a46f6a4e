// Boots a guest under qemu-system-x86_64 (QEMU 7.2, q35 with CXL, TCG: KVM hangs with CXL
// here) and speaks the guest protocol of guest.h with it.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "vm/guest.h"
#include "vm/step.h"

namespace cxlsim::vm {

struct BootConfig {
  std::filesystem::path kernel;  // bzImage
  std::filesystem::path initrd;  // base archive + commands (make_boot_initrd)
  // The machine: QEMU arguments describing it, starting with -machine q35,cxl=on,... as
  // to_qemu_args (fabric/qemu_cmdline.h) writes them.
  std::vector<std::string> machine_args;
  unsigned memdevs = 0;  // Type 3 devices the guest waits for
  GuestMode mode = GuestMode::run;
  // Guest RAM. At most 2 GiB keeps the first CXL window at 0x110000000 on QEMU 7.2 q35.
  std::string memory = "2G";
  std::chrono::seconds timeout{600};
  std::filesystem::path console_log;  // the guest's ttyS0 (kernel messages); mode run only
  std::string qemu = "qemu-system-x86_64";
  std::string cpu = "max";         // -cpu: the peer's (Peer::cpu)
  std::filesystem::path firmware;  // `-L` folder for a QEMU outside the system; empty: none
  std::string peer;                // the peer's name (vm/peer.h), for reports
  // A QMP socket QEMU listens on (-qmp unix:PATH,server=on,wait=off) for clients that connect
  // per operation (vm/qmp.h); empty: none.
  std::filesystem::path qmp_socket;
  std::string qemu_version;  // as `qemu --version` gave it, for reports
};

// The full command line (program first).
std::vector<std::string> qemu_argv(const BootConfig& config);

struct GuestResult {
  int status = 0;            // the commands' exit status
  double boot_seconds = 0;   // QEMU start to the begin marker
  double total_seconds = 0;  // QEMU start to QEMU exit
};

// How QEMU ended, from waitpid's status: "QEMU exited with status 1", "QEMU was killed by
// signal 11 (SIGSEGV)".
std::string describe_qemu_exit(int wstatus);

// Boots (mode run), passes the commands' output to `sink` as it arrives, waits for QEMU to
// exit. Throws VmError("boot guest", ...) when QEMU fails, the timeout passes (QEMU is killed)
// or the guest ends without reporting a status; the message says how QEMU ended
// (describe_qemu_exit) and quotes the last lines of QEMU's stderr and of the console.
GuestResult run_guest(const BootConfig& config, const std::function<void(std::string_view)>& sink);

// Boots in mode shell with the terminal attached; returns QEMU's exit status.
int run_interactive(const BootConfig& config);

}  // namespace cxlsim::vm
