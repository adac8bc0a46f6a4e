#include "vm/session.h"

#include <fmt/format.h>

#include "device/runtime_dir.h"
#include "fabric/qemu_cmdline.h"
#include "spec/error.h"
#include "vm/assets.h"
#include "vm/initramfs.h"
#include "vm/machine.h"

namespace cxlsim::vm {

namespace fs = std::filesystem;

BootConfig prepare_boot(const Topology& topology, const SessionOptions& options, GuestMode mode,
                        const std::string& script) {
  BootConfig c;
  c.mode = mode;
  c.memory = options.memory;
  c.timeout = options.timeout;
  c.memdevs = static_cast<unsigned>(topology.type3.size());
  c.console_log = options.workdir / "console.log";

  fs::path root = options.cache.empty() ? cache_root() : options.cache;
  const Peer* pr = &peer(options.peer);
  PeerQemu q;
  if (options.qemu.empty() && !topology.type2.empty()) {
    if (pr->kind != PeerKind::qemu72_linux61) {
      throw ValidationError(
          fmt::format("the topology's Type 2 device{} need{} cxlsim's QEMU 7.2 build (--qemu 7)",
                      topology.type2.size() > 1 ? "s" : "", topology.type2.size() > 1 ? "" : "s"));
    }
    q = cxlsim_qemu(root);
  } else if (options.qemu.empty()) {
    q = ensure_qemu(root, *pr, options.progress);
  } else {
    q.binary = options.qemu;
    q.version = detect_qemu_version(q.binary);
    pr = &peer_of(q.version);
  }
  c.qemu = q.binary.string();
  c.firmware = q.firmware;
  c.peer = std::string(pr->name);
  c.cpu = std::string(pr->cpu);
  c.qemu_version = to_string(q.version);
  if (options.progress) {
    options.progress(fmt::format("peer {} (QEMU {})", pr->name, c.qemu_version));
  }

  QemuExportOptions exp;
  exp.qemu = pr->target;
  exp.backing_dir = options.backing_dir.string();
  exp.accel_sockets = options.accel_sockets;
  c.machine_args = to_qemu_args(topology, exp);
  if (options.progress) options.progress("creating backing files");
  device::ensure_runtime_dir();  // the default backing directory and the qemu-* built-ins' files
  create_backing_files(backing_files(c.machine_args));

  fs::path base = options.initrd;
  if (options.kernel.empty() || base.empty()) {
    if (!fs::is_directory(root / "vm" / std::string(pr->kernel.cache_dir))) {
      require_suite(pr->suite);
    }
    Kernel k = ensure_kernel(root, options.progress, pr->kernel);
    if (options.kernel.empty()) c.kernel = k.pvh.empty() ? k.image : k.pvh;
    if (base.empty()) base = ensure_initramfs(root, k, options.progress);
  }
  if (!options.kernel.empty()) c.kernel = options.kernel;
  for (const auto& [what, p] : {std::pair{"kernel", c.kernel}, std::pair{"initrd", base}}) {
    if (!fs::is_regular_file(p)) {
      throw VmError("prepare guest", fmt::format("{} {} is not a file", what, p.string()));
    }
  }
  c.initrd = options.workdir / "initrd.img";
  make_boot_initrd(base, script, options.files, options.workdir, c.initrd);
  return c;
}

}  // namespace cxlsim::vm
