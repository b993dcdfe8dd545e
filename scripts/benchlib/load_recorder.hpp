#pragma once

// The load client's bookkeeping: every request's outcome, the longest time without an answer,
// latency percentiles, the bodies seen and per-port figures, written as JSON at the end.

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace loadclient {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

struct RecorderSettings {
  int period_ms = 10;
  int timeout_ms = 2000;
  std::string seen_dir;  // the first time a body is seen, <seen_dir>/<body> gets the time (Unix ms)
  std::string log;       // one line per request, when set
};

struct Outcome {
  std::uint64_t tick = 0;
  std::uint16_t port = 0;
  Clock::time_point start;
  Clock::time_point end;
  bool ok = false;
  std::string body;
  std::string error;
};

struct PortStats {
  std::uint64_t requests = 0;
  std::uint64_t ok = 0;
  std::uint64_t failed = 0;
  std::optional<Clock::time_point> first_ok;
  std::optional<Clock::time_point> last_ok;
  std::uint64_t failed_since_first_ok = 0;  // provisional: failures after the first answer
  std::uint64_t failed_between = 0;         // failures between the first and the last answer
};

struct BodyStats {
  std::uint64_t count = 0;
  Clock::time_point first;
  Clock::time_point last;
};

inline std::int64_t unix_ms(Clock::time_point t, Clock::time_point mono_ref, std::int64_t unix_ref_ms) {
  return unix_ref_ms +
         static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t - mono_ref).count());
}

inline std::string json_escape(const std::string& s) {
  std::string out;
  for (const char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

inline double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(rank, v.size() - 1)];
}

class Recorder {
 public:
  Recorder(const RecorderSettings& o, Clock::time_point mono_ref, std::int64_t unix_ref)
      : options_(o), mono_ref_(mono_ref), unix_ref_(unix_ref) {
    if (!o.log.empty()) {
      log_ = std::fopen(o.log.c_str(), "w");
    }
  }
  ~Recorder() {
    if (log_ != nullptr) {
      std::fclose(log_);
    }
  }
  Recorder(const Recorder&) = delete;
  Recorder& operator=(const Recorder&) = delete;

  void add(const Outcome& o) {
    ++requests_;
    auto& ps = ports_[o.port];
    ++ps.requests;
    if (o.ok) {
      ++ok_;
      ++ps.ok;
      if (!ps.first_ok) {
        ps.first_ok = o.end;
      }
      ps.failed_between = ps.failed_since_first_ok;
      ps.last_ok = o.end;
      latencies_.push_back(Ms(o.end - o.start).count());
      answered_ticks_.push_back(o.tick);
      ok_times_.push_back(o.end);
      auto [it, fresh] = bodies_.try_emplace(o.body);
      if (fresh) {
        it->second.first = o.end;
        if (!options_.seen_dir.empty()) {
          mark_seen(o.body, o.end);
        }
      }
      ++it->second.count;
      it->second.last = o.end;
    } else {
      ++failed_;
      ++ps.failed;
      if (ps.first_ok) {
        ++ps.failed_since_first_ok;
      }
      ++errors_[o.error];
    }
    if (log_ != nullptr) {
      std::fprintf(log_, "%lld\t%llu\t%u\t%s\t%.3f\t%s\n",
                   static_cast<long long>(unix_ms(o.start, mono_ref_, unix_ref_)),
                   static_cast<unsigned long long>(o.tick), o.port, o.ok ? "ok" : "fail", Ms(o.end - o.start).count(),
                   o.ok ? o.body.c_str() : o.error.c_str());
    }
  }

  std::string to_json(std::uint64_t ticks, Clock::time_point start, Clock::time_point end) const {
    // Ticks nobody answered, and the longest time without any answer.
    std::vector<std::uint64_t> answered = answered_ticks_;
    std::sort(answered.begin(), answered.end());
    answered.erase(std::unique(answered.begin(), answered.end()), answered.end());
    std::vector<Clock::time_point> oks = ok_times_;
    std::sort(oks.begin(), oks.end());
    double longest = 0;
    Clock::time_point prev = start;
    Clock::time_point gap_from = start;
    Clock::time_point gap_to = start;
    for (const auto& t : oks) {
      if (Ms(t - prev).count() > longest) {
        longest = Ms(t - prev).count();
        gap_from = prev;
        gap_to = t;
      }
      prev = t;
    }
    if (Ms(end - prev).count() > longest) {
      longest = Ms(end - prev).count();
      gap_from = prev;
      gap_to = end;
    }
    std::ostringstream j;
    j.setf(std::ios::fixed);
    j.precision(3);
    j << "{\n";
    j << "  \"period_ms\": " << options_.period_ms << ",\n";
    j << "  \"timeout_ms\": " << options_.timeout_ms << ",\n";
    j << "  \"started_unix_ms\": " << unix_ms(start, mono_ref_, unix_ref_) << ",\n";
    j << "  \"ended_unix_ms\": " << unix_ms(end, mono_ref_, unix_ref_) << ",\n";
    j << "  \"duration_ms\": " << Ms(end - start).count() << ",\n";
    j << "  \"ticks\": " << ticks << ",\n";
    j << "  \"unanswered_ticks\": " << (ticks - answered.size()) << ",\n";
    j << "  \"requests\": " << requests_ << ",\n";
    j << "  \"ok\": " << ok_ << ",\n";
    j << "  \"failed\": " << failed_ << ",\n";
    j << "  \"longest_gap_ms\": " << longest << ",\n";
    j << "  \"longest_gap_from_unix_ms\": " << unix_ms(gap_from, mono_ref_, unix_ref_) << ",\n";
    j << "  \"longest_gap_to_unix_ms\": " << unix_ms(gap_to, mono_ref_, unix_ref_) << ",\n";
    j << "  \"latency_ms\": {\"p50\": " << percentile(latencies_, 50) << ", \"p90\": " << percentile(latencies_, 90)
      << ", \"p99\": " << percentile(latencies_, 99) << ", \"max\": " << percentile(latencies_, 100) << "},\n";
    j << "  \"errors\": {";
    bool first = true;
    for (const auto& [e, n] : errors_) {
      j << (first ? "" : ", ") << "\"" << json_escape(e) << "\": " << n;
      first = false;
    }
    j << "},\n";
    j << "  \"bodies\": {";
    first = true;
    for (const auto& [b, s] : bodies_) {
      j << (first ? "\n" : ",\n") << "    \"" << json_escape(b) << "\": {\"count\": " << s.count
        << ", \"first_unix_ms\": " << unix_ms(s.first, mono_ref_, unix_ref_)
        << ", \"last_unix_ms\": " << unix_ms(s.last, mono_ref_, unix_ref_) << "}";
      first = false;
    }
    j << (first ? "" : "\n  ") << "},\n";
    j << "  \"ports\": {";
    first = true;
    for (const auto& [p, s] : ports_) {
      j << (first ? "\n" : ",\n") << "    \"" << p << "\": {\"requests\": " << s.requests << ", \"ok\": " << s.ok
        << ", \"failed\": " << s.failed << ", \"failed_between_first_and_last_ok\": " << s.failed_between;
      if (s.first_ok) {
        j << ", \"first_ok_unix_ms\": " << unix_ms(*s.first_ok, mono_ref_, unix_ref_)
          << ", \"last_ok_unix_ms\": " << unix_ms(*s.last_ok, mono_ref_, unix_ref_);
      }
      j << "}";
      first = false;
    }
    j << (first ? "" : "\n  ") << "}\n}\n";
    return j.str();
  }

 private:
  void mark_seen(const std::string& body, Clock::time_point t) const {
    std::string name;
    for (const char c : body.substr(0, 64)) {
      name += (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' || c == '_') ? c : '_';
    }
    if (name.empty() || name[0] == '.') {
      name = "_" + name;
    }
    const std::string path = options_.seen_dir + "/" + name;
    const std::string tmp = path + ".tmp";
    if (FILE* f = std::fopen(tmp.c_str(), "w")) {
      std::fprintf(f, "%lld\n", static_cast<long long>(unix_ms(t, mono_ref_, unix_ref_)));
      std::fclose(f);
      std::rename(tmp.c_str(), path.c_str());
    }
  }

  const RecorderSettings& options_;
  Clock::time_point mono_ref_;
  std::int64_t unix_ref_;
  FILE* log_ = nullptr;
  std::uint64_t requests_ = 0;
  std::uint64_t ok_ = 0;
  std::uint64_t failed_ = 0;
  std::vector<double> latencies_;
  std::vector<std::uint64_t> answered_ticks_;
  std::vector<Clock::time_point> ok_times_;
  std::map<std::uint16_t, PortStats> ports_;
  std::map<std::string, BodyStats> bodies_;
  std::map<std::string, std::uint64_t> errors_;
};

}  // namespace loadclient
