#include "controller/store/sqlite_store.h"

#include <sqlite3.h>

#include "lib/base/logging.h"

namespace alcor::controller {

namespace {
constexpr Kind kAllKinds[] = {Kind::kNode,          Kind::kVpc,    Kind::kSubnet, Kind::kPort,
                              Kind::kSecurityGroup, Kind::kRouter, Kind::kGateway};

// Finalizes a statement on every path.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  ~Statement() { sqlite3_finalize(stmt); }
};
}  // namespace

const char* kindName(Kind kind) {
  switch (kind) {
    case Kind::kNode:
      return "nodes";
    case Kind::kVpc:
      return "vpcs";
    case Kind::kSubnet:
      return "subnets";
    case Kind::kPort:
      return "ports";
    case Kind::kSecurityGroup:
      return "security_groups";
    case Kind::kRouter:
      return "routers";
    case Kind::kGateway:
      return "gateways";
  }
  return "unknown";
}

StatusOr<std::unique_ptr<SqliteStore>> SqliteStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return unavailableError("open database " + path + ": " + msg);
  }
  std::unique_ptr<SqliteStore> store(new SqliteStore(db));
  if (path != ":memory:") {
    RETURN_IF_ERROR(store->exec("PRAGMA journal_mode=WAL").withContext(path));
  }
  RETURN_IF_ERROR(store->exec("PRAGMA synchronous=NORMAL"));
  RETURN_IF_ERROR(store->exec("PRAGMA busy_timeout=5000"));
  RETURN_IF_ERROR(store->migrate().withContext(path));
  ALOG(Info, Store) << "opened " << path << " (schema version " << kSchemaVersion << ")";
  return store;
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

Status SqliteStore::exec(const std::string& sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return internalError("sqlite: " + msg + " (in: " + sql.substr(0, 60) + ")");
  }
  return okStatus();
}

Status SqliteStore::migrate() {
  RETURN_IF_ERROR(exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"));
  int found = 0;
  {
    Statement s;
    sqlite3_prepare_v2(db_, "SELECT MAX(version) FROM schema_version", -1, &s.stmt, nullptr);
    if (s.stmt && sqlite3_step(s.stmt) == SQLITE_ROW) found = sqlite3_column_int(s.stmt, 0);
  }
  if (found > kSchemaVersion) {
    return failedPreconditionError("database schema version " + std::to_string(found) +
                                   " is newer than this controller's " +
                                   std::to_string(kSchemaVersion));
  }
  if (found == kSchemaVersion) return okStatus();
  // Version 0 -> 1: one table per kind; seq keeps insertion order for listings.
  RETURN_IF_ERROR(exec("BEGIN"));
  for (Kind k : kAllKinds) {
    Status st = exec(std::string("CREATE TABLE IF NOT EXISTS ") + kindName(k) +
                     " (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL UNIQUE, "
                     "body TEXT NOT NULL)");
    if (!st.ok()) {
      (void)exec("ROLLBACK");
      return st;
    }
  }
  Status st =
      exec("INSERT INTO schema_version (version) VALUES (" + std::to_string(kSchemaVersion) + ")");
  if (!st.ok()) {
    (void)exec("ROLLBACK");
    return st;
  }
  return exec("COMMIT");
}

Status SqliteStore::apply(const std::vector<Mutation>& batch) {
  if (batch.empty()) return okStatus();
  std::lock_guard lock(mu_);
  RETURN_IF_ERROR(exec("BEGIN IMMEDIATE"));
  for (const auto& m : batch) {
    // Upsert keeps the row's seq (listing order) on updates.
    std::string sql = m.body ? std::string("INSERT INTO ") + kindName(m.kind) +
                                   " (id, body) VALUES (?1, ?2) "
                                   "ON CONFLICT(id) DO UPDATE SET body = excluded.body"
                             : std::string("DELETE FROM ") + kindName(m.kind) + " WHERE id = ?1";
    Statement s;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &s.stmt, nullptr);
    if (rc == SQLITE_OK) {
      sqlite3_bind_text(s.stmt, 1, m.id.data(), static_cast<int>(m.id.size()), SQLITE_STATIC);
      if (m.body) {
        sqlite3_bind_text(s.stmt, 2, m.body->data(), static_cast<int>(m.body->size()),
                          SQLITE_STATIC);
      }
      rc = sqlite3_step(s.stmt);
    }
    if (rc != SQLITE_DONE) {
      std::string msg = sqlite3_errmsg(db_);
      (void)exec("ROLLBACK");
      return internalError(std::string("sqlite write to ") + kindName(m.kind) + ": " + msg);
    }
  }
  return exec("COMMIT");
}

StatusOr<std::vector<StoredRecord>> SqliteStore::loadAll(Kind kind) {
  std::lock_guard lock(mu_);
  Statement s;
  std::string sql = std::string("SELECT id, body FROM ") + kindName(kind) + " ORDER BY seq";
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &s.stmt, nullptr) != SQLITE_OK) {
    return internalError(std::string("sqlite read ") + kindName(kind) + ": " + sqlite3_errmsg(db_));
  }
  std::vector<StoredRecord> out;
  int rc;
  while ((rc = sqlite3_step(s.stmt)) == SQLITE_ROW) {
    auto text = [&](int col) {
      const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s.stmt, col));
      return std::string(p ? p : "", sqlite3_column_bytes(s.stmt, col));
    };
    out.push_back({text(0), text(1)});
  }
  if (rc != SQLITE_DONE) {
    return internalError(std::string("sqlite read ") + kindName(kind) + ": " + sqlite3_errmsg(db_));
  }
  return out;
}

}  // namespace alcor::controller
