// Events command set (CXL 3.1 §8.2.9.2): Get Event Records (0100h), Clear Event Records
// (0101h), Get/Set Event Interrupt Policy (0102h/0103h).
#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

// Input: Event Log (1). Output: Table 8-52 header + records.
MboxReturn get_event_records(MemdevCci& dev, std::span<const uint8_t> in,
                             std::vector<uint8_t>& out) {
  using L = payload::EventRecords;
  const uint64_t which = payload::GetEventRecords::kLog.get(in);
  if (which >= kEventLogCount) return MboxReturn::kInvalidInput;
  const EventLog& log = dev.state().events[which];
  const size_t fit = (dev.mailbox().payload_size() - L::kRecords) / kEventRecordSize;
  const size_t n = std::min(fit, log.records().size());
  uint8_t flags = 0;
  if (log.overflow_count() != 0) flags |= 1;  // Overflow
  if (n < log.records().size()) flags |= 2;   // More Event Records
  L::kFlags.put(out, flags);
  L::kOverflowCount.put(out, log.overflow_count());
  L::kFirstOverflow.put(out, log.first_overflow_ns());
  L::kLastOverflow.put(out, log.last_overflow_ns());
  L::kRecordCount.put(out, n);
  out.resize(L::kRecords, 0);
  for (size_t i = 0; i < n; ++i) put_bytes(out, out.size(), log.records()[i].bytes);
  return MboxReturn::kSuccess;
}

// Input (Table 8-53): Event Log (1), Clear Event Flags (1), Number of Handles (1),
// Reserved (3), Handles (2 each).
MboxReturn clear_event_records(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  using L = payload::ClearEventRecords;
  const uint64_t which = L::kLog.get(in);
  const bool clear_all = L::kFlags.get(in) & 1;
  const size_t count = L::kHandleCount.get(in);
  if (which >= kEventLogCount) return MboxReturn::kInvalidInput;
  if (in.size() != L::kHandles + L::kHandleSize * count) return MboxReturn::kInvalidPayloadLength;
  const auto handle = [&](size_t i) {
    return static_cast<uint16_t>(get_le(in, L::kHandles + L::kHandleSize * i, L::kHandleSize));
  };
  EventLog& log = dev.state().events[which];
  if (clear_all) {
    if (count != 0) return MboxReturn::kInvalidInput;
    log.clear_all();
    return MboxReturn::kSuccess;
  }
  if (count == 0) return MboxReturn::kInvalidInput;
  // Every handle must name a record, in log order; nothing is cleared otherwise.
  size_t pos = 0;
  for (size_t i = 0; i < count; ++i) {
    const uint16_t h = handle(i);
    const auto& recs = log.records();
    while (pos < recs.size() && recs[pos].handle() != h) ++pos;
    if (pos == recs.size()) return MboxReturn::kInvalidHandle;
    ++pos;
  }
  for (size_t i = 0; i < count; ++i) log.remove(handle(i));
  return MboxReturn::kSuccess;
}

// Output (Table 8-55): one settings byte per log (Informational, Warning, Failure, Fatal, DCD).
MboxReturn get_interrupt_policy(MemdevCci& dev, std::span<const uint8_t>,
                                std::vector<uint8_t>& out) {
  put_bytes(out, 0, dev.state().interrupt_policy);
  return MboxReturn::kSuccess;
}

// Input: 4 bytes (without DCD setting) or 5. Interrupt Mode (bits 1:0) 11b is reserved.
MboxReturn set_interrupt_policy(MemdevCci& dev, std::span<const uint8_t> in,
                                std::vector<uint8_t>&) {
  if (in.size() > kEventLogCount) return MboxReturn::kInvalidPayloadLength;
  for (uint8_t b : in) {
    if ((b & 3) == 3 || (b & 0x0c)) return MboxReturn::kInvalidInput;
  }
  for (size_t i = 0; i < in.size(); ++i) dev.state().interrupt_policy[i] = in[i];
  return MboxReturn::kSuccess;
}

}  // namespace

void add_event_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kGetEventRecords, "Get Event Records", get_event_records,
               fixed_input(payload::GetEventRecords::kSize), 0, gate::kNone});
  t.push_back({opcode::kClearEventRecords, "Clear Event Records", clear_event_records,
               variable_input(payload::ClearEventRecords::kHandles), effect::kImmediateLogChange,
               gate::kNone});
  t.push_back({opcode::kGetEventInterruptPolicy, "Get Event Interrupt Policy", get_interrupt_policy,
               fixed_input(0), 0, gate::kNone});
  t.push_back({opcode::kSetEventInterruptPolicy, "Set Event Interrupt Policy", set_interrupt_policy,
               variable_input(4), effect::kImmediateConfigChange, gate::kNone});
}

}  // namespace cxlsim::device
