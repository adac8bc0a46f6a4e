// cxlsim accel: the Type 2 accelerator that programs drive (docs/accel.md). `serve` runs the
// device server on a socket, `run` runs a program against a private server with the libcuda
// shim, `shim-dir` prints where the shim is.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <csignal>
#include <cstring>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "accel/cuda_backend.h"
#include "accel/device_memory.h"
#include "accel/device_server.h"
#include "accel/gpu_device.h"
#include "accel/ptx_backend.h"
#include "accel/vfio_cxl_device.h"
#include "cli/accel_device.h"
#include "cli/commands.h"
#include "cli/profile_options.h"
#include "cli/stop_signal.h"
#include "device/runtime_dir.h"
#include "fabric/fabric.h"
#include "fabric/region.h"
#include "fabric/topology_loader.h"
#include "frontend/coherence_scenarios.h"
#include "frontend/topology_arg.h"
#include "spec/error.h"

namespace cxlsim::cli {
namespace {

nlohmann::json counters_json(const Device& d) {
  const accel::GpuCounters& c = d.gpu->counters();
  return {{"device", d.name},
          {"backend", d.backend->name()},
          {"memory_bytes", d.backend->total_bytes()},
          {"commands", c.commands},
          {"failed_commands", c.failed},
          {"launches", c.launches},
          {"thread_instructions", c.thread_instructions},
          {"bytes_to_device", c.bytes_to_device},
          {"bytes_from_device", c.bytes_from_device},
          {"kernel_bytes_read", c.kernel_bytes - c.kernel_written},
          {"kernel_bytes_written", c.kernel_written}};
}

// What the program's traffic would cost on the topology through the coherence engine
// (frontend::cost_offload): copies in host bias, the kernels' device-memory accesses in device
// bias (with the flips) or in host bias throughout.
// The topology --coherence costs on, the accelerator's id there, and the profiles; throws
// ValidationError before anything runs.
struct CoherenceInputs {
  Topology topology;
  std::string accel;
  ProfileOptions::Loaded loaded;
  timing::DeviceProfile device;
};

CoherenceInputs coherence_inputs(const AccelOptions& o, const Device& d) {
  CoherenceInputs in{
      frontend::resolve_topology(o.topology.empty() ? "builtin:type2-accel" : o.topology),
      d.name,
      o.profiles.load(),
      {}};
  if (o.topology.empty()) in.accel = in.topology.type2.front().id;
  in.device = o.profiles.single_device(in.loaded, in.topology, in.accel, "accel run");
  return in;
}

nlohmann::json coherence_json(const CoherenceInputs& in, const Device& d) {
  frontend::CoherenceSetup s;
  s.host = in.loaded.host;
  s.local = in.loaded.local;
  s.device = in.device;
  s.topology = in.topology;
  s.accel = in.accel;
  s.accesses = 4096;
  const accel::GpuCounters& c = d.gpu->counters();
  const frontend::CoherenceReport r =
      frontend::cost_offload(s, {c.bytes_to_device, c.bytes_from_device,
                                 c.kernel_bytes - c.kernel_written, c.kernel_written});
  nlohmann::json j = {{"path", r.path}, {"host", s.host.name}, {"device", s.device.name}};
  for (const auto& row : r.rows) {
    const bool flip = row.name.rfind("flip", 0) == 0;
    j["phases"].push_back({{"name", row.name},
                           {"ns", row.latency_ns},
                           {"count", row.count},
                           {"unit", flip ? "pages" : "lines"},
                           {"messages_per_line", row.per_access_messages}});
  }
  for (const auto& [name, v] : r.ratios) j[name] = v;
  return j;
}

void print_coherence(const nlohmann::json& j) {
  std::cerr << fmt::format("coherence cost on {} ({} host, {} device memory):\n",
                           j["path"].get<std::string>(), j["host"].get<std::string>(),
                           j["device"].get<std::string>());
  for (const auto& p : j["phases"]) {
    std::cerr << fmt::format("  {:<50} {:>12.1f} us {:>10} {:<5} {:>6.2f} msgs/line\n",
                             p["name"].get<std::string>(), p["ns"].get<double>() / 1000.0,
                             p["count"].get<uint64_t>(), p["unit"].get<std::string>(),
                             p["messages_per_line"].get<double>());
  }
  std::cerr << fmt::format("  total with bias flips {:.1f} us, in host bias throughout {:.1f} us\n",
                           j["total_ns_with_flips"].get<double>() / 1000.0,
                           j["total_ns_host_bias"].get<double>() / 1000.0);
}

// The vfio-cxl layout --vfio-cxl asks for (nullopt: off), checked before anything is built.
std::optional<accel::VfioCxlLayout> vfio_cxl_layout(const AccelOptions& o) {
  const bool explicit_face = !o.vfio_cxl.empty() && o.vfio_cxl != "off";
  if (o.vfio_cxl == "off" || (o.backend == "cuda" && !explicit_face && !o.precommit)) {
    if (o.precommit) {
      throw ValidationError("--precommit needs the vfio-cxl face (--vfio-cxl v1|v2|v3)");
    }
    return std::nullopt;  // the cuda backend has no device memory file to map and zap
  }
  if (o.backend == "cuda") {
    throw ValidationError("--vfio-cxl needs device memory the server can map (--backend ptx)");
  }
  if (o.vfio_cxl.empty()) return accel::kVfioCxlNewest;
  const auto l = accel::parse_vfio_cxl_layout(o.vfio_cxl);
  if (!l) throw ValidationError(fmt::format("--vfio-cxl {}: choose v1, v2, v3 or off", o.vfio_cxl));
  return l;
}

// --precommit on a topology's device: the host commits a RAM region on it in the first window
// that takes one, as firmware (or the host's CXL driver) would before vfio-pci binds; the
// device's decoder 0 then holds the window's HPA and DPA 0.
void firmware_commit(Device& d) {
  d.regions = std::make_unique<RegionManager>(*d.fabric);
  std::string why;
  for (size_t w = 0; w < d.fabric->windows().size(); ++w) {
    RegionRequest r;
    r.window = w;
    r.targets = {d.name};
    r.mode = RegionMode::kRam;
    try {
      d.regions->create(r);
      return;
    } catch (const ValidationError& e) {
      why += fmt::format("\n  window {}: {}", w, e.what());
    }
  }
  throw ValidationError(fmt::format("--precommit: no window takes a region on {}:{}", d.name, why));
}

// The vfio-cxl face `accel serve` gives the device (docs/vfio_cxl.md), or null.
std::unique_ptr<accel::VfioCxlDevice> vfio_cxl(const AccelOptions& o, Device& d,
                                               std::optional<accel::VfioCxlLayout> layout) {
  if (!layout || d.memory == nullptr) return nullptr;
  if (o.precommit && d.hdm != nullptr) firmware_commit(d);
  accel::VfioCxlOptions c;
  c.layout = *layout;
  c.precommit = o.precommit;
  return std::make_unique<accel::VfioCxlDevice>(*d.memory, d.hdm, d.config, c);
}

int serve(const AccelOptions& o) {
  const auto layout = vfio_cxl_layout(o);
  Device d(o);
  const auto cxl = vfio_cxl(o, d, layout);
  accel::DeviceServer server(*d.gpu, d.config, cxl.get());
  StopSignal stop_signal;
  device::ensure_runtime_dir_for(o.socket);
  server.listen(o.socket);
  stop_signal.watch([&] { server.stop(); });
  if (!o.quiet) {
    std::cerr << fmt::format(
        "cxlsim accel: serving {} ({} backend, {} MiB{}) on {}\n", d.name, d.backend->name(),
        d.backend->total_bytes() >> 20,
        cxl ? fmt::format(", vfio-cxl {}{}", accel::vfio_cxl_layout_name(cxl->layout()),
                          cxl->precommitted()
                              ? fmt::format(" precommitted at HPA {:#x}",
                                            cxl->physical_hdm().state(0).base.value())
                              : "")
            : "",
        o.socket);
  }
  server.serve();
  if (o.json) std::cout << counters_json(d).dump(2) << "\n";
  return 0;
}

// Runs the program with the shim first on the library path and the server's socket in its
// environment; returns its wait status.
int run_program(const AccelOptions& o, const std::string& socket) {
  const pid_t pid = fork();
  if (pid < 0) throw OperationError(fmt::format("fork: {}", std::strerror(errno)));
  if (pid == 0) {
    const char* old = getenv("LD_LIBRARY_PATH");
    const std::string path =
        shim_dir() + (old != nullptr && *old != 0 ? ":" + std::string(old) : "");
    setenv("LD_LIBRARY_PATH", path.c_str(), 1);
    setenv("CXLSIM_ACCEL_SOCKET", socket.c_str(), 1);
    std::vector<char*> argv;
    for (const auto& a : o.command) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::cerr << fmt::format("cxlsim: error: cannot run {}: {}\n", o.command[0],
                             std::strerror(errno));
    _exit(127);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

int run(const AccelOptions& o) {
  if (o.command.empty()) throw ValidationError("accel run needs a program: accel run -- PROGRAM");
  Device d(o);
  std::optional<CoherenceInputs> costs;
  if (o.coherence) costs = coherence_inputs(o, d);
  accel::DeviceServer server(*d.gpu, d.config);
  device::ensure_runtime_dir();
  const std::string socket = fmt::format("{}/accel-{}.sock", device::runtime_dir(), getpid());
  server.listen(socket);
  std::thread serving([&] { server.serve(); });
  const int status = run_program(o, socket);
  server.stop();
  serving.join();
  const int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  nlohmann::json j = counters_json(d);
  if (costs) j["coherence"] = coherence_json(*costs, d);
  j["exit_status"] = code;
  if (WIFSIGNALED(status)) j["signal"] = WTERMSIG(status);
  if (o.json) {
    std::cout << j.dump(2) << "\n";
  } else if (!o.quiet) {
    std::cerr << fmt::format(
        "cxlsim accel: {} ({} backend): {} commands ({} failed), {} launches, {} thread "
        "instructions, {} bytes to and {} from the device; program exit status {}\n",
        d.name, d.backend->name(), j["commands"].get<uint64_t>(),
        j["failed_commands"].get<uint64_t>(), j["launches"].get<uint64_t>(),
        j["thread_instructions"].get<uint64_t>(), j["bytes_to_device"].get<uint64_t>(),
        j["bytes_from_device"].get<uint64_t>(), code);
    if (costs) print_coherence(j["coherence"]);
  }
  return code;
}

void device_options(CLI::App* c, AccelOptions& o) {
  c->add_option("--topology", o.topology,
                "topology holding the Type 2 device (file, builtin:NAME, newick:...); without "
                "it a bare device of --memory bytes");
  c->add_option("--target", o.target, "id of the Type 2 device (default: the first)");
  c->add_option("--backend", o.backend,
                "compute backend: ptx (kernels on the host CPUs) or cuda (a CUDA driver library "
                "on this host: a GPU)");
  c->add_option("--cuda-library", o.cuda_library,
                "--backend cuda: the driver library to load (default libcuda.so.1)");
  c->add_option("--memory", o.memory,
                "device memory size (e.g. 512M; default: the device's HDM size, or 256 MiB)");
  c->add_option("--threads", o.threads, "host threads a kernel launch may use (0: all)");
  c->add_flag("--json", o.json, "print the device's counters as JSON on stdout");
  c->add_flag("--quiet", o.quiet, "no report on stderr");
}

}  // namespace

void register_accel(CLI::App& app) {
  auto* accel = app.add_subcommand(
      "accel", "the Type 2 accelerator programs drive through a libcuda shim (docs/accel.md)");
  accel->require_subcommand(1);
  auto o = std::make_shared<AccelOptions>();

  auto* s = accel->add_subcommand("serve", "serve the device on a vfio-user socket until SIGTERM");
  device_options(s, *o);
  s->add_option("--socket", o->socket, "Unix socket path to listen on")->required();
  s->add_option("--vfio-cxl", o->vfio_cxl,
                "the vfio-cxl UAPI layout of the device's CXL face: v1, v2, v3 (default: v3, the "
                "newest) or off (docs/vfio_cxl.md)");
  s->add_flag("--precommit", o->precommit,
              "firmware commits HDM decoder 0 before the device is opened (the series' "
              "PRECOMMITTED / FIRMWARE_COMMITTED / HOST_FIRMWARE_COMMITTED device)");
  s->callback([o] { finish(serve(*o)); });

  auto* r = accel->add_subcommand(
      "run", "run PROGRAM with the libcuda shim against a private device server");
  device_options(r, *o);
  r->add_option("command", o->command, "-- PROGRAM [ARGS...]")->required();
  r->add_flag("--coherence", o->coherence,
              "also report what the program's copies and kernel accesses cost through the "
              "coherence engine, in host bias and with bias flips (--host/--local/--device)");
  o->profiles.add_to(*r);
  r->callback([o, r] {
    for (const char* opt : {"--device", "--device-of", "--host", "--local", "--region",
                            "--host-cache", "--expander-latency", "--expander-bandwidth"}) {
      if (!o->coherence && r->get_option(opt)->count() > 0) {
        throw ValidationError(fmt::format("{} applies only with --coherence", opt));
      }
    }
    finish(run(*o));
  });

  auto* d = accel->add_subcommand("shim-dir",
                                  "print the folder holding libcuda.so, libcuda.so.1 and cuda.h");
  d->callback([] { std::cout << shim_dir() << "\n"; });
}

}  // namespace cxlsim::cli
