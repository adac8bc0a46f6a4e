#include "device/memdev_state_file.h"

#include <algorithm>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <type_traits>

#include "device/durable_file.h"
#include "spec/error.h"

namespace cxlsim::device {

using nlohmann::json;

std::string state_path_beside(const std::string& backing_path) { return backing_path + ".state"; }

std::string state_path_for(const std::string& id, const std::string& persistent_path,
                           const std::string& volatile_path, const std::string& lsa_path,
                           const std::string& state_dir) {
  if (!state_dir.empty()) return state_dir + "/" + id + ".state";
  for (const auto* p : {&persistent_path, &volatile_path, &lsa_path}) {
    if (!p->empty()) return state_path_beside(*p);
  }
  return "";
}

namespace {

json to_json(const PoisonRecord& r) {
  return json::array({r.dpa, r.length, static_cast<int>(r.source)});
}

json to_json(const DcExtent& e) {
  return json::array({e.dpa, e.length, format_uuid(e.tag), e.shared_sequence});
}

json records_json(const std::vector<PoisonRecord>& v) {
  json a = json::array();
  for (const auto& r : v) a.push_back(to_json(r));
  return a;
}

json extents_json(const std::vector<DcExtent>& v) {
  json a = json::array();
  for (const auto& e : v) a.push_back(to_json(e));
  return a;
}

json passphrase_json(const std::optional<PassphraseHash>& p) {
  if (!p) return nullptr;  // JSON null
  return {{"salt", format_hex_bytes(p->salt)}, {"pbkdf2_sha256", format_hex_bytes(p->hash)}};
}

// One description per section of plain fields: the key and the member of each, visited by
// the encoder (FieldWriter) and the decoder (FieldReader) alike, so a field added here is
// saved and loaded. S is the struct, const when encoding.
template <typename V, typename S>
void partition_fields(V& v, S& p) {
  v("active_volatile", p.active_volatile);
  v("next_volatile", p.next_volatile);
}

template <typename V, typename S>
void health_fields(V& v, S& h) {
  v("health_status", h.health_status);
  v("media_status", h.media_status);
  v("life_used", h.life_used);
  v("temperature", h.temperature);
  v("dirty_shutdown_count", h.dirty_shutdown_count);
  v("corrected_volatile_errors", h.corrected_volatile_errors);
  v("corrected_persistent_errors", h.corrected_persistent_errors);
}

template <typename V, typename S>
void alert_fields(V& v, S& a) {
  v("valid", a.valid);
  v("programmable", a.programmable);
  v("life_used_critical", a.life_used_critical);
  v("life_used_warning", a.life_used_warning);
  v("over_temp_critical", a.over_temp_critical);
  v("under_temp_critical", a.under_temp_critical);
  v("over_temp_warning", a.over_temp_warning);
  v("under_temp_warning", a.under_temp_warning);
  v("corrected_volatile_warning", a.corrected_volatile_warning);
  v("corrected_persistent_warning", a.corrected_persistent_warning);
}

// The passphrases (user, master) are not plain fields: see passphrase_json/decode_passphrase.
template <typename V, typename S>
void security_fields(V& v, S& sec) {
  v("locked", sec.locked);
  v("frozen", sec.frozen);
  v("user_attempts", sec.user_attempts);
  v("master_attempts", sec.master_attempts);
}

template <typename V, typename S>
void clock_fields(V& v, S& s) {
  v("device_time_ps", s.device_time);
  v("timestamp_set", s.timestamp.set);
  v("timestamp_ns", s.timestamp.value_ns);
  v("timestamp_set_at_ps", s.timestamp.set_at);
}

// The scan's records are not plain fields: see records_json/decode_records.
template <typename V, typename S>
void scan_fields(V& v, S& sc) {
  v("valid", sc.valid);
  v("restart_dpa", sc.restart_dpa);
  v("restart_length", sc.restart_length);
  v("stopped_prematurely", sc.stopped_prematurely);
}

// Writes visited fields into a JSON object: sizes as bytes, durations as picoseconds.
struct FieldWriter {
  json& j;
  template <typename T>
  void operator()(const char* key, const T& v) {
    if constexpr (std::is_same_v<T, Bytes>) {
      j[key] = v.value();
    } else if constexpr (std::is_same_v<T, Duration>) {
      j[key] = v.picoseconds();
    } else {
      j[key] = v;
    }
  }
};

template <typename S>
json section(void (*fields)(FieldWriter&, const S&), const S& s) {
  json j = json::object();
  FieldWriter w{j};
  fields(w, s);
  return j;
}

json encode(const MemdevCciConfig& c, const MemdevState& s) {
  json j;
  j["format"] = kStateFormatName;
  j["version"] = kStateFormatVersion;
  j["device"] = {{"serial", c.serial},
                 {"static_capacity", c.static_capacity().value()},
                 {"lsa_size", c.lsa_size.value()}};
  j["partition"] = section(partition_fields<FieldWriter, const PartitionState>, s.partition);
  j["health"] = section(health_fields<FieldWriter, const HealthState>, s.health);
  j["alerts"] = section(alert_fields<FieldWriter, const AlertConfig>, s.alerts);
  j["shutdown_dirty"] = s.shutdown_dirty;
  j["security"] = section(security_fields<FieldWriter, const SecurityState>, s.security);
  j["security"]["user"] = passphrase_json(s.security.user);
  j["security"]["master"] = passphrase_json(s.security.master);
  j["poison"] = {{"overflow", s.poison.overflowed()},
                 {"overflow_ns", s.poison.overflow_timestamp_ns()},
                 {"records", records_json(s.poison.all())}};
  json logs = json::array();
  for (const auto& log : s.events) {
    json recs = json::array();
    for (const auto& r : log.records()) recs.push_back(format_hex_bytes(r.bytes));
    logs.push_back({{"next_handle", log.next_handle()},
                    {"overflow_count", log.overflow_count()},
                    {"first_overflow_ns", log.first_overflow_ns()},
                    {"last_overflow_ns", log.last_overflow_ns()},
                    {"records", recs}});
  }
  j["events"] = logs;
  j["interrupt_policy"] = s.interrupt_policy;
  json regions = json::array();
  for (const auto& r : s.dc.regions) {
    regions.push_back(
        json::array({r.base, r.length, r.block_size, r.dsmad_handle, r.sanitize_on_release}));
  }
  j["dc"] = {{"regions", regions},
             {"accepted", extents_json(s.dc.accepted)},
             {"pending", extents_json(s.dc.pending)},
             {"generation", s.dc.generation}};
  j["clock"] = section(clock_fields<FieldWriter, const MemdevState>, s);
  if (s.media_operation != 0) j["media_operation"] = s.media_operation;
  j["scan"] = section(scan_fields<FieldWriter, const ScanMediaResults>, s.scan);
  j["scan"]["records"] = records_json(s.scan.records);
  return j;
}

// Decoding: every access names its element in the error.
class Reader {
 public:
  explicit Reader(std::string path) : path_(std::move(path)) {}
  [[noreturn]] void fail(const std::string& what) const {
    throw ParseError(path_ + ": memdev state: " + what);
  }
  const json& at(const json& j, const char* key, const std::string& ctx) const {
    if (!j.is_object() || !j.contains(key)) fail("missing '" + ctx + key + "'");
    return j.at(key);
  }
  template <typename T>
  T get(const json& j, const char* key, const std::string& ctx) const {
    return value<T>(at(j, key, ctx), "'" + ctx + key + "'");
  }
  template <typename T>
  [[nodiscard]] T item(const json& arr, size_t i, const std::string& ctx) const {
    if (!arr.is_array() || i >= arr.size()) fail("short array '" + ctx + "'");
    return value<T>(arr[i], "element " + std::to_string(i) + " of '" + ctx + "'");
  }
  // Integers must be JSON integers within T's range: a float or an out-of-range number is
  // refused, never truncated.
  template <typename T>
  [[nodiscard]] T value(const json& v, const std::string& what) const {
    if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
      if (v.is_number_unsigned()) {
        const auto u = v.get<uint64_t>();
        if (u > static_cast<uint64_t>(std::numeric_limits<T>::max())) {
          fail("out-of-range value for " + what);
        }
        return static_cast<T>(u);
      }
      if (v.is_number_integer()) {
        const auto i = v.get<int64_t>();
        if (i < static_cast<int64_t>(std::numeric_limits<T>::min()) ||
            (i > 0 &&
             static_cast<uint64_t>(i) > static_cast<uint64_t>(std::numeric_limits<T>::max()))) {
          fail("out-of-range value for " + what);
        }
        return static_cast<T>(i);
      }
      fail("bad value for " + what + " (expected an integer)");
    } else {
      try {
        return v.get<T>();
      } catch (const json::exception&) {
        fail("bad value for " + what);
      }
    }
  }
  [[nodiscard]] std::vector<uint8_t> hex(const std::string& text, const std::string& ctx,
                                         size_t size) const {
    try {
      auto b = parse_hex_bytes(text);
      if (size != 0 && b.size() != size) {
        fail("'" + ctx + "' holds " + std::to_string(b.size()) + " bytes, expected " +
             std::to_string(size));
      }
      return b;
    } catch (const std::invalid_argument& e) {
      fail("'" + ctx + "': " + e.what());
    }
  }

 private:
  std::string path_;
};

// Reads visited fields from the JSON object `name` of `parent`, each range-checked by Reader.
struct FieldReader {
  const Reader& rd;
  const json& j;
  std::string ctx;  // "health." etc.
  template <typename T>
  void operator()(const char* key, T& v) const {
    if constexpr (std::is_same_v<T, Bytes>) {
      v = Bytes(rd.get<uint64_t>(j, key, ctx));
    } else if constexpr (std::is_same_v<T, Duration>) {
      v = Duration::ps(rd.get<int64_t>(j, key, ctx));
    } else {
      v = rd.get<T>(j, key, ctx);
    }
  }
};

template <typename S>
void read_section(const Reader& rd, const json& parent, const char* name,
                  void (*fields)(const FieldReader&, S&), S& s) {
  const FieldReader r{rd, rd.at(parent, name, ""), std::string(name) + "."};
  fields(r, s);
}

std::vector<PoisonRecord> decode_records(const Reader& rd, const json& a, const std::string& ctx) {
  std::vector<PoisonRecord> v;
  if (!a.is_array()) rd.fail("'" + ctx + "' is not an array");
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string c = ctx + "[" + std::to_string(i) + "]";
    PoisonRecord r{rd.item<uint64_t>(a[i], 0, c), rd.item<uint64_t>(a[i], 1, c),
                   static_cast<PoisonSource>(rd.item<uint8_t>(a[i], 2, c))};
    if (r.dpa % kPoisonGranule || r.length == 0 || r.length % kPoisonGranule) {
      rd.fail("'" + c + "' is not a 64-byte aligned range");
    }
    v.push_back(r);
  }
  return v;
}

std::vector<DcExtent> decode_extents(const Reader& rd, const json& a, const std::string& ctx) {
  std::vector<DcExtent> v;
  if (!a.is_array()) rd.fail("'" + ctx + "' is not an array");
  for (size_t i = 0; i < a.size(); ++i) {
    const std::string c = ctx + "[" + std::to_string(i) + "]";
    DcExtent e;
    e.dpa = rd.item<uint64_t>(a[i], 0, c);
    e.length = rd.item<uint64_t>(a[i], 1, c);
    try {
      e.tag = parse_uuid(rd.item<std::string>(a[i], 2, c));
    } catch (const std::invalid_argument&) {
      rd.fail("bad tag in '" + c + "'");
    }
    e.shared_sequence = rd.item<uint16_t>(a[i], 3, c);
    v.push_back(e);
  }
  return v;
}

std::optional<PassphraseHash> decode_passphrase(const Reader& rd, const json& j, const char* key) {
  const json& v = rd.at(j, key, "security.");
  const std::string ctx = std::string("security.") + key;
  if (v.is_null()) return std::nullopt;
  if (v.is_string()) {  // a state saved before passphrases were hashed: hash it now
    const auto b = rd.hex(v.get<std::string>(), ctx, 32);
    Passphrase p{};
    std::copy(b.begin(), b.end(), p.begin());
    return PassphraseHash::of(p);
  }
  PassphraseHash h;
  const auto salt = rd.hex(rd.get<std::string>(v, "salt", ctx + "."), ctx + ".salt", h.salt.size());
  const auto hash = rd.hex(rd.get<std::string>(v, "pbkdf2_sha256", ctx + "."),
                           ctx + ".pbkdf2_sha256", h.hash.size());
  std::copy(salt.begin(), salt.end(), h.salt.begin());
  std::copy(hash.begin(), hash.end(), h.hash.begin());
  return h;
}

MemdevState decode(const Reader& rd, const json& j, const MemdevCciConfig& c,
                   std::vector<uint8_t>* legacy_lsa) {
  if (rd.get<std::string>(j, "format", "") != kStateFormatName) rd.fail("not a memdev state file");
  const int version = rd.get<int>(j, "version", "");
  if (version != kStateFormatVersion) {
    rd.fail("version " + std::to_string(version) + " is not supported (this cxlsim reads " +
            std::to_string(kStateFormatVersion) + ")");
  }
  const json& dev = rd.at(j, "device", "");
  if (rd.get<uint64_t>(dev, "serial", "device.") != c.serial) {
    rd.fail("saved for another device (device.serial differs from this device's serial " +
            std::to_string(c.serial) + ")");
  }
  if (rd.get<uint64_t>(dev, "static_capacity", "device.") != c.static_capacity().value() ||
      rd.get<uint64_t>(dev, "lsa_size", "device.") != c.lsa_size.value()) {
    rd.fail("saved for a device of another size (device.static_capacity/lsa_size differ)");
  }
  MemdevState s(c);
  read_section(rd, j, "partition", partition_fields<const FieldReader, PartitionState>,
               s.partition);
  if (s.partition.active_volatile > c.partitionable ||
      s.partition.next_volatile > c.partitionable) {
    rd.fail("'partition' exceeds the partitionable capacity");
  }
  if (j.contains("lsa")) {
    auto lsa = rd.hex(rd.get<std::string>(j, "lsa", ""), "lsa", c.lsa_size.value());
    if (legacy_lsa) *legacy_lsa = std::move(lsa);
  }
  read_section(rd, j, "health", health_fields<const FieldReader, HealthState>, s.health);
  read_section(rd, j, "alerts", alert_fields<const FieldReader, AlertConfig>, s.alerts);
  s.shutdown_dirty = rd.get<bool>(j, "shutdown_dirty", "");
  const json& sec = rd.at(j, "security", "");
  s.security.user = decode_passphrase(rd, sec, "user");
  s.security.master = decode_passphrase(rd, sec, "master");
  read_section(rd, j, "security", security_fields<const FieldReader, SecurityState>, s.security);
  const json& po = rd.at(j, "poison", "");
  s.poison.restore(decode_records(rd, rd.at(po, "records", "poison."), "poison.records"),
                   rd.get<bool>(po, "overflow", "poison."),
                   rd.get<uint64_t>(po, "overflow_ns", "poison."));
  const json& ev = rd.at(j, "events", "");
  if (!ev.is_array() || ev.size() != kEventLogCount) rd.fail("'events' must list 5 logs");
  for (size_t i = 0; i < kEventLogCount; ++i) {
    const std::string ctx = "events[" + std::to_string(i) + "].";
    std::deque<EventRecord> recs;
    const json& ra = rd.at(ev[i], "records", ctx);
    if (!ra.is_array()) rd.fail("'" + ctx + "records' is not an array");
    for (size_t k = 0; k < ra.size(); ++k) {
      const std::string rc = ctx + "records[" + std::to_string(k) + "]";
      if (!ra[k].is_string()) rd.fail("'" + rc + "' is not a hex string");
      const auto b = rd.hex(ra[k].get<std::string>(), rc, kEventRecordSize);
      EventRecord r;
      std::copy(b.begin(), b.end(), r.bytes.begin());
      recs.push_back(r);
    }
    s.events[i].restore(std::move(recs), rd.get<uint16_t>(ev[i], "next_handle", ctx),
                        rd.get<uint16_t>(ev[i], "overflow_count", ctx),
                        rd.get<uint64_t>(ev[i], "first_overflow_ns", ctx),
                        rd.get<uint64_t>(ev[i], "last_overflow_ns", ctx));
  }
  const json& ip = rd.at(j, "interrupt_policy", "");
  if (!ip.is_array() || ip.size() != kEventLogCount) {
    rd.fail("'interrupt_policy' must list 5 bytes");
  }
  for (size_t i = 0; i < kEventLogCount; ++i) {
    s.interrupt_policy[i] = rd.item<uint8_t>(ip, i, "interrupt_policy");
  }
  const json& dc = rd.at(j, "dc", "");
  const json& regions = rd.at(dc, "regions", "dc.");
  if (!regions.is_array()) rd.fail("'dc.regions' is not an array");
  s.dc.regions.clear();
  for (size_t i = 0; i < regions.size(); ++i) {
    const std::string ctx = "dc.regions[" + std::to_string(i) + "]";
    DcRegion r;
    r.base = rd.item<uint64_t>(regions[i], 0, ctx);
    r.length = rd.item<uint64_t>(regions[i], 1, ctx);
    r.block_size = rd.item<uint64_t>(regions[i], 2, ctx);
    r.dsmad_handle = rd.item<uint32_t>(regions[i], 3, ctx);
    r.sanitize_on_release = rd.item<bool>(regions[i], 4, ctx);
    if (r.block_size == 0 || r.length % r.block_size) rd.fail("'" + ctx + "' has a bad block size");
    s.dc.regions.push_back(r);
  }
  s.dc.accepted = decode_extents(rd, rd.at(dc, "accepted", "dc."), "dc.accepted");
  s.dc.pending = decode_extents(rd, rd.at(dc, "pending", "dc."), "dc.pending");
  s.dc.generation = rd.get<uint32_t>(dc, "generation", "dc.");
  read_section(rd, j, "clock", clock_fields<const FieldReader, MemdevState>, s);
  if (s.device_time < Duration() || s.timestamp.set_at > s.device_time) {
    rd.fail("'clock' is inconsistent");
  }
  read_section(rd, j, "scan", scan_fields<const FieldReader, ScanMediaResults>, s.scan);
  const json& sc = rd.at(j, "scan", "");
  s.scan.records = decode_records(rd, rd.at(sc, "records", "scan."), "scan.records");
  if (j.contains("media_operation")) s.media_operation = rd.get<uint16_t>(j, "media_operation", "");
  return s;
}

}  // namespace

void save_state(const std::string& path, const MemdevCciConfig& config, const MemdevState& state) {
  // 0600: the state holds passphrase hashes (§8.2.9.9.6) and is the user's alone.
  write_file_durably(path, encode(config, state).dump(1) + "\n", 0600);
}

std::string label_path_beside(const std::string& state_path) { return state_path + ".lsa"; }

std::optional<MemdevState> load_state(const std::string& path, const MemdevCciConfig& config,
                                      std::vector<uint8_t>* legacy_lsa) {
  if (legacy_lsa) legacy_lsa->clear();
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  const Reader rd(path);
  json j;
  try {
    j = json::parse(ss.str());
  } catch (const json::parse_error& e) {
    rd.fail(std::string("not JSON: ") + e.what());
  }
  return decode(rd, j, config, legacy_lsa);
}

}  // namespace cxlsim::device
