// OpenFlow error type/code pairs as the names OVS prints (OFPBAC_BAD_OUT_PORT ...).

#include <cstdio>
#include <string>
#include <vector>

#include "lib/openflow/messages.h"

namespace alcor::openflow {
namespace {

struct ErrorType {
  uint16_t type;
  const char* prefix;
  std::vector<const char*> codes;
};

const std::vector<ErrorType>& errorTypes() {
  static const std::vector<ErrorType> kTypes = {
      {0, "OFPHFC_", {"INCOMPATIBLE", "EPERM"}},
      {1,
       "OFPBRC_",
       {"BAD_VERSION", "BAD_TYPE", "BAD_MULTIPART", "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "EPERM",
        "BAD_LEN", "BUFFER_EMPTY", "BUFFER_UNKNOWN", "BAD_TABLE_ID", "IS_SLAVE", "BAD_PORT",
        "BAD_PACKET", "MULTIPART_BUFFER_OVERFLOW", "MULTIPART_REQUEST_TIMEOUT",
        "MULTIPART_REPLY_TIMEOUT"}},
      {2,
       "OFPBAC_",
       {"BAD_TYPE", "BAD_LEN", "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "BAD_OUT_PORT", "BAD_ARGUMENT",
        "EPERM", "TOO_MANY", "BAD_QUEUE", "BAD_OUT_GROUP", "MATCH_INCONSISTENT",
        "UNSUPPORTED_ORDER", "BAD_TAG", "BAD_SET_TYPE", "BAD_SET_LEN", "BAD_SET_ARGUMENT"}},
      {3,
       "OFPBIC_",
       {"UNKNOWN_INST", "UNSUP_INST", "BAD_TABLE_ID", "UNSUP_METADATA", "UNSUP_METADATA_MASK",
        "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "BAD_LEN", "EPERM", "DUP_INST"}},
      {4,
       "OFPBMC_",
       {"BAD_TYPE", "BAD_LEN", "BAD_TAG", "BAD_DL_ADDR_MASK", "BAD_NW_ADDR_MASK", "BAD_WILDCARDS",
        "BAD_FIELD", "BAD_VALUE", "BAD_MASK", "BAD_PREREQ", "DUP_FIELD", "EPERM"}},
      {5,
       "OFPFMFC_",
       {"UNKNOWN", "TABLE_FULL", "BAD_TABLE_ID", "OVERLAP", "EPERM", "BAD_TIMEOUT", "BAD_COMMAND",
        "BAD_FLAGS"}},
      {6,
       "OFPGMFC_",
       {"GROUP_EXISTS", "INVALID_GROUP", "WEIGHT_UNSUPPORTED", "OUT_OF_GROUPS", "OUT_OF_BUCKETS",
        "CHAINING_UNSUPPORTED", "WATCH_UNSUPPORTED", "LOOP", "UNKNOWN_GROUP", "CHAINED_GROUP",
        "BAD_TYPE", "BAD_COMMAND", "BAD_BUCKET", "BAD_WATCH", "EPERM"}},
      {7, "OFPPMFC_", {"BAD_PORT", "BAD_HW_ADDR", "BAD_CONFIG", "BAD_ADVERTISE", "EPERM"}},
      {8, "OFPTMFC_", {"BAD_TABLE", "BAD_CONFIG", "EPERM"}},
      {10, "OFPSCFC_", {"BAD_FLAGS", "BAD_LEN", "EPERM"}},
      {11, "OFPRRFC_", {"STALE", "UNSUP", "BAD_ROLE"}},
      {17,
       "OFPBFC_",
       {"UNKNOWN", "EPERM", "BAD_ID", "BUNDLE_EXIST", "BUNDLE_CLOSED", "OUT_OF_BUNDLES", "BAD_TYPE",
        "BAD_FLAGS", "MSG_BAD_LEN", "MSG_BAD_XID", "MSG_UNSUP", "MSG_CONFLICT", "MSG_TOO_MANY",
        "MSG_FAILED", "TIMEOUT", "BUNDLE_IN_PROGRESS"}},
  };
  return kTypes;
}

}  // namespace

std::string errorText(const Error& error) {
  char buf[96];
  if (error.type == 0xffff) {
    snprintf(buf, sizeof buf, "experimenter error (experimenter 0x%08x, code %u)",
             error.experimenter, error.code);
    return buf;
  }
  for (const auto& t : errorTypes()) {
    if (t.type == error.type && error.code < t.codes.size()) {
      snprintf(buf, sizeof buf, "%s%s (type %u, code %u)", t.prefix, t.codes[error.code],
               error.type, error.code);
      return buf;
    }
  }
  snprintf(buf, sizeof buf, "OpenFlow error type %u code %u", error.type, error.code);
  return buf;
}

}  // namespace alcor::openflow
