#include "state/store.hpp"

#include "state/durable_file.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iterator>

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
  images_.clear();
  // Each file is a JSON array; one that is not is set aside and reported.
  const auto each_item = [this](const std::string& name, const std::function<void(const json&)>& take) {
    const std::string path = dir_ + "/" + name;
    auto text = read_file(path);
    if (!text) {
      return;
    }
    auto j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
      set_aside(path, "not a JSON array");
      return;
    }
    for (const auto& item : j) {
      take(item);
    }
  };
  each_item("history.json", [this](const json& item) {
    if (auto e = history_entry_from_json(item)) {
      history_.push_back(std::move(*e));
    }
  });
  each_item("quarantine.json", [this](const json& item) {
    if (item.is_object()) {
      quarantine_.push_back(QuarantinedDigest{item.value("service", std::string()), item.value("digest", std::string()),
                                              item.value("reason", std::string()),
                                              item.value("at_ms", std::int64_t{0})});
    }
  });
  each_item("images.json", [this](const json& item) {
    if (item.is_object()) {
      images_.push_back(PulledImage{item.value("service", std::string()), item.value("image_id", std::string()),
                                    item.value("digest", std::string()), item.value("bytes", std::int64_t{0}),
                                    item.value("used_ms", std::int64_t{0})});
    }
  });
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

common::Status StateStore::save_images() const {
  json arr = json::array();
  for (const auto& i : images_) {
    arr.push_back(json{{"service", i.service},
                       {"image_id", i.image_id},
                       {"digest", i.digest},
                       {"bytes", i.bytes},
                       {"used_ms", i.used_ms}});
  }
  return write_file_atomically(dir_ + "/images.json", to_text(arr, 2) + "\n");
}

common::Status StateStore::record_pulled(const PulledImage& image) {
  for (auto& i : images_) {
    if (i.service == image.service && i.image_id == image.image_id) {
      i.bytes = image.bytes;
      return save_images();
    }
  }
  images_.push_back(image);
  return save_images();
}

common::Status StateStore::mark_used(const std::string& service, const std::string& image_id, std::int64_t at_ms) {
  for (auto& i : images_) {
    if (i.service == service && i.image_id == image_id) {
      i.used_ms = at_ms;
      return save_images();
    }
  }
  return {};
}

common::Status StateStore::forget_pulled(const std::string& service, const std::string& image_id) {
  const auto before = images_.size();
  std::erase_if(images_, [&](const auto& i) { return i.service == service && i.image_id == image_id; });
  return before == images_.size() ? common::Status{} : save_images();
}

std::vector<PulledImage> StateStore::pulled_images(const std::string& service) const {
  std::vector<PulledImage> out;
  std::copy_if(images_.begin(), images_.end(), std::back_inserter(out),
               [&](const auto& i) { return i.service == service; });
  return out;
}

std::vector<std::string> images_to_remove(std::vector<PulledImage> pulled, int keep, const std::string& running_id,
                                          const std::set<std::string>& in_use) {
  // Most recently used first; the running image ahead of all, whatever its record says.
  std::stable_sort(pulled.begin(), pulled.end(), [&](const PulledImage& a, const PulledImage& b) {
    const bool a_running = a.image_id == running_id;
    const bool b_running = b.image_id == running_id;
    if (a_running != b_running) return a_running;
    return a.used_ms > b.used_ms;
  });
  // Slots: the running version always has one, even when berth did not pull it.
  std::size_t kept = 0;
  const bool running_pulled =
      std::any_of(pulled.begin(), pulled.end(), [&](const auto& p) { return p.image_id == running_id; });
  if (!running_pulled && !running_id.empty()) {
    kept = 1;
  }
  std::vector<std::string> out;
  for (const auto& p : pulled) {
    if (kept < static_cast<std::size_t>(std::max(keep, 1))) {
      ++kept;
      continue;
    }
    if (in_use.count(p.image_id) == 0 && p.image_id != running_id) {
      out.push_back(p.image_id);
    }
  }
  return out;
}

}  // namespace berth::state
