#include "frontend/replay_reader.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "spec/error.h"

namespace cxlsim::frontend {
namespace {

// A file under the test temp dir, removed at scope end.
class TempFile {
 public:
  explicit TempFile(const std::string& name)
      : path_(::testing::TempDir() + "cxlsim-" + std::to_string(::getpid()) + "-" + name) {}
  TempFile(const std::string& name, const std::string& content) : TempFile(name) {
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  [[nodiscard]] const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<TraceRecord> read_all(const std::string& path) {
  auto r = open_trace(path);
  std::vector<TraceRecord> out;
  TraceRecord rec;
  while (r->next(rec)) out.push_back(rec);
  return out;
}

// The message of the ParseError reading `path` throws ("" when none).
std::string error_of(const std::string& path) {
  try {
    read_all(path);
  } catch (const ParseError& e) {
    return e.what();
  }
  return "";
}

// Issue #18: streams (pipes, FIFOs, stdin) lose no byte to format detection, and a writer that
// sends less than 4 KiB and closes does not hang the reader. `content` is written by a thread
// into a FIFO the reader opens by path.
std::vector<TraceRecord> read_through_fifo(const std::string& content) {
  const std::string path = ::testing::TempDir() + "cxlsim-fifo-" + std::to_string(::getpid());
  std::remove(path.c_str());
  EXPECT_EQ(::mkfifo(path.c_str(), 0600), 0);
  std::thread writer([&] {
    std::ofstream out(path, std::ios::binary);
    out << content;
  });
  std::vector<TraceRecord> got;
  try {
    got = read_all(path);
  } catch (...) {
    writer.join();
    std::remove(path.c_str());
    throw;
  }
  writer.join();
  std::remove(path.c_str());
  return got;
}

TEST(TraceStreams, FifoOfEveryFormatLosesNothing) {
  std::string text, lackey = "==1== Lackey\n";
  for (int i = 0; i < 1000; ++i) {  // well beyond the 4 KiB detection prefix
    text += "R " + std::to_string(i * 64) + "\n";
    lackey += " L " + std::to_string(i * 64) + ",8\n";
  }
  EXPECT_EQ(read_through_fifo(text).size(), 1000u);
  EXPECT_EQ(read_through_fifo(lackey).size(), 1000u);
  EXPECT_EQ(read_through_fifo("R 40\nW 80\n").size(), 2u);  // less than 4 KiB
  TempFile bin("fifo.bin");
  {
    TraceWriter w(bin.path());
    for (uint64_t i = 0; i < 500; ++i) w.write({i * 64, kNoTimestamp, 64, (i & 1) != 0});
    w.close();
  }
  std::ifstream in(bin.path(), std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto recs = read_through_fifo(bytes);
  ASSERT_EQ(recs.size(), 500u);
  EXPECT_EQ(recs[499].address, 499u * 64);
  EXPECT_TRUE(recs[499].write);
}

// Issue #18: sizes and line lengths are bounded (a lackey size of 2^32 became 0 and looped).
TEST(TraceBounds, HugeSizesAndLongLinesAreRefused) {
  TempFile lk("huge.lackey", "==1== Lackey\n L 1000,4294967296\n");
  EXPECT_NE(error_of(lk.path()).find("bad size"), std::string::npos) << error_of(lk.path());
  TempFile tx("huge.txt", "R 1000 2097152\n");
  EXPECT_NE(error_of(tx.path()).find("bad size"), std::string::npos);
  TempFile ts("ts.txt", "R 1000 64 18446744073709551\n");
  EXPECT_NE(error_of(ts.path()).find("bad timestamp"), std::string::npos);
  TempFile lng("long.txt", std::string(100000, 'R'));
  EXPECT_NE(error_of(lng.path()).find("longer than"), std::string::npos);
  TempFile bin("huge.bin");
  {
    TraceWriter w(bin.path());
    w.write({0, kNoTimestamp, 0xffffffff, false});
    w.close();
  }
  EXPECT_NE(error_of(bin.path()).find("size 4294967295"), std::string::npos)
      << error_of(bin.path());
}

TEST(TextTrace, ReadsOpsAddressesSizesAndTimestamps) {
  TempFile f("text.txt", "# comment\n\nR 0x1000\nw 2040 128\nR 0xabc 8 250\n");
  EXPECT_EQ(detect_trace_kind(f.path()), TraceKind::kText);
  const auto v = read_all(f.path());
  ASSERT_EQ(v.size(), 3u);
  EXPECT_FALSE(v[0].write);
  EXPECT_EQ(v[0].address, 0x1000u);
  EXPECT_EQ(v[0].size, 64u);  // default: one cache line
  EXPECT_EQ(v[0].timestamp_ps, kNoTimestamp);
  EXPECT_TRUE(v[1].write);
  EXPECT_EQ(v[1].address, 0x2040u);  // addresses are hex with or without 0x
  EXPECT_EQ(v[1].size, 128u);
  EXPECT_EQ(v[2].timestamp_ps, 250'000u);  // nanoseconds in the file, picoseconds in memory
}

TEST(TextTrace, MalformedLinesNameFileAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"R 0x10\nX 0x20\n", ":2: unknown operation 'X'"},
      {"# c\nR 0xzz\n", ":2: bad hex address '0xzz'"},
      {"R 0x10 0\n", ":1: bad size '0'"},
      {"R 0x10\n\nR 0x20 64 soon\n", ":3: bad timestamp 'soon'"},
      {"R\n", ":1: expected 'R|W <hex address> [size] [timestamp-ns]'"},
      {"R 1 2 3 4\n", ":1: expected"},
  };
  for (const auto& [text, want] : cases) {
    TempFile f("bad.txt", text);
    const std::string e = error_of(f.path());
    EXPECT_NE(e.find(f.path() + want), std::string::npos) << "got: " << e << "\nwant: " << want;
  }
}

TEST(LackeyTrace, LoadsStoresAndModifySkippingInstructionFetches) {
  TempFile f("lackey.out",
             "==123== Lackey, an example Valgrind tool\n"
             "I  04000000,3\n"
             " L 1ffefffd48,8\n"
             " S 04222cac,4\n"
             " M 0421f048,16\n"
             "==123== exit\n");
  EXPECT_EQ(detect_trace_kind(f.path()), TraceKind::kLackey);
  const auto v = read_all(f.path());
  ASSERT_EQ(v.size(), 4u);  // M is a load and a store
  EXPECT_FALSE(v[0].write);
  EXPECT_EQ(v[0].address, 0x1ffefffd48u);
  EXPECT_EQ(v[0].size, 8u);
  EXPECT_TRUE(v[1].write);
  EXPECT_EQ(v[1].address, 0x04222cacu);
  EXPECT_FALSE(v[2].write);
  EXPECT_TRUE(v[3].write);
  EXPECT_EQ(v[2].address, v[3].address);
  EXPECT_EQ(v[3].size, 16u);
}

TEST(LackeyTrace, MalformedLinesNameFileAndLine) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {" L 1000,8\n X 1000,8\n", ":2: unknown lackey operation 'X'"},
      {" L 1000,8\n S 1000\n", ":2: missing ',size'"},
      {" L 1000,0\n", ":1: bad size '0'"},
      {" L qq,8\n", ":1: bad address 'qq'"},
  };
  for (const auto& [text, want] : cases) {
    TempFile f("bad.lackey", text);
    ASSERT_EQ(detect_trace_kind(f.path()), TraceKind::kLackey) << text;
    const std::string e = error_of(f.path());
    EXPECT_NE(e.find(f.path() + want), std::string::npos) << "got: " << e << "\nwant: " << want;
  }
}

TEST(BinaryTrace, RoundTripsEveryField) {
  TempFile f("round.cxlt");
  const std::vector<TraceRecord> in = {
      {0x0, kNoTimestamp, 64, false},
      {0xffff'ffff'ffff'ffc0u, 0, 1, true},
      {0x1234'5678, 987'654'321'000u, 1u << 20, false},
  };
  {
    TraceWriter w(f.path());
    for (const auto& r : in) w.write(r);
    w.close();
    EXPECT_EQ(w.records(), in.size());
  }
  EXPECT_EQ(detect_trace_kind(f.path()), TraceKind::kBinary);
  const auto out = read_all(f.path());
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].address, in[i].address) << i;
    EXPECT_EQ(out[i].timestamp_ps, in[i].timestamp_ps) << i;
    EXPECT_EQ(out[i].size, in[i].size) << i;
    EXPECT_EQ(out[i].write, in[i].write) << i;
  }
}

// Header fields as trace_format.h defines them, written independently of TraceWriter.
std::string header(uint32_t version, uint32_t record_bytes) {
  std::string h(kTraceMagic, 8);
  for (uint32_t v : {version, record_bytes}) {
    for (int i = 0; i < 4; ++i) h.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  }
  return h;
}

TEST(BinaryTrace, RejectsOtherVersionsRecordSizesAndTruncation) {
  {
    TempFile f("v2.cxlt", header(2, kTraceRecordBytes));
    EXPECT_NE(error_of(f.path()).find("unsupported trace version 2"), std::string::npos);
  }
  {
    TempFile f("r32.cxlt", header(kTraceVersion, 32));
    EXPECT_NE(error_of(f.path()).find("record size 32"), std::string::npos);
  }
  {
    TempFile f("trunc.cxlt", header(kTraceVersion, kTraceRecordBytes) + std::string(10, '\0'));
    EXPECT_NE(error_of(f.path()).find("truncated record 0"), std::string::npos)
        << error_of(f.path());
  }
  {
    std::string rec(kTraceRecordBytes, '\0');
    rec[16] = 64;  // size
    rec[20] = 7;   // op: neither read nor write
    TempFile f("op.cxlt", header(kTraceVersion, kTraceRecordBytes) + rec);
    EXPECT_NE(error_of(f.path()).find("record 0: bad op 7"), std::string::npos)
        << error_of(f.path());
  }
}

TEST(TraceFiles, MissingFileIsAParseErrorNamingIt) {
  EXPECT_THROW(open_trace("/nonexistent/trace.txt"), ParseError);
  try {
    open_trace("/nonexistent/trace.txt");
  } catch (const ParseError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/trace.txt"), std::string::npos);
  }
}

}  // namespace
}  // namespace cxlsim::frontend
