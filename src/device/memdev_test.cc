#include "device/memdev.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <vector>

#include "device/mbox_command.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

MemdevConfig config(Bytes vol, Bytes pmem) {
  MemdevConfig c;
  c.id = "mem-test";
  c.volatile_size = vol;
  c.persistent_size = pmem;
  return c;
}

TEST(Memdev, reads_back_what_was_written_across_partition_boundary) {
  Memdev m(config(MiB(256), MiB(256)));
  std::array<std::byte, 8> in{}, out{};
  for (size_t i = 0; i < in.size(); ++i) in[i] = std::byte(i + 1);
  const Dpa dpa(MiB(256).value() - 4);
  m.write(dpa, in);
  EXPECT_EQ(m.read(dpa, out), device::MediaAccess::kOk);
  EXPECT_EQ(in, out);
}

TEST(Memdev, access_beyond_capacity_throws) {
  Memdev m(config(Bytes(0), MiB(256)));
  std::array<std::byte, 2> buf{};
  EXPECT_THROW((void)m.read(Dpa(MiB(256).value() - 1), buf), std::out_of_range);
  EXPECT_THROW(m.write(Dpa(MiB(256).value()), buf), std::out_of_range);
}

TEST(Memdev, rejects_capacity_not_multiple_of_256_mib) {
  EXPECT_THROW(Memdev(config(MiB(128), Bytes(0))), ValidationError);
}

TEST(Memdev, endpoint_hdm_has_four_decoders_by_default) {
  Memdev m(config(Bytes(0), MiB(256)));
  EXPECT_EQ(m.hdm().decoder_count(), 4u);
  EXPECT_EQ(m.hdm().kind(), HdmKind::kEndpoint);
}

TEST(Memdev, file_backed_persistent_memory_survives_reopen) {
  const auto path =
      std::filesystem::temp_directory_path() / ("cxlsim-memdev-test-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  MemdevConfig c = config(MiB(256), MiB(256));
  c.persistent_path = path.string();
  const std::array<std::byte, 4> in = {std::byte(0xde), std::byte(0xad), std::byte(0xbe),
                                       std::byte(0xef)};
  const Dpa dpa(MiB(256).value() + 4096);
  {
    Memdev m(c);
    m.write(dpa, in);
    auto loc = m.file_location(dpa);
    ASSERT_TRUE(loc);
    EXPECT_EQ(loc->offset, 4096u);
    EXPECT_FALSE(m.file_location(Dpa(0)));
  }
  EXPECT_EQ(std::filesystem::file_size(path), MiB(256).value());
  {
    Memdev m(c);
    std::array<std::byte, 4> out{};
    EXPECT_EQ(m.read(dpa, out), device::MediaAccess::kOk);
    EXPECT_EQ(in, out);
  }
  std::filesystem::remove(path);
}

TEST(Memdev, unusable_backing_file_is_a_validation_error) {
  MemdevConfig c = config(Bytes(0), MiB(256));
  c.persistent_path = "/nonexistent-dir/x/y";
  EXPECT_THROW(Memdev m(c), ValidationError);
}

// DC regions follow the static capacity; host access needs an accepted extent (CXL 3.1 §9.13.3).
TEST(Memdev, dynamic_capacity_is_accessible_only_inside_accepted_extents) {
  MemdevConfig c = config(Bytes(0), MiB(256));
  c.dc_regions = {MiB(256)};
  Memdev m(c);
  ASSERT_EQ(m.dpa_span(), MiB(512));
  const Dpa dc(MiB(256).value() + MiB(4).value());
  std::array<std::byte, 64> in{}, out{};
  in.fill(std::byte{0x5a});
  out.fill(std::byte{1});
  EXPECT_EQ(m.write(dc, in), device::MediaAccess::kNoCapacity);
  EXPECT_EQ(m.read(dc, out), device::MediaAccess::kNoCapacity);
  EXPECT_EQ(out[0], std::byte{0});  // nothing transferred
  EXPECT_THROW((void)m.read(Dpa(MiB(512).value()), out), std::out_of_range);
  // The fabric manager offers [dc, dc+2M); the host accepts it (Add DC Response, 4802h).
  const device::DcExtent e{dc.value(), MiB(2).value(), {}, 0};
  ASSERT_EQ(m.cci().offer_dc_extents({e}), device::MboxReturn::kSuccess);
  EXPECT_EQ(m.read(dc, out), device::MediaAccess::kNoCapacity);  // offered is not accepted
  auto list = [&](uint16_t op) {
    std::vector<uint8_t> p(8 + 24, 0);
    p[0] = 1;
    for (size_t i = 0; i < 8; ++i) {
      p[8 + i] = static_cast<uint8_t>(e.dpa >> (8 * i));
      p[16 + i] = static_cast<uint8_t>(e.length >> (8 * i));
    }
    return m.cci().execute(op, p).rc;
  };
  ASSERT_EQ(list(device::opcode::kAddDcResponse), device::MboxReturn::kSuccess);
  EXPECT_EQ(m.write(dc, in), device::MediaAccess::kOk);
  EXPECT_EQ(m.read(dc, out), device::MediaAccess::kOk);
  EXPECT_EQ(in, out);
  // One byte past the extent is still unaccepted.
  EXPECT_EQ(m.read(dc + MiB(2) - Bytes(32), out), device::MediaAccess::kNoCapacity);
  ASSERT_EQ(list(device::opcode::kReleaseDc), device::MboxReturn::kSuccess);
  EXPECT_EQ(m.read(dc, out), device::MediaAccess::kNoCapacity);
  // Static capacity is unaffected.
  EXPECT_EQ(m.write(Dpa(0), in), device::MediaAccess::kOk);
}

}  // namespace
}  // namespace cxlsim
