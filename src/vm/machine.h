// The machine a guest boots on: QEMU arguments for a topology plus the backing files they name.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "spec/units.h"

namespace cxlsim::vm {

// One memory-backend-file object of a QEMU command line.
struct BackingFile {
  std::string id;
  std::filesystem::path path;
  Bytes size;
};

// The memory-backend-file objects in `args` (QEMU arguments as to_qemu_args writes them:
// "-object" followed by "memory-backend-file,id=...,mem-path=...,size=..."). Throws
// VmError("create backing files", ...) naming an object without mem-path or size.
std::vector<BackingFile> backing_files(const std::vector<std::string>& args);

// Creates each file (and its directory) with exactly its size; existing content within the
// size is kept (sparse where new). Throws VmError naming the file on failure.
void create_backing_files(const std::vector<BackingFile>& files);

}  // namespace cxlsim::vm
