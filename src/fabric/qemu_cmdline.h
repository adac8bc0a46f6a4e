// QEMU command lines as a topology format: import of the CXL options users paste from QEMU's
// docs/system/devices/cxl.rst, and export of arguments that QEMU 7.2 or 10.0 accepts.
//
// Import rules (docs/topology_format.md, "QEMU command lines"): shell continuations, quotes,
// the leading qemu-system-* program and `...` placeholders are accepted; options that do not
// describe CXL (-m, -smp, -drive, -nographic, ...) are ignored. Understood: -object
// memory-backend-{file,ram}; -device pxb-cxl, cxl-rp, cxl-upstream, cxl-downstream, cxl-type3
// (memdev= is persistent, as in QEMU 7.2; persistent-memdev=, volatile-memdev= and
// volatile-dc-memdev= + num-dc-regions= of later QEMUs too); -M/-machine
// cxl-fmw.N.{targets.M,size,interleave-granularity} (window N becomes id "cfmw<N>", granularity
// defaults to 256 as in QEMU's hw/cxl/cxl-host.c); and QEMU 7.0's -cxl-fixed-memory-window. Host
// bridge UIDs are bus_nr (QEMU's CHBS UID); windows get QEMU's CFMWS restrictions 0x0f and no base
// (QEMU places windows at boot).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fabric/topology.h"
#include "spec/units.h"

namespace cxlsim {

// Throws ParseError naming the offending option (e.g. "-device cxl-type3,...: memdev 'x' is
// not a memory backend object") for CXL options that cannot be understood.
Topology parse_qemu_cmdline(std::string_view text, std::string_view origin);

// True when `text` reads as a QEMU command line rather than a TOML file: its first word (after
// blank and '#' comment lines) is a qemu-* program, sudo, or an option (-device, -M, ...).
bool looks_like_qemu_cmdline(std::string_view text);

// The QEMU release an export is written for (the peers of src/vm/peer.h).
enum class QemuTarget { v7_2, v10_0 };

struct QemuExportOptions {
  // QEMU 7.2: cxl-type3 memdev= (persistent only). QEMU 10.0: persistent-memdev=,
  // volatile-memdev=, volatile-dc-memdev= + num-dc-regions= (equal-sized DC regions).
  QemuTarget qemu = QemuTarget::v7_2;
  // Directory for memory-backend-file paths of devices whose backing has no path
  // ("<dir>/<device id>-pmem.raw", "-lsa.raw"). Must exist when QEMU starts; QEMU creates the
  // files.
  std::string backing_dir = "/tmp/cxlsim";
  // QEMU 7.2 refuses a cxl-type3 without an LSA; devices with lsa = 0 get one of this size.
  // Zero makes such a device an error instead.
  Bytes lsa_when_absent = MiB(1);
  // Type 2 device id -> the socket of the `cxlsim accel serve` serving it. A device listed here
  // becomes `-device cxlsim-accel,bus=PARENT,id=ID,socket=PATH` (the device of cxlsim's own
  // QEMU build, scripts/build-qemu; docs/accel.md); a Type 2 device not listed is an error.
  std::map<std::string, std::string> accel_sockets;
};

// QEMU arguments (without the program name) for options.qemu for `t`: -machine q35,cxl=on with
// cxl-fmw.N windows (in t.windows order), memory-backend-file objects (share=on), then pxb-cxl,
// cxl-rp, cxl-upstream, cxl-downstream, cxl-type3 in bus order. Root/downstream ports whose
// (chassis, slot) repeats an earlier port's get the next free slot, as QEMU 7.2 requires unique
// pairs. Throws ValidationError for what the target cannot express, naming the device: on 7.2
// Type 3 volatile and dynamic capacity (no volatile-memdev before QEMU 8.0), on 10.0 DC regions
// of different sizes; on both Type 2 devices. Link widths and
// speeds (LinkCaps) are timing-only and left out: QEMU 7.2 has no properties for them.
std::vector<std::string> to_qemu_args(const Topology& t, const QemuExportOptions& options);

// The shell command `program args...`, shell-quoted: one line, or one option per line joined
// with " \\\n  " continuations (as QEMU's documentation writes them).
std::string format_qemu_command(const std::vector<std::string>& args, bool one_line,
                                std::string_view program = "qemu-system-x86_64");

}  // namespace cxlsim
