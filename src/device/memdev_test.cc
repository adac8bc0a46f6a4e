#include "device/memdev.h"

#include <gtest/gtest.h>

#include <array>
#include <filesystem>

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
  m.read(dpa, out);
  EXPECT_EQ(in, out);
}

TEST(Memdev, access_beyond_capacity_throws) {
  Memdev m(config(Bytes(0), MiB(256)));
  std::array<std::byte, 2> buf{};
  EXPECT_THROW(m.read(Dpa(MiB(256).value() - 1), buf), std::out_of_range);
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
  const auto path = std::filesystem::temp_directory_path() /
                    ("cxlsim-memdev-test-" + std::to_string(::getpid()));
  std::filesystem::remove(path);
  MemdevConfig c = config(MiB(256), MiB(256));
  c.persistent_path = path.string();
  const std::array<std::byte, 4> in = {std::byte(0xde), std::byte(0xad), std::byte(0xbe), std::byte(0xef)};
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
    m.read(dpa, out);
    EXPECT_EQ(in, out);
  }
  std::filesystem::remove(path);
}

TEST(Memdev, unusable_backing_file_is_a_validation_error) {
  MemdevConfig c = config(Bytes(0), MiB(256));
  c.persistent_path = "/nonexistent-dir/x/y";
  EXPECT_THROW(Memdev m(c), ValidationError);
}

}  // namespace
}  // namespace cxlsim
