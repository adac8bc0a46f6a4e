#include "frontend/app_replay.h"

#include <gtest/gtest.h>

#include <vector>

namespace cxlsim::frontend {
namespace {

class VectorReader final : public TraceReader {
 public:
  explicit VectorReader(std::vector<TraceRecord> r, bool insns = true)
      : r_(std::move(r)), insns_(insns) {}
  bool next(TraceRecord& out) override {
    if (i_ == r_.size()) return false;
    out = r_[i_++];
    return true;
  }
  [[nodiscard]] uint64_t position() const override { return i_; }
  [[nodiscard]] uint64_t total() const override { return r_.size(); }
  [[nodiscard]] bool has_instructions() const override { return insns_; }
  [[nodiscard]] uint64_t trailing_instructions() const override { return 7; }

 private:
  std::vector<TraceRecord> r_;
  size_t i_ = 0;
  bool insns_;
};

TraceRecord load(uint64_t addr, uint64_t pc, uint64_t insns = 1, uint32_t size = 8) {
  TraceRecord r;
  r.address = addr;
  r.size = size;
  r.pc = pc;
  r.insns = insns;
  return r;
}

std::vector<AppRecord> records_of(std::vector<TraceRecord> trace, TraceFeedStats& st) {
  VectorReader reader(std::move(trace));
  AppFeed feed(1);
  st = feed_trace(reader, timing::AppCoreConfig{}, feed);
  std::vector<AppRecord> out;
  while (auto b = feed.pop(0, 0)) out.insert(out.end(), b->begin(), b->end());
  return out;
}

TEST(AppReplay, SequentialReadsMergeIntoOneReadPerLine) {
  std::vector<TraceRecord> t;
  for (uint64_t i = 0; i < 1024; ++i) t.push_back(load(0x100000 + 8 * i, 0x400000 + 4 * (i % 2)));
  TraceFeedStats st;
  const auto r = records_of(t, st);
  ASSERT_EQ(r.size(), 128u + 1);  // a read per line, then the exit
  EXPECT_EQ(st.reads, 128u);
  EXPECT_EQ(st.l2_hits, 1024u - 128u);
  EXPECT_EQ(r.back().kind, AppKind::kExit);
  uint64_t insns = 0;
  for (const auto& x : r) insns += x.insns;
  EXPECT_EQ(insns, 1024u + 7u);  // every record's instructions and the trailing ones
  EXPECT_EQ(st.instructions, 1024u + 7u);
}

TEST(AppReplay, ALoadFromTheSameInstructionAsTheMissingPreviousLoadIsDependent) {
  // p = *p: one instruction, lines far apart (each misses).
  std::vector<TraceRecord> t;
  for (uint64_t i = 0; i < 10; ++i) t.push_back(load((i * 7919 % 10) << 20, 0x401000));
  TraceFeedStats st;
  const auto r = records_of(t, st);
  ASSERT_EQ(r.size(), 11u);
  EXPECT_EQ(r[0].dep, 0);
  for (size_t i = 1; i < 10; ++i) EXPECT_EQ(r[i].dep, 1) << i;
  EXPECT_EQ(st.dependent, 9u);
}

TEST(AppReplay, OtherLoadsBetweenOrReadModifyWritesAreIndependent) {
  std::vector<TraceRecord> t;
  for (uint64_t i = 0; i < 10; ++i) {
    t.push_back(load(i << 20, 0x401000));
    t.push_back(load((i << 20) + (1 << 19), 0x401008));  // a second load instruction
  }
  for (uint64_t i = 0; i < 10; ++i) {
    TraceRecord m = load((i + 100) << 20, 0x402000);
    m.modify = true;
    t.push_back(m);
    m.write = true;
    m.insns = 0;
    t.push_back(m);
  }
  TraceFeedStats st;
  const auto r = records_of(t, st);
  for (const auto& x : r) EXPECT_EQ(x.dep, 0);
  EXPECT_EQ(st.dependent, 0u);
  EXPECT_EQ(st.reads, 30u);
}

TEST(AppReplay, WithoutInstructionAddressesNothingIsDependent) {
  std::vector<TraceRecord> t;
  for (uint64_t i = 0; i < 10; ++i) t.push_back(load(i << 20, 0, 0));
  TraceFeedStats st;
  records_of(t, st);
  EXPECT_EQ(st.dependent, 0u);
}

}  // namespace
}  // namespace cxlsim::frontend
