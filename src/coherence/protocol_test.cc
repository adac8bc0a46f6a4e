// Flows of single transactions: which messages each access causes, in order, and the states
// they leave (CXL 3.1 §3.2.4/§3.2.5 for CXL.cache, §3.3/§3.5.1 for HDM-DB, §2.2.2 for bias).
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "coherence/transaction.h"

namespace cxlsim::coherence {
namespace {

std::vector<std::string> names(const Transaction& t) {
  std::vector<std::string> out;
  out.reserve(t.count);
  for (int i = 0; i < t.count; ++i) out.emplace_back(opcode_name(t.log[i].msg.ch, t.log[i].msg.op));
  return out;
}

Config cfg(Flavour f, uint8_t agents, uint16_t lines = 1) {
  Config c;
  c.flavour = f;
  c.agents = agents;
  c.lines = lines;
  return c;
}

using V = std::vector<std::string>;

TEST(CoherenceCxlCache, RdOwnInvalidatesTheOtherSharerThenGrantsE) {
  Runner r(cfg(Flavour::kCache, 2));
  Transaction t;
  r.run(0, 0, Access::kLoadShared, 0, t);
  EXPECT_EQ(names(t), (V{"RdShared", "GO-S", "Data"}));
  r.run(1, 0, Access::kStore, 7, t);
  EXPECT_EQ(names(t), (V{"RdOwn", "SnpInv", "RspIHitSE", "GO-E", "Data"}));
  EXPECT_EQ(r.line(0, 0).state, Mesi::kI);
  EXPECT_EQ(r.line(1, 0).state, Mesi::kM);
  EXPECT_EQ(r.line(1, 0).value, 7);
  EXPECT_EQ(t.log[1].cause, 0);  // the snoop follows the request
  EXPECT_EQ(t.log[3].cause, 2);  // the GO follows the snoop response
}

TEST(CoherenceCxlCache, ReadOfAModifiedLineForwardsItsDataAndLeavesBothShared) {
  Runner r(cfg(Flavour::kCache, 2));
  Transaction t;
  r.run(0, 0, Access::kStore, 9, t);
  EXPECT_EQ(names(t), (V{"RdOwn", "GO-E", "Data"}));
  r.run(1, 0, Access::kLoad, 0, t);
  EXPECT_EQ(names(t), (V{"RdAny", "SnpData", "RspSFwdM", "Data", "GO-S", "Data"}));
  EXPECT_TRUE(t.read);
  EXPECT_EQ(t.value, 9);
  EXPECT_EQ(r.state().home[0].memory, 9);  // written back on the way
  EXPECT_EQ(r.line(0, 0).state, Mesi::kS);
  EXPECT_EQ(r.line(1, 0).state, Mesi::kS);
}

TEST(CoherenceCxlCache, RdAnyAloneGetsEAndStoresHitWithoutMessages) {
  Runner r(cfg(Flavour::kCache, 2));
  Transaction t;
  r.run(0, 0, Access::kLoad, 0, t);
  EXPECT_EQ(names(t), (V{"RdAny", "GO-E", "Data"}));
  r.run(0, 0, Access::kStore, 3, t);
  EXPECT_EQ(t.issue, Issue::kHit);
  EXPECT_EQ(t.count, 0);
  EXPECT_EQ(r.line(0, 0).state, Mesi::kM);
}

TEST(CoherenceCxlCache, EvictionsByState) {
  Runner r(cfg(Flavour::kCache, 2));
  Transaction t;
  r.run(0, 0, Access::kStore, 5, t);
  r.run(0, 0, Access::kEvict, 0, t);
  EXPECT_EQ(names(t), (V{"DirtyEvict", "GO_WritePull", "Data"}));
  EXPECT_EQ(r.state().home[0].memory, 5);
  EXPECT_EQ(r.state().home[0].sharers, 0);
  r.run(0, 0, Access::kLoad, 0, t);
  r.run(0, 0, Access::kEvict, 0, t);
  EXPECT_EQ(names(t), (V{"CleanEvict", "GO_WritePull_Drop"}));
  r.run(0, 0, Access::kLoadShared, 0, t);
  r.run(0, 0, Access::kEvict, 0, t);
  EXPECT_EQ(names(t), (V{"CleanEvictNoData", "GO-I"}));
}

TEST(CoherenceCxlCache, UncachedWriteInvalidatesThenPullsTheData) {
  Runner r(cfg(Flavour::kCache, 2));
  Transaction t;
  r.run(1, 0, Access::kStore, 4, t);
  r.run(0, 0, Access::kWrInv, 6, t);
  // CXL 3.1 §3.2.4.2.19: WrInv gets a WritePull, sends the data, then GO-I once it is written.
  EXPECT_EQ(names(t), (V{"WrInv", "SnpInv", "RspIFwdM", "Data", "WritePull", "Data", "GO-I"}));
  EXPECT_EQ(t.log[6].cause, 5);  // the GO-I follows the data
  EXPECT_EQ(r.state().home[0].memory, 6);
  EXPECT_EQ(r.line(1, 0).state, Mesi::kI);
}

TEST(CoherenceCxlCache, WeaklyOrderedWriteGetsFastGoWritePullThenExtCmp) {
  Runner r(cfg(Flavour::kCache, 2));
  Transaction t;
  r.run(0, 0, Access::kWOWrInv, 3, t);  // CXL 3.1 §3.2.4.2.17
  EXPECT_EQ(names(t), (V{"WOWrInv", "Fast_GO_WritePull", "Data", "ExtCmp"}));
  EXPECT_EQ(r.state().home[0].memory, 3);
  EXPECT_EQ(r.line(0, 0).pending, Access::kNone);
}

TEST(CoherenceCxlCache, StoreToASharedLineUpgradesWithRdOwnNoData) {
  // CXL 3.1 §3.2.5.15 / Table 3-28: no Read (RdOwn) from a line buried in S; the upgrade is
  // RdOwnNoData, which gets GO-E and no data.
  Runner r(cfg(Flavour::kCache, 2));
  Transaction t;
  r.run(0, 0, Access::kLoadShared, 0, t);
  r.run(1, 0, Access::kLoadShared, 0, t);
  r.run(0, 0, Access::kStore, 5, t);
  EXPECT_EQ(names(t), (V{"RdOwnNoData", "SnpInv", "RspIHitSE", "GO-E"}));
  EXPECT_EQ(r.line(0, 0).state, Mesi::kM);
  EXPECT_EQ(r.line(0, 0).value, 5);
  EXPECT_EQ(r.line(1, 0).state, Mesi::kI);
}

// Spec tables of allowed answers: a request or snoop name and the names it may be answered by.
using Allowed = std::vector<std::pair<std::string, std::vector<std::string>>>;

bool allows(const Allowed& table, const std::string& req, const std::string& rsp) {
  const auto it =
      std::find_if(table.begin(), table.end(), [&](const auto& e) { return e.first == req; });
  return it != table.end() &&
         std::find(it->second.begin(), it->second.end(), rsp) != it->second.end();
}

// Every access by agent 0 from each of its starting states (I, S, E, M), with agent 1 holding the
// line in each state too; `check` sees each transaction that sent a request.
template <class Check>
void for_each_transaction(Flavour f, const Check& check) {
  const std::vector<Access> setups = {Access::kNone, Access::kLoadShared, Access::kLoad,
                                      Access::kStore};
  std::vector<Access> accesses = {Access::kLoad,      Access::kLoadShared, Access::kStore,
                                  Access::kStoreFull, Access::kEvict,      Access::kReadCurrent};
  if (f == Flavour::kCache) {
    accesses.insert(accesses.end(), {Access::kFlush, Access::kWrInv, Access::kWOWrInvF,
                                     Access::kWOWrInv, Access::kItoMWr, Access::kWrCur});
  }
  for (const Access other : setups) {
    for (const Access setup : setups) {
      for (const Access a : accesses) {
        Runner r(cfg(f, 2));
        Transaction t;
        if (other != Access::kNone) r.run(1, 0, other, 1, t);
        if (setup != Access::kNone) r.run(0, 0, setup, 2, t);
        r.run(0, 0, a, 3, t);
        if (t.issue == Issue::kSent) check(t);
      }
    }
  }
}

// CXL 3.1 Table 3-23: the H2D responses each D2H request (to host memory) may get.
TEST(CoherenceCxlCache, EveryRequestGetsOnlyTheResponsesTable323Allows) {
  const Allowed allowed = {
      {"RdCurr", {}},
      {"RdOwn", {"GO-Err", "GO-I", "GO-E", "GO-M"}},
      {"RdShared", {"GO-Err", "GO-I", "GO-S"}},
      {"RdAny", {"GO-Err", "GO-I", "GO-S", "GO-E", "GO-M"}},
      {"RdOwnNoData", {"GO-Err", "GO-E"}},
      {"ItoMWr", {"GO_WritePull", "GO_ERR_WritePull"}},
      {"WrCur", {"GO_WritePull", "GO_ERR_WritePull"}},
      {"CLFlush", {"GO-Err", "GO-I"}},
      {"CleanEvict", {"GO_WritePull", "GO_WritePull_Drop"}},
      {"DirtyEvict", {"GO_WritePull", "GO_ERR_WritePull"}},
      {"CleanEvictNoData", {"GO-I"}},
      {"WOWrInv", {"ExtCmp", "Fast_GO_WritePull", "GO_ERR_WritePull"}},
      {"WOWrInvF", {"ExtCmp", "Fast_GO_WritePull", "GO_ERR_WritePull"}},
      {"WrInv", {"WritePull", "GO-Err", "GO-I"}},
  };
  std::set<std::string> seen;
  for_each_transaction(Flavour::kCache, [&](const Transaction& t) {
    const std::string req(opcode_name(t.log[0].msg.ch, t.log[0].msg.op));
    seen.insert(req);
    for (int i = 1; i < t.count; ++i) {
      const Message& m = t.log[i].msg;
      if (m.ch != Channel::kH2DRsp || m.agent != 0) continue;
      const std::string rsp(opcode_name(m.ch, m.op));
      EXPECT_TRUE(allows(allowed, req, rsp)) << req << " got " << rsp;
    }
  });
  EXPECT_EQ(seen.size(), allowed.size());  // every request opcode was tried
}

// CXL 3.1 Table 3-26: the D2H responses each H2D snoop may get.
TEST(CoherenceCxlCache, EverySnoopGetsOnlyTheResponsesTable326Allows) {
  const Allowed allowed = {
      {"SnpData", {"RspIHitI", "RspSHitSE", "RspSFwdM", "RspIFwdM"}},
      {"SnpInv", {"RspIHitI", "RspIHitSE", "RspIFwdM"}},
      {"SnpCur", {"RspIHitI", "RspVHitV", "RspSHitSE", "RspSFwdM", "RspIFwdM", "RspVFwdV"}},
  };
  std::set<std::string> seen;
  for_each_transaction(Flavour::kCache, [&](const Transaction& t) {
    for (int i = 0; i < t.count; ++i) {
      const Message& m = t.log[i].msg;
      if (m.ch != Channel::kD2HRsp) continue;
      ASSERT_GE(t.log[i].cause, 0);
      const Message& snp = t.log[t.log[i].cause].msg;
      ASSERT_EQ(snp.ch, Channel::kH2DReq);
      const std::string req(opcode_name(snp.ch, snp.op));
      const std::string rsp(opcode_name(m.ch, m.op));
      seen.insert(req);
      EXPECT_TRUE(allows(allowed, req, rsp)) << req << " got " << rsp;
    }
  });
  EXPECT_EQ(seen.size(), allowed.size());
}

// CXL 3.1 Tables 3-39 and 3-42: the S2M NDR each HDM-DB request and write-back gets.
TEST(CoherenceHdmDb, EveryRequestGetsTheCompletionTables339And342Name) {
  const Allowed allowed = {
      {"MemRd,A", {"Cmp-E"}},  {"MemRd,S", {"Cmp-S", "Cmp-E"}}, {"MemRd,I", {"Cmp"}},
      {"MemInv,A", {"Cmp-E"}}, {"MemClnEvct", {"Cmp"}},         {"MemWr,I", {"Cmp"}},
  };
  std::set<std::string> seen;
  for_each_transaction(Flavour::kBackInvalidate, [&](const Transaction& t) {
    const std::string req(opcode_name(t.log[0].msg.ch, t.log[0].msg.op));
    seen.insert(req);
    int completions = 0;
    for (int i = 1; i < t.count; ++i) {
      const Message& m = t.log[i].msg;
      if (m.ch != Channel::kS2MNDR || m.agent != 0) continue;
      ++completions;
      const std::string rsp(opcode_name(m.ch, m.op));
      EXPECT_TRUE(allows(allowed, req, rsp)) << req << " got " << rsp;
    }
    EXPECT_EQ(completions, 1) << req;
  });
  EXPECT_EQ(seen.size(), allowed.size());
}

TEST(CoherenceCxlCache, BoundedSnoopFilterEvictsAnEntryBySnpInv) {
  Config c = cfg(Flavour::kCache, 2, 2);
  c.sf_capacity = 1;
  Runner r(c);
  Transaction t;
  r.run(0, 0, Access::kStore, 2, t);
  r.run(1, 1, Access::kLoad, 0, t);
  EXPECT_EQ(names(t), (V{"RdAny", "SnpInv", "RspIFwdM", "Data", "GO-E", "Data"}));
  EXPECT_EQ(t.log[1].msg.line, 0);  // the victim, not the line asked for
  EXPECT_EQ(r.line(0, 0).state, Mesi::kI);
  EXPECT_EQ(r.state().home[0].memory, 2);
  EXPECT_EQ(r.state().sf_used, 1);
}

TEST(CoherenceHdmDb, MemRdAWithAModifiedHostBackInvalidatesIt) {
  Runner r(cfg(Flavour::kBackInvalidate, 2));
  Transaction t;
  r.run(0, 0, Access::kStore, 8, t);
  EXPECT_EQ(names(t), (V{"MemRd,A", "Cmp-E", "MemData"}));
  r.run(1, 0, Access::kStore, 9, t);
  // CXL 3.1 §3.5.1.2: the modified host writes back (MemWr), the device completes it, then
  // BIRspI.
  EXPECT_EQ(names(t), (V{"MemRd,A", "BISnpInv", "MemWr,I", "Cmp", "BIRspI", "Cmp-E", "MemData"}));
  EXPECT_EQ(t.log[5].msg.agent, 1);
  EXPECT_EQ(r.line(0, 0).state, Mesi::kI);
  EXPECT_EQ(r.line(1, 0).value, 9);
  EXPECT_EQ(r.state().home[0].memory, 8);
}

TEST(CoherenceHdmDb, UncachedReadGetsCmpAndMemData) {
  // CXL 3.1 Table 3-39: a non-cacheable current read (MemRd, SnpCur) completes with Cmp and
  // MemData; the modified host keeps its line after writing it back.
  Runner r(cfg(Flavour::kBackInvalidate, 2));
  Transaction t;
  r.run(1, 0, Access::kStore, 4, t);
  r.run(0, 0, Access::kReadCurrent, 0, t);
  EXPECT_EQ(names(t), (V{"MemRd,I", "BISnpCur", "MemWr,I", "Cmp", "BIRspE", "Cmp", "MemData"}));
  EXPECT_EQ(t.log[6].msg.value, 4);  // the data the modified host wrote back
  EXPECT_EQ(r.line(0, 0).pending, Access::kNone);
  EXPECT_EQ(r.line(1, 0).state, Mesi::kE);
}

TEST(CoherenceHdmDb, SnoopFilterOfOneEntryBackInvalidatesTheOtherLine) {
  Config c = cfg(Flavour::kBackInvalidate, 1, 2);
  c.sf_capacity = 1;
  Runner r(c);
  Transaction t;
  r.run(0, 0, Access::kLoad, 0, t);
  r.run(0, 1, Access::kLoad, 0, t);
  EXPECT_EQ(names(t), (V{"MemRd,S", "BISnpInv", "BIRspI", "Cmp-S", "MemData"}));
  EXPECT_EQ(r.line(0, 0).state, Mesi::kI);
  EXPECT_EQ(r.line(0, 1).state, Mesi::kS);
}

Config type2(uint16_t lines = 1, uint16_t per_page = 1) {
  Config c = cfg(Flavour::kCache, 2, lines);  // agent 0: a host core cache, agent 1: the device
  c.device_agent = 1;
  c.lines_per_page = per_page;
  return c;
}

// CXL 3.1 Table 3-24, Figure 3-35, §3.3.11: in host bias the host resolves the device's read of
// its own HDM-D memory and completes it with MemRdFwd on CXL.mem; no GO, no H2D Data.
TEST(CoherenceBias, HostBiasDeviceReadIsCompletedByMemRdFwd) {
  Runner r(type2());
  Transaction t;
  r.run(1, 0, Access::kLoad, 0, t);
  EXPECT_EQ(names(t), (V{"RdAny", "MemRdFwd"}));
  EXPECT_EQ(t.log[1].msg.ch, Channel::kM2SReq);
  EXPECT_EQ(r.line(1, 0).state, Mesi::kE);
  // A host core takes it: the host does not track the device's cache (§3.2.5.6); its request goes
  // to the device's DCOH, which invalidates the device's copy (Figure 3-28: MemRd SnpInv, Cmp-E).
  r.run(0, 0, Access::kStore, 4, t);
  EXPECT_EQ(names(t), (V{"RdOwn", "MemRd,A", "Cmp-E", "MemData", "GO-E", "Data"}));
  EXPECT_EQ(r.line(1, 0).state, Mesi::kI);
  r.run(1, 0, Access::kStore, 5, t);  // the device's write: the host core's data goes to memory
  EXPECT_EQ(names(t), (V{"RdOwn", "SnpInv", "RspIFwdM", "Data", "MemRdFwd"}));
  EXPECT_EQ(r.line(1, 0).state, Mesi::kM);
  EXPECT_EQ(r.state().home[0].memory, 4);
  r.run(1, 0, Access::kReadCurrent, 0, t);  // a hit
  r.run(0, 0, Access::kLoad, 0, t);
  EXPECT_EQ(t.value, 5);
  // Table 3-24: RdCurr and CLFlush to device-attached memory are completed by MemRdFwd too;
  // ItoMWr, WrCur and WrInv keep the host-memory flow (the data is pulled).
  r.run(1, 0, Access::kEvict, 0, t);  // the host core keeps S
  r.run(1, 0, Access::kReadCurrent, 0, t);
  EXPECT_EQ(names(t), (V{"RdCurr", "MemRdFwd"}));
  EXPECT_EQ(t.value, 5);
  r.run(1, 0, Access::kFlush, 0, t);
  EXPECT_EQ(names(t), (V{"CLFlush", "SnpInv", "RspIHitSE", "MemRdFwd"}));
  r.run(1, 0, Access::kItoMWr, 6, t);
  EXPECT_EQ(names(t), (V{"ItoMWr", "GO_WritePull", "Data"}));
  EXPECT_EQ(r.state().home[0].memory, 6);
}

// CXL 3.1 Figure 3-37: the device's weakly ordered write to its own memory in host bias is
// completed by MemWrFwd; the device writes its memory itself (no data crosses the link).
TEST(CoherenceBias, HostBiasWeaklyOrderedWriteIsCompletedByMemWrFwd) {
  Runner r(type2());
  Transaction t;
  r.run(0, 0, Access::kLoad, 0, t);
  r.run(1, 0, Access::kWOWrInv, 9, t);
  EXPECT_EQ(names(t), (V{"WOWrInv", "SnpInv", "RspIHitSE", "MemWrFwd"}));
  EXPECT_EQ(r.state().home[0].memory, 9);
  EXPECT_EQ(r.line(0, 0).state, Mesi::kI);
}

// CXL 3.1 §3.2.5.12, Figure 3-39: the device's write-back of its own line completes inside the
// device in host bias too; nothing goes to the host.
TEST(CoherenceBias, EvictionOfTheDevicesOwnLineStaysInTheDevice) {
  Runner r(type2());
  Transaction t;
  r.run(1, 0, Access::kStore, 3, t);
  r.run(1, 0, Access::kEvict, 0, t);
  EXPECT_EQ(t.issue, Issue::kHit);
  EXPECT_EQ(t.count, 0);
  EXPECT_EQ(r.state().home[0].memory, 3);
  EXPECT_EQ(r.line(1, 0).state, Mesi::kI);
  r.run(0, 0, Access::kLoad, 0, t);  // the DCOH finds the line in the device's memory
  EXPECT_EQ(names(t), (V{"RdAny", "MemRd,S", "Cmp-E", "MemData", "GO-E", "Data"}));
  EXPECT_EQ(t.value, 3);
}

// CXL 3.1 Figure 3-30: a host's ownership request without data reaches the DCOH as MemInv,
// which invalidates the device's copy and answers Cmp-E alone.
TEST(CoherenceBias, HostOwnershipWithoutDataIsMemInvAnsweredByCmpE) {
  Runner r(type2());
  Transaction t;
  r.run(1, 0, Access::kStore, 2, t);
  r.run(0, 0, Access::kStoreFull, 3, t);
  EXPECT_EQ(names(t), (V{"RdOwnNoData", "MemInv,A", "Cmp-E", "GO-E"}));
  EXPECT_EQ(r.line(1, 0).state, Mesi::kI);
  EXPECT_EQ(r.line(0, 0).state, Mesi::kM);
}

// CXL 3.1 §3.2.4.2.13, Figure 3-40: the flip to device bias is the device's RdOwnNoData per line
// it does not own; the host snoops its copies out and answers MemRdFwd; the page is in device
// bias once every line is done.
TEST(CoherenceBias, FlipToDeviceBiasIsRdOwnNoDataPerLineAnsweredByMemRdFwd) {
  Runner r(type2(2, 2));
  Transaction t;
  r.run(0, 0, Access::kStore, 6, t);  // a host core holds line 0 modified
  r.run(1, 1, Access::kStore, 2, t);  // the device owns line 1: no request for it
  r.flip_to_device(0, t);
  ASSERT_EQ(t.issue, Issue::kSent);
  EXPECT_EQ(names(t), (V{"RdOwnNoData", "SnpInv", "RspIFwdM", "Data", "MemRdFwd"}));
  EXPECT_EQ(r.line(0, 0).state, Mesi::kI);
  EXPECT_TRUE(r.protocol().in_device_bias(r.state(), 0));
  EXPECT_EQ(r.state().home[0].memory, 6);
  r.run(1, 0, Access::kLoad, 0, t);  // device bias: local
  EXPECT_EQ(t.count, 0);
  EXPECT_EQ(t.value, 6);
  r.flip_to_device(0, t);  // already in device bias
  EXPECT_EQ(t.issue, Issue::kRefused);
}

// CXL 3.1 §2.2.2.2, §3.5.2.2 (Figures 3-27, 3-29): the host may access a device-bias page; the
// home sends the access to the device's DCOH on CXL.mem, which snoops the device's cache and
// answers Cmp-S/E (Cmp for an uncached read) and MemData. An uncached read leaves the page in
// device bias; a cacheable copy for the host returns it to host bias.
TEST(CoherenceBias, HostAccessToDeviceBiasIsResolvedByTheDevice) {
  Runner r(type2(2, 2));
  Transaction t;
  r.flip_to_device(0, t);
  r.run(1, 0, Access::kStore, 7, t);
  r.run(1, 1, Access::kStore, 8, t);
  r.run(0, 0, Access::kReadCurrent, 0, t);
  EXPECT_EQ(names(t), (V{"RdCurr", "MemRd,I", "Cmp", "MemData", "Data"}));
  EXPECT_EQ(t.value, 7);
  EXPECT_TRUE(r.protocol().in_device_bias(r.state(), 0));
  EXPECT_EQ(r.line(1, 0).state, Mesi::kM);
  r.run(0, 1, Access::kLoad, 0, t);
  ASSERT_EQ(t.issue, Issue::kSent);
  EXPECT_EQ(names(t), (V{"RdAny", "MemRd,S", "Cmp-S", "MemData", "GO-S", "Data"}));
  EXPECT_EQ(t.value, 8);
  EXPECT_FALSE(r.protocol().in_device_bias(r.state(), 0));
  EXPECT_EQ(r.line(1, 1).state, Mesi::kS);  // SnpData: written back inside the device, kept S
  EXPECT_EQ(r.state().home[1].memory, 8);
  EXPECT_EQ(r.line(1, 0).state, Mesi::kM);  // the device keeps its other lines
  r.run(1, 0, Access::kLoad, 0, t);         // host bias: hits stay local
  EXPECT_EQ(t.count, 0);
  r.run(0, 0, Access::kLoad, 0, t);
  EXPECT_EQ(names(t), (V{"RdAny", "MemRd,S", "Cmp-S", "MemData", "GO-S", "Data"}));
  EXPECT_EQ(t.value, 7);
  r.flip_to_device(0, t);  // the host's shared copies are invalidated again
  EXPECT_EQ(names(t), (V{"RdOwnNoData", "RdOwnNoData", "SnpInv", "SnpInv", "RspIHitSE", "RspIHitSE",
                         "MemRdFwd", "MemRdFwd"}));
  EXPECT_EQ(r.line(0, 0).state, Mesi::kI);
  EXPECT_EQ(r.line(1, 0).state, Mesi::kE);
  ASSERT_TRUE(r.flip_to_host(0));  // the bias table changes; the device keeps its lines
  EXPECT_EQ(r.line(1, 0).state, Mesi::kE);
}

TEST(CoherenceOpcodes, SpecNames) {
  EXPECT_EQ(opcode_name(Channel::kD2HReq, static_cast<uint8_t>(D2HReq::kCacheFlushed)),
            "CacheFlushed");
  EXPECT_EQ(opcode_name(Channel::kD2HRsp, static_cast<uint8_t>(D2HRsp::kRspVFwdV)), "RspVFwdV");
  EXPECT_EQ(opcode_name(Channel::kH2DRsp, static_cast<uint8_t>(H2DRsp::kGoWritePullDrop)),
            "GO_WritePull_Drop");
  EXPECT_EQ(opcode_name(Channel::kS2MBISnp, static_cast<uint8_t>(S2MBISnp::kBISnpData)),
            "BISnpData");
  EXPECT_EQ(name(Channel::kM2SBIRsp), "M2S BIRsp");
  EXPECT_TRUE(toward_agent(Channel::kS2MBISnp, Flavour::kBackInvalidate));
  EXPECT_FALSE(toward_agent(Channel::kM2SRwD, Flavour::kBackInvalidate));
  // HDM-D: the host home agent answers its device on CXL.mem (Table 3-24), the DCOH answers on S2M.
  EXPECT_TRUE(toward_agent(Channel::kM2SReq, Flavour::kCache));
  EXPECT_FALSE(toward_agent(Channel::kS2MDRS, Flavour::kCache));
}

}  // namespace
}  // namespace cxlsim::coherence
