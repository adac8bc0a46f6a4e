// Property: any sequence of commands with random opcodes and payloads, interleaved with time
// passing, never crashes the mailbox and never leaves the device state inconsistent.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "device/mbox_test_util.h"

namespace cxlsim::device {
namespace {

struct Step {
  uint16_t opcode;
  std::vector<uint8_t> payload;
  int64_t advance_us;
  // Besides the command, something else happens to the device: 0 nothing, 1 cold reset,
  // 2 warm reset, 3 host read, 4 host write, 5 media error found, 6 DC offer.
  int event;
  uint64_t where;
};

// Opcodes: mostly implemented ones (so handlers see hostile payloads), some random.
rc::Gen<uint16_t> gen_opcode() {
  std::vector<uint16_t> known;
  for (const auto& c : memdev_commands()) known.push_back(c.opcode);
  return rc::gen::weightedOneOf<uint16_t>(
      {{8, rc::gen::elementOf(known)}, {1, rc::gen::arbitrary<uint16_t>()}});
}

// Payloads: the command's exact input length filled randomly (most likely to get past the
// length check), or arbitrary lengths up to just over the payload size.
rc::Gen<std::vector<uint8_t>> gen_payload(uint16_t op) {
  const CommandSpec* c = find_command(op);
  const size_t exact = c ? c->input.bytes : 0;
  return rc::gen::weightedOneOf<std::vector<uint8_t>>(
      {{6, rc::gen::container<std::vector<uint8_t>>(exact, rc::gen::arbitrary<uint8_t>())},
       {2, rc::gen::container<std::vector<uint8_t>>(
               exact, rc::gen::weightedOneOf<uint8_t>({{3, rc::gen::just<uint8_t>(0)},
                                                       {1, rc::gen::inRange<uint8_t>(0, 8)},
                                                       {1, rc::gen::arbitrary<uint8_t>()}}))},
       {1, rc::gen::mapcat(rc::gen::inRange<size_t>(0, 300), [](size_t n) {
          return rc::gen::container<std::vector<uint8_t>>(n, rc::gen::arbitrary<uint8_t>());
        })}});
}

rc::Gen<Step> gen_step() {
  return rc::gen::mapcat(gen_opcode(), [](uint16_t op) {
    return rc::gen::map(
        rc::gen::tuple(
            gen_payload(op), rc::gen::inRange<int64_t>(0, 200'000),
            rc::gen::weightedOneOf<int>({{12, rc::gen::just(0)}, {1, rc::gen::inRange(1, 7)}}),
            rc::gen::inRange<uint64_t>(0, (uint64_t{5} << 28) + 4096)),
        [op](const std::tuple<std::vector<uint8_t>, int64_t, int, uint64_t>& t) {
          return Step{op, std::get<0>(t), std::get<1>(t), std::get<2>(t), std::get<3>(t)};
        });
  });
}

void device_event(MemdevCci& dev, const Step& s) {
  std::vector<uint8_t> buf(64);
  const uint64_t dpa = s.where & ~uint64_t{63};
  switch (s.event) {
    case 1:
      dev.reset(ResetKind::kCold);
      break;
    case 2:
      dev.reset(ResetKind::kWarm);
      break;
    case 3:
      (void)dev.read(Dpa(dpa), buf);
      break;
    case 4:
      (void)dev.write(Dpa(dpa), buf);
      break;
    case 5:
      if (dpa + 64 <= dev.config().dpa_span().value()) {
        dev.report_media_error(Dpa(dpa), Bytes(64), GmTransaction::kInternalMediaScrub);
      }
      break;
    case 6:
      (void)dev.offer_dc_extents({{dpa & ~((uint64_t{2} << 20) - 1), uint64_t{2} << 20, {}, 0}});
      break;
    default:
      break;
  }
}

void check_invariants(const MemdevCci& dev) {
  const auto& s = dev.state();
  const auto& c = dev.config();
  RC_ASSERT(s.partition.active_volatile <= c.partitionable);
  RC_ASSERT(s.partition.next_volatile <= c.partitionable);
  RC_ASSERT(dev.volatile_capacity() + dev.persistent_capacity() == c.static_capacity());
  RC_ASSERT(s.poison.size() <= s.poison.max_records());
  RC_ASSERT(s.poison.injected_count() <= c.inject_poison_limit);
  uint64_t prev_end = 0;
  for (const auto& r : s.poison.all()) {
    RC_ASSERT(r.dpa % kPoisonGranule == 0);
    RC_ASSERT(r.length % kPoisonGranule == 0);
    RC_ASSERT(r.length > 0);
    RC_ASSERT(r.dpa >= prev_end);
    RC_ASSERT(r.dpa + r.length <= c.dpa_span().value());
    prev_end = r.dpa + r.length;
  }
  for (const auto& log : s.events) RC_ASSERT(log.records().size() <= log.capacity());
  RC_ASSERT(s.dc.accepted.size() + s.dc.pending.size() <= s.dc.max_extents);
  prev_end = 0;
  for (const auto& e : s.dc.accepted) {
    RC_ASSERT(e.dpa >= prev_end);
    RC_ASSERT(s.dc.region_of(e.dpa, e.length).has_value());
    prev_end = e.dpa + e.length;
  }
  RC_ASSERT(!(s.security.locked && !s.security.user));
  RC_ASSERT(dev.media_disabled() ==
            (dev.mailbox().background_running() &&
             (dev.mailbox().background_status().opcode == opcode::kSanitize ||
              dev.mailbox().background_status().opcode == opcode::kSecureErase)));
  RC_ASSERT(dev.mailbox().background_status().percent <= 100);
}

RC_GTEST_PROP(MailboxFuzz, RandomCommandsNeverCrashOrCorruptState, ()) {
  testing::TestDevice t;
  // Give the DC machinery something to work with.
  t.dev.offer_dc_extents({{GiB(1).value(), MiB(8).value(), {}, 0}});
  const auto steps = *rc::gen::resize(60, rc::gen::container<std::vector<Step>>(gen_step()));
  for (const auto& s : steps) {
    const MboxResult r = t.dev.execute(s.opcode, s.payload);
    RC_ASSERT(r.out.size() <= t.dev.mailbox().payload_size());
    RC_ASSERT(r.rc != MboxReturn::kInternalError);
    if (r.rc != MboxReturn::kSuccess) RC_ASSERT(r.out.empty());
    if (!find_command(s.opcode)) {
      RC_ASSERT(r.rc == MboxReturn::kUnsupported || r.rc == MboxReturn::kInvalidPayloadLength);
    }
    t.dev.advance(Duration::ns(static_cast<double>(s.advance_us) * 1000.0));
    device_event(t.dev, s);
    check_invariants(t.dev);
  }
}

// The same through the register interface: random register writes never crash and the
// doorbell always clears.
RC_GTEST_PROP(MailboxFuzz, RandomRegisterWritesAreSafe, ()) {
  testing::TestDevice t;
  auto& regs = t.dev.registers();
  const auto writes =
      *rc::gen::container<std::vector<std::tuple<uint32_t, uint8_t, uint64_t>>>(rc::gen::tuple(
          rc::gen::inRange<uint32_t>(0, static_cast<uint32_t>(regs.size())),
          rc::gen::elementOf(std::vector<uint8_t>{1, 2, 4, 8}), rc::gen::arbitrary<uint64_t>()));
  for (const auto& [off, size, value] : writes) {
    regs.write(off, size, value);
    (void)regs.read(off, size);
    RC_ASSERT((t.dev.mailbox().read(mbox_reg::kControl, 4) & 1) == 0);
    check_invariants(t.dev);
  }
}

}  // namespace
}  // namespace cxlsim::device
