#include "vm/machine.h"

#include <fmt/format.h>

#include <fstream>
#include <map>

#include "vm/step.h"

namespace cxlsim::vm {

namespace fs = std::filesystem;

namespace {

// key=value pairs of a QEMU option string "type,k=v,k=v" (",," is an escaped comma).
std::map<std::string, std::string> option_fields(std::string_view text) {
  std::map<std::string, std::string> out;
  std::string item;
  auto flush = [&] {
    auto eq = item.find('=');
    if (eq == std::string::npos) {
      out[item] = "";
    } else {
      out[item.substr(0, eq)] = item.substr(eq + 1);
    }
    item.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ',' && i + 1 < text.size() && text[i + 1] == ',') {
      item += ',';
      ++i;
    } else if (text[i] == ',') {
      flush();
    } else {
      item += text[i];
    }
  }
  flush();
  return out;
}

}  // namespace

std::vector<BackingFile> backing_files(const std::vector<std::string>& args) {
  std::vector<BackingFile> files;
  for (std::size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] != "-object" || !args[i + 1].starts_with("memory-backend-file,")) continue;
    auto f = option_fields(args[i + 1]);
    if (f["mem-path"].empty() || f["size"].empty()) {
      throw VmError("create backing files",
                    fmt::format("-object {}: needs mem-path= and size=", args[i + 1]));
    }
    files.push_back({f["id"], f["mem-path"], parse_bytes(f["size"])});
  }
  return files;
}

void create_backing_files(const std::vector<BackingFile>& files) {
  for (const auto& f : files) {
    std::error_code ec;
    if (f.path.has_parent_path()) fs::create_directories(f.path.parent_path(), ec);
    if (!fs::exists(f.path)) std::ofstream(f.path, std::ios::binary);
    fs::resize_file(f.path, f.size.value(), ec);
    if (ec) {
      throw VmError("create backing files",
                    fmt::format("{} ({}): {}", f.path.string(), f.id, ec.message()));
    }
  }
}

}  // namespace cxlsim::vm
