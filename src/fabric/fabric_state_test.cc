// The fabric's memdevs start from the command state `cxlsim mbox` saved (memdev_state_file.h).
#include <gtest/gtest.h>

#include <filesystem>

#include "device/memdev_state_file.h"
#include "fabric/fabric.h"
#include "fabric/test_topology.h"

namespace cxlsim {
namespace {

TEST(FabricState, SavedPartitionIsTheMemdevsSplit) {
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("cxlsim-fabric-state-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::create_directories(dir);
  testing::TreeShape s;
  s.root_ports = 2;
  Topology t = testing::make_tree(s);  // two 1 GiB persistent memdevs
  t.type3[0].persistent_backing.path = (dir / "m0.raw").string();
  const FabricOptions view{.map_backing_files = false};

  auto before = Fabric::build(t, view);
  EXPECT_EQ(before->memdev(0).volatile_size(), Bytes(0));
  device::MemdevCci& cci = before->memdev(0).cci();
  device::MemdevState st = cci.state();
  st.partition.active_volatile = st.partition.next_volatile = MiB(256);
  device::save_state(device::state_path_beside(t.type3[0].persistent_backing.path), cci.config(),
                     st);

  auto after = Fabric::build(t, view);
  EXPECT_EQ(after->memdev(0).volatile_size(), MiB(256));
  EXPECT_EQ(after->memdev(0).persistent_size(), MiB(768));
  EXPECT_TRUE(after->memdev(0).is_persistent(Dpa(MiB(256).value())));
  EXPECT_FALSE(after->memdev(0).is_persistent(Dpa(0)));
  EXPECT_EQ(after->memdev(1).volatile_size(), Bytes(0));  // no state: the topology's split
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cxlsim
