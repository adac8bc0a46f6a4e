#include "spec/cedt.h"

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <nlohmann/json.hpp>
#include <numeric>

#include "spec/error.h"
#include "spec/interleave.h"

namespace cxlsim {
namespace {

// CHBS, CXL 3.1 Table 9-20 layout, assembled by hand: UID 7, CXL 2.0 host bridge, CHBCR at
// 0x1_2345_0000, 64 KiB.
const std::vector<uint8_t> kChbsBytes{
    0x00, 0x00, 0x20, 0x00,                          // type 0, reserved, record length 32
    0x07, 0x00, 0x00, 0x00,                          // UID
    0x01, 0x00, 0x00, 0x00,                          // CXL Version 1
    0x00, 0x00, 0x00, 0x00,                          // reserved
    0x00, 0x00, 0x45, 0x23, 0x01, 0x00, 0x00, 0x00,  // base
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,  // length 0x10000
};

// CFMWS, CXL 3.1 Table 9-21 layout: 6 GiB at 64 GiB, 3 ways (ENIW 8) across UIDs 0,1,2 at
// 4 KiB (HBIG 4), host-only coherent + volatile + persistent, QTG 0.
const std::vector<uint8_t> kCfmwsBytes{
    0x01, 0x00, 0x30, 0x00,                          // type 1, reserved, record length 0x30
    0x00, 0x00, 0x00, 0x00,                          // reserved
    0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,  // base HPA 0x10_0000_0000
    0x00, 0x00, 0x00, 0x80, 0x01, 0x00, 0x00, 0x00,  // window size 0x1_8000_0000
    0x08, 0x00, 0x00, 0x00,                          // ENIW 8, arithmetic 0, reserved
    0x04, 0x00, 0x00, 0x00,                          // HBIG 4
    0x0E, 0x00, 0x00, 0x00,                          // restrictions, QTG id
    0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00,  // targets
};

Chbs sample_chbs() { return Chbs{7, Chbs::kVersionCxl2, Hpa(0x123450000), KiB(64)}; }
CedtCfmws sample_cfmws() { return make_cfmws(Hpa(GiB(64).value()), GiB(6), {0, 1, 2}, KiB(4)); }

TEST(Cedt, ChbsEncodesToTheSpecifiedBytes) {
  EXPECT_EQ(encode_chbs(sample_chbs()), kChbsBytes);
  EXPECT_EQ(decode_chbs(kChbsBytes), sample_chbs());
}

TEST(Cedt, CfmwsEncodesToTheSpecifiedBytes) {
  const CedtCfmws c = sample_cfmws();
  EXPECT_EQ(c.eniw, 8);
  EXPECT_EQ(c.hbig, 4u);
  EXPECT_EQ(c.ways(), 3u);
  EXPECT_EQ(c.granularity(), KiB(4));
  EXPECT_EQ(encode_cfmws(c), kCfmwsBytes);
  EXPECT_EQ(decode_cfmws(kCfmwsBytes), c);
}

TEST(Cedt, WholeTableHasHeaderLengthAndZeroChecksum) {
  Cedt t;
  t.structures = {sample_chbs(), sample_cfmws()};
  const std::vector<uint8_t> b = encode_cedt(t);
  ASSERT_EQ(b.size(), 36u + 32 + 48);
  EXPECT_EQ(std::string(b.begin(), b.begin() + 4), "CEDT");
  EXPECT_EQ(b[4] | (b[5] << 8) | (b[6] << 16) | (b[7] << 24), 116);
  EXPECT_EQ(b[8], 1);  // revision
  EXPECT_EQ(std::string(b.begin() + 10, b.begin() + 16), "CXLSIM");
  EXPECT_EQ(std::accumulate(b.begin(), b.end(), 0u) % 256, 0u);
  EXPECT_EQ(std::vector<uint8_t>(b.begin() + 36, b.begin() + 68), kChbsBytes);
  EXPECT_EQ(std::vector<uint8_t>(b.begin() + 68, b.end()), kCfmwsBytes);
  EXPECT_EQ(decode_cedt(b), t);
}

TEST(Cedt, OtherStructureTypesRoundTripVerbatim) {
  Cedt t;
  // A CXIMS-shaped structure (type 2): kept as bytes.
  t.structures = {CedtRawStructure{2, {0x02, 0x00, 0x08, 0x00, 0xAA, 0xBB, 0xCC, 0xDD}},
                  sample_chbs()};
  EXPECT_EQ(decode_cedt(encode_cedt(t)), t);
}

TEST(Cedt, DecoderRejectsDamagedTables) {
  Cedt t;
  t.structures = {sample_chbs(), sample_cfmws()};
  const std::vector<uint8_t> good = encode_cedt(t);
  auto bad = good;
  bad[40] ^= 1;  // checksum no longer matches
  EXPECT_THROW(decode_cedt(bad), ParseError);
  bad = good;
  bad[0] = 'X';
  EXPECT_THROW(decode_cedt(bad), ParseError);
  bad = good;
  bad.pop_back();  // header length mismatch
  EXPECT_THROW(decode_cedt(bad), ParseError);
  EXPECT_THROW(decode_cedt(std::vector<uint8_t>(10, 0)), ParseError);
  // A structure whose record length runs past the end (fix up the checksum so only that is wrong).
  bad = good;
  bad[36 + 2] = 0xF0;
  uint8_t sum = 0;
  for (size_t i = 0; i < bad.size(); ++i) {
    if (i != 9) sum = static_cast<uint8_t>(sum + bad[i]);
  }
  bad[9] = static_cast<uint8_t>(0x100 - sum);
  try {
    decode_cedt(bad);
    FAIL() << "accepted a structure overrunning the table";
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("offset 36"), std::string::npos) << e.what();
  }
}

TEST(Cedt, StructureDecodersRejectBadFields) {
  auto b = kCfmwsBytes;
  b[24] = 5;  // ENIW 5 is not defined
  EXPECT_THROW(decode_cfmws(b), ParseError);
  b = kCfmwsBytes;
  b.resize(b.size() - 4);
  b[2] = static_cast<uint8_t>(b.size());  // record length says 2 targets, ENIW says 3
  EXPECT_THROW(decode_cfmws(b), ParseError);
  EXPECT_THROW(decode_chbs(kCfmwsBytes), ParseError);
}

TEST(Cedt, EncodersValidateWindowsAndBridges) {
  EXPECT_THROW(make_cfmws(Hpa(GiB(1).value()), GiB(1), {0, 1, 2, 3, 4}, KiB(4)), ValidationError);
  EXPECT_THROW(make_cfmws(Hpa(GiB(1).value()), GiB(1), {0, 1}, Bytes(128)), ValidationError);
  EXPECT_THROW(make_cfmws(Hpa(MiB(128).value()), GiB(1), {0}, KiB(4)), ValidationError);
  EXPECT_THROW(make_cfmws(Hpa(GiB(1).value()), GiB(1), {0, 1, 2}, KiB(4)),
               ValidationError);  // 1 GiB % 768 MiB
  CedtCfmws c = sample_cfmws();
  c.targets.pop_back();
  EXPECT_THROW(encode_cfmws(c), ValidationError);
  Chbs h = sample_chbs();
  h.length = KiB(8);
  EXPECT_THROW(encode_chbs(h), ValidationError);
  h.cxl_version = Chbs::kVersionRch;
  EXPECT_NO_THROW(encode_chbs(h));
}

RC_GTEST_PROP(Cedt, ValidWindowsRoundTrip, ()) {
  const auto ways =
      *rc::gen::elementOf(std::vector<unsigned>(all_ways().begin(), all_ways().end()));
  const auto eig = *rc::gen::inRange<uint8_t>(0, 7);
  const uint64_t base = *rc::gen::inRange<uint64_t>(0, 1u << 20) << 28;
  const uint64_t size = *rc::gen::inRange<uint64_t>(1, 64) * ways * (1ull << 28);
  const auto targets =
      *rc::gen::container<std::vector<uint32_t>>(ways, rc::gen::arbitrary<uint32_t>());
  const CedtCfmws c = make_cfmws(Hpa(base), Bytes(size), targets, *eig_to_granularity(eig),
                                 *rc::gen::arbitrary<uint16_t>(), *rc::gen::arbitrary<uint16_t>());
  const auto bytes = encode_cfmws(c);
  RC_ASSERT(bytes.size() == 0x24u + 4 * ways);
  RC_ASSERT(decode_cfmws(bytes) == c);
}

TEST(Cedt, JsonShowsDecodedWindows) {
  Cedt t;
  t.structures = {sample_chbs(), sample_cfmws()};
  const nlohmann::json j = to_json(t);
  EXPECT_EQ(j["structures"][0]["type"], "CHBS");
  EXPECT_EQ(j["structures"][1]["ways"], 3);
  EXPECT_EQ(j["structures"][1]["granularity"], 4096);
  EXPECT_EQ(j["structures"][1]["targets"], nlohmann::json({0, 1, 2}));
}

}  // namespace
}  // namespace cxlsim
