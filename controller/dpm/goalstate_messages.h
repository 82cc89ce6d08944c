#pragma once

// Turns one host's queue of encoded states into the serialized messages that deliver it:
// - a later state of a resource (same type and key) replaces an earlier one;
// - the first message carries every state but neighbors; neighbors follow in messages of at
//   most `max_neighbors_per_message`, which the agent applies independently;
// - every message carries the VPC and subnet states its states need (their `context`), the
//   newest queued version of each;
// - v2 messages have exactly one host_resources key, the host IP, listing every state.
// States are copied into the messages as bytes (protobuf map and repeated fields concatenate on
// the wire); nothing is parsed or serialized again.

#include <string>
#include <vector>

#include "controller/dpm/encoded_state.h"

namespace alcor::controller {

// A message ready for the wire.
struct EncodedGoalState {
  int version = 2;  // 2: a GoalStateV2; 1: a GoalState (v1 lists)
  std::string bytes;
  size_t resources = 0;  // resource states in it
};

struct MessageOptions {
  int version = 2;
  size_t max_neighbors_per_message = 1000;
};

// The states of each message, context included, in sending order (encode each with
// encodeMessage when it is its turn, so only one is held serialized at a time).
std::vector<std::vector<const EncodedState*>> planMessages(const std::vector<StatePtr>& queue,
                                                           size_t max_neighbors_per_message);

// planMessages, then encodeMessage for each.
std::vector<EncodedGoalState> buildMessages(const std::string& host_ip,
                                            const std::vector<StatePtr>& queue,
                                            const MessageOptions& options);

// The queue without the states a later one replaces, in queue order.
std::vector<const EncodedState*> latestStates(const std::vector<StatePtr>& queue);

// Serializes exactly `states` (no context added) as one message, into `out` (its buffer is
// reused).
void encodeMessage(const std::string& host_ip, const std::vector<const EncodedState*>& states,
                   int version, EncodedGoalState& out);

}  // namespace alcor::controller
