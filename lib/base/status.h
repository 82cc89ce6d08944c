#pragma once

// Status values cross module boundaries; exceptions never do. A small project type rather than
// abseil's: Debian's abseil has its own absl::string_view, which does not mix with
// std::string_view.
//
//   Status doThing();                       // okStatus() or e.g. invalidArgumentError("...")
//   StatusOr<Port> findPort(std::string id);
//   RETURN_IF_ERROR(doThing());
//   ASSIGN_OR_RETURN(Port p, findPort(id));

#include <cassert>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <variant>

namespace alcor {

// Same numbering as gRPC/abseil codes, so mapping to grpc::StatusCode is a cast.
enum class StatusCode {
  kOk = 0,
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

const char* statusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string toString() const;  // "INVALID_ARGUMENT: bad CIDR" or "OK"
  // Returns a copy with "context: " in front of the message (no-op when OK).
  Status withContext(const std::string& context) const;

  bool operator==(const Status& o) const = default;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline std::ostream& operator<<(std::ostream& os, const Status& s) { return os << s.toString(); }

inline Status okStatus() { return Status(); }
inline Status cancelledError(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status unknownError(std::string m) { return {StatusCode::kUnknown, std::move(m)}; }
inline Status invalidArgumentError(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status deadlineExceededError(std::string m) {
  return {StatusCode::kDeadlineExceeded, std::move(m)};
}
inline Status notFoundError(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status alreadyExistsError(std::string m) {
  return {StatusCode::kAlreadyExists, std::move(m)};
}
inline Status resourceExhaustedError(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
inline Status failedPreconditionError(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status abortedError(std::string m) { return {StatusCode::kAborted, std::move(m)}; }
inline Status outOfRangeError(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status unimplementedError(std::string m) {
  return {StatusCode::kUnimplemented, std::move(m)};
}
inline Status internalError(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status unavailableError(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status dataLossError(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status permissionDeniedError(std::string m) {
  return {StatusCode::kPermissionDenied, std::move(m)};
}
inline Status unauthenticatedError(std::string m) {
  return {StatusCode::kUnauthenticated, std::move(m)};
}

// Either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(const T& value) : value_(value) {}             // NOLINT(implicit)
  StatusOr(T&& value) : value_(std::move(value)) {}       // NOLINT(implicit)
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT(implicit)
    if (status_.ok()) status_ = internalError("StatusOr constructed from an OK status");
  }
  template <typename U, typename = std::enable_if_t<std::is_constructible_v<T, U&&> &&
                                                    !std::is_same_v<std::decay_t<U>, Status> &&
                                                    !std::is_same_v<std::decay_t<U>, StatusOr<T>>>>
  StatusOr(U&& value) : value_(T(std::forward<U>(value))) {}  // NOLINT(implicit)

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T valueOr(T fallback) const { return ok() ? *value_ : std::move(fallback); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;  // OK when value_ is set
  std::optional<T> value_;
};

}  // namespace alcor

#define ALCOR_STATUS_CONCAT_INNER(a, b) a##b
#define ALCOR_STATUS_CONCAT(a, b) ALCOR_STATUS_CONCAT_INNER(a, b)

// Returns from the current function when `expr` (a Status) is not OK.
#define RETURN_IF_ERROR(expr)                      \
  do {                                             \
    ::alcor::Status alcor_status_ = (expr);        \
    if (!alcor_status_.ok()) return alcor_status_; \
  } while (0)

// ASSIGN_OR_RETURN(auto x, FunctionReturningStatusOr());
#define ASSIGN_OR_RETURN(lhs, expr) \
  ALCOR_ASSIGN_OR_RETURN_IMPL(ALCOR_STATUS_CONCAT(alcor_statusor_, __LINE__), lhs, expr)
#define ALCOR_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
