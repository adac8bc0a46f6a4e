// The guest's kernel: Debian 12's Linux 6.1 image package, fetched with `apt-get download`,
// unpacked with `dpkg-deb -x` and kept in cxlsim's cache, so only the first boot downloads.
//
// Cache layout (under cache_root(), default $XDG_CACHE_HOME/cxlsim or ~/.cache/cxlsim):
//   vm/kernel/current            name of the kernel package last resolved (one line)
//   vm/kernel/<package>/         the unpacked package (boot/vmlinuz-<release>, lib/modules/...)
//   vm/kernel/<package>/vmlinux-pvh  the decompressed kernel (see ensure_pvh_kernel)
//   vm/initramfs-<release>-v<N>.cpio   see initramfs.h
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "vm/step.h"

namespace cxlsim::vm {

// $XDG_CACHE_HOME/cxlsim when XDG_CACHE_HOME is set and absolute, else $HOME/.cache/cxlsim.
// Throws VmError when neither variable gives a directory.
std::filesystem::path cache_root();

// The first line of file `p` (empty when it is missing or empty): the cache's `current` files.
std::string read_first_line(const std::filesystem::path& p);

// Moves the freshly unpacked tree `from` to its cache place `to`. A concurrent cxlsim that got
// there first is fine (its copy is kept); any other failure throws VmError for `step`.
void move_into_cache(const std::filesystem::path& from, const std::filesystem::path& to,
                     const std::string& step);

// An unpacked kernel package.
struct Kernel {
  std::string package;            // e.g. "linux-image-6.1.0-56-amd64"
  std::string release;            // uname -r of the guest, e.g. "6.1.0-56-amd64"
  std::filesystem::path image;    // .../boot/vmlinuz-<release>
  std::filesystem::path modules;  // .../lib/modules/<release>
  // The decompressed ELF kernel with its PVH entry note, when it could be extracted: QEMU
  // boots it directly, skipping the bzImage's self-decompression, which takes ~8 s under TCG.
  std::filesystem::path pvh;
};

// The Debian meta package whose dependency names the current 6.1 kernel image.
inline constexpr const char* kKernelMetaPackage = "linux-image-amd64";

// Where a kernel comes from: the meta package (with "/suite" for a non-default suite, as apt
// spells it) and the cache folder below vm/ holding its unpacked packages.
struct KernelSource {
  std::string_view meta_package = kKernelMetaPackage;
  std::string_view cache_dir = "kernel";
};

// The package `source.meta_package` depends on (via `apt-cache depends`).
std::string resolve_kernel_package(const Progress& progress, const KernelSource& source = {});

// The unpacked kernel in `root`: reuses the cached package named in vm/<cache_dir>/current
// when present, else resolves, downloads and unpacks one. Throws VmError naming the failed step.
Kernel ensure_kernel(const std::filesystem::path& root, const Progress& progress,
                     const KernelSource& source = {});

// Extracts the payload of bzImage `image` (xz, zstd or gzip, found by its magic) to `out`
// unless present; returns false (leaving no file) when no payload decompresses to an ELF file.
bool ensure_pvh_kernel(const std::filesystem::path& image, const std::filesystem::path& out,
                       const Progress& progress);

// The kernel unpacked in `dir` (a dpkg-deb -x tree). Throws VmError when it holds no
// boot/vmlinuz-* or no matching lib/modules/<release>.
Kernel kernel_in(const std::filesystem::path& dir, const std::string& package);

}  // namespace cxlsim::vm
