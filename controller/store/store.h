#pragma once

// Durable storage of the controller's resources. Each resource is stored whole, as its JSON, by
// kind and id; a batch of mutations commits atomically (a bulk port create is all or nothing).
// Allocations (IPs, MACs, VNIs) are not stored separately: they are fields of the resources.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/base/status.h"

namespace alcor::controller {

enum class Kind { kNode, kVpc, kSubnet, kPort, kSecurityGroup, kRouter, kGateway };
const char* kindName(Kind kind);  // also the table name

struct StoredRecord {
  std::string id;
  std::string body;  // JSON
};

struct Mutation {
  Kind kind;
  std::string id;
  std::optional<std::string> body;  // nullopt: delete

  static Mutation put(Kind k, std::string id, std::string body) {
    return {k, std::move(id), std::move(body)};
  }
  static Mutation erase(Kind k, std::string id) { return {k, std::move(id), std::nullopt}; }
};

class Store {
 public:
  virtual ~Store() = default;
  // All or nothing.
  virtual Status apply(const std::vector<Mutation>& batch) = 0;
  // In insertion order.
  virtual StatusOr<std::vector<StoredRecord>> loadAll(Kind kind) = 0;
  virtual int schemaVersion() const = 0;
};

using StorePtr = std::unique_ptr<Store>;

}  // namespace alcor::controller
