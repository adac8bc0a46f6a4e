#include "frontend/replay_reader.h"

#include <fmt/format.h>

#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <string_view>
#include <vector>

#include "spec/error.h"

namespace cxlsim::frontend {
namespace {

// Buffered line/byte input over a FILE*, owning it.
class Input {
 public:
  explicit Input(const std::string& path) : path_(path) {
    f_ = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
    if (f_ == nullptr) throw ParseError(fmt::format("cannot open trace '{}'", path));
    if (f_ != stdin && std::fseek(f_, 0, SEEK_END) == 0) {
      long n = std::ftell(f_);
      total_ = n > 0 ? static_cast<uint64_t>(n) : 0;
      std::fseek(f_, 0, SEEK_SET);
    }
  }
  ~Input() {
    if (f_ != nullptr && f_ != stdin) std::fclose(f_);
  }
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;
  bool line(std::string& out) {
    out.clear();
    int c;
    while ((c = std::getc(f_)) != EOF) {
      ++pos_;
      if (c == '\n') return true;
      out.push_back(static_cast<char>(c));
    }
    return !out.empty();
  }
  size_t read(void* p, size_t n) {
    size_t got = std::fread(p, 1, n, f_);
    pos_ += got;
    return got;
  }
  uint64_t pos() const { return pos_; }
  uint64_t total() const { return total_; }
  const std::string& path() const { return path_; }

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
  uint64_t pos_ = 0, total_ = 0;
};

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool parse_u64(std::string_view s, uint64_t& v, int base) {
  if (base == 16 && s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) s.remove_prefix(2);
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, base);
  return ec == std::errc() && p == s.data() + s.size();
}

// A trace read line by line: position for progress, errors naming file and line.
class LineReader : public TraceReader {
 public:
  explicit LineReader(const std::string& path) : in_(path) {}
  uint64_t position() const override { return in_.pos(); }
  uint64_t total() const override { return in_.total(); }

 protected:
  [[noreturn]] void bad(const std::string& why) {
    throw ParseError(fmt::format("{}:{}: {}", in_.path(), lineno_, why));
  }
  Input in_;
  std::string line_;
  uint64_t lineno_ = 0;
};

class TextReader final : public LineReader {
 public:
  explicit TextReader(const std::string& path) : LineReader(path) {}
  bool next(TraceRecord& out) override {
    while (in_.line(line_)) {
      ++lineno_;
      std::string_view s = trim(line_);
      if (s.empty() || s[0] == '#') continue;
      std::array<std::string_view, 5> f{};
      size_t n = 0;
      while (!s.empty() && n < f.size()) {
        size_t e = s.find_first_of(" \t,");
        f[n++] = s.substr(0, e);
        s = e == std::string_view::npos ? std::string_view() : trim(s.substr(e + 1));
      }
      if (n < 2 || n > 4 || !s.empty()) bad("expected 'R|W <hex address> [size] [timestamp-ns]'");
      if (f[0] == "R" || f[0] == "r") out.write = false;
      else if (f[0] == "W" || f[0] == "w") out.write = true;
      else bad(fmt::format("unknown operation '{}' (use R or W)", f[0]));
      if (!parse_u64(f[1], out.address, 16)) bad(fmt::format("bad hex address '{}'", f[1]));
      uint64_t size = 64;
      if (n >= 3 && (!parse_u64(f[2], size, 10) || size == 0 || size > (1u << 20))) bad(fmt::format("bad size '{}'", f[2]));
      out.size = static_cast<uint32_t>(size);
      out.timestamp_ps = kNoTimestamp;
      if (n == 4) {
        uint64_t ts = 0;
        if (!parse_u64(f[3], ts, 10)) bad(fmt::format("bad timestamp '{}' (integer nanoseconds)", f[3]));
        out.timestamp_ps = ts * 1000;
      }
      return true;
    }
    return false;
  }
};

class LackeyReader final : public LineReader {
 public:
  explicit LackeyReader(const std::string& path) : LineReader(path) {}
  bool next(TraceRecord& out) override {
    if (pending_store_) {
      pending_store_ = false;
      out = store_;
      return true;
    }
    while (in_.line(line_)) {
      ++lineno_;
      std::string_view s = line_;
      if (s.empty() || s.rfind("==", 0) == 0 || s.rfind("--", 0) == 0) continue;
      if (s[0] == 'I') continue;  // instruction fetch
      s = trim(s);
      if (s.size() < 3 || s[1] != ' ') bad("expected ' L|S|M addr,size' or 'I addr,size'");
      const char op = s[0];
      std::string_view rest = trim(s.substr(2));
      size_t comma = rest.find(',');
      if (comma == std::string_view::npos) bad("missing ',size'");
      TraceRecord r;
      uint64_t size = 0;
      if (!parse_u64(rest.substr(0, comma), r.address, 16)) bad(fmt::format("bad address '{}'", rest.substr(0, comma)));
      if (!parse_u64(rest.substr(comma + 1), size, 10) || size == 0) bad(fmt::format("bad size '{}'", rest.substr(comma + 1)));
      r.size = static_cast<uint32_t>(size);
      if (op == 'L') {
        r.write = false;
      } else if (op == 'S') {
        r.write = true;
      } else if (op == 'M') {  // modify: a load then a store of the same bytes
        r.write = false;
        store_ = r;
        store_.write = true;
        pending_store_ = true;
      } else {
        bad(fmt::format("unknown lackey operation '{}'", op));
      }
      out = r;
      return true;
    }
    return false;
  }

 private:
  bool pending_store_ = false;
  TraceRecord store_;
};

uint64_t get_le(const unsigned char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
void put_le(unsigned char* p, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) p[i] = static_cast<unsigned char>(v >> (8 * i));
}

class BinaryReader final : public TraceReader {
 public:
  explicit BinaryReader(const std::string& path) : in_(path) {
    unsigned char h[kTraceHeaderBytes];
    if (in_.read(h, sizeof h) != sizeof h || std::memcmp(h, kTraceMagic, 8) != 0) {
      throw ParseError(fmt::format("{}: not a cxlsim binary trace (bad magic)", path));
    }
    const uint64_t version = get_le(h + 8, 4), rec = get_le(h + 12, 4);
    if (version != kTraceVersion) throw ParseError(fmt::format("{}: unsupported trace version {} (this cxlsim reads {})", path, version, kTraceVersion));
    if (rec != kTraceRecordBytes) throw ParseError(fmt::format("{}: record size {} does not match version 1 ({})", path, rec, kTraceRecordBytes));
  }
  bool next(TraceRecord& out) override {
    unsigned char r[kTraceRecordBytes];
    size_t got = in_.read(r, sizeof r);
    if (got == 0) return false;
    if (got != sizeof r) throw ParseError(fmt::format("{}: truncated record {}", in_.path(), index_));
    out.address = get_le(r, 8);
    out.timestamp_ps = get_le(r + 8, 8);
    out.size = static_cast<uint32_t>(get_le(r + 16, 4));
    if (r[20] > 1) throw ParseError(fmt::format("{}: record {}: bad op {}", in_.path(), index_, r[20]));
    if (out.size == 0) throw ParseError(fmt::format("{}: record {}: size 0", in_.path(), index_));
    out.write = r[20] == 1;
    ++index_;
    return true;
  }
  uint64_t position() const override { return in_.pos(); }
  uint64_t total() const override { return in_.total(); }

 private:
  Input in_;
  uint64_t index_ = 0;
};

}  // namespace

TraceKind detect_trace_kind(const std::string& path) {
  if (path == "-") return TraceKind::kText;
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw ParseError(fmt::format("cannot open trace '{}'", path));
  char buf[4096];
  size_t n = std::fread(buf, 1, sizeof buf, f);
  std::fclose(f);
  if (n >= 8 && std::memcmp(buf, kTraceMagic, 8) == 0) return TraceKind::kBinary;
  std::string_view s(buf, n);
  if (s.rfind("==", 0) == 0 || s.find("\n L ") != std::string_view::npos || s.find("\n S ") != std::string_view::npos ||
      s.rfind(" L ", 0) == 0 || s.rfind(" S ", 0) == 0 || s.rfind("I  ", 0) == 0) {
    return TraceKind::kLackey;
  }
  return TraceKind::kText;
}

std::unique_ptr<TraceReader> open_trace(const std::string& path) {
  switch (detect_trace_kind(path)) {
    case TraceKind::kBinary: return std::make_unique<BinaryReader>(path);
    case TraceKind::kLackey: return std::make_unique<LackeyReader>(path);
    case TraceKind::kText: break;
  }
  return std::make_unique<TextReader>(path);
}

TraceWriter::TraceWriter(const std::string& path) : path_(path) {
  f_ = std::fopen(path.c_str(), "wb");
  if (f_ == nullptr) throw ParseError(fmt::format("cannot write '{}'", path));
  unsigned char h[kTraceHeaderBytes];
  std::memcpy(h, kTraceMagic, 8);
  put_le(h + 8, kTraceVersion, 4);
  put_le(h + 12, kTraceRecordBytes, 4);
  std::fwrite(h, 1, sizeof h, f_);
}

TraceWriter::~TraceWriter() {
  if (f_ != nullptr) std::fclose(f_);
}

void TraceWriter::write(const TraceRecord& r) {
  unsigned char b[kTraceRecordBytes] = {};
  put_le(b, r.address, 8);
  put_le(b + 8, r.timestamp_ps, 8);
  put_le(b + 16, r.size, 4);
  b[20] = r.write ? 1 : 0;
  if (std::fwrite(b, 1, sizeof b, f_) != sizeof b) throw ParseError(fmt::format("write to '{}' failed", path_));
  ++records_;
}

void TraceWriter::close() {
  if (f_ != nullptr && std::fclose(f_) != 0) {
    f_ = nullptr;
    throw ParseError(fmt::format("closing '{}' failed", path_));
  }
  f_ = nullptr;
}

}  // namespace cxlsim::frontend
