// Steps of `cxlsim vm`: every external program cxlsim runs while preparing or booting a guest
// (apt-get, dpkg-deb, ldd, modinfo, depmod, cpio, qemu) runs as a named step, so a failure
// says which step failed and why, and progress is reported step by step.
#pragma once

#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace cxlsim::vm {

// A step that failed. what() is "<step>: <reason>", e.g.
// "download kernel package: apt-get exited with status 100: E: Unable to locate package ...".
class VmError : public std::runtime_error {
 public:
  VmError(std::string_view step, std::string_view reason);
};

// Receives one line per step started ("fetching kernel package linux-image-6.1.0-56-amd64").
// An empty function reports nothing.
using Progress = std::function<void(std::string_view)>;

// Runs `argv` (argv[0] searched in PATH) with stdin from /dev/null, in `cwd` when not empty,
// and returns its standard output. Throws VmError naming `step` when it cannot be started or
// exits non-zero; the message quotes the last lines of its standard error.
std::string run_step(std::string_view step, const std::vector<std::string>& argv,
                     const std::filesystem::path& cwd = {});

// Runs `script` with /bin/sh -c (for pipelines such as find | cpio); otherwise as run_step.
std::string run_shell_step(std::string_view step, const std::string& script,
                           const std::filesystem::path& cwd = {});

// `text` quoted for /bin/sh: 'text' with embedded single quotes escaped.
std::string shell_quote(std::string_view text);

// The last `n` non-empty lines of `text`, joined with "\n".
std::string last_lines(std::string_view text, std::size_t n);

}  // namespace cxlsim::vm
