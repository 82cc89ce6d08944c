#include "controller/dpm/goalstate_pusher.h"

#include <google/protobuf/arena.h>

#include "alcor/goalstateprovisioner.pb.h"

namespace alcor::controller {

StatusOr<PushReply> readPushReply(std::string_view bytes) {
  google::protobuf::Arena arena;
  auto* reply = google::protobuf::Arena::CreateMessage<schema::GoalStateOperationReply>(&arena);
  if (!reply->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return internalError("the reply is not a GoalStateOperationReply");
  }
  PushReply out;
  for (const auto& st : reply->operation_statuses()) {
    if (st.operation_status() == schema::SUCCESS) {
      if (st.resource_type() == schema::PORT &&
          (st.operation_type() == schema::CREATE || st.operation_type() == schema::UPDATE)) {
        out.acknowledged_ports.push_back(st.resource_id());
      }
    } else if (st.operation_status() == schema::FAILURE ||
               st.operation_status() == schema::INVALID_ARG) {
      out.failures.push_back(schema::ResourceType_Name(st.resource_type()) + " " +
                             st.resource_id() + ": " +
                             schema::OperationStatus_Name(st.operation_status()));
    }
  }
  return out;
}

}  // namespace alcor::controller
