#include "support/test_env.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <random>

namespace berth::test {

namespace {

const std::map<std::string, std::string>& env_file() {
  static const std::map<std::string, std::string> values = [] {
    std::map<std::string, std::string> out;
    const char* path = std::getenv("BERTH_TEST_ENV_FILE");
    std::ifstream in(path != nullptr ? path : "/var/tmp/berth-test/env");
    std::string line;
    while (std::getline(in, line)) {
      const auto eq = line.find('=');
      if (line.empty() || line[0] == '#' || eq == std::string::npos) {
        continue;
      }
      out[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return out;
  }();
  return values;
}

}  // namespace

std::optional<std::string> env_value(const std::string& key) {
  if (const char* v = std::getenv(key.c_str()); v != nullptr && *v != '\0') {
    return std::string(v);
  }
  const auto& file = env_file();
  if (auto it = file.find(key); it != file.end()) {
    return it->second;
  }
  return std::nullopt;
}

std::string env_or(const std::string& key, const std::string& fallback) { return env_value(key).value_or(fallback); }

std::string docker_socket() {
  const std::string host = env_or("DOCKER_HOST", "");
  if (host.rfind("unix://", 0) == 0) {
    return host.substr(7);
  }
  return "/var/run/docker.sock";
}

bool docker_required() {
  const std::string req = env_or("BERTH_REQUIRE_DOCKER", "");
  const std::string ci = env_or("CI", "");
  return req == "1" || ci == "true" || ci == "1";
}

std::string ping_docker(const std::string& socket, std::string* server) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    return std::string("socket: ") + std::strerror(errno);
  }
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket.c_str(), sizeof(addr.sun_path) - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    const std::string reason = socket + ": " + std::strerror(errno);
    ::close(fd);
    return reason;
  }
  const char req[] = "GET /_ping HTTP/1.0\r\nHost: localhost\r\n\r\n";
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  std::string answer;
  if (::write(fd, req, sizeof(req) - 1) == static_cast<ssize_t>(sizeof(req) - 1)) {
    char buf[1024];
    ssize_t n = 0;
    while (answer.size() < 16384 && (n = ::read(fd, buf, sizeof(buf))) > 0) {
      answer.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  if (answer.rfind("HTTP/1.0 200", 0) != 0 && answer.rfind("HTTP/1.1 200", 0) != 0) {
    return socket + ": no answer to /_ping";
  }
  if (server != nullptr) {
    const auto at = answer.find("\r\nServer: ");
    const auto end = at == std::string::npos ? at : answer.find("\r\n", at + 2);
    *server = at == std::string::npos ? std::string() : answer.substr(at + 10, end - at - 10);
  }
  return {};
}

std::string docker_unavailable_reason() { return ping_docker(docker_socket()); }

const std::string& run_label() {
  static const std::string label = [] {
    std::random_device rd;
    return "t" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 100000);
  }();
  return label;
}

}  // namespace berth::test
