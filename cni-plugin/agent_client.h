#pragma once

// The plugin's only dependency: one gRPC call to the agent over its unix socket.

#include <chrono>
#include <string>

#include "cni/v1/cni.pb.h"
#include "lib/cni/types.h"

namespace alcor::cni {

struct AgentCall {
  Command command;
  std::string socket_path;
  std::chrono::seconds timeout;
  v1::CniCmdRequest request;
};

struct AgentReply {
  std::string result;  // raw CNI result bytes (ADD)
  CniError error;      // code kOk on success
};

// Sends the request. Transport failures map to CNI codes: agent unreachable or too slow ->
// TRY_AGAIN_LATER (11), or PLUGIN_NOT_AVAILABLE (50) for STATUS; an agent too old for this call
// -> INCOMPATIBLE_API_VERSION (202); anything else -> UNKNOWN_RPC_ERROR (201).
AgentReply callAgent(const AgentCall& call);

}  // namespace alcor::cni
