#include "accel/device_server.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "accel/vfio_user.h"
#include "accel/vfu_stream.h"
#include "spec/error.h"

namespace cxlsim::accel {
namespace {

vfu_header reply_to(const vfu_header& h, size_t payload) {
  vfu_header r{};
  r.msg_id = h.msg_id;
  r.command = h.command;
  r.size = static_cast<uint32_t>(sizeof r + payload);
  r.flags = VFU_FLAG_REPLY;
  return r;
}

bool send_error(VfuStream& io, const vfu_header& h, int err) {
  vfu_header r = reply_to(h, 0);
  r.flags |= VFU_FLAG_ERROR;
  r.error = static_cast<uint32_t>(err);
  return io.send(r, nullptr, 0);
}

}  // namespace

DeviceServer::DeviceServer(GpuDevice& gpu, const ConfigSpace* config, VfioCxlDevice* cxl)
    : gpu_(gpu), config_(config), cxl_(cxl) {}

void DeviceServer::listen(const std::string& path) { server_.listen(path); }

void DeviceServer::serve() {
  server_.serve([this](int fd) { serve_connection(fd); });
}

void DeviceServer::serve_connection(int fd) {
  VfuStream io(fd);
  std::vector<std::byte> payload;
  vfu_header h{};
  while (!server_.stopping()) {
    const VfuStream::Next got = io.next(h, payload);
    if (got == VfuStream::Next::kIdle) continue;
    if (got != VfuStream::Next::kMessage) break;  // closed, or malformed: the device is untouched
    ++messages_;
    if (!handle(io, h, payload)) break;
  }
  ::close(fd);
}

bool DeviceServer::handle(VfuStream& io, const vfu_header& h, std::vector<std::byte>& payload) {
  switch (h.command) {
    case VFU_CMD_VERSION: {
      if (payload.size() < sizeof(vfu_version)) return false;
      std::string body(sizeof(vfu_version), '\0');
      const vfu_version v{VFU_VERSION_MAJOR, VFU_VERSION_MINOR};
      std::memcpy(body.data(), &v, sizeof v);
      body += R"({"capabilities":{"max_msg_size":16777280}})";
      body.push_back('\0');
      return io.send(reply_to(h, body.size()), body.data(), body.size());
    }
    case VFU_CMD_DEVICE_GET_INFO:
      return device_info(io, h, payload);
    case VFU_CMD_DEVICE_GET_REGION_INFO:
      return region_info(io, h, payload);
    case VFU_CMD_REGION_READ:
      return region_read(io, h, payload);
    case VFU_CMD_REGION_WRITE:
      return region_write(io, h, payload);
    case VFU_CMD_DEVICE_RESET: {
      const std::lock_guard<std::mutex> l(lock_);
      gpu_.reset();
      if (cxl_ != nullptr) cxl_->reset();
      return io.send(reply_to(h, 0), nullptr, 0);
    }
    default:
      return send_error(io, h, ENOSYS);
  }
}

// The client's argsz (the payload's first word; 0 without one) decides how much comes back.
bool DeviceServer::device_info(VfuStream& io, const vfu_header& h,
                               const std::vector<std::byte>& payload) {
  uint32_t argsz = 0;
  if (payload.size() >= sizeof argsz) std::memcpy(&argsz, payload.data(), sizeof argsz);
  const uint32_t flags = VFU_DEVICE_FLAGS_PCI | VFU_DEVICE_FLAGS_RESET;
  if (cxl_ != nullptr) {
    std::vector<std::byte> body;
    {
      const std::lock_guard<std::mutex> l(lock_);
      body = cxl_->device_info(argsz, flags);
    }
    return io.send(reply_to(h, body.size()), body.data(), body.size());
  }
  const vfu_device_info i{sizeof(vfu_device_info), flags, VFU_PCI_NUM_REGIONS, 0};
  return io.send(reply_to(h, sizeof i), &i, sizeof i);
}

bool DeviceServer::region_info(VfuStream& io, const vfu_header& h,
                               const std::vector<std::byte>& payload) {
  if (payload.size() < sizeof(vfu_region_info)) return false;
  vfu_region_info i{};
  std::memcpy(&i, payload.data(), sizeof i);
  std::optional<VfioCxlDevice::RegionInfo> cxl;
  int pass = -1;
  uint64_t bar4_size = 0;
  {
    const std::lock_guard<std::mutex> l(lock_);
    bar4_size = gpu_.backend().total_bytes();
    if (cxl_ != nullptr) cxl = cxl_->region_info(i.index, i.argsz);
    // With a vfio-cxl face BAR4 is the DPA region's memory: mappable while it is live.
    if (!cxl && i.index == CXL2_BAR4_INDEX && (cxl_ == nullptr || cxl_->dpa_active())) {
      pass = gpu_.backend().memory_fd();
    }
  }
  if (cxl) {
    return io.send(reply_to(h, cxl->reply.size()), cxl->reply.data(), cxl->reply.size(), cxl->fd);
  }
  i.argsz = sizeof i;
  i.cap_offset = 0;
  i.offset = 0;
  i.flags = VFU_REGION_INFO_FLAG_READ | VFU_REGION_INFO_FLAG_WRITE;
  if (i.index == CXL2_BAR2_INDEX) {
    i.size = CXL2_BAR2_SIZE;
  } else if (i.index == CXL2_BAR4_INDEX) {
    i.size = bar4_size;
    if (pass >= 0) i.flags |= VFU_REGION_INFO_FLAG_MMAP;
  } else if (i.index == VFU_PCI_CONFIG_REGION_INDEX) {
    i.size = 4096;
  } else {
    i.size = 0;
    i.flags = 0;
  }
  return io.send(reply_to(h, sizeof i), &i, sizeof i, pass);
}

bool DeviceServer::bar4(const vfu_region_access& a, const std::function<void(uint64_t)>& move) {
  const uint64_t addr = CXL2_DEVICE_BASE + a.offset;
  if (a.offset > UINT64_MAX - CXL2_DEVICE_BASE || !gpu_.backend().allocated(addr, a.count)) {
    return false;
  }
  move(addr);
  return true;
}

void DeviceServer::config_read(uint64_t offset, std::byte* out, uint32_t n) const {
  for (uint32_t i = 0; i < n; ++i) {
    const uint64_t off = offset + i;
    uint8_t b = 0xff;
    if (off < 4096 && config_ != nullptr) {
      b = config_->read8(static_cast<uint16_t>(off));
    }
    out[i] = std::byte{b};
  }
}

bool DeviceServer::region_read(VfuStream& io, const vfu_header& h,
                               const std::vector<std::byte>& payload) {
  if (payload.size() != sizeof(vfu_region_access)) return false;
  vfu_region_access a{};
  std::memcpy(&a, payload.data(), sizeof a);
  if (a.count > VFU_MAX_MESSAGE - 64) return false;
  std::vector<std::byte> body(sizeof a + a.count);
  std::memcpy(body.data(), &a, sizeof a);
  bool ok = true;
  int err = EINVAL;
  {
    const std::lock_guard<std::mutex> l(lock_);
    const std::span<std::byte> out(body.data() + sizeof a, a.count);
    if (const auto r = cxl_ != nullptr ? cxl_->read(a.region, a.offset, out) : std::nullopt) {
      err = -*r;
      ok = *r == 0;
    } else if (a.region == CXL2_BAR2_INDEX) {
      ok = gpu_.read(a.offset, out);
    } else if (a.region == CXL2_BAR4_INDEX) {
      ok = bar4(a, [&](uint64_t addr) { gpu_.backend().read(addr, out); });
    } else if (a.region == VFU_PCI_CONFIG_REGION_INDEX && a.offset <= 4096 &&
               a.count <= 4096 - a.offset) {
      config_read(a.offset, out.data(), a.count);
    } else {
      ok = false;
    }
  }
  if (!ok) return send_error(io, h, err);
  return io.send(reply_to(h, body.size()), body.data(), body.size());
}

bool DeviceServer::region_write(VfuStream& io, const vfu_header& h,
                                const std::vector<std::byte>& payload) {
  if (payload.size() < sizeof(vfu_region_access)) return false;
  vfu_region_access a{};
  std::memcpy(&a, payload.data(), sizeof a);
  if (payload.size() != sizeof a + a.count) return false;
  const std::span<const std::byte> in(payload.data() + sizeof a, a.count);
  bool ok = true;
  int err = EINVAL;
  {
    const std::lock_guard<std::mutex> l(lock_);
    if (const auto r = cxl_ != nullptr ? cxl_->write(a.region, a.offset, in) : std::nullopt) {
      err = -*r;
      ok = *r == 0;
    } else if (a.region == CXL2_BAR2_INDEX) {
      ok = gpu_.write(a.offset, in);
    } else if (a.region == CXL2_BAR4_INDEX) {
      ok = bar4(a, [&](uint64_t addr) { gpu_.backend().write(addr, in); });
    } else {
      ok = false;  // config space writes are not emulated by the server (yet): refused
    }
  }
  if ((h.flags & VFU_FLAG_NO_REPLY) != 0) return true;  // the client waits for nothing
  if (!ok) return send_error(io, h, err);
  return io.send(reply_to(h, sizeof a), &a, sizeof a);
}

}  // namespace cxlsim::accel
