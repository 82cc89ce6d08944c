#include "node-agent/cniserver/pending_releases.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "lib/base/json_util.h"
#include "lib/base/logging.h"

namespace alcor::agent {

PendingReleases::PendingReleases(std::string path) : path_(std::move(path)) {
  if (path_.empty()) return;
  std::ifstream in(path_);
  if (!in) return;
  std::stringstream text;
  text << in.rdbuf();
  auto doc = parseJson(text.str(), path_);
  if (!doc.ok() || !doc->is_array()) {
    ALOG(Warn, CniServer) << "ignoring unreadable " << path_;
    return;
  }
  for (const auto& e : *doc) {
    if (e.is_object() && e.value("port_id", "") != "") {
      entries_.insert({e.value("project", ""), e.value("port_id", "")});
    }
  }
}

void PendingReleases::add(const std::string& project, const std::string& port_id) {
  std::lock_guard<std::mutex> lock(mu_);
  entries_.insert({project, port_id});
  save();
}

void PendingReleases::remove(const std::string& project, const std::string& port_id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (entries_.erase({project, port_id})) save();
}

std::set<PendingReleases::Entry> PendingReleases::list() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_;
}

size_t PendingReleases::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return entries_.size();
}

void PendingReleases::save() const {
  if (path_.empty()) return;
  nlohmann::json doc = nlohmann::json::array();
  for (const auto& [project, port] : entries_) {
    doc.push_back({{"project", project}, {"port_id", port}});
  }
  // Write-then-rename so a crash never leaves half a file.
  std::string tmp = path_ + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << doc.dump();
    if (!out) {
      ALOG(Error, CniServer) << "cannot write " << tmp;
      return;
    }
  }
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    ALOG(Error, CniServer) << "cannot rename " << tmp << " to " << path_;
  }
}

}  // namespace alcor::agent
