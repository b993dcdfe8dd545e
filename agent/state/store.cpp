#include "state/store.hpp"

#include "state/durable_file.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>

namespace berth::state {

using common::ErrorKind;
using nlohmann::json;

namespace {

std::optional<HistoryEntry> history_entry_from_json(const json& j) {
  if (!j.is_object() || !j.contains("id") || !j["id"].is_string()) {
    return std::nullopt;
  }
  HistoryEntry e;
  e.id = j.value("id", std::string());
  e.service = j.value("service", std::string());
  e.image = j.value("image", std::string());
  e.from_digest = j.value("from_digest", std::string());
  e.to_digest = j.value("to_digest", std::string());
  e.strategy = j.value("strategy", std::string());
  e.started_ms = j.value("started_ms", std::int64_t{0});
  e.ended_ms = j.value("ended_ms", std::int64_t{0});
  e.result = j.value("result", std::string());
  e.reason = j.value("reason", std::string());
  return e;
}

// Keeps an unreadable state file for a human instead of overwriting it.
void set_aside(const std::string& path, const std::string& why) {
  const std::string aside = path + ".corrupt";
  std::rename(path.c_str(), aside.c_str());
  spdlog::error("state file {} is unreadable ({}); kept as {}", path, why, aside);
}

// Text fields reach the state files already printable (common::printable_text where outside bytes
// enter); should one slip through, it is written with U+FFFD rather than stopping the daemon.
std::string to_text(const json& j, int indent) { return j.dump(indent, ' ', false, json::error_handler_t::replace); }

}  // namespace

json to_json(const HistoryEntry& e) {
  return json{{"id", e.id},
              {"service", e.service},
              {"image", e.image},
              {"from_digest", e.from_digest},
              {"to_digest", e.to_digest},
              {"strategy", e.strategy},
              {"started_ms", e.started_ms},
              {"ended_ms", e.ended_ms},
              {"result", e.result},
              {"reason", e.reason}};
}

HistoryEntry history_entry_of(const swap::SwapRecord& r) {
  return HistoryEntry{r.id,          r.service,   r.image_ref,
                      r.from_digest, r.to_digest, std::string(swap::to_string(r.strategy)),
                      r.started_ms,  r.ended_ms,  std::string(swap::to_string(r.outcome)),
                      r.reason};
}

StateStore::StateStore(std::string dir, std::size_t history_limit)
    : dir_(std::move(dir)), history_limit_(history_limit) {}

namespace {

// What a kill in the middle of an atomic write leaves: `<file>.tmp.<pid>.<random>`, never renamed into
// place. Only berth writes here, and only one berth runs, so at start none of them is in use.
void remove_unfinished_writes(const std::string& dir) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.find(".tmp.") != std::string::npos && entry.is_regular_file(ec)) {
      spdlog::info("state: removing {}, left by a write that did not finish", entry.path().string());
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

}  // namespace

common::Status StateStore::open() {
  auto st = make_directories(dir_ + "/swaps", 0700);
  if (!st) {
    return st;
  }
  remove_unfinished_writes(dir_);
  remove_unfinished_writes(dir_ + "/swaps");
  load();
  return {};
}

void StateStore::load() {
  history_.clear();
  quarantine_.clear();
  const std::string hpath = dir_ + "/history.json";
  if (auto text = read_file(hpath); text) {
    auto j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
      set_aside(hpath, "not a JSON array");
    } else {
      for (const auto& item : j) {
        if (auto e = history_entry_from_json(item)) {
          history_.push_back(std::move(*e));
        }
      }
    }
  }
  const std::string qpath = dir_ + "/quarantine.json";
  if (auto text = read_file(qpath); text) {
    auto j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
      set_aside(qpath, "not a JSON array");
    } else {
      for (const auto& item : j) {
        if (item.is_object()) {
          quarantine_.push_back(
              QuarantinedDigest{item.value("service", std::string()), item.value("digest", std::string()),
                                item.value("reason", std::string()), item.value("at_ms", std::int64_t{0})});
        }
      }
    }
  }
}

std::string StateStore::swap_path(const std::string& service) const { return dir_ + "/swaps/" + service + ".json"; }

common::Status StateStore::save_swap(const swap::SwapRecord& r) {
  return write_file_atomically(swap_path(r.service), to_text(swap::to_json(r), 2) + "\n");
}

common::Status StateStore::remove_swap(const std::string& service) {
  std::error_code ec;
  std::filesystem::remove(swap_path(service), ec);
  if (ec) {
    return common::make_error(ErrorKind::kInternal, "remove " + swap_path(service) + ": " + ec.message());
  }
  return {};
}

std::vector<swap::SwapRecord> StateStore::swaps_in_flight(std::vector<std::string>* problems) {
  std::vector<swap::SwapRecord> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ + "/swaps", ec)) {
    const std::string path = entry.path().string();
    if (entry.path().extension() != ".json") {
      continue;
    }
    auto text = read_file(path);
    std::string problem;
    std::optional<swap::SwapRecord> r;
    if (!text) {
      problem = text.error().message;
    } else {
      auto j = json::parse(*text, nullptr, false);
      r = j.is_discarded() ? std::nullopt : swap::swap_record_from_json(j, &problem);
      if (j.is_discarded()) {
        problem = "not JSON";
      }
    }
    if (!r) {
      if (problems != nullptr) {
        problems->push_back(path + ": " + problem);
      }
      set_aside(path, problem);
      continue;
    }
    out.push_back(std::move(*r));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.started_ms < b.started_ms; });
  return out;
}

common::Status StateStore::append_history(const HistoryEntry& e) {
  history_.push_back(e);
  if (history_.size() > history_limit_) {
    history_.erase(history_.begin(), history_.begin() + static_cast<std::ptrdiff_t>(history_.size() - history_limit_));
  }
  json arr = json::array();
  for (const auto& h : history_) {
    arr.push_back(to_json(h));
  }
  return write_file_atomically(dir_ + "/history.json", to_text(arr, -1) + "\n");
}

std::vector<HistoryEntry> StateStore::history(const std::string& service, std::size_t limit) const {
  std::vector<HistoryEntry> out;
  for (auto it = history_.rbegin(); it != history_.rend() && out.size() < limit; ++it) {
    if (service.empty() || it->service == service) {
      out.push_back(*it);
    }
  }
  return out;
}

common::Status StateStore::save_quarantine() const {
  json arr = json::array();
  for (const auto& q : quarantine_) {
    arr.push_back(json{{"service", q.service}, {"digest", q.digest}, {"reason", q.reason}, {"at_ms", q.at_ms}});
  }
  return write_file_atomically(dir_ + "/quarantine.json", to_text(arr, 2) + "\n");
}

common::Status StateStore::quarantine(const QuarantinedDigest& q) {
  if (is_quarantined(q.service, q.digest)) {
    return {};
  }
  quarantine_.push_back(q);
  return save_quarantine();
}

common::Status StateStore::release(const std::string& service, const std::string& digest) {
  const auto before = quarantine_.size();
  std::erase_if(quarantine_, [&](const auto& q) { return q.service == service && q.digest == digest; });
  return before == quarantine_.size() ? common::Status{} : save_quarantine();
}

bool StateStore::is_quarantined(const std::string& service, const std::string& digest) const {
  return std::any_of(quarantine_.begin(), quarantine_.end(),
                     [&](const auto& q) { return q.service == service && q.digest == digest; });
}

std::vector<QuarantinedDigest> StateStore::quarantined() const { return quarantine_; }

}  // namespace berth::state
