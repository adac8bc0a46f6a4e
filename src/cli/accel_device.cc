#include "cli/accel_device.h"

#include <fmt/format.h>
#include <unistd.h>

#include <climits>

#include "accel/cuda_backend.h"
#include "accel/ptx_backend.h"
#include "fabric/topology_loader.h"
#include "spec/error.h"

namespace cxlsim::cli {

std::string shim_dir() {
  char buf[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  std::string dir = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string("./cxlsim");
  dir = dir.substr(0, dir.rfind('/'));
  for (const char* rel : {"/accel-shim", "/../lib/cxlsim/accel-shim"}) {
    if (::access((dir + rel + "/libcuda.so.1").c_str(), R_OK) == 0) return dir + rel;
  }
  return dir + "/accel-shim";
}

std::string accel_programs_dir() {
  const std::string dir = shim_dir() + "/../accel_programs";
  return ::access(dir.c_str(), X_OK) == 0 ? dir : std::string();
}

Device::Device(const AccelOptions& o) {
  if (o.backend != "ptx" && o.backend != "cuda") {
    throw ValidationError(fmt::format("--backend {}: choose ptx or cuda", o.backend));
  }
  if (o.backend == "cuda" && !o.memory.empty()) {
    throw ValidationError("--memory does not apply to --backend cuda (the GPU's memory)");
  }
  Bytes size = MiB(256);
  if (!o.topology.empty()) {
    const Topology topo = load_valid_topology(o.topology);
    if (topo.type2.empty()) {
      throw ValidationError(fmt::format("{} has no Type 2 device ([[type2]])", o.topology));
    }
    const Type2Spec* t = o.target.empty() ? &topo.type2.front() : topo.find_type2(o.target);
    if (t == nullptr) {
      throw ValidationError(
          fmt::format("--target {}: no Type 2 device of that id in {}", o.target, o.topology));
    }
    name = t->id;
    if (t->hdm_size.value() > 0) size = t->hdm_size;
    fabric = Fabric::build(topo);
    if (const auto m = fabric->find_memdev(t->id)) {
      config = fabric->endpoint(*m).config.get();
      hdm = &fabric->memdev(*m).hdm();
    }
  } else if (!o.target.empty()) {
    throw ValidationError("--target needs --topology");
  }
  if (o.backend == "cuda") {
    backend = std::make_unique<accel::CudaBackend>(o.cuda_library);
  } else {
    if (!o.memory.empty()) size = parse_bytes(o.memory);
    memory = std::make_unique<accel::DeviceMemory>(size);
    backend = std::make_unique<accel::PtxBackend>(*memory, o.threads);
  }
  gpu = std::make_unique<accel::GpuDevice>(*backend);
}

AccelServers::AccelServers(const std::string& topology, const Topology& t,
                           const std::filesystem::path& dir,
                           const std::map<std::string, std::string>& external) {
  try {
    for (const auto& d : t.type2) {
      if (const auto e = external.find(d.id); e != external.end()) {
        sockets_[d.id] = e->second;
        continue;
      }
      AccelOptions o;
      o.topology = topology;
      o.target = d.id;
      Served s;
      s.device = std::make_unique<Device>(o);
      s.server = std::make_unique<accel::DeviceServer>(*s.device->gpu, s.device->config);
      const std::string socket =
          (std::filesystem::absolute(dir) / fmt::format("accel-{}.sock", d.id)).string();
      s.server->listen(socket);
      accel::DeviceServer* server = s.server.get();
      s.thread = std::thread([server] { server->serve(); });
      sockets_[d.id] = socket;
      served_.push_back(std::move(s));
    }
  } catch (...) {
    stop();
    throw;
  }
}

AccelServers::~AccelServers() { stop(); }

void AccelServers::stop() {
  for (auto& s : served_) s.server->stop();
  for (auto& s : served_) {
    if (s.thread.joinable()) s.thread.join();
  }
  served_.clear();
}

}  // namespace cxlsim::cli
