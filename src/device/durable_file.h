// Replacing a small file so that a crash at any moment leaves either the old or the new content,
// never a mix, and so that a return means the new content survives power loss: a temporary file
// beside it is written and fsynced, renamed over it, and the directory is fsynced.
#pragma once

#include <sys/types.h>

#include <string>

namespace cxlsim::device {

// Writes `text` to `path` atomically and durably with permission bits `mode`. Throws
// std::runtime_error naming the file and errno's text; `path` is then unchanged.
void write_file_durably(const std::string& path, const std::string& text, mode_t mode);

}  // namespace cxlsim::device
