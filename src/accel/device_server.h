// The accelerator's device server: serves one Type 2 device over a Unix socket with the
// vfio-user protocol (vfio_user.h): PCI config space (region 7: the fabric's config space of
// the device, with its CXL DVSECs, when the server was given one), BAR2 (the GPU command
// interface, gpu_device.h) by REGION_READ/WRITE, and BAR4 (device memory): mapped by the client
// from the file descriptor the GET_REGION_INFO reply carries when the backend's memory is a
// file, read and written (inside allocations) by REGION_READ/WRITE either way. Each connection is
// served by its own thread; one device lock serializes every access, so one command is in flight at
// a time. A malformed message closes its connection (the device is untouched); a failed access is
// answered with the error flag and an errno. With a vfio-cxl face (vfio_cxl_device.h) the device
// is also a CXL Type 2 device as the kernel's vfio-cxl driver presents one: device info with
// the CXL capability, the DPA and COMP_REGS regions, the component BAR's sparse mmap, DVSEC
// config writes, and a reset that zaps and re-snapshots; BAR4 is then offered for mmap only
// while the DPA is live (else its clients copy through DATA).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "accel/gpu_device.h"
#include "accel/vfio_cxl_device.h"
#include "accel/vfio_user.h"
#include "accel/vfu_stream.h"
#include "spec/config_space.h"
#include "spec/unix_server.h"

namespace cxlsim::accel {

class DeviceServer {
 public:
  // `config` may be null (config reads then return all ones, as for an absent function).
  // `cxl` may be null (no vfio-cxl face); it must outlive the server.
  DeviceServer(GpuDevice& gpu, const ConfigSpace* config, VfioCxlDevice* cxl = nullptr);
  DeviceServer(const DeviceServer&) = delete;
  DeviceServer& operator=(const DeviceServer&) = delete;

  // Binds and listens on `path` (an existing socket file there is replaced). Throws
  // OperationError naming the path.
  void listen(const std::string& path);
  // Accepts and serves connections until stop() (from any thread or a signal handler's flag).
  void serve();
  void stop() { server_.stop(); }
  // Serves one connected stream `fd` in the calling thread until it closes, a malformed message
  // arrives or stop(); closes fd (tests and the fuzz harness drive the protocol through it).
  void serve_stream(int fd) { serve_connection(fd); }
  [[nodiscard]] uint64_t messages() const { return messages_; }
  [[nodiscard]] std::mutex& device_lock() { return lock_; }

 private:
  void serve_connection(int fd);
  // Handles one message; false when the connection must close (malformed).
  bool handle(VfuStream& io, const ::vfu_header& h, std::vector<std::byte>& payload);
  bool region_read(VfuStream& io, const ::vfu_header& h, const std::vector<std::byte>& payload);
  bool region_write(VfuStream& io, const ::vfu_header& h, const std::vector<std::byte>& payload);
  void config_read(uint64_t offset, std::byte* out, uint32_t n) const;
  // A BAR4 access: `move(device address)` when the range lies in one allocation (lock held).
  bool bar4(const ::vfu_region_access& a, const std::function<void(uint64_t)>& move);

  bool device_info(VfuStream& io, const ::vfu_header& h, const std::vector<std::byte>& payload);
  bool region_info(VfuStream& io, const ::vfu_header& h, const std::vector<std::byte>& payload);

  GpuDevice& gpu_;
  const ConfigSpace* config_;
  VfioCxlDevice* cxl_;
  std::mutex lock_;
  std::atomic<uint64_t> messages_{0};
  // Last: destroyed first, joining the connections' threads while the device is still here.
  UnixServer server_;
};

}  // namespace cxlsim::accel
