// The guest protocol of `cxlsim vm`: how the host tells the guest what to run and how the
// guest reports back. Version kGuestProtocolVersion; this header is its single definition.
//
// Host -> guest: the kernel command line carries `cxlsim.mode=run|shell` and
// `cxlsim.memdevs=N` (the Type 3 devices to wait for); the commands travel as /cxlsim/cmd.sh in
// a second cpio archive appended to the initramfs.
// Guest -> host: the kernel console is ttyS0 (a log file on the host); the commands' output
// (stdout and stderr) goes to ttyS1 (QEMU's stdout, raw mode) framed as
//   @@CXLSIM-BEGIN v1@@\n <output> @@CXLSIM-END <exit status>@@\n
// after which the guest powers off (`poweroff -f`).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace cxlsim::vm {

inline constexpr int kGuestProtocolVersion = 1;
inline constexpr std::string_view kBeginMarker = "@@CXLSIM-BEGIN v1@@";
inline constexpr std::string_view kEndMarker = "@@CXLSIM-END ";    // followed by "<status>@@"
inline constexpr std::string_view kCommandPath = "cxlsim/cmd.sh";  // inside the initramfs

// Modules the guest loads, in order (cxl_port is built into Debian's kernel; loading it is a
// no-op there and needed where it is a module).
inline constexpr std::string_view kGuestModules =
    "cxl_acpi cxl_pci cxl_port cxl_mem cxl_pmem nd_pmem dax_pmem device_dax";

enum class GuestMode { run, shell };

// The guest's /init (busybox sh): mounts proc/sys/devtmpfs, loads kGuestModules, waits up to
// 30 s for cxlsim.memdevs endpoints and their pmem (nvdimm) devices, then runs the commands
// (mode run) or an interactive shell on ttyS0 (mode shell), and powers off.
std::string guest_init_script();

// The kernel command line for `mode` with `memdevs` Type 3 devices.
std::string guest_kernel_cmdline(GuestMode mode, unsigned memdevs);

// Incremental reader of the ttyS1 stream: feed() bytes as they arrive; output between the
// markers is passed to `sink` as soon as it is known not to be part of a marker.
class GuestStream {
 public:
  template <class Sink>
  void feed(std::string_view bytes, Sink&& sink) {
    buffer_.append(bytes);
    std::string out = take();
    if (!out.empty()) sink(std::string_view(out));
  }
  [[nodiscard]] bool began() const { return began_; }
  // The commands' exit status once the end marker has arrived.
  [[nodiscard]] std::optional<int> status() const { return status_; }

 private:
  std::string take();  // consumes what is complete in buffer_, returns output to pass on
  std::string buffer_;
  bool began_ = false;
  std::optional<int> status_;
};

}  // namespace cxlsim::vm
