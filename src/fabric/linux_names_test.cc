#include "fabric/linux_names.h"

#include <gtest/gtest.h>

#include "fabric/test_topology.h"
#include "spec/error.h"

namespace cxlsim {
namespace {

Topology two_by_two() {
  testing::TreeShape s;
  s.host_bridges = 2;
  s.root_ports = 2;
  s.windows = 2;
  Topology t = testing::make_tree(s);  // memdevs mem0..mem3 by id, in that order
  const char* ids[] = {"a", "b", "c", "d"};
  for (size_t i = 0; i < t.type3.size(); ++i) t.type3[i].id = ids[i];
  t.windows[1].id = "second";
  return t;
}

TEST(ResolveMemdev, TopologyIdOrLinuxName) {
  const Topology t = two_by_two();
  EXPECT_EQ(resolve_memdev(t, "c"), 2u);
  EXPECT_EQ(resolve_memdev(t, "mem2"), 2u);
  EXPECT_EQ(resolve_memdev(t, linux_memdev_name(3)), 3u);
  EXPECT_THROW(resolve_memdev(t, "mem4"), ValidationError);
  EXPECT_THROW(resolve_memdev(t, "mem"), ValidationError);
}

TEST(ResolveMemdev, TypeTwoDevicesFollowTypeThree) {
  Topology t = two_by_two();
  t.type2.push_back({"acc", t.root_ports[0].id, GiB(1), Bytes(0), 9, {}});
  EXPECT_EQ(resolve_memdev(t, "acc"), 4u);
  EXPECT_EQ(resolve_memdev(t, "mem4"), 4u);
}

TEST(ResolveMemdev, TopologyIdWinsOverAnotherDevicesLinuxName) {
  Topology t = two_by_two();
  t.type3[0].id = "mem1";
  EXPECT_EQ(resolve_memdev(t, "mem1"), 0u);
  EXPECT_EQ(resolve_memdev(t, "b"), 1u);
}

TEST(ResolveWindow, IndexRootDecoderOrId) {
  const Topology t = two_by_two();
  EXPECT_EQ(resolve_window(t, "1"), 1u);
  EXPECT_EQ(resolve_window(t, "decoder0.1"), 1u);
  EXPECT_EQ(resolve_window(t, linux_root_decoder_name(0)), 0u);
  EXPECT_EQ(resolve_window(t, "second"), 1u);
  EXPECT_EQ(resolve_window(t, "cfmw0"), 0u);
  EXPECT_THROW(resolve_window(t, "2"), ValidationError);
  EXPECT_THROW(resolve_window(t, "decoder1.0"), ValidationError);
}

}  // namespace
}  // namespace cxlsim
