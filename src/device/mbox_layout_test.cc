#include "device/mbox_layout.h"

#include <gtest/gtest.h>

#include "device/mbox_payloads.h"

namespace cxlsim::device {
namespace {

// check_layout refuses what a typo in a payload declaration would produce.
static_assert(check_layout(8, LeField{0, 4}, LeField{4, 4}));
static_assert(!check_layout(8, LeField{0, 4}, LeField{2, 2}));  // overlap
static_assert(!check_layout(8, LeField{4, 4}, LeField{0, 4}));  // out of order
static_assert(!check_layout(6, LeField{0, 4}, LeField{4, 4}));  // beyond the payload
static_assert(!check_layout(8, LeField{0, 0}));                 // empty field

TEST(MboxLayout, FieldsAreLittleEndianAtTheirOffsets) {
  std::vector<uint8_t> b;
  payload::SetPartitionInfo::kVolatileCapacity.put(b, 0x0102030405060708);
  payload::SetPartitionInfo::kFlags.put(b, 1);
  ASSERT_EQ(b.size(), 9u);
  EXPECT_EQ(b[0], 0x08);
  EXPECT_EQ(b[7], 0x01);
  EXPECT_EQ(b[8], 0x01);
  EXPECT_EQ(payload::SetPartitionInfo::kVolatileCapacity.get(b), 0x0102030405060708u);
}

TEST(MboxLayout, RecordFieldsAreRelativeToTheirRecord) {
  using R = payload::MediaErrorRecord;
  std::vector<uint8_t> b(0x20 + 2 * R::kSize, 0);
  R::kLength.put(b, 0x20 + R::kSize, 7);
  EXPECT_EQ(b[0x20 + R::kSize + 8], 7);
  EXPECT_EQ(R::kLength.get(b, 0x20 + R::kSize), 7u);
  EXPECT_EQ(R::kLength.get(b, 0x20), 0u);
}

TEST(MboxLayout, ByteFieldsZeroFillAndTruncate) {
  std::vector<uint8_t> b;
  const std::vector<uint8_t> text = {'a', 'b'};
  payload::Identify::kFwRevision.put(b, text);
  ASSERT_EQ(b.size(), 0x10u);
  EXPECT_EQ(b[1], 'b');
  EXPECT_EQ(b[2], 0);
  const std::vector<uint8_t> long_text(40, 'x');
  payload::Identify::kFwRevision.put(b, long_text);
  EXPECT_EQ(b.size(), 0x10u);
}

}  // namespace
}  // namespace cxlsim::device
