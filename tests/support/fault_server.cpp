#include "support/fault_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cstring>

namespace berth::test {

namespace {

constexpr std::size_t kMaxRequestHead = 64 * 1024;

std::string lower(std::string s) {
  for (auto& c : s) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return s;
}

bool send_all(int fd, const std::string& data) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) {
      return false;
    }
    sent += static_cast<std::size_t>(n);
  }
  return true;
}

std::string reason(int status) {
  switch (status) {
    case 200: return "OK";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Status";
  }
}

// Reads up to the end of the request head; false for a closed connection or a TLS ClientHello.
bool read_head(int fd, std::string& head) {
  char buf[4096];
  while (head.find("\r\n\r\n") == std::string::npos) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 5000) <= 0) {
      return false;
    }
    const ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
    if (n <= 0) {
      return false;
    }
    head.append(buf, static_cast<std::size_t>(n));
    if (static_cast<unsigned char>(head[0]) == 0x16 || head.size() > kMaxRequestHead) {
      return false;  // a TLS handshake: this server speaks plain HTTP only
    }
  }
  return true;
}

FaultRequest parse_head(const std::string& head) {
  FaultRequest req;
  const auto line_end = head.find("\r\n");
  const std::string line = head.substr(0, line_end);
  const auto sp1 = line.find(' ');
  const auto sp2 = line.find(' ', sp1 + 1);
  req.method = line.substr(0, sp1);
  req.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::size_t pos = line_end + 2;
  while (pos < head.size()) {
    const auto end = head.find("\r\n", pos);
    if (end == std::string::npos || end == pos) {
      break;
    }
    const std::string field = head.substr(pos, end - pos);
    const auto colon = field.find(':');
    if (colon != std::string::npos) {
      std::string value = field.substr(colon + 1);
      value.erase(0, value.find_first_not_of(' '));
      req.headers[lower(field.substr(0, colon))] = value;
    }
    pos = end + 2;
  }
  return req;
}

}  // namespace

std::string FaultRequest::header(const std::string& lower_name) const {
  const auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

FaultServer::FaultServer() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return;
  }
  port_ = ntohs(addr.sin_port);
  start();
}

FaultServer::FaultServer(std::string socket_path) : socket_path_(std::move(socket_path)) {
  listen_fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path_.size() >= sizeof(addr.sun_path)) {
    return;
  }
  std::strncpy(addr.sun_path, socket_path_.c_str(), sizeof(addr.sun_path) - 1);
  ::unlink(socket_path_.c_str());
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(listen_fd_, 64) != 0) {
    return;
  }
  start();
}

void FaultServer::start() {
  handler_ = [](const FaultRequest&) { return FaultReply{FaultReply::Action::kRespond, 404, {}, "", {}}; };
  thread_ = std::thread([this] { serve(); });
}

FaultServer::~FaultServer() {
  stop_ = true;
  if (thread_.joinable()) {
    thread_.join();
  }
  if (listen_fd_ >= 0) {
    ::close(listen_fd_);
  }
  if (!socket_path_.empty()) {
    ::unlink(socket_path_.c_str());
  }
}

void FaultServer::set_handler(Handler handler) {
  std::lock_guard lock(mutex_);
  handler_ = std::move(handler);
}

std::vector<FaultRequest> FaultServer::received() const {
  std::lock_guard lock(mutex_);
  return received_;
}

void FaultServer::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) {
      continue;
    }
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      continue;
    }
    ++connections_;
    handle(fd);
    ::close(fd);
  }
}

void FaultServer::handle(int fd) {
  std::string head;
  if (!read_head(fd, head)) {
    return;
  }
  const FaultRequest req = parse_head(head);
  Handler handler;
  {
    std::lock_guard lock(mutex_);
    received_.push_back(req);
    handler = handler_;
  }
  ++requests_;
  const FaultReply reply = handler(req);
  if (reply.action == FaultReply::Action::kReset) {
    linger l{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
    return;
  }
  std::string out = "HTTP/1.1 " + std::to_string(reply.status) + " " + reason(reply.status) + "\r\n";
  for (const auto& [name, value] : reply.headers) {
    out += name + ": " + value + "\r\n";
  }
  out += "Content-Length: " + std::to_string(reply.body.size()) + "\r\nConnection: close\r\n\r\n";
  const bool with_body = req.method != "HEAD";
  if (reply.action == FaultReply::Action::kRespond) {
    send_all(fd, with_body ? out + reply.body : out);
    return;
  }
  if (!send_all(fd, out) || !with_body) {
    return;
  }
  for (char c : reply.body) {
    if (stop_ || !send_all(fd, std::string(1, c))) {
      return;
    }
    std::this_thread::sleep_for(reply.dribble_interval);
  }
}

}  // namespace berth::test
