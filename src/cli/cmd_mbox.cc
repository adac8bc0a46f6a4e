// `cxlsim mbox FILE --memdev ID <command>`: drives a memory device's mailbox the way a driver
// does (CXL 3.1 §8.2.9) and prints the decoded result as a table or --json. The device's
// command-set state lives beside its backing file (or in --state-dir), so each invocation sees
// the effects of the ones before it. Background commands run to completion on the device's
// simulated clock.
#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string_view>
#include <utility>

#include "cli/commands.h"
#include "cli/dpa_extents.h"
#include "device/command_table.h"
#include "device/mbox_payload.h"
#include "device/mbox_payloads.h"
#include "device/memdev.h"
#include "device/memdev_state_file.h"
#include "device/memdev_state_lock.h"
#include "device/runtime_dir.h"
#include "fabric/linux_names.h"
#include "fabric/topology_loader.h"
#include "spec/error.h"

namespace cxlsim::cli {
namespace {

using device::MboxResult;
using device::MboxReturn;
using json = nlohmann::ordered_json;
namespace op = device::opcode;

struct MboxOptions {
  std::string topology;
  std::string memdev;
  std::string state_dir;
  bool json = false;
};

// The device's state (or media) could not be made durable: the command's effect is lost.
struct SaveError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One invocation's device: built from the topology's Type 3 entry, state loaded from disk.
class Session {
 public:
  explicit Session(const MboxOptions& o) {
    const Topology t = load_valid_topology(o.topology);
    const size_t index = resolve_memdev(t, o.memdev);  // topology id or memN
    if (index >= t.type3.size()) {
      throw ValidationError(fmt::format(
          "'{}' is a Type 2 device: it has no Memory Device command set (mailbox)", o.memdev));
    }
    const Type3Spec* spec = &t.type3[index];
    MemdevConfig c;
    c.id = spec->id;
    c.serial = spec->serial;
    c.volatile_size = spec->volatile_size;
    c.persistent_size = spec->persistent_size;
    c.lsa_size = spec->lsa_size;
    c.volatile_path = spec->volatile_backing.path;
    c.persistent_path = spec->persistent_backing.path;
    c.lsa_path = spec->lsa_backing.path;
    c.dc_regions = spec->dc_regions;
    c.dc_block_size = spec->dc_block_size;
    state_path_ = locate_state(o, c);
    c.state_path = state_path_;
    // Held until the command's result is saved: concurrent invocations on this memdev run one
    // after the other, each on the state the one before it left.
    if (!state_path_.empty()) {
      device::ensure_runtime_dir_for(state_path_);  // a built-in's files (qemu-*)
      lock_.emplace(state_path_);
    }
    memdev_ = std::make_unique<Memdev>(c);
    if (state_path_.empty()) {
      std::cerr << "cxlsim: note: memdev '" << c.id
                << "' is RAM-backed; its command state is not kept (give --state-dir DIR)\n";
    } else if (memdev_->restore_state()) {
      if (const uint16_t op = cci().recover_interrupted_operation()) {
        const auto* cmd = device::find_command(op);
        std::cerr << fmt::format(
            "cxlsim: warning: memdev '{}': {} was interrupted (crash or kill); "
            "recovered at power-on, dirty shutdown counted\n",
            c.id, cmd ? cmd->name : hex(op));
      }
    }
  }
  device::MemdevCci& cci() { return memdev_->cci(); }
  // Executes one command to completion. A command that changes media or labels is bracketed
  // by a durable intent record, so that a crash in between is seen at the next load.
  MboxResult run(uint16_t opcode, const std::vector<uint8_t>& in = {}) {
    const bool intent = !state_path_.empty() && device::MemdevCci::changes_media(opcode);
    if (intent) {
      cci().state().media_operation = opcode;
      save();
    }
    MboxResult r = cci().execute(opcode, in);
    if (r.rc == MboxReturn::kBackgroundCommandStarted) {
      cci().run_background_to_completion();
      r.rc = cci().mailbox().background_status().rc;
    }
    if (intent) {
      memdev_->sync_media();  // the media change is durable before the intent is cleared
      cci().state().media_operation = 0;
    }
    return r;
  }
  // Makes the command's effects durable: media, then the state. Throws SaveError.
  void save() {
    if (state_path_.empty()) return;
    try {
      memdev_->sync_media();
      device::save_state(state_path_, cci().config(), cci().state());
    } catch (const std::exception& e) {
      throw SaveError(e.what());
    }
  }

 private:
  static std::string hex(uint64_t v) { return fmt::format("0x{:x}", v); }
  static std::string locate_state(const MboxOptions& o, const MemdevConfig& c) {
    return device::state_path_for(c.id, c.persistent_path, c.volatile_path, c.lsa_path,
                                  o.state_dir);
  }
  std::string state_path_;
  std::optional<device::MemdevStateLock> lock_;
  std::unique_ptr<Memdev> memdev_;
};

// Holds what a command prints on stdout until its effects are durable: a command whose state
// cannot be saved prints no result (and no "Success").
class HeldOutput {
 public:
  HeldOutput() : real_(std::cout.rdbuf(held_.rdbuf())) {}
  ~HeldOutput() { std::cout.rdbuf(real_); }
  HeldOutput(const HeldOutput&) = delete;
  HeldOutput& operator=(const HeldOutput&) = delete;
  void release() {
    std::cout.rdbuf(real_);
    std::cout << held_.str() << std::flush;
  }

 private:
  std::ostringstream held_;
  std::streambuf* real_;
};

std::string hex(uint64_t v) { return fmt::format("0x{:x}", v); }

// Prints `j` (an object) as "key  value" lines; arrays of objects become tables.
// Keys whose values are byte counts, shown with units in the human table.
bool is_size_key(std::string_view k) {
  static constexpr std::array<std::string_view, 11> kKeys = {"total_capacity",
                                                             "volatile_only_capacity",
                                                             "persistent_only_capacity",
                                                             "partition_alignment",
                                                             "lsa_size",
                                                             "active_volatile",
                                                             "active_persistent",
                                                             "next_volatile",
                                                             "next_persistent",
                                                             "length",
                                                             "block_size"};
  return std::find(kKeys.begin(), kKeys.end(), k) != kKeys.end();
}

// A JSON value as the human table shows it: strings bare, sizes with units.
std::string cell_text(std::string_view key, const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_unsigned() && is_size_key(key)) return format_bytes(Bytes(v.get<uint64_t>()));
  return v.dump();
}

void print_table(const json& j, std::ostream& out) {
  size_t w = 0;
  for (const auto& [k, v] : j.items()) {
    if (!v.is_array()) w = std::max(w, k.size());
  }
  for (const auto& [k, v] : j.items()) {
    if (v.is_array()) continue;
    out << fmt::format("{:<{}}  {}\n", k, w, cell_text(k, v));
  }
  for (const auto& [k, v] : j.items()) {
    if (!v.is_array()) continue;
    out << k << ": " << v.size() << "\n";
    if (v.empty()) continue;
    if (!v[0].is_object()) {
      for (const auto& e : v) {
        out << "  " << (e.is_string() ? e.get<std::string>() : e.dump()) << "\n";
      }
      continue;
    }
    std::vector<std::string> cols;
    for (const auto& [ck, cv] : v[0].items()) cols.push_back(ck);
    std::vector<size_t> widths;
    widths.reserve(cols.size());
    for (const auto& c : cols) widths.push_back(c.size());

    for (const auto& row : v) {
      for (size_t i = 0; i < cols.size(); ++i) {
        widths[i] = std::max(widths[i], cell_text(cols[i], row.value(cols[i], json())).size());
      }
    }
    std::string line = " ";
    for (size_t i = 0; i < cols.size(); ++i) line += fmt::format(" {:<{}}", cols[i], widths[i]);
    out << line << "\n";
    for (const auto& row : v) {
      line = " ";
      for (size_t i = 0; i < cols.size(); ++i) {
        line += fmt::format(" {:<{}}", cell_text(cols[i], row.value(cols[i], json())), widths[i]);
      }
      out << line << "\n";
    }
  }
}

// Reports the outcome: success prints `j`; a device error prints the return code and ends
// with status 1.
void report(const MboxOptions& o, uint16_t opcode, const MboxResult& r,
            const json& j = json::object()) {
  const auto* cmd = device::find_command(opcode);
  json head = {{"command", cmd ? std::string(cmd->name) : hex(opcode)},
               {"opcode", fmt::format("{:04x}h", opcode)},
               {"return_code", static_cast<int>(r.rc)},
               {"return", std::string(device::return_code_name(r.rc))}};
  if (j.is_object()) head.update(j);
  if (o.json) {
    std::cout << head.dump(2) << "\n";
  } else {
    print_table(head, std::cout);
  }
  if (r.rc != MboxReturn::kSuccess) {
    std::cerr << fmt::format("cxlsim: error: {} returned {} ({:04x}h)\n",
                             head["command"].get<std::string>(), device::return_code_name(r.rc),
                             static_cast<int>(r.rc));
    finish(1);
  }
}

uint64_t units(uint64_t v) { return v * device::kCapacityUnit; }
// JSON gives sizes as numbers of bytes; the human table shows them with units (print_table).
uint64_t size_bytes(uint64_t bytes) { return bytes; }

Bytes parse_size(const std::string& what, const std::string& text) {
  try {
    return parse_bytes(text);
  } catch (const std::exception& e) {
    throw ParseError(what + ": " + e.what());
  }
}

std::vector<uint8_t> parse_hex(const std::string& what, const std::string& text) {
  try {
    return device::parse_hex_bytes(text);
  } catch (const std::invalid_argument& e) {
    throw ParseError(what + ": " + e.what());
  }
}

device::Passphrase passphrase(const std::string& what, const std::string& text) {
  if (text.size() > 32) throw ParseError(what + ": longer than 32 bytes");
  device::Passphrase p{};
  std::copy(text.begin(), text.end(), p.begin());
  return p;
}

uint8_t passphrase_type(const std::string& t) {
  if (t == "user") return 1;
  if (t == "master") return 0;
  throw ParseError("--type: '" + t + "' is not user or master");
}

using Action = std::function<void(Session&, const MboxOptions&)>;

// Adds a subcommand whose action runs on an opened session, which is saved afterwards (also
// when the device returned an error: a failed unlock still counts an attempt). Output appears
// only once the save succeeded; a failed save is an error (status 1) and nothing is reported.
CLI::App* command(CLI::App* parent, const std::string& name, const std::string& help,
                  const std::shared_ptr<MboxOptions>& o, const Action& act) {
  auto* c = parent->add_subcommand(name, help);
  c->callback([o, act] {
    Session s(*o);
    HeldOutput held;
    try {
      std::optional<ExitStatus> device_error;
      try {
        act(s, *o);
      } catch (const ExitStatus& e) {
        device_error = e;
      }
      s.save();
      held.release();
      if (device_error) throw *device_error;
    } catch (const SaveError& e) {
      finish(
          fail(fmt::format("memdev '{}': the command's effect could not be saved, it is lost: {}",
                           o->memdev, e.what()),
               1));
    }
  });
  return c;
}

// A DPA range input (payload::DpaRange): start and length in 64-byte units.
std::vector<uint8_t> dpa_range(uint64_t dpa, uint64_t len) {
  std::vector<uint8_t> in(device::payload::DpaRange::kSize, 0);
  device::payload::DpaRange::kDpa.put(in, dpa);
  device::payload::DpaRange::kLength.put(in, len / device::kPoisonGranule);
  return in;
}

// `count` Media Error Records (payload::MediaErrorRecord) from offset `header` of `out`.
json poison_records(std::span<const uint8_t> out, size_t header, size_t count) {
  using R = device::payload::MediaErrorRecord;
  json a = json::array();
  for (size_t i = 0; i < count; ++i) {
    const size_t at = header + R::kSize * i;
    const uint64_t addr = R::kDpaAndSource.get(out, at);
    a.push_back(
        {{"dpa", hex(addr & ~uint64_t{0x3f})},
         {"length", size_bytes(R::kLength.get(out, at) * device::kPoisonGranule)},
         {"source", device::poison_source_name(static_cast<device::PoisonSource>(addr & 7))}});
  }
  return a;
}

void register_info_commands(CLI::App* mbox, const std::shared_ptr<MboxOptions>& o) {
  command(mbox, "identify", "Identify Memory Device (4000h)", o,
          [](Session& s, const MboxOptions& opt) {
            const auto r = s.run(op::kIdentifyMemoryDevice);
            json j;
            if (r.rc == MboxReturn::kSuccess) {
              using L = device::payload::Identify;
              const auto& b = r.out;
              const auto fw = L::kFwRevision.get(b);
              j = {{"fw_revision",
                    std::string(fw.begin(), std::find(fw.begin(), fw.end(), uint8_t{0}))},
                   {"total_capacity", size_bytes(units(L::kTotalCapacity.get(b)))},
                   {"volatile_only_capacity", size_bytes(units(L::kVolatileOnly.get(b)))},
                   {"persistent_only_capacity", size_bytes(units(L::kPersistentOnly.get(b)))},
                   {"partition_alignment", size_bytes(units(L::kPartitionAlignment.get(b)))},
                   {"event_log_sizes",
                    fmt::format("{}/{}/{}/{}", L::kInfoEventLogSize.get(b),
                                L::kWarningEventLogSize.get(b), L::kFailureEventLogSize.get(b),
                                L::kFatalEventLogSize.get(b))},
                   {"lsa_size", size_bytes(L::kLsaSize.get(b))},
                   {"poison_list_max_records", L::kPoisonListMaxRecords.get(b)},
                   {"inject_poison_limit", L::kInjectPoisonLimit.get(b)},
                   {"poison_handling", hex(L::kPoisonHandling.get(b))},
                   {"serial", hex(s.cci().config().serial)}};
            }
            report(opt, op::kIdentifyMemoryDevice, r, j);
          });
  command(mbox, "partition", "Get Partition Info (4100h)", o,
          [](Session& s, const MboxOptions& opt) {
            const auto r = s.run(op::kGetPartitionInfo);
            json j;
            if (r.rc == MboxReturn::kSuccess) {
              using L = device::payload::PartitionInfo;
              j = {{"active_volatile", size_bytes(units(L::kActiveVolatile.get(r.out)))},
                   {"active_persistent", size_bytes(units(L::kActivePersistent.get(r.out)))},
                   {"next_volatile", size_bytes(units(L::kNextVolatile.get(r.out)))},
                   {"next_persistent", size_bytes(units(L::kNextPersistent.get(r.out)))}};
            }
            report(opt, op::kGetPartitionInfo, r, j);
          });
  auto vol = std::make_shared<std::string>();
  auto immediate = std::make_shared<bool>(false);
  auto* sp = command(mbox, "set-partition",
                     "Set Partition Info (4101h): volatile share of the partitionable capacity", o,
                     [vol, immediate](Session& s, const MboxOptions& opt) {
                       const Bytes v = parse_size("--volatile", *vol);
                       if (v.value() % device::kCapacityUnit) {
                         throw ParseError("--volatile: not a multiple of 256 MiB");
                       }
                       using L = device::payload::SetPartitionInfo;
                       std::vector<uint8_t> in(L::kSize, 0);
                       L::kVolatileCapacity.put(in, v.value() / device::kCapacityUnit);
                       L::kFlags.put(in, *immediate ? 1 : 0);
                       report(opt, op::kSetPartitionInfo, s.run(op::kSetPartitionInfo, in),
                              {{"takes_effect", *immediate ? "now" : "at next reset"}});
                     });
  sp->add_option("--volatile", *vol, "Volatile capacity (e.g. 512M)")->required();
  sp->add_flag("--immediate", *immediate, "Apply now instead of at the next reset");
}

void register_label_commands(CLI::App* mbox, const std::shared_ptr<MboxOptions>& o) {
  auto* labels =
      mbox->add_subcommand("labels", "Label storage area: Get LSA (4102h), Set LSA (4103h)");
  labels->require_subcommand(1);
  auto offset = std::make_shared<std::string>("0");
  auto length = std::make_shared<std::string>("256");
  auto data = std::make_shared<std::string>();
  auto* rd = command(labels, "read", "Read label storage (Get LSA)", o,
                     [offset, length](Session& s, const MboxOptions& opt) {
                       const uint64_t off = parse_size("--offset", *offset).value();
                       const uint64_t len = parse_size("--length", *length).value();
                       if (off > 0xffffffff || len > 0xffffffff) {
                         throw ParseError("--offset/--length: beyond 32 bits");
                       }
                       std::vector<uint8_t> in(device::payload::GetLsa::kSize, 0);
                       device::payload::GetLsa::kOffset.put(in, off);
                       device::payload::GetLsa::kLength.put(in, len);
                       const auto r = s.run(op::kGetLsa, in);
                       json j;
                       if (r.rc == MboxReturn::kSuccess) {
                         j = {{"offset", hex(off)},
                              {"length", len},
                              {"data", device::format_hex_bytes(r.out, " ")}};
                       }
                       report(opt, op::kGetLsa, r, j);
                     });
  rd->add_option("--offset", *offset, "Byte offset (default 0)");
  rd->add_option("--length", *length, "Bytes to read (default 256; at most the payload size)");
  auto* wr =
      command(labels, "write", "Write label storage (Set LSA)", o,
              [offset, data](Session& s, const MboxOptions& opt) {
                const uint64_t off = parse_size("--offset", *offset).value();
                if (off > 0xffffffff) throw ParseError("--offset: beyond 32 bits");
                const auto bytes = parse_hex("DATA", *data);
                std::vector<uint8_t> in(device::payload::SetLsa::kDataOffset, 0);
                device::payload::SetLsa::kOffset.put(in, off);
                in.insert(in.end(), bytes.begin(), bytes.end());
                const auto r = s.run(op::kSetLsa, in);
                report(opt, op::kSetLsa, r, {{"offset", hex(off)}, {"length", bytes.size()}});
              });
  wr->add_option("--offset", *offset, "Byte offset (default 0)");
  wr->add_option("DATA", *data, "Bytes in hex, e.g. \"de ad be ef\"")->required();
}

void register_health_commands(CLI::App* mbox, const std::shared_ptr<MboxOptions>& o) {
  command(mbox, "health", "Get Health Info (4200h)", o, [](Session& s, const MboxOptions& opt) {
    const auto r = s.run(op::kGetHealthInfo);
    json j;
    if (r.rc == MboxReturn::kSuccess) {
      static constexpr const char* kLevel[] = {"normal", "warning", "critical", "reserved"};
      const auto& b = r.out;
      using L = device::payload::HealthInfo;
      const uint64_t health = L::kHealthStatus.get(b), add = L::kAdditionalStatus.get(b);
      j = {{"health_status", hex(health)},
           {"maintenance_needed", bool(health & 1)},
           {"performance_degraded", bool(health & 2)},
           {"hardware_replacement_needed", bool(health & 4)},
           {"media_status", L::kMediaStatus.get(b)},
           {"life_used_status", kLevel[add & 3]},
           {"temperature_status", kLevel[(add >> 2) & 3]},
           {"corrected_volatile_error_status", (add >> 4) & 1 ? "warning" : "normal"},
           {"corrected_persistent_error_status", (add >> 5) & 1 ? "warning" : "normal"},
           {"life_used_percent", L::kLifeUsed.get(b)},
           {"temperature_c", static_cast<int16_t>(L::kTemperature.get(b))},
           {"dirty_shutdown_count", L::kDirtyShutdownCount.get(b)},
           {"corrected_volatile_errors", L::kCorrectedVolatileErrors.get(b)},
           {"corrected_persistent_errors", L::kCorrectedPersistentErrors.get(b)}};
    }
    report(opt, op::kGetHealthInfo, r, j);
  });
  struct AlertArgs {
    std::optional<int> life, over, under, cvol, cpers;
  };
  auto a = std::make_shared<AlertArgs>();
  auto* ac = command(
      mbox, "alert-config",
      "Get Alert Configuration (4201h); with options, Set Alert Configuration (4202h)", o,
      [a](Session& s, const MboxOptions& opt) {
        if (a->life || a->over || a->under || a->cvol || a->cpers) {
          uint8_t valid = 0;
          if (a->life) valid |= 1;
          if (a->over) valid |= 2;
          if (a->under) valid |= 4;
          if (a->cvol) valid |= 8;
          if (a->cpers) valid |= 16;
          using L = device::payload::SetAlertConfig;
          std::vector<uint8_t> in(L::kSize, 0);
          L::kValidAlertActions.put(in, valid);
          L::kEnableAlertActions.put(in, valid);
          L::kLifeUsedWarning.put(in, static_cast<uint64_t>(a->life.value_or(0)));
          L::kOverTempWarning.put(in, static_cast<uint16_t>(a->over.value_or(0)));
          L::kUnderTempWarning.put(in, static_cast<uint16_t>(a->under.value_or(0)));
          L::kCorrectedVolatileWarning.put(in, static_cast<uint16_t>(a->cvol.value_or(0)));
          L::kCorrectedPersistentWarning.put(in, static_cast<uint16_t>(a->cpers.value_or(0)));
          const auto r = s.run(op::kSetAlertConfig, in);
          if (r.rc != MboxReturn::kSuccess) report(opt, op::kSetAlertConfig, r);
        }
        const auto r = s.run(op::kGetAlertConfig);
        json j;
        if (r.rc == MboxReturn::kSuccess) {
          using L = device::payload::AlertConfig;
          const auto& b = r.out;
          auto celsius = [&](const device::LeField& f) { return static_cast<int16_t>(f.get(b)); };
          j = {{"enabled_alerts", hex(L::kValidAlerts.get(b))},
               {"programmable_alerts", hex(L::kProgrammableAlerts.get(b))},
               {"life_used_critical", L::kLifeUsedCritical.get(b)},
               {"life_used_warning", L::kLifeUsedWarning.get(b)},
               {"over_temp_critical_c", celsius(L::kOverTempCritical)},
               {"under_temp_critical_c", celsius(L::kUnderTempCritical)},
               {"over_temp_warning_c", celsius(L::kOverTempWarning)},
               {"under_temp_warning_c", celsius(L::kUnderTempWarning)},
               {"corrected_volatile_warning", L::kCorrectedVolatileWarning.get(b)},
               {"corrected_persistent_warning", L::kCorrectedPersistentWarning.get(b)}};
        }
        report(opt, op::kGetAlertConfig, r, j);
      });
  // Each value is checked against its payload field (Table 8-131) before it is encoded:
  // out-of-range input is refused, never truncated.
  ac->add_option("--life-used-warning", a->life,
                 "Enable the life-used warning at this percent (0..100)")
      ->check(CLI::Range(0, 100));
  ac->add_option("--over-temp-warning", a->over,
                 "Enable the over-temperature warning (degrees C, 16-bit signed)")
      ->check(CLI::Range(-32768, 32767));
  ac->add_option("--under-temp-warning", a->under,
                 "Enable the under-temperature warning (degrees C, 16-bit signed)")
      ->check(CLI::Range(-32768, 32767));
  ac->add_option("--corrected-volatile-warning", a->cvol,
                 "Enable the corrected volatile error count warning (0..65535)")
      ->check(CLI::Range(0, 65535));
  ac->add_option("--corrected-persistent-warning", a->cpers,
                 "Enable the corrected persistent error count warning (0..65535)")
      ->check(CLI::Range(0, 65535));
  auto set = std::make_shared<std::string>();
  auto* sd = command(
      mbox, "shutdown-state",
      "Get Shutdown State (4203h); --set clean|dirty: Set Shutdown State (4204h)", o,
      [set](Session& s, const MboxOptions& opt) {
        if (!set->empty()) {
          if (*set != "clean" && *set != "dirty") {
            throw ParseError("--set: '" + *set + "' is not clean or dirty");
          }
          std::vector<uint8_t> in(device::payload::ShutdownState::kSize, 0);
          device::payload::ShutdownState::kState.put(in, *set == "dirty" ? 1 : 0);
          const auto r = s.run(op::kSetShutdownState, in);
          if (r.rc != MboxReturn::kSuccess) report(opt, op::kSetShutdownState, r);
        }
        const auto r = s.run(op::kGetShutdownState);
        report(
            opt, op::kGetShutdownState, r,
            r.rc == MboxReturn::kSuccess
                ? json{{"state", (device::payload::ShutdownState::kState.get(r.out) & 1) ? "dirty"
                                                                                         : "clean"}}
                : json::object());
      });
  sd->add_option("--set", *set, "clean or dirty");
}

void register_event_commands(CLI::App* mbox, const std::shared_ptr<MboxOptions>& o) {
  auto log = std::make_shared<std::string>("all");
  auto clear = std::make_shared<bool>(false);
  auto* ev = command(
      mbox, "events", "Get Event Records (0100h); --clear: Clear Event Records (0101h)", o,
      [log, clear](Session& s, const MboxOptions& opt) {
        static constexpr const char* kLogs[] = {"informational", "warning", "failure", "fatal",
                                                "dcd"};
        std::vector<uint8_t> which;
        for (uint8_t i = 0; i < 5; ++i) {
          if (*log == "all" || *log == kLogs[i]) which.push_back(i);
        }
        if (which.empty()) {
          throw ParseError("--log: '" + *log +
                           "' is not all, informational, warning, failure, fatal or dcd");
        }
        json records = json::array();
        MboxResult last;
        for (uint8_t l : which) {
          using L = device::payload::EventRecords;
          using R = device::payload::EventRecord;
          std::vector<uint8_t> in(device::payload::GetEventRecords::kSize, 0);
          device::payload::GetEventRecords::kLog.put(in, l);
          last = s.run(op::kGetEventRecords, in);
          if (last.rc != MboxReturn::kSuccess) report(opt, op::kGetEventRecords, last);
          const size_t n = L::kRecordCount.get(last.out);
          for (size_t i = 0; i < n; ++i) {
            const auto rec =
                std::span<const uint8_t>(last.out).subspan(L::kRecords + R::kSize * i, R::kSize);
            device::Uuid u{};
            const auto uuid = R::kUuid.get(rec);
            std::copy(uuid.begin(), uuid.end(), u.begin());
            std::string type = device::format_uuid(u);
            if (u == device::kGeneralMediaEventUuid) type = "general-media";
            if (u == device::kMemoryModuleEventUuid) type = "memory-module";
            if (u == device::kDynamicCapacityEventUuid) type = "dynamic-capacity";
            records.push_back(
                {{"log", kLogs[l]},
                 {"handle", R::kHandle.get(rec)},
                 {"type", type},
                 {"severity", R::kFlags.get(rec) & 3},
                 {"timestamp_ns", R::kTimestamp.get(rec)},
                 {"address", hex(device::payload::GeneralMediaEvent::kDpa.get(rec))}});
          }
          if (*clear) {
            using C = device::payload::ClearEventRecords;
            std::vector<uint8_t> clear_in(C::kHandles, 0);
            C::kLog.put(clear_in, l);
            C::kFlags.put(clear_in, 1);  // clear all
            const auto r = s.run(op::kClearEventRecords, clear_in);
            if (r.rc != MboxReturn::kSuccess) report(opt, op::kClearEventRecords, r);
          }
        }
        report(opt, op::kGetEventRecords, last, {{"cleared", *clear}, {"records", records}});
      });
  ev->add_option("--log", *log, "all (default), informational, warning, failure, fatal or dcd");
  ev->add_flag("--clear", *clear, "Clear the logs after reading them");
}

void register_poison_commands(CLI::App* mbox, const std::shared_ptr<MboxOptions>& o) {
  auto* poison = mbox->add_subcommand(
      "poison", "Poison: Get Poison List (4300h), Inject (4301h), Clear (4302h)");
  poison->require_subcommand(1);
  auto dpa = std::make_shared<std::string>("0");
  auto length = std::make_shared<std::string>();
  auto data = std::make_shared<std::string>();
  auto* ls = command(
      poison, "list", "Get Poison List", o, [dpa, length](Session& s, const MboxOptions& opt) {
        const uint64_t a = parse_size("--dpa", *dpa).value();
        const uint64_t len = length->empty() ? s.cci().config().dpa_span().value() - a
                                             : parse_size("--length", *length).value();
        const auto r = s.run(op::kGetPoisonList, dpa_range(a, len));
        json j;
        if (r.rc == MboxReturn::kSuccess) {
          using L = device::payload::PoisonList;
          const uint64_t flags = L::kFlags.get(r.out);
          j = {{"more", bool(flags & 1)},
               {"overflow", bool(flags & 2)},
               {"scan_in_progress", bool(flags & 4)},
               {"records", poison_records(r.out, L::kRecords, L::kRecordCount.get(r.out))}};
        }
        report(opt, op::kGetPoisonList, r, j);
      });
  ls->add_option("--dpa", *dpa, "Start DPA (default 0)");
  ls->add_option("--length", *length, "Length in bytes (default: to the end)");
  auto* inj =
      command(poison, "inject", "Inject Poison at a DPA (64-byte line)", o,
              [dpa](Session& s, const MboxOptions& opt) {
                const uint64_t a = parse_size("DPA", *dpa).value();
                std::vector<uint8_t> in(device::payload::InjectPoison::kSize, 0);
                device::payload::InjectPoison::kDpa.put(in, a);
                report(opt, op::kInjectPoison, s.run(op::kInjectPoison, in), {{"dpa", hex(a)}});
              });
  inj->add_option("DPA", *dpa, "Device physical address")->required();
  auto* clr = command(
      poison, "clear", "Clear Poison at a DPA, writing 64 bytes of data", o,
      [dpa, data](Session& s, const MboxOptions& opt) {
        const uint64_t a = parse_size("DPA", *dpa).value();
        auto bytes = data->empty() ? std::vector<uint8_t>(64, 0) : parse_hex("--data", *data);
        if (bytes.size() != 64) {
          throw ParseError("--data: " + std::to_string(bytes.size()) + " bytes, expected 64");
        }
        using L = device::payload::ClearPoison;
        std::vector<uint8_t> in(L::kSize, 0);
        L::kDpa.put(in, a);
        L::kWriteData.put(in, bytes);
        report(opt, op::kClearPoison, s.run(op::kClearPoison, in), {{"dpa", hex(a)}});
      });
  clr->add_option("DPA", *dpa, "Device physical address")->required();
  clr->add_option("--data", *data,
                  "64 bytes in hex written in place of the poison (default zeros)");
}

void register_media_commands(CLI::App* mbox, const std::shared_ptr<MboxOptions>& o) {
  auto dpa = std::make_shared<std::string>("0");
  auto length = std::make_shared<std::string>();
  auto no_log = std::make_shared<bool>(false);
  auto* sm = command(
      mbox, "scan-media", "Scan Media (4304h) to completion, then Get Scan Media Results (4305h)",
      o, [dpa, length, no_log](Session& s, const MboxOptions& opt) {
        const uint64_t a = parse_size("--dpa", *dpa).value();
        const uint64_t len = length->empty() ? s.cci().config().static_capacity().value() - a
                                             : parse_size("--length", *length).value();
        const auto range = dpa_range(a, len);
        const auto caps = s.run(op::kGetScanMediaCapabilities, range);
        if (caps.rc != MboxReturn::kSuccess) report(opt, op::kGetScanMediaCapabilities, caps);
        const Duration start = s.cci().now();
        auto scan = range;
        device::payload::ScanMedia::kFlags.put(scan, *no_log ? 1 : 0);
        const auto r = s.run(op::kScanMedia, scan);
        if (r.rc != MboxReturn::kSuccess) report(opt, op::kScanMedia, r);
        const Duration took = s.cci().now() - start;
        json records = json::array();
        MboxResult res;
        do {
          res = s.run(op::kGetScanMediaResults);
          if (res.rc != MboxReturn::kSuccess) report(opt, op::kGetScanMediaResults, res);
          using L = device::payload::ScanMediaResults;
          for (auto& e : poison_records(res.out, L::kRecords, L::kRecordCount.get(res.out))) {
            records.push_back(e);
          }
        } while (device::payload::ScanMediaResults::kFlags.get(res.out) & 1);
        report(
            opt, op::kScanMedia, r,
            {{"estimated_ms", device::payload::ScanMediaCapabilities::kEstimatedMs.get(caps.out)},
             {"simulated_ms", static_cast<double>(took.picoseconds()) / 1e9},
             {"records", records}});
      });
  sm->add_option("--dpa", *dpa, "Start DPA (default 0)");
  sm->add_option("--length", *length, "Length in bytes (default: to the end of static capacity)");
  sm->add_flag("--no-event-log", *no_log, "Do not log General Media Events for what is found");
  for (const auto& [name, code, help] :
       {std::tuple{"sanitize", op::kSanitize, "Sanitize (4400h): erase all user data and labels"},
        std::tuple{"secure-erase", op::kSecureErase,
                   "Secure Erase (4401h): erase all user data"}}) {
    const uint16_t opcode = code;
    command(mbox, name, help, o, [opcode](Session& s, const MboxOptions& opt) {
      const Duration start = s.cci().now();
      const auto r = s.run(opcode);
      report(opt, opcode, r,
             {{"simulated_ms", static_cast<double>((s.cci().now() - start).picoseconds()) / 1e9}});
    });
  }
  auto kind = std::make_shared<std::string>("cold");
  auto* rs = command(mbox, "reset",
                     "Reset the device (cold: power cycle; locks a passphrase-protected device, "
                     "applies a pending partition, counts a dirty shutdown)",
                     o, [kind](Session& s, const MboxOptions& opt) {
                       device::ResetKind k = device::ResetKind::kCold;
                       if (*kind == "warm") {
                         k = device::ResetKind::kWarm;
                       } else if (*kind == "hot") {
                         k = device::ResetKind::kHot;
                       } else if (*kind == "cxl") {
                         k = device::ResetKind::kCxl;
                       } else if (*kind != "cold") {
                         throw ParseError("--kind: '" + *kind + "' is not cold, warm, hot or cxl");
                       }
                       s.cci().reset(k);
                       json j = {{"reset", *kind}};
                       if (opt.json) {
                         std::cout << j.dump(2) << "\n";
                       } else {
                         print_table(j, std::cout);
                       }
                     });
  rs->add_option("--kind", *kind, "cold (default), warm, hot or cxl");
}

void register_security_commands(CLI::App* mbox, const std::shared_ptr<MboxOptions>& o) {
  auto* sec =
      mbox->add_subcommand("security", "Persistent memory data-at-rest security (4500h-4505h)");
  sec->require_subcommand(1);
  auto type = std::make_shared<std::string>("user");
  auto pass = std::make_shared<std::string>();
  auto next = std::make_shared<std::string>();
  auto state = [](Session& s, const MboxOptions& opt) {
    const auto r = s.run(op::kGetSecurityState);
    json j;
    if (r.rc == MboxReturn::kSuccess) {
      const uint64_t v = device::payload::SecurityState::kState.get(r.out);
      j = {{"user_passphrase_set", bool(v & 1)},
           {"master_passphrase_set", bool(v & 2)},
           {"locked", bool(v & 4)},
           {"frozen", bool(v & 8)},
           {"user_attempts_exhausted", bool(v & 16)},
           {"master_attempts_exhausted", bool(v & 32)}};
    }
    report(opt, op::kGetSecurityState, r, j);
  };
  command(sec, "state", "Get Security State", o, state);
  auto* sp = command(sec, "set-passphrase", "Set Passphrase", o,
                     [type, pass, next](Session& s, const MboxOptions& opt) {
                       using P = device::payload::Passphrases;
                       std::vector<uint8_t> in(P::kSize, 0);
                       P::kType.put(in, passphrase_type(*type));
                       P::kCurrent.put(in, passphrase("--current", *pass));
                       P::kNew.put(in, passphrase("--new", *next));
                       report(opt, op::kSetPassphrase, s.run(op::kSetPassphrase, in));
                     });
  sp->add_option("--type", *type, "user (default) or master");
  sp->add_option("--current", *pass, "Current passphrase (when one is set)");
  sp->add_option("--new", *next, "New passphrase (up to 32 bytes)")->required();
  for (const auto& [name, code, help] :
       {std::tuple{"disable-passphrase", op::kDisablePassphrase, "Disable Passphrase"},
        std::tuple{"erase", op::kPassphraseSecureErase, "Passphrase Secure Erase"}}) {
    const uint16_t opcode = code;
    auto* c = command(sec, name, help, o, [opcode, type, pass](Session& s, const MboxOptions& opt) {
      using P = device::payload::Passphrases;
      std::vector<uint8_t> in(P::kSizeWithCurrent, 0);
      P::kType.put(in, passphrase_type(*type));
      P::kCurrent.put(in, passphrase("--passphrase", *pass));
      report(opt, opcode, s.run(opcode, in));
    });
    c->add_option("--type", *type, "user (default) or master");
    c->add_option("--passphrase", *pass, "The passphrase")->required();
  }
  auto* ul = command(sec, "unlock", "Unlock", o, [pass](Session& s, const MboxOptions& opt) {
    std::vector<uint8_t> in(device::payload::Unlock::kSize, 0);
    device::payload::Unlock::kCurrent.put(in, passphrase("--passphrase", *pass));
    report(opt, op::kUnlock, s.run(op::kUnlock, in));
  });
  ul->add_option("--passphrase", *pass, "The user passphrase")->required();
  command(sec, "freeze", "Freeze Security State", o, [](Session& s, const MboxOptions& opt) {
    report(opt, op::kFreezeSecurityState, s.run(op::kFreezeSecurityState));
  });
}

// The extents of `--dpa/--length` or `--extent DPA:LENGTH ...`, each checked to lie in DC
// region `region` of the memdev.
std::vector<device::DcExtent> offered_extents(Session& s, const MboxOptions& opt, unsigned region,
                                              const std::string& dpa, const std::string& len,
                                              const std::vector<std::string>& texts,
                                              const std::string& tag) {
  const auto& regions = s.cci().state().dc.regions;
  if (regions.empty()) {
    throw ValidationError(fmt::format("memdev '{}' has no DC regions", opt.memdev));
  }
  if (region >= regions.size()) {
    throw ParseError(fmt::format("--region {}: memdev '{}' has {} DC regions", region, opt.memdev,
                                 regions.size()));
  }
  std::vector<fm::DpaRange> ranges = parse_extents(texts);
  if (!dpa.empty() || !len.empty()) {
    ranges.insert(ranges.begin(),
                  {parse_size("--dpa", dpa).value(), parse_size("--length", len).value()});
  }
  if (ranges.empty()) throw ParseError("--dpa and --length, or --extent DPA:LENGTH, are required");
  device::Uuid t{};
  if (!tag.empty()) {
    try {
      t = device::parse_uuid(tag);
    } catch (const std::invalid_argument&) {
      throw ParseError(fmt::format("--tag {}: expected a UUID (32 hex digits)", tag));
    }
  }
  const device::DcRegion& r = regions[region];
  std::vector<device::DcExtent> out;
  for (const auto& [d, l] : ranges) {
    if (!r.contains(d, l) || l == 0) {
      throw ParseError(fmt::format("extent {}:{}: not inside DC region {} ({}..{})", hex(d), hex(l),
                                   region, hex(r.base), hex(r.base + r.length - 1)));
    }
    out.push_back({d, l, t, 0});
  }
  return out;
}

void print_fm_events(const MboxOptions& opt, std::string_view event, unsigned region,
                     const std::vector<device::DcExtent>& extents) {
  json all = json::array();
  for (const auto& e : extents) {
    all.push_back({{"event", event},
                   {"region", region},
                   {"dpa", hex(e.dpa)},
                   {"length", size_bytes(e.length)}});
  }
  if (opt.json) {
    std::cout << (all.size() == 1 ? all[0] : all).dump(2) << "\n";
    return;
  }
  for (const auto& j : all) print_table(j, std::cout);
}

void refused(std::string_view what, MboxReturn rc) {
  std::cerr << fmt::format("cxlsim: error: {} refused: {} ({:04x}h)\n", what,
                           device::return_code_name(rc), static_cast<int>(rc));
  finish(1);
}

// The fabric manager's side (CXL 3.1 §7.6.7.6.5 Initiate Dynamic Capacity Add): offers extents
// of region N as one group, queuing Add Capacity events (all but the last with More) for the
// host to accept (`dc accept`, or one Add Dynamic Capacity Response naming several); and
// (§7.6.7.6.6 Initiate Dynamic Capacity Release) asks the host to release accepted capacity,
// queuing a Release Capacity event the host answers with `dc release`.
void register_dc_offer(CLI::App* dc, const std::shared_ptr<MboxOptions>& o) {
  struct Args {
    unsigned region = 0;
    std::string dpa, len, tag;
    std::vector<std::string> extents;
  };
  auto a = std::make_shared<Args>();
  auto* c = command(
      dc, "offer", "Fabric manager: offer extents of a DC region (queues Add Capacity events)", o,
      [a](Session& s, const MboxOptions& opt) {
        const auto extents = offered_extents(s, opt, a->region, a->dpa, a->len, a->extents, a->tag);
        const MboxReturn rc = s.cci().offer_dc_extents(extents);
        if (rc != MboxReturn::kSuccess) refused("offer", rc);
        print_fm_events(opt, "Add Capacity", a->region, extents);
      });
  c->add_option("--region", a->region, "DC region index")->required();
  c->add_option("--dpa", a->dpa, "Extent start DPA (a multiple of the region's block size)");
  c->add_option("--length", a->len, "Extent length (a multiple of the block size)");
  c->add_option("--extent", a->extents, "DPA:LENGTH, repeatable: one group of extents");
  c->add_option("--tag", a->tag, "Tag of the offered capacity (a UUID)");

  auto b = std::make_shared<Args>();
  auto* r = command(
      dc, "request-release",
      "Fabric manager: ask the host to release accepted capacity (queues a Release Capacity event)",
      o, [b](Session& s, const MboxOptions& opt) {
        const auto extents = offered_extents(s, opt, b->region, b->dpa, b->len, b->extents, "");
        for (const auto& e : extents) {
          const MboxReturn rc = s.cci().request_dc_release(e);
          if (rc != MboxReturn::kSuccess) refused("release request", rc);
        }
        print_fm_events(opt, "Release Capacity", b->region, extents);
      });
  r->add_option("--region", b->region, "DC region index")->required();
  r->add_option("--dpa", b->dpa, "Extent start DPA");
  r->add_option("--length", b->len, "Extent length");
  r->add_option("--extent", b->extents, "DPA:LENGTH, repeatable");
}

void register_dc_commands(CLI::App* mbox, const std::shared_ptr<MboxOptions>& o) {
  auto* dc = mbox->add_subcommand("dc", "Dynamic capacity (4800h-4803h)");
  dc->require_subcommand(1);
  command(dc, "config", "Get Dynamic Capacity Configuration", o,
          [](Session& s, const MboxOptions& opt) {
            using L = device::payload::DcConfig;
            using R = device::payload::DcRegionConfig;
            std::vector<uint8_t> in(device::payload::GetDcConfig::kSize, 0);
            device::payload::GetDcConfig::kRegionCount.put(in, 255);
            const auto r = s.run(op::kGetDcConfig, in);
            json j;
            if (r.rc == MboxReturn::kSuccess) {
              json regions = json::array();
              for (size_t i = 0; i < L::kRegionsReturned.get(r.out); ++i) {
                const size_t at = L::kRegions + R::kSize * i;
                regions.push_back({{"base", hex(R::kBase.get(r.out, at))},
                                   {"length", size_bytes(R::kLength.get(r.out, at))},
                                   {"block_size", size_bytes(R::kBlockSize.get(r.out, at))}});
              }
              j = {{"regions", regions}};
            }
            report(opt, op::kGetDcConfig, r, j);
          });
  command(dc, "extents", "Get Dynamic Capacity Extent List", o,
          [](Session& s, const MboxOptions& opt) {
            using L = device::payload::DcExtentList;
            using E = device::payload::DcExtent;
            std::vector<uint8_t> in(device::payload::GetDcExtentList::kSize, 0);
            device::payload::GetDcExtentList::kExtentCount.put(in, 0xffffffff);
            const auto r = s.run(op::kGetDcExtentList, in);
            json j;
            if (r.rc == MboxReturn::kSuccess) {
              json ex = json::array();
              for (size_t i = 0; i < L::kReturned.get(r.out); ++i) {
                const size_t at = L::kExtents + E::kSize * i;
                ex.push_back({{"dpa", hex(E::kDpa.get(r.out, at))},
                              {"length", size_bytes(E::kLength.get(r.out, at))}});
              }
              j = {{"generation", L::kGeneration.get(r.out)}, {"extents", ex}};
            }
            report(opt, op::kGetDcExtentList, r, j);
          });
  register_dc_offer(dc, o);
  auto dpa = std::make_shared<std::string>();
  auto len = std::make_shared<std::string>();
  for (const auto& [name, code, help] :
       {std::tuple{"accept", op::kAddDcResponse,
                   "Add Dynamic Capacity Response accepting one offered extent"},
        std::tuple{"release", op::kReleaseDc, "Release Dynamic Capacity"}}) {
    const uint16_t opcode = code;
    auto* c = command(dc, name, help, o, [opcode, dpa, len](Session& s, const MboxOptions& opt) {
      using L = device::payload::UpdatedExtentList;
      using E = device::payload::UpdatedExtent;
      std::vector<uint8_t> in(L::kExtents + E::kSize, 0);
      L::kCount.put(in, 1);
      E::kDpa.put(in, L::kExtents, parse_size("DPA", *dpa).value());
      E::kLength.put(in, L::kExtents, parse_size("LENGTH", *len).value());
      report(opt, opcode, s.run(opcode, in));
    });
    c->add_option("DPA", *dpa, "Extent start DPA")->required();
    c->add_option("LENGTH", *len, "Extent length")->required();
  }
}

void register_raw_command(CLI::App* mbox, const std::shared_ptr<MboxOptions>& o) {
  auto opc = std::make_shared<std::string>();
  auto payload = std::make_shared<std::string>();
  auto* raw = command(
      mbox, "raw", "Send any opcode with a hex payload; prints the return code and output bytes", o,
      [opc, payload](Session& s, const MboxOptions& opt) {
        uint64_t v = 0;
        try {
          size_t used = 0;
          v = std::stoull(*opc, &used, 16);
          if (used != opc->size() || v > 0xffff) throw std::invalid_argument("x");
        } catch (const std::exception&) {
          throw ParseError("OPCODE: '" + *opc + "' is not a 16-bit hex opcode (e.g. 4000)");
        }
        const auto in = parse_hex("PAYLOAD", *payload);
        const auto r = s.run(static_cast<uint16_t>(v), in);
        report(opt, static_cast<uint16_t>(v), r,
               {{"input_length", in.size()},
                {"output_length", r.out.size()},
                {"output", device::format_hex_bytes(r.out, " ")}});
      });
  raw->add_option("OPCODE", *opc, "Opcode in hex, e.g. 4000")->required();
  raw->add_option("PAYLOAD", *payload, "Input payload in hex (default empty)");
}

}  // namespace

void register_mbox(CLI::App& app) {
  auto o = std::make_shared<MboxOptions>();
  auto* mbox = app.add_subcommand(
      "mbox", "Send memory-device mailbox commands (CXL 3.1 §8.2.9) to a memdev");
  mbox->add_option("FILE", o->topology, "Topology: a file, builtin:NAME or newick:TREE")
      ->required();
  mbox->add_option("--memdev", o->memdev, "Memdev: topology id or memN as `cxlsim list` prints it")
      ->required();
  mbox->add_option("--state-dir", o->state_dir,
                   "Directory for the device's command state (default: beside its backing file)")
      ->check(CLI::ExistingDirectory);
  mbox->add_flag("--json", o->json, "JSON output");
  mbox->require_subcommand(1);
  mbox->fallthrough();
  register_info_commands(mbox, o);
  register_label_commands(mbox, o);
  register_health_commands(mbox, o);
  register_event_commands(mbox, o);
  register_poison_commands(mbox, o);
  register_media_commands(mbox, o);
  register_security_commands(mbox, o);
  register_dc_commands(mbox, o);
  register_raw_command(mbox, o);
}

}  // namespace cxlsim::cli
