// loadclient: the client of the swap benchmarks. Every period (10 ms by default) it sends one
// `GET PATH` over a new connection to 127.0.0.1 (or --host) on each port it knows, without waiting for earlier
// answers (open loop, so a slow answer never hides the requests that would have followed it), and
// on SIGTERM or SIGINT writes what it saw as JSON.
//
//   loadclient (--port P | --ports-file FILE) [--host 127.0.0.1] [--period-ms 10] [--timeout-ms 2000]
//              [--path /] [--out FILE] [--seen-dir DIR] [--log FILE]
//
// --ports-file names a file of whitespace-separated ports, read again whenever it changes: a
// watcher adds the port of each new container, so a service that moves to a new host port (a
// start-first swap with dynamic ports) is followed. A tick counts as answered when any port
// answered it; the longest gap is the longest time without a successful answer on any port,
// counted from the start and up to the end of the run.
// --seen-dir: the first time a body is seen, DIR/<body> is written with the time (Unix ms).
//
// --host: an IPv4 address of this host other than 127.0.0.1, for a client in a network namespace of the
// benchmark's own (the "outside" host, joined by a veth pair). Nothing else is ever contacted.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "load_recorder.hpp"

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

using loadclient::Clock;
using loadclient::Ms;
using loadclient::Outcome;

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
  in_addr host{htonl(INADDR_LOOPBACK)};
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

[[noreturn]] void usage(const char* why) {
  std::fprintf(stderr,
               "loadclient: %s\nusage: loadclient (--port P | --ports-file FILE) [--host 127.0.0.1] [--period-ms 10] "
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
    } else if (arg == "--host") {
      const std::string host = value();
      if (::inet_pton(AF_INET, host.c_str(), &o.host) != 1) {
        usage(("not an IPv4 address: " + host).c_str());
      }
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

std::int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Starts a request; false (and an outcome) when the connection fails at once.
bool start_request(Request& r, const std::string& path, in_addr host) {
  r.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (r.fd < 0) {
    return false;
  }
  const int one = 1;
  ::setsockopt(r.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr = host;
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
  const loadclient::RecorderSettings settings{options.period_ms, options.timeout_ms, options.seen_dir, options.log};
  loadclient::Recorder recorder(settings, mono_ref, unix_ref);
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
        if (!start_request(r, options.path, options.host)) {
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
    int wait_ms =
        g_stop != 0 ? 10
                    : static_cast<int>(std::max<std::int64_t>(
                          0, std::chrono::duration_cast<std::chrono::milliseconds>(next_tick - Clock::now()).count()));
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
