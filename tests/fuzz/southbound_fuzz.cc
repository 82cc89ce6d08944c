// Fuzz target: what a NATS broker hands the agent (docs/controller.md, "Southbound over NATS"):
// messages on its host subject and on its subnet subjects, with any headers (epoch, sequence,
// kind, baseline subject) and any payload, in any order. The subscriber must answer or ignore
// each one, never crash. Every input starts with a valid port of subnet s1 so that the subnet
// subject is subscribed; then records of [kind][length][bytes] follow.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/base/logging.h"
#include "lib/southbound/subjects.h"
#include "node-agent/goalstate/nats_subscriber.h"
#include "tests/fakes/fake_message_bus.h"
#include "tests/unit/agent/subnet_goalstates.h"

namespace {

using namespace alcor;
namespace sb = alcor::southbound;

constexpr const char* kNode = "10.9.0.1";

// "key=value" lines, then a line "--", then the payload.
nats::Message parseRecord(const std::string& bytes, const std::string& subject) {
  nats::Message m;
  m.subject = subject;
  size_t pos = 0;
  while (pos < bytes.size()) {
    size_t end = bytes.find('\n', pos);
    if (end == std::string::npos) end = bytes.size();
    std::string line = bytes.substr(pos, end - pos);
    pos = end + 1;
    if (line == "--") break;
    size_t eq = line.find('=');
    if (eq != std::string::npos) m.headers.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
  if (pos < bytes.size()) m.data = bytes.substr(pos);
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static bool quiet = (log::setLevel(log::Level::kOff), true);
  (void)quiet;
  testing::FakeMessageBus bus;
  agent::NatsGoalStateSubscriber subscriber(
      bus, kNode,
      [](const schema::GoalStateV2& gs) {
        schema::GoalStateOperationReply reply;
        for (const auto& [id, port] : gs.port_states()) {
          auto* s = reply.add_operation_statuses();
          s->set_resource_id(id);
          s->set_resource_type(schema::PORT);
          s->set_operation_status(schema::SUCCESS);
        }
        return reply;
      },
      [] { return okStatus(); });
  if (!subscriber.start().ok()) return 0;
  const std::string host = sb::hostSubject(kNode);
  (void)bus.request(host, agent::portMessage("p1", schema::CREATE).SerializeAsString(), {},
                    std::chrono::milliseconds(0));

  size_t pos = 0;
  while (pos + 3 <= size) {
    const uint8_t kind = data[pos];
    const size_t len = std::min<size_t>(size - pos - 3, (data[pos + 1] << 8) | data[pos + 2]);
    const std::string bytes(reinterpret_cast<const char*>(data + pos + 3), len);
    pos += 3 + len;
    switch (kind % 4) {
      case 0: {  // a unicast request: GoalStateV2 bytes
        (void)bus.request(host, bytes, {}, std::chrono::milliseconds(0));
        break;
      }
      case 1: {  // a control message on the host subject (baseline or unknown kind)
        nats::Message m = parseRecord(bytes, host);
        (void)bus.publish(host, m.data, m.headers);
        break;
      }
      case 2: {  // a subnet message on a subscribed subject
        auto subjects = bus.subscribedSubjects();
        std::string subject;
        for (const auto& s : subjects) {
          if (s != host) subject = s;
        }
        if (subject.empty()) subject = sb::subnetSubject("vpc1", "s1");
        nats::Message m = parseRecord(bytes, subject);
        (void)bus.publish(subject, m.data, m.headers);
        break;
      }
      default: {  // a GoalState that came over gRPC (--southbound=auto), with an epoch
        schema::GoalStateV2 gs;
        if (gs.ParseFromString(bytes)) (void)subscriber.applyUnicast(std::move(gs), "e1");
        break;
      }
    }
  }
  subscriber.stop();
  return 0;
}
