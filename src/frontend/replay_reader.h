// Streaming trace readers: one record at a time, never the whole file in memory.
// Formats: text ("R|W <hex address> [size] [timestamp-ns]", '#' comments), Valgrind lackey
// --trace-mem=yes (" L addr,size", " S addr,size", " M addr,size" = load + store; "I addr,size"
// lines are instructions: counted into the next record's insns, their address its pc), and
// cxlsim binary (trace_format.h).
#pragma once

#include <cstdio>
#include <memory>
#include <string>

#include "frontend/trace_format.h"

namespace cxlsim::frontend {

enum class TraceKind { kText, kLackey, kBinary };

class TraceReader {
 public:
  virtual ~TraceReader() = default;
  // Next record; false at end. Throws ParseError naming file and line on bad input.
  virtual bool next(TraceRecord& out) = 0;
  // Bytes consumed so far and total file size (0 when unknown), for progress.
  [[nodiscard]] virtual uint64_t position() const = 0;
  [[nodiscard]] virtual uint64_t total() const = 0;
  // Whether records carry instruction counts and addresses (TraceRecord::insns, pc): lackey's
  // `I` lines. Known once the first record was read.
  [[nodiscard]] virtual bool has_instructions() const { return false; }
  // Instructions executed after the last record (valid at the end).
  [[nodiscard]] virtual uint64_t trailing_instructions() const { return 0; }
};

// Largest access one record may describe (text, lackey and binary alike); lines are at most
// 4096 bytes. Anything larger is refused with an error naming file and line or record.
inline constexpr uint64_t kMaxAccessBytes = uint64_t{1} << 20;

// Detects the format from the first bytes (binary magic; lackey "==" banner or " L "/" S "
// lines; otherwise text). open_trace reads the file, pipe, FIFO or standard input ("-") once:
// the bytes detection looked at are parsed like the rest, so every format works on streams.
TraceKind detect_trace_kind(const std::string& path);
std::unique_ptr<TraceReader> open_trace(const std::string& path);

// Writes the binary format.
class TraceWriter {
 public:
  explicit TraceWriter(const std::string& path);
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;
  void write(const TraceRecord& r);
  void close();
  [[nodiscard]] uint64_t records() const { return records_; }

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
  uint64_t records_ = 0;
};

}  // namespace cxlsim::frontend
