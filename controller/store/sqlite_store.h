#pragma once

// Store on SQLite: WAL journal, synchronous=NORMAL (a crash may lose the last commits but never
// corrupts), a schema_version table checked at open. ":memory:" gives a private in-memory
// database for tests.

#include <mutex>

#include "controller/store/store.h"

struct sqlite3;

namespace alcor::controller {

class SqliteStore : public Store {
 public:
  static constexpr int kSchemaVersion = 1;

  static StatusOr<std::unique_ptr<SqliteStore>> open(const std::string& path);
  ~SqliteStore() override;

  Status apply(const std::vector<Mutation>& batch) override;
  StatusOr<std::vector<StoredRecord>> loadAll(Kind kind) override;
  int schemaVersion() const override { return kSchemaVersion; }

 private:
  explicit SqliteStore(sqlite3* db) : db_(db) {}
  Status exec(const std::string& sql);
  Status migrate();

  std::mutex mu_;
  sqlite3* db_;
};

}  // namespace alcor::controller
