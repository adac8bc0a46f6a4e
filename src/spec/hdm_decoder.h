// HDM Decoder Capability Structure (CXL 3.1 §8.2.4.20), as registers.
//
// The register file is the single source of truth: typed helpers (program, commit, state)
// only read and write registers, and decode tables are compiled from committed registers.
// Offsets are relative to the start of the capability structure. Commit follows what the
// specification requires of hardware (§8.2.4.20.12, §8.2.4.20.7): a 0->1 write of Commit
// validates the programming and sets Committed or Error Not Committed.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "spec/address.h"
#include "spec/register_table.h"
#include "spec/units.h"

namespace cxlsim {

// Where the capability lives: switch upstream ports and host bridges route to dports through
// a target list; endpoints translate to DPA and carry a DPA skip instead.
enum class HdmKind : uint8_t { kPort, kEndpoint };

// Target Device Type, Control bit 12 (0: device-coherent HDM-D(B), 1: host-only HDM-H).
enum class HdmTargetType : uint8_t { kDeviceCoherent = 0, kHostOnly = 1 };

// What a commit needs to know about the component owning the capability.
class HdmDecoderContext {
 public:
  virtual ~HdmDecoderContext() = default;
  // Port numbers of the component's downstream ports (ports only).
  [[nodiscard]] virtual std::vector<uint8_t> dport_numbers() const { return {}; }
  // The device's volatile and persistent capacity; DPA 0..volatile-1 is volatile (endpoints).
  [[nodiscard]] virtual Bytes volatile_capacity() const { return Bytes(0); }
  [[nodiscard]] virtual Bytes persistent_capacity() const { return Bytes(0); }
  // Dynamic Capacity (CXL 3.1 §9.13.3) that follows the static capacity in DPA space.
  [[nodiscard]] virtual Bytes dynamic_capacity() const { return Bytes(0); }
};

// What software programs into one decoder (before commit).
struct DecoderSettings {
  Hpa base;
  Bytes size;
  unsigned ways = 1;
  Bytes granularity = Bytes(256);
  std::vector<uint8_t> targets;  // ports: dport port number per interleave position
  Bytes dpa_skip;                // endpoints
  HdmTargetType target_type = HdmTargetType::kHostOnly;
  bool lock_on_commit = false;
};

// One decoder, decoded from its registers.
struct DecoderState {
  Hpa base;
  Bytes size;
  std::optional<unsigned> ways;      // nullopt: IW encoding invalid
  std::optional<Bytes> granularity;  // nullopt: IG encoding invalid
  bool lock_on_commit = false;
  bool commit = false;
  bool committed = false;
  bool error_not_committed = false;
  HdmTargetType target_type = HdmTargetType::kDeviceCoherent;
  std::array<uint8_t, 8> targets{};  // ports
  Bytes dpa_skip;                    // endpoints
  Dpa dpa_base;                      // endpoints: previous decoder's DPA end + skip
  Bytes dpa_size;                    // endpoints: size / ways (0 when ways invalid)
};

class HdmDecoderCapability {
 public:
  static constexpr uint16_t kCapabilityId = 0x0005;
  static constexpr Bytes kAlign = MiB(256);  // base/size granule (bits 27:0 are zero)
  static constexpr unsigned kMaxTargets = 8;

  // Register offsets (§8.2.4.20.1 .. §8.2.4.20.11).
  static constexpr uint32_t kCapabilityReg = 0x00;
  static constexpr uint32_t kGlobalControlReg = 0x04;
  static constexpr uint32_t decoder_reg(unsigned n, uint32_t r) { return 0x10 + 0x20 * n + r; }
  static constexpr uint32_t kBaseLo = 0x00, kBaseHi = 0x04, kSizeLo = 0x08, kSizeHi = 0x0c,
                            kControl = 0x10, kTargetLo = 0x14, kTargetHi = 0x18;
  // Control register bits (§8.2.4.20.7).
  static constexpr uint32_t kCtrlLockOnCommit = 1u << 8, kCtrlCommit = 1u << 9,
                            kCtrlCommitted = 1u << 10, kCtrlErrorNotCommitted = 1u << 11,
                            kCtrlTargetType = 1u << 12;
  static constexpr uint32_t kGlobalHdmEnable = 1u << 1;

  // `decoder_count` must be one the Decoder Count field can encode (1,2,4,6,8,10,12,14,16,
  // 20,24,28,32); `context` must outlive the capability (nullptr: no dports, no capacity).
  HdmDecoderCapability(HdmKind kind, unsigned decoder_count, unsigned target_count,
                       const HdmDecoderContext* context);
  // Whether the Decoder Count field (§8.2.4.20.1 bits 3:0) can encode `count`.
  static bool encodable_decoder_count(unsigned count);

  [[nodiscard]] uint32_t read32(uint32_t off) const;
  // Honours access types (the register file's FieldDesc tables): RO/HwInit/RsvdP bits keep
  // their value; on top of them the RWL rules of §8.2.4.20.7: committed decoders ignore writes
  // to base/size/target registers and to control fields other than Commit, and a decoder
  // committed with Lock On Commit ignores every write until reset.
  void write32(uint32_t off, uint32_t value);
  [[nodiscard]] uint32_t size_bytes() const { return regs_.size_bytes(); }

  [[nodiscard]] HdmKind kind() const { return kind_; }
  [[nodiscard]] unsigned decoder_count() const { return decoder_count_; }
  [[nodiscard]] unsigned target_count() const { return target_count_; }
  // The registers: one placed structure for the capability and global control registers, then
  // one per decoder ("Decoder n", at 0x10 + 0x20 n), each a FieldDesc table with its section.
  [[nodiscard]] const RegisterFile& registers() const { return regs_; }

  // Typed helpers; all go through write32/read32.
  void set_enabled(bool on);
  [[nodiscard]] bool enabled() const;
  void program(unsigned n, const DecoderSettings& s);
  // Writes Commit 0->1. Returns whether Committed was set; on failure see last_error().
  bool commit(unsigned n);
  // Writes Commit 1->0. Returns whether the decoder is no longer committed.
  bool decommit(unsigned n);
  [[nodiscard]] DecoderState state(unsigned n) const;
  // The reason for the most recent refused commit or decommit ("" if none yet).
  [[nodiscard]] const std::string& last_error() const { return last_error_; }
  // Number of committed decoders (they are always decoders 0..k-1).
  [[nodiscard]] unsigned committed_count() const;
  // Reset (conventional reset): all decoders back to their power-on values, locks released.
  void reset();

  // Called after a decoder's Committed bit changes (decoder index, new value).
  void set_commit_observer(std::function<void(unsigned, bool)> observer) {
    observer_ = std::move(observer);
  }

 private:
  void on_control_write(unsigned n, uint32_t old_ctrl, uint32_t new_ctrl);
  [[nodiscard]] std::optional<std::string> validate_commit(unsigned n) const;
  // Bits of the register at `off` that the RWL rules leave writable (before access types).
  [[nodiscard]] uint32_t unlocked_mask(uint32_t off) const;
  [[nodiscard]] uint32_t reg(uint32_t off) const { return regs_.read32(off); }
  // Hardware-side update of decoder n's Committed and Error Not Committed status bits.
  void set_commit_status(unsigned n, bool committed, bool error);
  void notify(unsigned n, bool committed);

  HdmKind kind_;
  unsigned decoder_count_;
  unsigned target_count_;
  const HdmDecoderContext* context_;
  RegisterFile regs_;
  std::vector<bool> locked_;  // committed with Lock On Commit: frozen until reset
  std::string last_error_;
  std::function<void(unsigned, bool)> observer_;
};

}  // namespace cxlsim
