// A CXL device with host-managed device memory and its endpoint HDM decoders (CXL 3.1
// §8.2.4.20). A Type 3 memory device (CXL 3.1 §8.2.9.9, QEMU cxl-type3): capacity split into a
// volatile partition (DPA 0 .. volatile-1) followed by a persistent one, a label storage area
// and the media backing them. The memory side of a Type 2 accelerator (CXL 3.1 §2.2): its HDM
// is one volatile partition, host accessible as HDM-D once a decoder maps it; it has no
// Memory Device command set (the command interface exists only to gate media access and is
// not exposed through registers).
//
// All media reads and writes go through read() and write(); device state that intercepts them
// (poison, security lock, sanitize in progress, dynamic capacity) lives in the command
// interface, cci() (memdev_cci.h), which they consult.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "device/backing_memory.h"
#include "device/memdev_cci.h"
#include "spec/address.h"
#include "spec/hdm_decoder.h"
#include "spec/units.h"

namespace cxlsim {

// Which kind of CXL device owns the memory (CXL 3.1 §2.2 Type 2, §2.3 Type 3).
enum class DeviceKind : uint8_t { kType3, kType2 };

struct MemdevConfig {
  DeviceKind kind = DeviceKind::kType3;
  std::string id;
  uint64_t serial = 0;
  Bytes volatile_size;
  Bytes persistent_size;
  Bytes lsa_size;
  // true: Set Partition Info may move the volatile/persistent boundary in 256 MiB steps;
  // false: the capacities are volatile-only and persistent-only (Identify Memory Device
  // reports partition alignment 0, as QEMU 7.2's cxl-type3 does).
  bool partitionable = true;
  std::string volatile_path;    // empty: anonymous RAM
  std::string persistent_path;  // empty: anonymous RAM (contents lost at exit)
  std::string lsa_path;
  // Where the device's command state is kept (memdev_state_file.h; "" : not kept). A device
  // without an LSA file keeps its labels beside it (label_path_beside).
  std::string state_path;
  // false: the media paths are only recorded (file_location); the memory is anonymous RAM and
  // no media file is opened or created (views such as `cxlsim list` that never touch data).
  // The label storage is opened only when a command touches labels, either way.
  bool map_files = true;
  unsigned hdm_decoder_count = 4;
  // Dynamic Capacity regions (CXL 3.1 §9.13.3), placed in DPA order after the static
  // capacity, backed by anonymous RAM. Host access needs an accepted extent.
  std::vector<Bytes> dc_regions;
  Bytes dc_block_size = Bytes(2 << 20);
  // Type 2: the device cache (CXL.cache), modelled by timing/coherence_timer.h.
  Bytes cache_size;
};

// Where a DPA lives in a backing file.
struct FileLocation {
  std::string path;
  uint64_t offset = 0;
};

class Memdev : public HdmDecoderContext {
 public:
  // Throws ValidationError (naming the device) when sizes are not multiples of 256 MiB or a
  // backing file cannot be used.
  explicit Memdev(MemdevConfig config);
  ~Memdev() override;
  Memdev(const Memdev&) = delete;
  Memdev& operator=(const Memdev&) = delete;

  [[nodiscard]] const std::string& id() const { return config_.id; }
  [[nodiscard]] DeviceKind kind() const { return config_.kind; }
  [[nodiscard]] bool is_type2() const { return config_.kind == DeviceKind::kType2; }
  [[nodiscard]] Bytes cache_size() const { return config_.cache_size; }
  [[nodiscard]] uint64_t serial() const { return config_.serial; }
  // The active partition (Set Partition Info, CXL 3.1 §8.2.9.9.2.2, moves it; the command
  // state is the source of truth): DPA 0 .. volatile_size() is volatile, the rest persistent.
  // Media placement does not move with it (locate(), file_location()).
  [[nodiscard]] Bytes volatile_size() const { return cci_->volatile_capacity(); }
  [[nodiscard]] Bytes persistent_size() const { return cci_->persistent_capacity(); }
  // Static (volatile + persistent) capacity; DC regions follow it up to dpa_span().
  [[nodiscard]] Bytes capacity() const { return config_.volatile_size + config_.persistent_size; }
  [[nodiscard]] Bytes dc_size() const { return dc_.size(); }
  [[nodiscard]] Bytes dpa_span() const { return capacity() + dc_size(); }
  [[nodiscard]] Bytes lsa_size() const { return config_.lsa_size; }
  // In the active persistent partition (dynamic capacity is not: it is volatile).
  [[nodiscard]] bool is_persistent(Dpa dpa) const {
    return dpa.value() >= volatile_size().value() && dpa.value() < capacity().value();
  }

  // Media access as the host sees it. Throws std::out_of_range when [dpa, dpa + size) is
  // beyond dpa_span(). kNoCapacity: DC capacity outside every accepted extent. kPoisoned: `out`
  // holds the stored bytes but they are poison; kLocked/kMediaDisabled: nothing was transferred
  // (`out` is zeroed).
  [[nodiscard]] device::MediaAccess read(Dpa dpa, std::span<std::byte> out) const;
  device::MediaAccess write(Dpa dpa, std::span<const std::byte> in);
  // The memory-device command interface: mailbox, device registers, command-set state.
  device::MemdevCci& cci() { return *cci_; }
  [[nodiscard]] const device::MemdevCci& cci() const { return *cci_; }
  // The backing file and offset holding `dpa`, when that partition is file backed.
  [[nodiscard]] std::optional<FileLocation> file_location(Dpa dpa) const;

  // Starts the command interface from the state saved at config().state_path (nothing when
  // there is none); labels a state of an older version held move into the label storage.
  // Returns whether a state was loaded. Throws ParseError for a malformed state.
  bool restore_state();
  // Makes media and label writes to backing files durable (BackingMemory::sync).
  void sync_media() const;
  HdmDecoderCapability& hdm() { return hdm_; }
  [[nodiscard]] const HdmDecoderCapability& hdm() const { return hdm_; }

  // HdmDecoderContext: the active partition boundary (Set Partition Info moves it at reset).
  [[nodiscard]] Bytes volatile_capacity() const override { return cci_->volatile_capacity(); }
  [[nodiscard]] Bytes persistent_capacity() const override { return cci_->persistent_capacity(); }
  [[nodiscard]] Bytes dynamic_capacity() const override { return dc_size(); }

 private:
  // The backing holding `dpa` and the offset within it; throws std::out_of_range when
  // [dpa, dpa + len) is beyond dpa_span().
  [[nodiscard]] std::pair<const BackingMemory*, uint64_t> locate(Dpa dpa, size_t len) const;
  // Raw media access below the command interface's checks.
  void media_read(Dpa dpa, std::span<std::byte> out) const;
  void media_write(Dpa dpa, std::span<const std::byte> in);
  class MediaView;

  MemdevConfig config_;
  BackingMemory volatile_;
  BackingMemory persistent_;
  BackingMemory dc_;
  HdmDecoderCapability hdm_;
  std::unique_ptr<MediaView> media_;
  std::unique_ptr<device::MemdevCci> cci_;
};

}  // namespace cxlsim
