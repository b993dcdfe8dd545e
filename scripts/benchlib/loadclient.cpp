// loadclient: the client of the swap benchmarks. Every period (10 ms by default) it sends one
// `GET PATH` over a new connection to 127.0.0.1 on each port it knows, without waiting for earlier
// answers (open loop, so a slow answer never hides the requests that would have followed it), and
// on SIGTERM or SIGINT writes what it saw as JSON.
//
//   loadclient (--port P | --ports-file FILE) [--period-ms 10] [--timeout-ms 2000] [--path /]
//              [--out FILE] [--seen-dir DIR] [--log FILE]
//
// --ports-file names a file of whitespace-separated ports, read again whenever it changes: a
// watcher adds the port of each new container, so a service that moves to a new host port (a
// start-first swap with dynamic ports) is followed. A tick counts as answered when any port
// answered it; the longest gap is the longest time without a successful answer on any port,
// counted from the start and up to the end of the run.
// --seen-dir: the first time a body is seen, DIR/<body> is written with the time (Unix ms).
//
// Only 127.0.0.1 is ever contacted.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using Ms = std::chrono::duration<double, std::milli>;

volatile std::sig_atomic_t g_stop = 0;
void on_signal(int) { g_stop = 1; }

struct Options {
  std::vector<std::uint16_t> ports;
  std::string ports_file;
  std::string path = "/";
  std::string out;
  std::string seen_dir;
  std::string log;
  int period_ms = 10;
  int timeout_ms = 2000;
};

enum class Stage { kConnecting, kSending, kReading };

struct Request {
  int fd = -1;
  std::uint16_t port = 0;
  std::uint64_t tick = 0;
  Clock::time_point start;
  Stage stage = Stage::kConnecting;
  std::string request_text;
  std::size_t sent = 0;
  std::string response;
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

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "loadclient: %s\nusage: loadclient (--port P | --ports-file FILE) [--period-ms 10] "
               "[--timeout-ms 2000] [--path /] [--out FILE] [--seen-dir DIR] [--log FILE]\n",
               why);
  std::exit(2);
}

std::uint16_t parse_port(const std::string& text) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || v < 1 || v > 65535) {
    usage(("not a port: " + text).c_str());
  }
  return static_cast<std::uint16_t>(v);
}

int parse_positive(const std::string& text) {
  char* end = nullptr;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (end == text.c_str() || *end != '\0' || v < 1 || v > 600000) {
    usage(("not a positive number: " + text).c_str());
  }
  return static_cast<int>(v);
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage((arg + " needs a value").c_str());
      }
      return argv[++i];
    };
    if (arg == "--port") {
      o.ports.push_back(parse_port(value()));
    } else if (arg == "--ports-file") {
      o.ports_file = value();
    } else if (arg == "--period-ms") {
      o.period_ms = parse_positive(value());
    } else if (arg == "--timeout-ms") {
      o.timeout_ms = parse_positive(value());
    } else if (arg == "--path") {
      o.path = value();
    } else if (arg == "--out") {
      o.out = value();
    } else if (arg == "--seen-dir") {
      o.seen_dir = value();
    } else if (arg == "--log") {
      o.log = value();
    } else {
      usage(("unknown argument " + arg).c_str());
    }
  }
  if (o.ports.empty() == o.ports_file.empty()) {
    usage("give --port or --ports-file");
  }
  return o;
}

// The ports listed in `file`, when it changed since `stamp`.
bool reload_ports(const std::string& file, std::int64_t& stamp, std::vector<std::uint16_t>& ports) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    return false;
  }
  const std::int64_t now_stamp =
      static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec + st.st_size;
  if (now_stamp == stamp) {
    return false;
  }
  stamp = now_stamp;
  std::ifstream in(file);
  std::vector<std::uint16_t> fresh;
  std::string word;
  while (in >> word) {
    char* end = nullptr;
    const long v = std::strtol(word.c_str(), &end, 10);
    if (*end == '\0' && v >= 1 && v <= 65535 &&
        std::find(fresh.begin(), fresh.end(), static_cast<std::uint16_t>(v)) == fresh.end()) {
      fresh.push_back(static_cast<std::uint16_t>(v));
    }
  }
  ports = std::move(fresh);
  return true;
}

std::int64_t unix_ms(Clock::time_point t, Clock::time_point mono_ref, std::int64_t unix_ref_ms) {
  return unix_ref_ms + static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(t - mono_ref).count());
}

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Starts a request; false (and an outcome) when the connection fails at once.
bool start_request(Request& r, const std::string& path) {
  r.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (r.fd < 0) {
    return false;
  }
  const int one = 1;
  ::setsockopt(r.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(r.port);
  r.request_text = "GET " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (::connect(r.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    r.stage = Stage::kSending;
    return true;
  }
  if (errno == EINPROGRESS) {
    r.stage = Stage::kConnecting;
    return true;
  }
  return false;
}

// The body of a 200 answer, or nothing.
std::optional<std::string> body_of_ok(const std::string& raw) {
  if (raw.size() < 12 || raw.compare(0, 7, "HTTP/1.") != 0 || raw.compare(9, 3, "200") != 0) {
    return std::nullopt;
  }
  const auto at = raw.find("\r\n\r\n");
  if (at == std::string::npos) {
    return std::nullopt;
  }
  std::string body = raw.substr(at + 4);
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) {
    body.pop_back();
  }
  return body;
}

std::string json_escape(const std::string& s) {
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

double percentile(std::vector<double> v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(rank, v.size() - 1)];
}

class Recorder {
 public:
  Recorder(const Options& o, Clock::time_point mono_ref, std::int64_t unix_ref)
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

  const Options& options_;
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

const char* stage_name(Stage s) {
  switch (s) {
    case Stage::kConnecting: return "connect";
    case Stage::kSending: return "send";
    case Stage::kReading: return "read";
  }
  return "?";
}

// Advances one request on readiness; true when it is finished (outcome filled in).
bool advance(Request& r, short revents, Outcome& out) {
  out.tick = r.tick;
  out.port = r.port;
  out.start = r.start;
  if (r.stage == Stage::kConnecting) {
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(r.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      out.error = std::string("connect: ") + std::strerror(err);
      return true;
    }
    if ((revents & POLLOUT) == 0) {
      return false;
    }
    r.stage = Stage::kSending;
  }
  if (r.stage == Stage::kSending) {
    while (r.sent < r.request_text.size()) {
      const ssize_t n = ::send(r.fd, r.request_text.data() + r.sent, r.request_text.size() - r.sent, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          return false;
        }
        out.error = std::string("send: ") + std::strerror(errno);
        return true;
      }
      r.sent += static_cast<std::size_t>(n);
    }
    r.stage = Stage::kReading;
    return false;
  }
  char buf[4096];
  for (;;) {
    const ssize_t n = ::recv(r.fd, buf, sizeof(buf), 0);
    if (n > 0) {
      r.response.append(buf, static_cast<std::size_t>(n));
      if (r.response.size() > (1U << 20)) {
        out.error = "answer too large";
        return true;
      }
      continue;
    }
    if (n == 0) {
      if (auto body = body_of_ok(r.response)) {
        out.ok = true;
        out.body = *body;
      } else {
        out.error = r.response.empty() ? "closed without an answer"
                                       : "status " + r.response.substr(0, std::min<std::size_t>(12, r.response.size()));
      }
      return true;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      return false;
    }
    out.error = std::string("read: ") + std::strerror(errno);
    return true;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse_options(argc, argv);
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGTERM, &sa, nullptr);
  ::sigaction(SIGINT, &sa, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  const auto mono_ref = Clock::now();
  const std::int64_t unix_ref = unix_now_ms();
  Recorder recorder(options, mono_ref, unix_ref);
  std::vector<std::uint16_t> ports = options.ports;
  std::int64_t ports_stamp = -1;
  if (!options.ports_file.empty()) {
    reload_ports(options.ports_file, ports_stamp, ports);
  }

  const auto period = std::chrono::milliseconds(options.period_ms);
  const auto timeout = std::chrono::milliseconds(options.timeout_ms);
  const auto start = Clock::now();
  auto next_tick = start;
  std::uint64_t ticks = 0;
  std::vector<Request> in_flight;
  std::vector<pollfd> fds;

  auto finish = [&](Request& r, Outcome& o) {
    o.end = Clock::now();
    ::close(r.fd);
    r.fd = -1;
    recorder.add(o);
  };

  while (g_stop == 0 || !in_flight.empty()) {
    auto now = Clock::now();
    if (g_stop == 0 && now >= next_tick) {
      if (!options.ports_file.empty()) {
        reload_ports(options.ports_file, ports_stamp, ports);
      }
      for (const auto port : ports) {
        Request r;
        r.port = port;
        r.tick = ticks;
        r.start = Clock::now();
        if (!start_request(r, options.path)) {
          Outcome o;
          o.tick = r.tick;
          o.port = r.port;
          o.start = r.start;
          o.error = std::string("connect: ") + std::strerror(errno);
          if (r.fd >= 0) {
            finish(r, o);
          } else {
            o.end = Clock::now();
            recorder.add(o);
          }
          continue;
        }
        in_flight.push_back(std::move(r));
      }
      ++ticks;
      next_tick += period;
      if (now - next_tick > std::chrono::seconds(1)) {  // stalled for long: start afresh, no burst
        next_tick = now + period;
      }
    }
    // Time out requests past their deadline.
    now = Clock::now();
    for (auto& r : in_flight) {
      if (now - r.start >= timeout) {
        Outcome o;
        o.tick = r.tick;
        o.port = r.port;
        o.start = r.start;
        o.error = std::string("timeout in ") + stage_name(r.stage);
        finish(r, o);
      }
    }
    in_flight.erase(std::remove_if(in_flight.begin(), in_flight.end(), [](const Request& r) { return r.fd < 0; }),
                    in_flight.end());
    fds.clear();
    for (const auto& r : in_flight) {
      fds.push_back(pollfd{r.fd, static_cast<short>(r.stage == Stage::kReading ? POLLIN : POLLOUT), 0});
    }
    int wait_ms = g_stop != 0 ? 10
                              : static_cast<int>(std::max<std::int64_t>(
                                    0, std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - Clock::now())
                                           .count()));
    wait_ms = std::min(wait_ms, options.period_ms);
    const int n = ::poll(fds.data(), fds.size(), wait_ms);
    if (n <= 0) {
      continue;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].revents == 0) {
        continue;
      }
      Outcome o;
      if (advance(in_flight[i], fds[i].revents, o)) {
        finish(in_flight[i], o);
      }
    }
    in_flight.erase(std::remove_if(in_flight.begin(), in_flight.end(), [](const Request& r) { return r.fd < 0; }),
                    in_flight.end());
  }
  const auto end = Clock::now();
  const std::string json = recorder.to_json(ticks, start, end);
  if (options.out.empty()) {
    std::fputs(json.c_str(), stdout);
  } else {
    const std::string tmp = options.out + ".tmp";
    std::ofstream f(tmp);
    f << json;
    f.close();
    std::rename(tmp.c_str(), options.out.c_str());
  }
  return 0;
}
