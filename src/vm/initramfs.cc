#include "vm/initramfs.h"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "spec/error.h"
#include "vm/guest.h"

namespace cxlsim::vm {

namespace fs = std::filesystem;

namespace {

// Copies `from` to stage/<from> (same absolute path inside the archive), following links.
void copy_into(const fs::path& stage, const fs::path& from, std::string_view step) {
  fs::path to = stage / from.relative_path();
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  fs::copy_file(from, to, fs::copy_options::overwrite_existing, ec);
  if (ec) throw VmError(step, fmt::format("cannot copy {}: {}", from.string(), ec.message()));
}

fs::path find_program(std::string_view name, std::string_view package) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/sbin"}) {
    fs::path p = fs::path(dir) / name;
    if (fs::exists(p)) return fs::canonical(p);
  }
  throw VmError(
      "collect guest programs",
      fmt::format("{} not found; install Debian package {} (scripts/install-deps)", name, package));
}

void write_file(const fs::path& p, const std::string& text, fs::perms perms) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
  fs::permissions(p, perms);
}

// Module name (file stem without .ko, '-' as '_') -> path relative to the modules directory.
std::map<std::string, fs::path> module_index(const fs::path& modules) {
  std::map<std::string, fs::path> index;
  for (const auto& e : fs::recursive_directory_iterator(modules / "kernel")) {
    std::string name = e.path().filename().string();
    auto ko = name.find(".ko");
    if (ko == std::string::npos) continue;
    std::string mod = name.substr(0, ko);
    for (char& c : mod) {
      if (c == '-') c = '_';
    }
    index[mod] = fs::relative(e.path(), modules);
  }
  return index;
}

// The given modules and everything they depend on (modinfo -F depends), relative paths.
std::set<fs::path> module_closure(const fs::path& modules, std::vector<fs::path> todo) {
  auto index = module_index(modules);
  std::set<fs::path> done;
  while (!todo.empty()) {
    fs::path rel = todo.back();
    todo.pop_back();
    if (!done.insert(rel).second) continue;
    std::string deps = run_step("resolve module dependencies",
                                {"modinfo", "-F", "depends", (modules / rel).string()});
    std::stringstream in(deps);
    std::string dep;
    while (std::getline(in, dep, ',')) {
      while (!dep.empty() && (dep.back() == '\n' || dep.back() == ' ')) dep.pop_back();
      if (dep.empty()) continue;
      auto it = index.find(dep);
      if (it == index.end()) {
        throw VmError(
            "resolve module dependencies",
            fmt::format("{} needs module {}, which the kernel package lacks", rel.string(), dep));
      }
      todo.push_back(it->second);
    }
  }
  return done;
}

void stage_modules(const fs::path& stage, const Kernel& kernel) {
  std::vector<fs::path> wanted;
  for (const auto& folder : kModuleFolders) {
    fs::path dir = kernel.modules / "kernel" / "drivers" / folder;
    if (!fs::is_directory(dir)) {
      throw VmError("collect kernel modules",
                    fmt::format("{} has no drivers/{}", kernel.package, folder));
    }
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.path().filename().string().find(".ko") != std::string::npos) {
        wanted.push_back(fs::relative(e.path(), kernel.modules));
      }
    }
  }
  fs::path dest = stage / "lib" / "modules" / kernel.release;
  for (const auto& rel : module_closure(kernel.modules, wanted)) {
    fs::create_directories((dest / rel).parent_path());
    fs::copy_file(kernel.modules / rel, dest / rel, fs::copy_options::overwrite_existing);
  }
  for (const char* f : {"modules.builtin", "modules.builtin.modinfo", "modules.order"}) {
    if (fs::exists(kernel.modules / f)) fs::copy_file(kernel.modules / f, dest / f);
  }
  run_step("index kernel modules", {"depmod", "-b", stage.string(), kernel.release});
}

void stage_programs(const fs::path& stage) {
  fs::path busybox = find_program("busybox", "busybox-static");
  fs::create_directories(stage / "bin");
  fs::copy_file(busybox, stage / "bin" / "busybox");
  for (const auto& lib : shared_libraries(busybox)) copy_into(stage, lib, "collect guest programs");
  for (const char* name : {"cxl", "ndctl"}) {
    fs::path p = find_program(name, "ndctl");
    fs::copy_file(p, stage / "bin" / name);
    for (const auto& lib : shared_libraries(p)) copy_into(stage, lib, "collect guest programs");
  }
}

void pack(const fs::path& stage, const fs::path& out, std::string_view step) {
  run_shell_step(step,
                 fmt::format("find . | LC_ALL=C sort | cpio -o -H newc --quiet > {}",
                             shell_quote(out.string())),
                 stage);
}

}  // namespace

std::vector<fs::path> shared_libraries(const fs::path& program) {
  // ldd exits 1 for static programs ("not a dynamic executable").
  std::string out =
      run_shell_step("collect guest programs",
                     fmt::format("ldd {} 2>/dev/null || true", shell_quote(program.string())));
  std::vector<fs::path> libs;
  std::stringstream in(out);
  std::string line;
  while (std::getline(in, line)) {
    std::stringstream words(line);
    std::string w;
    while (words >> w) {
      if (w.starts_with("/")) {
        libs.emplace_back(w);
        break;
      }
    }
  }
  return libs;
}

fs::path ensure_initramfs(const fs::path& root, const Kernel& kernel, const Progress& progress) {
  fs::path out =
      root / "vm" / fmt::format("initramfs-{}-v{}.cpio", kernel.release, kInitramfsVersion);
  if (fs::exists(out)) return out;
  if (progress) progress(fmt::format("building the initramfs for {}", kernel.release));
  fs::path stage = root / "vm" / fmt::format("initramfs-stage.{}", ::getpid());
  fs::remove_all(stage);
  for (const char* d : {"bin", "sbin", "proc", "sys", "dev", "tmp", "run", "cxlsim"}) {
    fs::create_directories(stage / d);
  }
  stage_programs(stage);
  stage_modules(stage, kernel);
  write_file(stage / "init", guest_init_script(),
             fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                 fs::perms::others_read | fs::perms::others_exec);
  fs::path tmp = out;
  tmp += fmt::format(".tmp.{}", ::getpid());
  pack(stage, tmp, "pack initramfs");
  fs::rename(tmp, out);
  fs::remove_all(stage);
  return out;
}

std::vector<GuestFile> accel_guest_files(const fs::path& shim,
                                         const std::vector<fs::path>& programs) {
  std::vector<GuestFile> files;
  std::set<fs::path> libs;
  auto with_libraries = [&](const fs::path& program, const fs::path& guest) {
    files.push_back({program, guest});
    for (const auto& lib : shared_libraries(program)) {
      if (libs.insert(lib).second) files.push_back({fs::canonical(lib), lib});
    }
  };
  with_libraries(find_program("lspci", "pciutils"), "/usr/bin/lspci");
  if (fs::exists("/usr/share/misc/pci.ids")) {
    files.push_back({fs::canonical("/usr/share/misc/pci.ids"), "/usr/share/misc/pci.ids"});
  }
  files.push_back({fs::canonical(shim), "/usr/lib/x86_64-linux-gnu/libcuda.so.1"});
  for (const auto& p : programs) with_libraries(p, fs::path("/opt/cxlsim/bin") / p.filename());
  return files;
}

GuestFile parse_guest_file(const std::string& spec) {
  auto colon = spec.rfind(':');
  auto bad = [&](std::string_view why) {
    return ParseError(fmt::format("--file '{}': {}", spec, why));
  };
  if (colon == std::string::npos || colon == 0 || colon + 1 == spec.size()) {
    throw bad("expected HOST:GUEST");
  }
  GuestFile f{spec.substr(0, colon), spec.substr(colon + 1)};
  if (!f.guest.is_absolute()) throw bad("the guest path must be absolute");
  for (const auto& part : f.guest) {
    if (part == "..") throw bad("the guest path must not contain '..'");
  }
  auto first = std::next(f.guest.begin());
  if (first != f.guest.end() && *first == fs::path(kCommandPath).begin()->string()) {
    throw bad("/cxlsim is reserved for the guest protocol");
  }
  return f;
}

void make_boot_initrd(const fs::path& base, const std::string& script,
                      const std::vector<GuestFile>& files, const fs::path& scratch,
                      const fs::path& out) {
  fs::path stage = scratch / "cmd-stage";
  fs::remove_all(stage);
  write_file(stage / kCommandPath, script,
             fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
  for (const auto& f : files) {
    fs::path to = stage / f.guest.relative_path();
    std::error_code ec;
    fs::create_directories(to.parent_path(), ec);
    fs::copy_file(f.host, to, fs::copy_options::overwrite_existing, ec);
    if (ec) {
      throw VmError("carry guest file",
                    fmt::format("cannot copy {}: {}", f.host.string(), ec.message()));
    }
  }
  fs::path extra = scratch / "cmd.cpio";
  pack(stage, extra, "pack guest commands");
  fs::remove_all(stage);
  std::error_code ec;
  fs::copy_file(base, out, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    throw VmError("pack guest commands",
                  fmt::format("cannot copy {}: {}", base.string(), ec.message()));
  }
  std::ifstream in(extra, std::ios::binary);
  std::ofstream app(out, std::ios::binary | std::ios::app);
  app << in.rdbuf();
  if (!app) throw VmError("pack guest commands", fmt::format("cannot write {}", out.string()));
}

}  // namespace cxlsim::vm
