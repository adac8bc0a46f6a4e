// The accelerator's parts without a program: device memory's allocator, the GPU command
// interface's registers and commands, and the device server's vfio-user face over a real socket.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <thread>

#include "accel/device_memory.h"
#include "accel/device_server.h"
#include "accel/gpu_device.h"
#include "accel/ptx_backend.h"
#include "accel/vfio_user.h"

namespace cxlsim::accel {
namespace {

// Allocations never overlap, stay inside memory, and freeing everything restores every byte.
RC_GTEST_PROP(DeviceMemory, AllocationsAreDisjointAndFreeingRestoresAll,
              (const std::vector<uint16_t>& sizes)) {
  DeviceMemory m(MiB(4));
  std::map<uint64_t, uint64_t> live;
  for (size_t i = 0; i < sizes.size(); ++i) {
    const auto a = m.alloc(uint64_t{sizes[i]} + 1);
    if (!a) continue;
    RC_ASSERT(*a % DeviceMemory::kAlign == 0);
    RC_ASSERT(m.host(*a, sizes[i] + 1u) != nullptr);
    const auto next = live.lower_bound(*a);
    if (next != live.end()) RC_ASSERT(*a + sizes[i] + 1 <= next->first);
    if (next != live.begin()) RC_ASSERT(std::prev(next)->second <= *a);
    live[*a] = *a + sizes[i] + 1;
    if (i % 3 == 2) {  // free one from the middle now and then
      const auto victim = std::next(live.begin(), static_cast<long>(live.size() / 2));
      RC_ASSERT(m.release(victim->first));
      RC_ASSERT(!m.release(victim->first));
      live.erase(victim);
    }
  }
  for (const auto& [a, end] : live) {
    RC_ASSERT(m.allocated(a, end - a));
    RC_ASSERT(!m.allocated(a, end - a + DeviceMemory::kAlign));
    RC_ASSERT(m.release(a));
  }
  RC_ASSERT(m.free_bytes() == m.size());
  RC_ASSERT(m.alloc(m.size()).has_value());  // coalesced back into one range
}

struct Gpu {
  DeviceMemory mem{MiB(16)};
  PtxBackend backend{mem, 1};
  GpuDevice gpu{backend};
  uint32_t run(uint32_t cmd, std::initializer_list<uint64_t> params = {}) {
    uint32_t i = 0;
    for (const uint64_t p : params) write64(CXL2_REG_PARAM0 + 8 * i++, p);
    EXPECT_TRUE(gpu.write(CXL2_REG_CMD, std::as_bytes(std::span(&cmd, 1))));
    return read32(CXL2_REG_CMD_STATUS);
  }
  void write64(uint32_t off, uint64_t v) {
    ASSERT_TRUE(gpu.write(off, std::as_bytes(std::span(&v, 1))));
  }
  uint32_t read32(uint32_t off) {
    uint32_t v = 0;
    EXPECT_TRUE(gpu.read(off, std::as_writable_bytes(std::span(&v, 1))));
    return v;
  }
  std::string message() {
    std::string s(256, '\0');
    EXPECT_TRUE(gpu.read(CXL2_REG_DATA, std::as_writable_bytes(std::span(s.data(), s.size()))));
    return s.c_str();
  }
};

TEST(GpuDevice, IdentificationRegistersAreReadOnly) {
  Gpu g;
  EXPECT_EQ(g.read32(CXL2_REG_MAGIC), CXL2_MAGIC_VALUE);
  g.write64(CXL2_REG_MAGIC, 0);
  EXPECT_EQ(g.read32(CXL2_REG_MAGIC), CXL2_MAGIC_VALUE);
  // A write across STATUS into CMD_STATUS keeps STATUS and lands the rest.
  const uint64_t across = 0x1111111122222222;
  ASSERT_TRUE(g.gpu.write(CXL2_REG_STATUS, std::as_bytes(std::span(&across, 1))));
  EXPECT_EQ(g.read32(CXL2_REG_STATUS), CXL2_STATUS_READY);
  EXPECT_EQ(g.read32(CXL2_REG_STATUS + 4), 0x11111111u);
  EXPECT_EQ(g.gpu.reg64(CXL2_REG_TOTAL_MEM), MiB(16).value());
  std::byte b[8];
  EXPECT_FALSE(g.gpu.read(CXL2_BAR2_SIZE - 4, b));  // past the BAR
}

TEST(GpuDevice, FailedCommandsReportTheirCuresultAndAMessage) {
  Gpu g;
  EXPECT_EQ(g.run(0x7f), CXL2_ERR_NOT_SUPPORTED);
  EXPECT_NE(g.message().find("unknown command"), std::string::npos);
  EXPECT_EQ(g.run(CXL2_CMD_MEM_ALLOC, {0}), CXL2_ERR_INVALID_VALUE);
  EXPECT_EQ(g.run(CXL2_CMD_MEM_ALLOC, {MiB(17).value()}), CXL2_ERR_OUT_OF_MEMORY);
  EXPECT_EQ(g.run(CXL2_CMD_MEM_ALLOC, {4096}), CXL2_OK);
  const uint64_t a = g.gpu.reg64(CXL2_REG_RESULT0);
  EXPECT_EQ(g.run(CXL2_CMD_COPY_HTOD, {a + 4000, 200, 0}), CXL2_ERR_INVALID_VALUE);
  EXPECT_EQ(g.run(CXL2_CMD_COPY_HTOD, {a + 96, 4000, 0}), CXL2_OK);
  EXPECT_EQ(g.run(CXL2_CMD_MEM_FREE, {a + 64}), CXL2_ERR_INVALID_VALUE);
  EXPECT_EQ(g.run(CXL2_CMD_MEM_FREE, {a}), CXL2_OK);
  EXPECT_EQ(g.run(CXL2_CMD_LAUNCH_KERNEL, {12345}), CXL2_ERR_INVALID_HANDLE);
  EXPECT_EQ(g.gpu.counters().failed, 6u);
}

TEST(GpuDevice, CopiesThroughDataAndMemsetReachDeviceMemory) {
  Gpu g;
  ASSERT_EQ(g.run(CXL2_CMD_MEM_ALLOC, {64}), CXL2_OK);
  const uint64_t a = g.gpu.reg64(CXL2_REG_RESULT0);
  const char text[] = "through the DATA window";
  ASSERT_TRUE(g.gpu.write(CXL2_REG_DATA, std::as_bytes(std::span(text))));
  ASSERT_EQ(g.run(CXL2_CMD_COPY_HTOD, {a, sizeof text, 1}), CXL2_OK);
  EXPECT_STREQ(reinterpret_cast<const char*>(g.mem.host(a, sizeof text)), text);
  ASSERT_EQ(g.run(CXL2_CMD_MEMSET, {a, 0xabcd1234, 4, 2}), CXL2_OK);
  ASSERT_EQ(g.run(CXL2_CMD_COPY_DTOH, {a, 8, 1}), CXL2_OK);
  uint32_t words[2];
  ASSERT_TRUE(g.gpu.read(CXL2_REG_DATA, std::as_writable_bytes(std::span(words))));
  EXPECT_EQ(words[0], 0xabcd1234u);
  EXPECT_EQ(words[1], 0xabcd1234u);
}

// A vfio-user client over a socketpair-free real Unix socket, as the shim talks.
class Client {
 public:
  explicit Client(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
    for (int i = 0; i < 100 && connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0; ++i) {
      usleep(10000);
    }
  }
  ~Client() { ::close(fd_); }
  // Sends a command; returns the reply's header and payload.
  std::pair<vfu_header, std::vector<std::byte>> call(uint16_t cmd, const void* p, size_t n) {
    vfu_header h{++id_, cmd, static_cast<uint32_t>(sizeof h + n), 0, 0};
    EXPECT_EQ(::write(fd_, &h, sizeof h), static_cast<ssize_t>(sizeof h));
    if (n > 0) {
      EXPECT_EQ(::write(fd_, p, n), static_cast<ssize_t>(n));
    }
    vfu_header r{};
    EXPECT_TRUE(read_exact(&r, sizeof r));
    std::vector<std::byte> body(r.size >= sizeof r ? r.size - sizeof r : 0);
    EXPECT_TRUE(body.empty() || read_exact(body.data(), body.size()));
    return {r, body};
  }
  bool read_exact(void* p, size_t n) {
    auto* c = static_cast<char*>(p);
    while (n > 0) {
      const ssize_t r = ::read(fd_, c, n);
      if (r <= 0) return false;
      c += r;
      n -= static_cast<size_t>(r);
    }
    return true;
  }
  [[nodiscard]] int fd() const { return fd_; }

 private:
  int fd_ = -1;
  uint16_t id_ = 0;
};

TEST(DeviceServer, ServesConfigSpaceAndBarsAndRefusesWhatItDoesNot) {
  Gpu g;
  ConfigSpace config(HeaderType::kType0, PciIdentity{0x1e98, 0x0d93, 0x120000, 1, 0, 0});
  DeviceServer server(g.gpu, &config);
  const std::string path = ::testing::TempDir() + "/accel_test.sock";
  server.listen(path);
  std::thread t([&] { server.serve(); });
  {
    Client c(path);
    auto [h, body] = c.call(VFU_CMD_DEVICE_GET_INFO, nullptr, 0);
    ASSERT_EQ(body.size(), sizeof(vfu_device_info));
    vfu_device_info info{};
    std::memcpy(&info, body.data(), sizeof info);
    EXPECT_EQ(h.flags & VFU_FLAG_TYPE_MASK, VFU_FLAG_REPLY);
    EXPECT_EQ(info.num_regions, VFU_PCI_NUM_REGIONS);
    EXPECT_TRUE(info.flags & VFU_DEVICE_FLAGS_PCI);

    vfu_region_access a{0, VFU_PCI_CONFIG_REGION_INDEX, 4};
    auto [h2, cfg] = c.call(VFU_CMD_REGION_READ, &a, sizeof a);
    ASSERT_EQ(cfg.size(), sizeof a + 4);
    uint32_t ids = 0;
    std::memcpy(&ids, cfg.data() + sizeof a, 4);
    EXPECT_EQ(ids, config.read32(0));  // the config space given, byte for byte
    EXPECT_EQ(ids, 0x0d931e98u);

    std::vector<std::byte> w(sizeof a + 4);
    std::memcpy(w.data(), &a, sizeof a);
    auto [h3, none] = c.call(VFU_CMD_REGION_WRITE, w.data(), w.size());
    EXPECT_TRUE(h3.flags & VFU_FLAG_ERROR);  // config writes are refused
    EXPECT_EQ(h3.error, static_cast<uint32_t>(EINVAL));

    vfu_region_access m{0, CXL2_BAR2_INDEX, 4};
    auto [h4, magic] = c.call(VFU_CMD_REGION_READ, &m, sizeof m);
    uint32_t v = 0;
    std::memcpy(&v, magic.data() + sizeof m, 4);
    EXPECT_EQ(v, CXL2_MAGIC_VALUE);

    auto [h5, unknown] = c.call(99, nullptr, 0);
    EXPECT_TRUE(h5.flags & VFU_FLAG_ERROR);
    EXPECT_EQ(h5.error, static_cast<uint32_t>(ENOSYS));

    // A malformed header (size smaller than a header) closes the connection, nothing else.
    vfu_header bad{1, VFU_CMD_REGION_READ, 3, 0, 0};
    ASSERT_EQ(::write(c.fd(), &bad, sizeof bad), static_cast<ssize_t>(sizeof bad));
    char x;
    EXPECT_EQ(::read(c.fd(), &x, 1), 0);
  }
  Client again(path);  // the server still serves
  auto [h6, body6] = again.call(VFU_CMD_DEVICE_GET_INFO, nullptr, 0);
  EXPECT_EQ(body6.size(), sizeof(vfu_device_info));
  server.stop();
  t.join();
}

}  // namespace
}  // namespace cxlsim::accel
