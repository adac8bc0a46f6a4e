// Label Storage Area access (CXL 3.1 §8.2.9.9.2.3-4): Get LSA (4102h), Set LSA (4103h), by
// range on the device's LabelStorage (never loaded whole).
#include "device/command_table.h"
#include "device/mbox_payloads.h"
#include "device/memdev_cci.h"

namespace cxlsim::device {

namespace {

// Input (Table 8-133): Offset (4), Length (4).
MboxReturn get_lsa(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>& out) {
  const uint64_t offset = payload::GetLsa::kOffset.get(in);
  const uint64_t length = payload::GetLsa::kLength.get(in);
  const uint64_t size = dev.lsa().size().value();
  if (size == 0) return MboxReturn::kUnsupported;
  if (offset + length > size || length > dev.mailbox().payload_size()) {
    return MboxReturn::kInvalidInput;
  }
  out.resize(length);
  dev.lsa().read(offset, out);
  return MboxReturn::kSuccess;
}

// Input (Table 8-134): Offset (4), Reserved (4), Data.
MboxReturn set_lsa(MemdevCci& dev, std::span<const uint8_t> in, std::vector<uint8_t>&) {
  const uint64_t offset = payload::SetLsa::kOffset.get(in);
  const auto data = in.subspan(payload::SetLsa::kDataOffset);
  const uint64_t size = dev.lsa().size().value();
  if (size == 0) return MboxReturn::kUnsupported;
  if (offset + data.size() > size) return MboxReturn::kInvalidInput;
  dev.lsa().write(offset, data);
  return MboxReturn::kSuccess;
}

}  // namespace

void add_lsa_commands(std::vector<CommandSpec>& t) {
  t.push_back(
      {opcode::kGetLsa, "Get LSA", get_lsa, fixed_input(payload::GetLsa::kSize), 0, gate::kNone});
  t.push_back({opcode::kSetLsa, "Set LSA", set_lsa, variable_input(payload::SetLsa::kDataOffset),
               effect::kImmediateConfigChange | effect::kImmediateDataChange, gate::kNone});
}

}  // namespace cxlsim::device
