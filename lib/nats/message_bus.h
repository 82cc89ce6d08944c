#pragma once

// A message bus in the NATS model: subjects of dot-separated tokens, `*` and `>` wildcards in
// subscriptions, optional headers, request/reply through a reply subject. NatsConnection
// (nats_connection.h) is the implementation over libnats; tests/fakes/fake_message_bus.h is an
// in-memory one. Generic: nothing here knows about Alcor.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/base/status.h"

namespace alcor::nats {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Message {
  std::string subject;
  std::string reply;  // where to answer (requests); empty otherwise
  std::string data;
  Headers headers;
  // The first value of header `key`, or empty.
  std::string header(std::string_view key) const;
};

// Called for each message of a subscription. A bus delivers one subscription's messages in
// order, one at a time.
using MessageHandler = std::function<void(const Message&)>;

// Ends the subscription when destroyed (or on unsubscribe()); no handler call starts after, and
// one in progress on another thread is waited for (so do not hold a lock its handler takes).
class Subscription {
 public:
  virtual ~Subscription() = default;
  virtual void unsubscribe() = 0;
};
using SubscriptionPtr = std::unique_ptr<Subscription>;

class MessageBus {
 public:
  virtual ~MessageBus() = default;
  // Buffers the message for sending (never waits for the network; a disconnected bus keeps it
  // for after the reconnection, within its buffer). kInvalidArgument for a bad subject.
  virtual Status publish(const std::string& subject, std::string_view data,
                         const Headers& headers = {}) = 0;
  // Publishes with a fresh reply subject and waits for the first answer. kDeadlineExceeded
  // without one in time; kUnavailable when nobody subscribes to `subject`.
  virtual StatusOr<Message> request(const std::string& subject, std::string_view data,
                                    const Headers& headers, std::chrono::milliseconds timeout) = 0;
  virtual StatusOr<SubscriptionPtr> subscribe(const std::string& subject,
                                              MessageHandler handler) = 0;
  // Waits until the server has processed everything sent so far (subscriptions included).
  virtual Status flush(std::chrono::milliseconds timeout) = 0;
  // Called (on the bus's own thread) after each reconnection: whatever was published on the
  // subscribed subjects meanwhile is lost. One handler; an empty one removes it.
  virtual void setReconnectHandler(std::function<void()> handler) = 0;
};

// A subject for publishing: non-empty tokens separated by dots, no spaces or wildcards.
bool validSubject(std::string_view subject);
// Whether `pattern` (with `*` for one token, a final `>` for one or more) matches `subject`.
bool subjectMatches(std::string_view pattern, std::string_view subject);

}  // namespace alcor::nats
