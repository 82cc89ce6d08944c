#pragma once

// In-memory nats::MessageBus: a publish reaches every matching subscription of this bus at once,
// on the publisher's thread, in subscription order; a request is a publish with a reply subject
// whose first answer is returned. Records what was published. For unit tests and fuzzers that
// need no broker (tests/harness/nats_cluster.h runs a real one).

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "lib/nats/message_bus.h"

namespace alcor::testing {

class FakeMessageBus : public nats::MessageBus {
 public:
  Status publish(const std::string& subject, std::string_view data,
                 const nats::Headers& headers = {}) override {
    if (!nats::validSubject(subject)) return invalidArgumentError("bad subject " + subject);
    deliver({subject, "", std::string(data), headers});
    return okStatus();
  }

  StatusOr<nats::Message> request(const std::string& subject, std::string_view data,
                                  const nats::Headers& headers,
                                  std::chrono::milliseconds) override {
    if (!nats::validSubject(subject)) return invalidArgumentError("bad subject " + subject);
    std::string inbox;
    {
      std::lock_guard lock(mu_);
      inbox = "_INBOX.fake." + std::to_string(++inboxes_);
      answers_[inbox];
    }
    if (deliver({subject, inbox, std::string(data), headers}) == 0) {
      std::lock_guard lock(mu_);
      answers_.erase(inbox);
      return unavailableError("no responders on " + subject);
    }
    std::lock_guard lock(mu_);
    auto answer = std::move(answers_[inbox]);
    answers_.erase(inbox);
    if (!answer) return deadlineExceededError("no answer on " + subject);
    return *answer;
  }

  StatusOr<nats::SubscriptionPtr> subscribe(const std::string& subject,
                                            nats::MessageHandler handler) override {
    std::lock_guard lock(mu_);
    auto entry = std::make_shared<Entry>(Entry{subject, std::move(handler), true});
    subscriptions_.push_back(entry);
    return nats::SubscriptionPtr(new Sub(entry));
  }

  Status flush(std::chrono::milliseconds) override { return okStatus(); }

  void setReconnectHandler(std::function<void()> handler) override {
    std::lock_guard lock(mu_);
    on_reconnect_ = std::move(handler);
  }
  // As if the connection dropped and came back: calls the reconnect handler.
  void reconnect() {
    std::function<void()> handler;
    {
      std::lock_guard lock(mu_);
      handler = on_reconnect_;
    }
    if (handler) handler();
  }

  // Everything published (requests and answers included), oldest first.
  std::vector<nats::Message> published() const {
    std::lock_guard lock(mu_);
    return published_;
  }
  // Subjects with a live subscription.
  std::vector<std::string> subscribedSubjects() const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : subscriptions_) {
      if (e->live) out.push_back(e->subject);
    }
    return out;
  }

 private:
  struct Entry {
    std::string subject;
    nats::MessageHandler handler;
    bool live;
  };
  class Sub : public nats::Subscription {
   public:
    explicit Sub(std::shared_ptr<Entry> e) : entry_(std::move(e)) {}
    ~Sub() override { unsubscribe(); }
    void unsubscribe() override { entry_->live = false; }

   private:
    std::shared_ptr<Entry> entry_;
  };

  // Hands `m` to every live matching subscription; returns how many took it.
  size_t deliver(const nats::Message& m) {
    std::vector<std::shared_ptr<Entry>> targets;
    {
      std::lock_guard lock(mu_);
      published_.push_back(m);
      auto answer = answers_.find(m.subject);
      if (answer != answers_.end()) {
        if (!answer->second) answer->second = m;
        return 1;
      }
      for (const auto& e : subscriptions_) {
        if (e->live && nats::subjectMatches(e->subject, m.subject)) targets.push_back(e);
      }
    }
    // Handlers run without the lock: they publish (answers, notices) on this bus.
    for (const auto& e : targets) {
      if (e->live) e->handler(m);
    }
    return targets.size();
  }

  mutable std::mutex mu_;
  std::function<void()> on_reconnect_;
  std::vector<std::shared_ptr<Entry>> subscriptions_;
  std::map<std::string, std::optional<nats::Message>> answers_;
  std::vector<nats::Message> published_;
  uint64_t inboxes_ = 0;
};

}  // namespace alcor::testing
