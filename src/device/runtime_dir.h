// The per-user directory for files cxlsim names itself (the built-in topologies' backing
// files): $XDG_RUNTIME_DIR/cxlsim when XDG_RUNTIME_DIR is set, else $TMPDIR (or /tmp)
// /cxlsim-<uid>. Never a fixed path shared between users.
#pragma once

#include <string>

namespace cxlsim::device {

std::string runtime_dir();
// Creates runtime_dir() with mode 0700 when absent. Throws ValidationError when it exists but
// is not a directory owned by this user (someone else's files must not be used).
void ensure_runtime_dir();
// ensure_runtime_dir() when `path` names a file directly in runtime_dir(); nothing otherwise
// (cxlsim creates no directory the user named).
void ensure_runtime_dir_for(const std::string& path);

}  // namespace cxlsim::device
