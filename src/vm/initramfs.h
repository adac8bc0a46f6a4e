// The guest's initramfs, built by cxlsim from Debian packages: busybox (busybox-static), the
// `cxl` and `ndctl` programs (package ndctl) with the shared libraries ldd names, the kernel's
// cxl, nvdimm and dax modules with their dependencies and a module index (depmod -b), and the
// /init of guest.h. Cached as vm/initramfs-<release>-v<kInitramfsVersion>.cpio (newc,
// uncompressed: TCG boots decompress slowly); the per-boot commands are a second archive
// appended to a copy (make_boot_initrd).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "vm/assets.h"
#include "vm/step.h"

namespace cxlsim::vm {

// Bump when the content or /init changes, so cached archives are rebuilt.
inline constexpr int kInitramfsVersion = 1;

// Module folders (below lib/modules/<release>/kernel/drivers) copied whole.
inline const std::vector<std::string> kModuleFolders = {"cxl", "nvdimm", "dax"};

// The cached base initramfs for `kernel`, built when absent. Throws VmError naming the step.
std::filesystem::path ensure_initramfs(const std::filesystem::path& root, const Kernel& kernel,
                                       const Progress& progress);

// A host file carried into the guest (`cxlsim vm run --file HOST:GUEST`): copied with its
// permission bits to `guest`, an absolute path without `..` outside /cxlsim.
struct GuestFile {
  std::filesystem::path host;
  std::filesystem::path guest;
};

// Parses "HOST:GUEST" (split at the last ':'). Throws ParseError naming `spec` when either side is
// empty, GUEST is not absolute, contains `..` or lies below /cxlsim (the protocol's folder).
GuestFile parse_guest_file(const std::string& spec);

// Writes to `out` the base archive followed by a newc archive holding `script` as
// /cxlsim/cmd.sh and each of `files`. `scratch` is a directory the function may use. Throws
// VmError when a host file cannot be read.
void make_boot_initrd(const std::filesystem::path& base, const std::string& script,
                      const std::vector<GuestFile>& files, const std::filesystem::path& scratch,
                      const std::filesystem::path& out);

// The shared libraries `ldd program` names (absolute paths; empty for static programs).
std::vector<std::filesystem::path> shared_libraries(const std::filesystem::path& program);

// What a guest of a topology with cxlsim's Type 2 accelerator carries beside the base image
// (docs/accel.md, "In a guest"): lspci (pciutils) with its libraries and pci.ids, the libcuda
// shim `shim` as /usr/lib/x86_64-linux-gnu/libcuda.so.1 (where the dynamic loader looks without
// a cache), and each of `programs` as /opt/cxlsim/bin/<name>, with their libraries. Throws
// VmError("collect guest programs", ...) when lspci is not installed.
std::vector<GuestFile> accel_guest_files(const std::filesystem::path& shim,
                                         const std::vector<std::filesystem::path>& programs);

}  // namespace cxlsim::vm
