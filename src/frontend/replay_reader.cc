#include "frontend/replay_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>
#include <vector>

#include "spec/error.h"

namespace cxlsim::frontend {
namespace {

// Buffered line/byte input over a file, pipe, FIFO or standard input, opened once. The first
// bytes are read ahead (prefix(), for format detection) and then handed out like the rest:
// nothing is read twice, no byte is lost, so streams work as well as files.
class Input {
 public:
  explicit Input(const std::string& path) : path_(path) {
    const int fd = path == "-" ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      throw ParseError(fmt::format("cannot open trace '{}': {}", path, std::strerror(errno)));
    }
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) total_ = static_cast<uint64_t>(st.st_size);
    read_prefix(fd);
    // stdio has not touched the descriptor yet: it reads on from where the prefix ended.
    f_ = fd == STDIN_FILENO ? stdin : ::fdopen(fd, "rb");
    if (f_ == nullptr) {
      ::close(fd);
      throw ParseError(fmt::format("cannot read trace '{}'", path));
    }
  }
  ~Input() {
    if (f_ != nullptr && f_ != stdin) std::fclose(f_);
  }
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  // What was read ahead and not yet consumed (at most kPrefixBytes, from the start).
  [[nodiscard]] std::string_view prefix() const {
    return std::string_view(prefix_).substr(prefix_used_);
  }

  // Next line without its '\n'; false at the end. Throws ParseError beyond kMaxLineBytes.
  bool line(std::string& out) {
    out.clear();
    int c;
    while ((c = get()) != EOF) {
      ++pos_;
      if (c == '\n') return true;
      if (out.size() >= kMaxLineBytes) {
        throw ParseError(fmt::format("{}: a line is longer than {} bytes", path_, kMaxLineBytes));
      }
      out.push_back(static_cast<char>(c));
    }
    return !out.empty();
  }
  size_t read(void* p, size_t n) {
    auto* dst = static_cast<char*>(p);
    const size_t from_prefix = std::min(n, prefix_.size() - prefix_used_);
    std::memcpy(dst, prefix_.data() + prefix_used_, from_prefix);
    prefix_used_ += from_prefix;
    const size_t got = from_prefix + std::fread(dst + from_prefix, 1, n - from_prefix, f_);
    pos_ += got;
    return got;
  }
  [[nodiscard]] uint64_t pos() const { return pos_; }
  [[nodiscard]] uint64_t total() const { return total_; }
  [[nodiscard]] const std::string& path() const { return path_; }

  static constexpr size_t kPrefixBytes = 4096;
  static constexpr size_t kMaxLineBytes = 4096;

 private:
  // Reads until kPrefixBytes, the end, or (enough to detect a format) 8 bytes and a whole
  // line: a writer that sends little and keeps its end open does not stall detection.
  void read_prefix(int fd) {
    char buf[kPrefixBytes];
    while (prefix_.size() < kPrefixBytes) {
      if (prefix_.size() >= 8 && prefix_.find('\n') != std::string::npos) break;
      const ssize_t n = ::read(fd, buf, kPrefixBytes - prefix_.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        throw ParseError(fmt::format("cannot read trace '{}': {}", path_, std::strerror(errno)));
      }
      if (n == 0) break;
      prefix_.append(buf, static_cast<size_t>(n));
    }
  }
  int get() {
    if (prefix_used_ < prefix_.size()) return static_cast<unsigned char>(prefix_[prefix_used_++]);
    return std::getc(f_);
  }

  std::FILE* f_ = nullptr;
  std::string path_;
  std::string prefix_;
  size_t prefix_used_ = 0;
  uint64_t pos_ = 0, total_ = 0;
};

TraceKind kind_of_prefix(std::string_view s) {
  if (s.size() >= 8 && std::memcmp(s.data(), kTraceMagic, 8) == 0) return TraceKind::kBinary;
  if (s.rfind("==", 0) == 0 || s.find("\n L ") != std::string_view::npos ||
      s.find("\n S ") != std::string_view::npos || s.rfind(" L ", 0) == 0 ||
      s.rfind(" S ", 0) == 0 || s.rfind(" M ", 0) == 0 || s.rfind("I  ", 0) == 0) {
    return TraceKind::kLackey;
  }
  return TraceKind::kText;
}

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
  explicit LineReader(std::unique_ptr<Input> in) : in_(std::move(in)) {}
  [[nodiscard]] uint64_t position() const override { return in_->pos(); }
  [[nodiscard]] uint64_t total() const override { return in_->total(); }

 protected:
  [[noreturn]] void bad(const std::string& why) {
    throw ParseError(fmt::format("{}:{}: {}", in_->path(), lineno_, why));
  }
  std::unique_ptr<Input> in_;
  std::string line_;
  uint64_t lineno_ = 0;
};

class TextReader final : public LineReader {
 public:
  using LineReader::LineReader;
  bool next(TraceRecord& out) override {
    while (in_->line(line_)) {
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
      if (f[0] == "R" || f[0] == "r") {
        out.write = false;
      } else if (f[0] == "W" || f[0] == "w") {
        out.write = true;
      } else {
        bad(fmt::format("unknown operation '{}' (use R or W)", f[0]));
      }
      if (!parse_u64(f[1], out.address, 16)) bad(fmt::format("bad hex address '{}'", f[1]));
      uint64_t size = 64;
      if (n >= 3 && (!parse_u64(f[2], size, 10) || size == 0 || size > kMaxAccessBytes)) {
        bad(fmt::format("bad size '{}' (1..{} bytes)", f[2], kMaxAccessBytes));
      }
      out.size = static_cast<uint32_t>(size);
      out.timestamp_ps = kNoTimestamp;
      if (n == 4) {
        uint64_t ts = 0;
        if (!parse_u64(f[3], ts, 10) || ts >= kNoTimestamp / 1000) {
          bad(fmt::format("bad timestamp '{}' (integer nanoseconds below 2^64 ps)", f[3]));
        }
        out.timestamp_ps = ts * 1000;
      }
      return true;
    }
    return false;
  }
};

class LackeyReader final : public LineReader {
 public:
  using LineReader::LineReader;
  bool next(TraceRecord& out) override {
    if (pending_store_) {
      pending_store_ = false;
      out = store_;
      return true;
    }
    while (in_->line(line_)) {
      ++lineno_;
      std::string_view s = line_;
      if (s.empty() || s.rfind("==", 0) == 0 || s.rfind("--", 0) == 0) continue;
      if (s[0] == 'I') {  // an instruction: counted, its address kept for the next access
        instruction(s);
        continue;
      }
      s = trim(s);
      if (s.size() < 3 || s[1] != ' ') bad("expected ' L|S|M addr,size' or 'I addr,size'");
      const char op = s[0];
      std::string_view rest = trim(s.substr(2));
      size_t comma = rest.find(',');
      if (comma == std::string_view::npos) bad("missing ',size'");
      TraceRecord r;
      uint64_t size = 0;
      if (!parse_u64(rest.substr(0, comma), r.address, 16)) {
        bad(fmt::format("bad address '{}'", rest.substr(0, comma)));
      }
      if (!parse_u64(rest.substr(comma + 1), size, 10) || size == 0 || size > kMaxAccessBytes) {
        bad(fmt::format("bad size '{}' (1..{} bytes)", rest.substr(comma + 1), kMaxAccessBytes));
      }
      r.size = static_cast<uint32_t>(size);
      r.insns = insns_;
      r.pc = pc_;
      insns_ = 0;
      if (op == 'L') {
        r.write = false;
      } else if (op == 'S') {
        r.write = true;
      } else if (op == 'M') {  // modify: a load then a store of the same bytes
        r.write = false;
        r.modify = true;
        store_ = r;
        store_.write = true;
        store_.insns = 0;
        pending_store_ = true;
      } else {
        bad(fmt::format("unknown lackey operation '{}'", op));
      }
      out = r;
      return true;
    }
    return false;
  }
  [[nodiscard]] bool has_instructions() const override { return seen_instruction_; }
  [[nodiscard]] uint64_t trailing_instructions() const override { return insns_; }

 private:
  // "I  addr,size": one instruction executed at addr.
  void instruction(std::string_view s) {
    seen_instruction_ = true;
    ++insns_;
    std::string_view rest = trim(s.substr(1));
    const size_t comma = rest.find(',');
    if (comma == std::string_view::npos || !parse_u64(rest.substr(0, comma), pc_, 16)) {
      bad("expected 'I addr,size'");
    }
  }
  bool pending_store_ = false;
  bool seen_instruction_ = false;
  uint64_t insns_ = 0, pc_ = 0;
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
  explicit BinaryReader(std::unique_ptr<Input> in) : in_(std::move(in)) {
    const std::string& path = in_->path();
    unsigned char h[kTraceHeaderBytes];
    if (in_->read(h, sizeof h) != sizeof h || std::memcmp(h, kTraceMagic, 8) != 0) {
      throw ParseError(fmt::format("{}: not a cxlsim binary trace (bad magic)", path));
    }
    const uint64_t version = get_le(h + 8, 4), rec = get_le(h + 12, 4);
    if (version != kTraceVersion) {
      throw ParseError(fmt::format("{}: unsupported trace version {} (this cxlsim reads {})", path,
                                   version, kTraceVersion));
    }
    if (rec != kTraceRecordBytes) {
      throw ParseError(fmt::format("{}: record size {} does not match version 1 ({})", path, rec,
                                   kTraceRecordBytes));
    }
  }
  bool next(TraceRecord& out) override {
    unsigned char r[kTraceRecordBytes];
    size_t got = in_->read(r, sizeof r);
    if (got == 0) return false;
    if (got != sizeof r) {
      throw ParseError(fmt::format("{}: truncated record {}", in_->path(), index_));
    }
    out.address = get_le(r, 8);
    out.timestamp_ps = get_le(r + 8, 8);
    out.size = static_cast<uint32_t>(get_le(r + 16, 4));
    if (r[20] > 1) {
      throw ParseError(fmt::format("{}: record {}: bad op {}", in_->path(), index_, r[20]));
    }
    if (out.size == 0 || out.size > kMaxAccessBytes) {
      throw ParseError(fmt::format("{}: record {}: size {} (1..{} bytes)", in_->path(), index_,
                                   out.size, kMaxAccessBytes));
    }
    out.write = r[20] == 1;
    ++index_;
    return true;
  }
  [[nodiscard]] uint64_t position() const override { return in_->pos(); }
  [[nodiscard]] uint64_t total() const override { return in_->total(); }

 private:
  std::unique_ptr<Input> in_;
  uint64_t index_ = 0;
};

}  // namespace

TraceKind detect_trace_kind(const std::string& path) {
  return kind_of_prefix(Input(path).prefix());
}

std::unique_ptr<TraceReader> open_trace(const std::string& path) {
  auto in = std::make_unique<Input>(path);
  switch (kind_of_prefix(in->prefix())) {
    case TraceKind::kBinary:
      return std::make_unique<BinaryReader>(std::move(in));
    case TraceKind::kLackey:
      return std::make_unique<LackeyReader>(std::move(in));
    case TraceKind::kText:
      break;
  }
  return std::make_unique<TextReader>(std::move(in));
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
  if (std::fwrite(b, 1, sizeof b, f_) != sizeof b) {
    throw ParseError(fmt::format("write to '{}' failed", path_));
  }
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
