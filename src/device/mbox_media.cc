// Media scanning and erasure (CXL 3.1 §8.2.9.9.4.4-6, §8.2.9.9.5): Get Scan Media
// Capabilities (4303h), Scan Media (4304h, background), Get Scan Media Results (4305h),
// Sanitize (4400h, background) and Secure Erase (4401h, background). Erasure really erases
// the device's media; media access is disabled while it runs.
#include <algorithm>

#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/media_range.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

constexpr uint64_t kAddrMask = ~uint64_t{0x3f};

struct ScanRange {
  uint64_t dpa = 0;
  uint64_t len = 0;
};

// Physical Address (8), Length (8, 64 B units), as Tables 8-139 and 8-141 lay them out.
MboxReturn decode_scan_range(const MemdevCci& dev, std::span<const uint8_t> in, ScanRange& r) {
  r.dpa = payload::DpaRange::kDpa.get(in) & kAddrMask;
  const uint64_t units = payload::DpaRange::kLength.get(in);
  if (units == 0 || units > (~uint64_t{0} >> 6)) return MboxReturn::kInvalidInput;
  r.len = units * kPoisonGranule;
  if (!dpa_range_valid(dev, r.dpa, r.len)) return MboxReturn::kInvalidPhysicalAddress;
  return MboxReturn::kSuccess;
}

Duration scan_time(const MemdevCci& dev, uint64_t len) {
  return dev.config().scan_rate.transfer_time(Bytes(len));
}

MboxReturn get_scan_caps(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  ScanRange r;
  if (auto rc = decode_scan_range(dev, in, r); rc != MboxReturn::kSuccess) return rc;
  const int64_t ms = (scan_time(dev, r.len).picoseconds() + 999'999'999) / 1'000'000'000;
  payload::ScanMediaCapabilities::kEstimatedMs.put(
      out, static_cast<uint64_t>(std::min<int64_t>(ms, 0xffffffff)));
  return MboxReturn::kSuccess;
}

// Records of poison in [dpa, dpa+len) become the scan results; each is also logged as a
// General Media Event unless the host asked for no event log entries.
void record_scan(MemdevCci& dev, ScanRange r, uint64_t scanned, bool log_events) {
  auto& res = dev.state().scan;
  res = ScanMediaResults{};
  res.valid = true;
  res.records = dev.state().poison.overlapping(r.dpa, scanned);
  if (scanned < r.len) {
    res.stopped_prematurely = true;
    res.restart_dpa = r.dpa + scanned;
    res.restart_length = r.len - scanned;
  }
  if (!log_events) return;
  for (const auto& p : res.records) {
    dev.add_event(EventLogType::kFailure,
                  make_general_media_event(2, p.dpa, p.dpa < dev.volatile_capacity().value(), true,
                                           0, GmTransaction::kHostScanMedia));
  }
}

// Input (Table 8-141): Physical Address (8), Length (8), Flags (1, bit 0 No Event Log).
MboxReturn scan_media(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  ScanRange r;
  if (auto rc = decode_scan_range(dev, in, r); rc != MboxReturn::kSuccess) return rc;
  const bool log_events = !(payload::ScanMedia::kFlags.get(in) & 1);
  dev.state().scan = ScanMediaResults{};
  dev.mailbox().start_background(
      opcode::kScanMedia, scan_time(dev, r.len),
      [r, log_events](MemdevCci& d) {
        record_scan(d, r, r.len, log_events);
        return MboxReturn::kSuccess;
      },
      [r, log_events](MemdevCci& d, double done) {
        const auto scanned = static_cast<uint64_t>(static_cast<double>(r.len) * done) & kAddrMask;
        record_scan(d, r, std::min(scanned, r.len), log_events);
      });
  return MboxReturn::kBackgroundCommandStarted;
}

// Output (Table 8-142). Returned records are consumed; "more" asks the host to call again.
MboxReturn get_scan_results(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>& out) {
  const auto& bg = dev.mailbox().background_status();
  if (bg.running && bg.opcode == opcode::kScanMedia) return MboxReturn::kBusy;
  auto& res = dev.state().scan;
  using L = payload::ScanMediaResults;
  const size_t fit =
      (dev.mailbox().payload_size() - L::kRecords) / payload::MediaErrorRecord::kSize;
  const size_t n = std::min(fit, res.records.size());
  L::kRestartDpa.put(out, res.restart_dpa);
  L::kRestartLength.put(out, res.restart_length / kPoisonGranule);
  uint8_t flags = 0;
  if (n < res.records.size()) flags |= 1;
  if (res.stopped_prematurely) flags |= 4;
  L::kFlags.put(out, flags);
  L::kRecordCount.put(out, n);
  out.resize(L::kRecords, 0);
  for (size_t i = 0; i < n; ++i) put_media_error_record(out, res.records[i]);
  res.records.erase(res.records.begin(), res.records.begin() + static_cast<long>(n));
  return MboxReturn::kSuccess;
}

// Erases user data (and for sanitize, the label storage area) once the simulated time for
// the whole DPA span has passed; media access is refused meanwhile.
MboxReturn start_erase(MemdevCci& dev, uint16_t op, bool include_lsa) {
  dev.set_media_disabled(true);
  const Duration t = dev.config().sanitize_rate.transfer_time(dev.media().capacity());
  dev.mailbox().start_background(op, t, [include_lsa](MemdevCci& d) {
    d.erase_user_data(include_lsa);
    d.set_media_disabled(false);
    return MboxReturn::kSuccess;
  });
  return MboxReturn::kBackgroundCommandStarted;
}

MboxReturn sanitize(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>&) {
  return start_erase(dev, opcode::kSanitize, true);
}

// Secure Erase is refused while a user passphrase is set (§8.2.9.9.5.2).
MboxReturn secure_erase(MemdevCci& dev, std::span<const uint8_t>, std::vector<uint8_t>&) {
  if (dev.state().security.user) return MboxReturn::kInvalidSecurityState;
  return start_erase(dev, opcode::kSecureErase, false);
}

}  // namespace

void add_media_commands(std::vector<CommandSpec>& t) {
  t.push_back({opcode::kGetScanMediaCapabilities, "Get Scan Media Capabilities", get_scan_caps,
               fixed_input(payload::DpaRange::kSize), 0, gate::kNone});
  t.push_back({opcode::kScanMedia, "Scan Media", scan_media, fixed_input(payload::ScanMedia::kSize),
               effect::kBackgroundOperation | effect::kRequestAbortSupported,
               gate::kUnlocked | gate::kMedia});
  t.push_back({opcode::kGetScanMediaResults, "Get Scan Media Results", get_scan_results,
               fixed_input(0), 0, gate::kNone});
  t.push_back(
      {opcode::kSanitize, "Sanitize", sanitize, fixed_input(0),
       effect::kImmediateDataChange | effect::kSecurityStateChange | effect::kBackgroundOperation,
       gate::kUnlocked | gate::kMedia});
  t.push_back(
      {opcode::kSecureErase, "Secure Erase", secure_erase, fixed_input(0),
       effect::kImmediateDataChange | effect::kSecurityStateChange | effect::kBackgroundOperation,
       gate::kUnlocked | gate::kMedia});
}

}  // namespace cxlsim::device
