// Conformance of HdmDecoderCapability to CXL 3.1 §8.2.4.20; tests are named after the rule.
#include "spec/hdm_decoder.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

namespace cxlsim {
namespace {

using C = HdmDecoderCapability;

class FakeContext : public HdmDecoderContext {
 public:
  [[nodiscard]] std::vector<uint8_t> dport_numbers() const override { return {0, 1, 2, 3}; }
  [[nodiscard]] Bytes volatile_capacity() const override { return GiB(1); }
  [[nodiscard]] Bytes persistent_capacity() const override { return GiB(1); }
};

const FakeContext kCtx;

DecoderSettings port_settings(uint64_t base, Bytes size, unsigned ways = 2) {
  DecoderSettings s;
  s.base = Hpa(base);
  s.size = size;
  s.ways = ways;
  s.granularity = Bytes(256);
  for (unsigned i = 0; i < ways; ++i) s.targets.push_back(static_cast<uint8_t>(i));
  return s;
}

DecoderSettings ep_settings(uint64_t base, Bytes size, unsigned ways = 1, Bytes skip = Bytes(0)) {
  DecoderSettings s;
  s.base = Hpa(base);
  s.size = size;
  s.ways = ways;
  s.dpa_skip = skip;
  return s;
}

TEST(HdmDecoder, capability_register_encodes_count_and_targets) {
  C port(HdmKind::kPort, 4, 4, &kCtx);
  EXPECT_EQ(port.read32(C::kCapabilityReg) & 0xf, 2u);         // 4 decoders
  EXPECT_EQ((port.read32(C::kCapabilityReg) >> 4) & 0xf, 4u);  // 4 targets
  EXPECT_EQ(port.read32(C::kCapabilityReg) & (1u << 11), 0u);  // no 3/6/12 at a port
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  EXPECT_NE(ep.read32(C::kCapabilityReg) & (1u << 11), 0u);
  EXPECT_NE(ep.read32(C::kCapabilityReg) & (1u << 12), 0u);
  EXPECT_EQ(ep.size_bytes(), 0x10u + 4 * 0x20);
}

TEST(HdmDecoder, capability_register_is_read_only) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  const uint32_t before = ep.read32(C::kCapabilityReg);
  ep.write32(C::kCapabilityReg, ~0u);
  EXPECT_EQ(ep.read32(C::kCapabilityReg), before);
}

TEST(HdmDecoder, base_low_reserved_bits_are_preserved) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.write32(C::decoder_reg(0, C::kBaseLo), 0xffffffffu);
  EXPECT_EQ(ep.read32(C::decoder_reg(0, C::kBaseLo)), 0xf0000000u);
}

TEST(HdmDecoder, committed_and_error_bits_are_read_only) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.write32(C::decoder_reg(0, C::kControl), C::kCtrlCommitted | C::kCtrlErrorNotCommitted);
  EXPECT_EQ(ep.read32(C::decoder_reg(0, C::kControl)), 0u);
}

TEST(HdmDecoder, commit_sets_committed_for_valid_programming) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, MiB(512), 2));
  EXPECT_TRUE(ep.commit(0)) << ep.last_error();
  const DecoderState s = ep.state(0);
  EXPECT_TRUE(s.committed);
  EXPECT_FALSE(s.error_not_committed);
  EXPECT_EQ(s.base, Hpa(0x110000000));
  EXPECT_EQ(s.size, MiB(512));
  EXPECT_EQ(s.ways, 2u);
  EXPECT_EQ(s.dpa_size, MiB(256));
}

TEST(HdmDecoder, commit_rejects_zero_size) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, Bytes(0)));
  EXPECT_FALSE(ep.commit(0));
  EXPECT_TRUE(ep.state(0).error_not_committed);
  EXPECT_NE(ep.last_error().find("size is zero"), std::string::npos);
}

TEST(HdmDecoder, commit_rejects_size_not_multiple_of_ways) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, MiB(512), 3));
  EXPECT_FALSE(ep.commit(0));
  EXPECT_NE(ep.last_error().find("multiple of 3 ways"), std::string::npos);
}

TEST(HdmDecoder, commit_rejects_invalid_iw_encoding) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, MiB(256)));
  ep.write32(C::decoder_reg(0, C::kControl), 5u << 4);  // IW 5 is reserved
  EXPECT_FALSE(ep.commit(0));
  EXPECT_NE(ep.last_error().find("ways"), std::string::npos);
}

TEST(HdmDecoder, commit_rejects_invalid_ig_encoding) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, MiB(256)));
  ep.write32(C::decoder_reg(0, C::kControl), 7u);  // IG 7 (32 KiB) is reserved
  EXPECT_FALSE(ep.commit(0));
  EXPECT_NE(ep.last_error().find("granularity"), std::string::npos);
}

TEST(HdmDecoder, port_commit_rejects_non_power_of_two_ways) {
  C port(HdmKind::kPort, 4, 4, &kCtx);
  port.program(0, port_settings(0x110000000, MiB(768), 3));
  EXPECT_FALSE(port.commit(0));
  EXPECT_NE(port.last_error().find("3-way"), std::string::npos);
}

TEST(HdmDecoder, endpoint_commit_accepts_three_six_twelve_ways) {
  for (unsigned w : {3u, 6u, 12u}) {
    C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
    ep.program(0, ep_settings(0x110000000, MiB(256) * w, w));
    EXPECT_TRUE(ep.commit(0)) << w << ": " << ep.last_error();
  }
}

TEST(HdmDecoder, commit_requires_previous_decoder_committed) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(1, ep_settings(0x110000000, MiB(256)));
  EXPECT_FALSE(ep.commit(1));
  EXPECT_NE(ep.last_error().find("commit in order"), std::string::npos);
}

TEST(HdmDecoder, commit_rejects_base_below_previous_decoder) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, MiB(512)));
  ASSERT_TRUE(ep.commit(0));
  ep.program(1, ep_settings(0x110000000 + MiB(256).value(), MiB(256)));
  EXPECT_FALSE(ep.commit(1));
  EXPECT_NE(ep.last_error().find("below the previous decoder"), std::string::npos);
  ep.program(1, ep_settings(0x110000000 + MiB(512).value(), MiB(256)));
  EXPECT_TRUE(ep.commit(1)) << ep.last_error();
}

TEST(HdmDecoder, port_commit_rejects_target_that_is_not_a_dport) {
  C port(HdmKind::kPort, 4, 4, &kCtx);
  DecoderSettings s = port_settings(0x110000000, MiB(512), 2);
  s.targets = {0, 9};
  port.program(0, s);
  EXPECT_FALSE(port.commit(0));
  EXPECT_NE(port.last_error().find("port 9"), std::string::npos);
}

TEST(HdmDecoder, port_commit_rejects_ways_above_target_count) {
  C port(HdmKind::kPort, 4, 2, &kCtx);
  port.program(0, port_settings(0x110000000, GiB(1), 4));
  EXPECT_FALSE(port.commit(0));
}

TEST(HdmDecoder, endpoint_commit_rejects_dpa_beyond_capacity) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, GiB(2), 1, MiB(256)));
  EXPECT_FALSE(ep.commit(0));
  EXPECT_NE(ep.last_error().find("exceeds the device capacity"), std::string::npos);
}

TEST(HdmDecoder, endpoint_commit_rejects_dpa_straddling_partitions) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, MiB(512), 1, MiB(768)));
  EXPECT_FALSE(ep.commit(0));
  EXPECT_NE(ep.last_error().find("straddles"), std::string::npos);
}

TEST(HdmDecoder, endpoint_dpa_base_is_previous_end_plus_skip) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, MiB(512), 2));  // DPA 0..256M
  ASSERT_TRUE(ep.commit(0));
  ep.program(1, ep_settings(0x200000000, MiB(256), 1, MiB(768)));  // skip to pmem at 1 GiB
  ASSERT_TRUE(ep.commit(1)) << ep.last_error();
  EXPECT_EQ(ep.state(1).dpa_base, Dpa(GiB(1).value()));
}

TEST(HdmDecoder, committed_decoder_ignores_programming_writes) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, MiB(256)));
  ASSERT_TRUE(ep.commit(0));
  ep.write32(C::decoder_reg(0, C::kBaseLo), 0);
  ep.write32(C::decoder_reg(0, C::kBaseHi), 0);
  ep.write32(C::decoder_reg(0, C::kSizeLo), 0);
  EXPECT_EQ(ep.state(0).base, Hpa(0x110000000));
  EXPECT_EQ(ep.state(0).size, MiB(256));
}

TEST(HdmDecoder, decommit_allows_reprogramming) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, MiB(256)));
  ASSERT_TRUE(ep.commit(0));
  EXPECT_TRUE(ep.decommit(0));
  ep.program(0, ep_settings(0x120000000, MiB(256)));
  EXPECT_EQ(ep.state(0).base, Hpa(0x120000000));
}

TEST(HdmDecoder, decommit_must_be_in_reverse_order) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, MiB(256)));
  ASSERT_TRUE(ep.commit(0));
  ep.program(1, ep_settings(0x120000000, MiB(256)));
  ASSERT_TRUE(ep.commit(1));
  EXPECT_FALSE(ep.decommit(0));
  EXPECT_TRUE(ep.state(0).committed);
  EXPECT_TRUE(ep.decommit(1));
  EXPECT_TRUE(ep.decommit(0));
}

TEST(HdmDecoder, locked_decoder_ignores_decommit) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  DecoderSettings s = ep_settings(0x110000000, MiB(256));
  s.lock_on_commit = true;
  ep.program(0, s);
  ASSERT_TRUE(ep.commit(0));
  EXPECT_FALSE(ep.decommit(0));
  EXPECT_TRUE(ep.state(0).committed);
  EXPECT_NE(ep.last_error().find("locked"), std::string::npos);
  ep.reset();
  EXPECT_FALSE(ep.state(0).committed);
}

TEST(HdmDecoder, observer_sees_commit_and_decommit) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  std::vector<std::pair<unsigned, bool>> seen;
  ep.set_commit_observer([&](unsigned n, bool c) { seen.emplace_back(n, c); });
  ep.program(0, ep_settings(0x110000000, MiB(256)));
  ep.commit(0);
  ep.decommit(0);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(0u, true));
  EXPECT_EQ(seen[1], std::make_pair(0u, false));
}

TEST(HdmDecoder, failed_commit_can_be_retried_after_fix) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  ep.program(0, ep_settings(0x110000000, Bytes(0)));
  ASSERT_FALSE(ep.commit(0));
  ep.program(0, ep_settings(0x110000000, MiB(256)));
  EXPECT_TRUE(ep.commit(0));
  EXPECT_FALSE(ep.state(0).error_not_committed);
}

// Random register writes never commit an invalid decoder: whenever Committed is set, the
// decoder's registers satisfy the commit rules checked independently here.
RC_GTEST_PROP(HdmDecoderProps, invalid_commits_never_set_committed, ()) {
  const bool endpoint = *rc::gen::arbitrary<bool>();
  C cap(endpoint ? HdmKind::kEndpoint : HdmKind::kPort, 4, 4, &kCtx);
  const auto ops = *rc::gen::container<std::vector<std::pair<uint8_t, uint32_t>>>(
      rc::gen::pair(rc::gen::inRange<uint8_t>(0, 0x90 / 4), rc::gen::arbitrary<uint32_t>()));
  for (auto [reg_index, value] : ops) {
    cap.write32(reg_index * 4u, value);
    for (unsigned n = 0; n < 4; ++n) {
      const DecoderState s = cap.state(n);
      if (!s.committed) continue;
      RC_ASSERT(s.size.value() != 0);
      RC_ASSERT(s.ways.has_value());
      RC_ASSERT(s.granularity.has_value());
      RC_ASSERT(s.size.value() % (MiB(256).value() * *s.ways) == 0);
      if (!endpoint) {
        RC_ASSERT((*s.ways & (*s.ways - 1)) == 0);
        for (unsigned i = 0; i < *s.ways; ++i) RC_ASSERT(s.targets[i] < 4);
      } else {
        RC_ASSERT((s.dpa_base + s.dpa_size).value() <= GiB(2).value());
      }
      if (n > 0) {
        RC_ASSERT(cap.state(n - 1).committed);
        RC_ASSERT(s.base >= cap.state(n - 1).base + cap.state(n - 1).size);
      }
    }
  }
}

// Programming that is often valid and often not, in random decoder order, with commits and
// decommits: a decoder is committed only while the rules of §8.2.4.20 hold for it.
RC_GTEST_PROP(HdmDecoderProps, commits_of_random_programming_obey_the_rules, ()) {
  const bool endpoint = *rc::gen::arbitrary<bool>();
  C cap(endpoint ? HdmKind::kEndpoint : HdmKind::kPort, 4, 4, &kCtx);
  const int steps = *rc::gen::inRange(1, 40);
  for (int i = 0; i < steps; ++i) {
    const unsigned next = std::min(cap.committed_count(), 3u);  // the decoder in-order commit wants
    const unsigned n = *rc::gen::oneOf(rc::gen::just(next), rc::gen::inRange(0u, 4u));
    const int op = *rc::gen::inRange(0, 3);
    if (op == 0) {
      DecoderSettings s;
      s.base = Hpa(MiB(256).value() * (16 + 8 * n + *rc::gen::inRange<uint64_t>(0, 10)));
      s.ways = *rc::gen::elementOf(std::vector<unsigned>{1, 1, 2, 2, 4, 3, 5, 6, 8, 12, 16});
      s.size = MiB(256) *
               (*rc::gen::inRange<uint64_t>(0, 4) * (*rc::gen::arbitrary<bool>() ? s.ways : 1));
      s.granularity = Bytes(256ull << *rc::gen::inRange(0, 8));
      for (unsigned t = 0; t < 8; ++t) s.targets.push_back(*rc::gen::inRange<uint8_t>(0, 5));
      s.dpa_skip = MiB(256) * *rc::gen::inRange<uint64_t>(0, 4);
      cap.program(n, s);
    } else if (op == 1) {
      cap.commit(n);
    } else {
      cap.decommit(n);
    }
    uint64_t dpa_end = 0;
    for (unsigned k = 0; k < 4; ++k) {
      const DecoderState s = cap.state(k);
      if (!s.committed) {
        for (unsigned j = k + 1; j < 4; ++j) RC_ASSERT(!cap.state(j).committed);
        break;
      }
      RC_ASSERT(s.size.value() != 0 && s.ways && s.granularity);
      RC_ASSERT(s.size.value() % (MiB(256).value() * *s.ways) == 0);
      if (k > 0) RC_ASSERT(s.base >= cap.state(k - 1).base + cap.state(k - 1).size);
      if (endpoint) {
        RC_ASSERT(s.dpa_base.value() >= dpa_end);
        dpa_end = (s.dpa_base + s.dpa_size).value();
        RC_ASSERT(dpa_end <= GiB(2).value());
        RC_ASSERT(s.dpa_base.value() >= GiB(1).value() || dpa_end <= GiB(1).value());
      } else {
        RC_ASSERT((*s.ways & (*s.ways - 1)) == 0 && *s.ways <= 4);
        for (unsigned t = 0; t < *s.ways; ++t) RC_ASSERT(s.targets[t] < 4);
      }
    }
  }
  RC_CLASSIFY(cap.committed_count() > 0, "some decoder committed");
}

// Once a decoder commits with Lock On Commit, no register write changes its registers.
RC_GTEST_PROP(HdmDecoderProps, locked_decoders_never_change, ()) {
  C ep(HdmKind::kEndpoint, 4, 0, &kCtx);
  DecoderSettings s = ep_settings(0x110000000, MiB(512), 2);
  s.lock_on_commit = true;
  ep.program(0, s);
  RC_ASSERT(ep.commit(0));
  std::vector<uint32_t> before;
  for (uint32_t r = 0; r < 0x20; r += 4) before.push_back(ep.read32(C::decoder_reg(0, r)));
  const auto ops = *rc::gen::container<std::vector<std::pair<uint8_t, uint32_t>>>(
      rc::gen::pair(rc::gen::inRange<uint8_t>(0, 0x90 / 4), rc::gen::arbitrary<uint32_t>()));
  for (auto [reg_index, value] : ops) ep.write32(reg_index * 4u, value);
  for (uint32_t r = 0; r < 0x20; r += 4) {
    RC_ASSERT(ep.read32(C::decoder_reg(0, r)) == before[r / 4]);
  }
}

}  // namespace
}  // namespace cxlsim
