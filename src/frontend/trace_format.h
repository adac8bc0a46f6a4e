// cxlsim binary memory trace, version 1 (little-endian). One header, then fixed-size records.
//
//   header (16 bytes): magic "CXLTRACE" (8 bytes), u32 version = 1, u32 record_bytes = 24
//   record (24 bytes): u64 address, u64 timestamp in ps (kNoTimestamp when absent),
//                      u32 size in bytes, u8 op (0 read, 1 write), u8[3] reserved (zero)
//
// Readers reject other magics, versions and record sizes with an error naming the file.
#pragma once

#include <cstdint>

namespace cxlsim::frontend {

inline constexpr char kTraceMagic[8] = {'C', 'X', 'L', 'T', 'R', 'A', 'C', 'E'};
inline constexpr uint32_t kTraceVersion = 1;
inline constexpr uint32_t kTraceRecordBytes = 24;
inline constexpr uint32_t kTraceHeaderBytes = 16;
inline constexpr uint64_t kNoTimestamp = ~uint64_t{0};

// One memory access of a trace, whatever its file format.
struct TraceRecord {
  uint64_t address = 0;
  uint64_t timestamp_ps = kNoTimestamp;
  uint32_t size = 64;
  bool write = false;
  // Only in formats that carry them (lackey; never written to the binary format):
  uint64_t insns = 0;   // instructions the thread executed since the previous record
  uint64_t pc = 0;      // address of the instruction that made the access (0: unknown)
  bool modify = false;  // one half of a read-modify-write (lackey `M`)
};

}  // namespace cxlsim::frontend
