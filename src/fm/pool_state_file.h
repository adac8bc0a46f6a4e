// The fabric manager's state file (DIR/state.json): bindings, LD allocations, DC extents and the
// guests attached to hosts. Defined once here; the daemon writes it after every change it
// acknowledges (device/durable_file.h: a crash leaves the old or the new file, never a mix) and
// reads it on start. Loading replays every entry through Pool's rules, so a file edited by hand
// or written for another pool cannot produce a state those rules forbid. Format (docs/fm.md):
//   {"format": "cxlsim-fm-state", "version": 1, "pool": NAME,
//    "ld_allocations": {MLD: [bytes per LD]},
//    "bindings": [{"host", "vppb", "device", "ld"}],
//    "extents": [{"device", "host", "dpa", "length", "tag": 32 hex digits}],
//    "guests": {HOST: QMP socket path}}
#pragma once

#include <map>
#include <string>

#include "fm/pool.h"

namespace cxlsim::fm {

// A running guest of a pool host that the fabric manager drives (its QMP socket).
using GuestMap = std::map<std::string, std::string>;

// The file's name in the fabric manager's state directory (`fm serve --state DIR`).
inline constexpr const char* kPoolStateFileName = "state.json";

struct PoolState {
  Pool pool;
  GuestMap guests;
};

// The file's text for `s`.
[[nodiscard]] std::string encode_pool_state(const Pool& pool, const GuestMap& guests);

// `text` replayed onto an empty pool of `topology`. Throws ParseError naming `origin` and the
// entry for malformed JSON, a wrong format or pool name, or an entry the rules refuse.
[[nodiscard]] PoolState decode_pool_state(const std::string& text, const Topology& topology,
                                          const std::string& origin);

// 32 lowercase hex digits; parse_tag throws ParseError for anything else.
[[nodiscard]] std::string tag_hex(const DcTag& tag);
[[nodiscard]] DcTag parse_tag(const std::string& hex);

}  // namespace cxlsim::fm
