// The accelerator device `cxlsim accel` serves (docs/accel.md), shared by `accel serve|run` and
// by `vm run|shell`, which serve a topology's Type 2 devices to the guest's QEMU: the options
// that pick it, the device (memory, compute backend, command interface, the fabric's config
// space), and a set of in-process device servers for a topology's Type 2 devices.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "accel/compute_backend.h"
#include "accel/device_memory.h"
#include "accel/device_server.h"
#include "accel/gpu_device.h"
#include "cli/profile_options.h"
#include "fabric/fabric.h"
#include "fabric/region.h"
#include "fabric/topology.h"

namespace cxlsim::cli {

struct AccelOptions {
  std::string topology, target, backend = "ptx", memory, socket, cuda_library = "libcuda.so.1";
  std::string vfio_cxl;  // serve: the vfio-cxl UAPI layout ("": the newest; "off")
  unsigned threads = 0;
  bool json = false, quiet = false, coherence = false, precommit = false;
  ProfileOptions profiles;  // --coherence: the timing model's profiles
  std::vector<std::string> command;
};

// The shim's folder beside the cxlsim binary (the build tree and an installed tree alike).
std::string shim_dir();
// The CUDA Driver API test programs' folder beside the cxlsim binary (the build tree's
// accel_programs); "" when there is none (an installed tree).
std::string accel_programs_dir();

// The device a server serves: its memory, compute backend, command interface and, when a
// topology names it, the fabric that holds its config space. Throws ValidationError for bad
// options (before anything runs).
struct Device {
  std::unique_ptr<Fabric> fabric;
  const ConfigSpace* config = nullptr;
  HdmDecoderCapability* hdm = nullptr;     // the fabric's decoders of the device
  std::unique_ptr<RegionManager> regions;  // the host's regions (a firmware-committed decoder)
  std::string name = "accel";
  std::unique_ptr<accel::DeviceMemory> memory;
  std::unique_ptr<accel::ComputeBackend> backend;
  std::unique_ptr<accel::GpuDevice> gpu;

  explicit Device(const AccelOptions& o);
};

// One device server per Type 2 device of `topology` (the file or builtin the user named, already
// loaded as `t`), each on `dir`/accel-<id>.sock, served by threads of this process (ptx backend,
// no vfio-cxl face: BAR4 is always mappable), until destroyed: a guest's QEMU connects to them
// (`-device cxlsim-accel,socket=...`). Devices in `external` (id -> socket) are served by a
// server the caller started: only their socket is listed. Nothing outlives the object.
class AccelServers {
 public:
  AccelServers(const std::string& topology, const Topology& t, const std::filesystem::path& dir,
               const std::map<std::string, std::string>& external = {});
  AccelServers(const AccelServers&) = delete;
  AccelServers& operator=(const AccelServers&) = delete;
  ~AccelServers();
  // Type 2 device id -> its server's socket.
  [[nodiscard]] const std::map<std::string, std::string>& sockets() const { return sockets_; }

 private:
  struct Served {
    std::unique_ptr<Device> device;
    std::unique_ptr<accel::DeviceServer> server;
    std::thread thread;
  };
  void stop();  // stops every server and joins its thread
  std::vector<Served> served_;
  std::map<std::string, std::string> sockets_;
};

}  // namespace cxlsim::cli
