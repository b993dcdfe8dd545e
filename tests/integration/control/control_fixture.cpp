#include "control_fixture.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>

namespace berth::test {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = net::ip::tcp;
using nlohmann::json;

TempDir::TempDir() {
  static int counter = 0;
  path_ = std::filesystem::temp_directory_path() /
          ("berth-ctl-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

namespace {

void run_openssl(const std::string& args) {
  const std::string cmd = "openssl " + args + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) {
    throw std::runtime_error("openssl failed: " + cmd);
  }
}

void make_ca(const std::string& dir, const std::string& name) {
  run_openssl("req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=" + name +
              " -keyout " + dir + "/" + name + ".key -out " + dir + "/" + name + ".pem");
}

void make_leaf(const std::string& dir, const std::string& ca, const std::string& name, const std::string& ext) {
  const std::string base = dir + "/" + name;
  std::ofstream(base + ".ext") << ext << "\n";
  run_openssl("req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + name + " -keyout " + base +
              ".key -out " + base + ".csr");
  run_openssl("x509 -req -days 2 -in " + base + ".csr -CA " + dir + "/" + ca + ".pem -CAkey " + dir + "/" + ca +
              ".key -CAcreateserial -extfile " + base + ".ext -out " + base + ".pem");
}

}  // namespace

const TestPki& test_pki() {
  static const TestPki pki = [] {
    TestPki p;
    p.dir = (std::filesystem::temp_directory_path() / ("berth-pki-" + std::to_string(::getpid()))).string();
    std::filesystem::remove_all(p.dir);
    std::filesystem::create_directories(p.dir);
    make_ca(p.dir, "ca");
    make_ca(p.dir, "rogue-ca");
    make_leaf(p.dir, "ca", "server", "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth");
    make_leaf(p.dir, "ca", "client", "extendedKeyUsage=clientAuth");
    make_leaf(p.dir, "rogue-ca", "rogue", "extendedKeyUsage=clientAuth");
    p.ca = p.dir + "/ca.pem";
    p.cert = p.dir + "/server.pem";
    p.key = p.dir + "/server.key";
    p.client_cert = p.dir + "/client.pem";
    p.client_key = p.dir + "/client.key";
    p.rogue_cert = p.dir + "/rogue.pem";
    p.rogue_key = p.dir + "/rogue.key";
    std::atexit([] {
      std::filesystem::remove_all(std::filesystem::temp_directory_path() / ("berth-pki-" + std::to_string(::getpid())));
    });
    return p;
  }();
  return pki;
}

net::awaitable<control::ApiResponse> FakeBackend::handle(control::RouteId route, const control::ApiRequest& request) {
  {
    std::lock_guard lock(mutex_);
    if (recording_) {
      calls_.push_back(
          Call{route, request.caller.name, request.caller.scope, request.path, request.body, request.params});
    }
  }
  control::ApiResponse r;
  switch (route) {
    case control::RouteId::kHealth: r.body = {{"status", "ok"}, {"version", "test"}}; break;
    case control::RouteId::kListServices:
      r.body = {{"services", json::array({{{"name", "web"},
                                           {"image", "acme/web:latest"},
                                           {"state", "running"},
                                           {"running_digest", "sha256:" + std::string(64, 'a')}}})}};
      break;
    case control::RouteId::kUpdateService:
    case control::RouteId::kRollbackService: {
      std::lock_guard lock(mutex_);
      r.status = 202;
      r.body = {{"swap", next_swap_}, {"service", request.params.at("name")}};
      break;
    }
    case control::RouteId::kGetSwap: {
      std::lock_guard lock(mutex_);
      const auto it = swaps_.find(request.params.at("id"));
      if (it == swaps_.end()) {
        co_return control::error_response(404, "not_found", "no swap");
      }
      r.body = it->second;
      break;
    }
    case control::RouteId::kRegistryHook:
      r.status = 202;
      r.body = {{"checking", json::array({"web"})}};
      break;
    case control::RouteId::kMetrics:
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      r.text = "berth_services_watched 1\n";
      break;
    default: r.body = {{"ok", true}}; break;
  }
  co_return r;
}

std::uint64_t FakeBackend::subscribe(std::function<void(const json&)> sink) {
  std::lock_guard lock(mutex_);
  sinks_.emplace(next_, std::move(sink));
  return next_++;
}

void FakeBackend::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  sinks_.erase(id);
}

void FakeBackend::emit(const json& event) {
  std::vector<std::function<void(const json&)>> sinks;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, sink] : sinks_) {
      sinks.push_back(sink);
    }
  }
  for (const auto& sink : sinks) {
    sink(event);
  }
}

std::vector<FakeBackend::Call> FakeBackend::calls() const {
  std::lock_guard lock(mutex_);
  return calls_;
}

void FakeBackend::set_recording(bool on) {
  std::lock_guard lock(mutex_);
  recording_ = on;
}

std::size_t FakeBackend::subscribers() const {
  std::lock_guard lock(mutex_);
  return sinks_.size();
}

void FakeBackend::set_swap(const std::string& id, json record) {
  std::lock_guard lock(mutex_);
  next_swap_ = id;
  swaps_[id] = std::move(record);
}

ServerHarness::~ServerHarness() { stop(); }

common::Status ServerHarness::start(const config::ApiSettings& settings, const std::string& state_dir,
                                    control::ServerLimits limits) {
  server_ = std::make_unique<control::ControlServer>(io_.get_executor(), settings, state_dir, backend_, limits);
  auto st = server_->open();
  if (!st) {
    return st;
  }
  port_ = server_->tcp_port();
  net::co_spawn(io_, server_->run(), [](std::exception_ptr, common::Status) {});
  thread_ = std::thread([this] { io_.run(); });
  return {};
}

void ServerHarness::on_server_thread(std::function<void()> fn) {
  std::promise<void> done;
  net::post(io_, [&] {
    fn();
    done.set_value();
  });
  done.get_future().wait();
}

void ServerHarness::stop() {
  if (thread_.joinable()) {
    on_server_thread([this] { server_->stop(); });
    // Let closing connections finish their last steps, then end the loop.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    io_.stop();
    thread_.join();
  }
  server_.reset();
}

config::ApiSettings tls_settings(const std::string& tokens_file, const std::string& socket_path) {
  config::ApiSettings s;
  s.socket = socket_path;
  s.listen = config::HostPort{"127.0.0.1", 0};
  s.tls = config::TlsSettings{test_pki().cert, test_pki().key, std::nullopt};
  s.tokens_file = tokens_file;
  return s;
}

TestClient::TestClient(Kind kind, std::uint16_t port, std::string unix_path, TlsOptions tls)
    : kind_(kind), port_(port), unix_path_(std::move(unix_path)), tls_options_(std::move(tls)) {}

TestClient::~TestClient() { close(); }

void TestClient::close() {
  on_socket([](auto& socket) {
    boost::system::error_code ec;
    socket.close(ec);
  });
}

bool TestClient::run_until(std::chrono::milliseconds timeout, const bool& done) {
  io_.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io_.run_one_until(deadline);
  }
  if (!done) {
    // Cancelled, not closed: a read that timed out leaves the connection usable, and closed() keeps
    // meaning that the server closed it.
    on_socket([](auto& socket) {
      boost::system::error_code ec;
      socket.cancel(ec);
    });
    io_.restart();
    io_.run();
  }
  return done;
}

bool TestClient::connect() {
  bool done = false;
  boost::system::error_code result;
  auto finish = [&](const boost::system::error_code& ec) {
    result = ec;
    done = true;
  };
  if (kind_ == Kind::kUnix) {
    unix_ = std::make_unique<net::local::stream_protocol::socket>(io_);
    unix_->async_connect(net::local::stream_protocol::endpoint(unix_path_), finish);
  } else {
    auto socket = std::make_unique<tcp::socket>(io_);
    socket->async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port_), finish);
    if (kind_ == Kind::kPlain) {
      plain_ = std::move(socket);
    } else {
      if (!run_until(std::chrono::seconds(5), done) || result) {
        error_ = "connect: " + result.message();
        return false;
      }
      done = false;
      ctx_ = std::make_unique<ssl::context>(ssl::context::tls_client);
      ctx_->load_verify_file(test_pki().ca);
      ctx_->set_verify_mode(ssl::verify_peer);
      if (tls_options_.cert) {
        ctx_->use_certificate_chain_file(*tls_options_.cert);
        ctx_->use_private_key_file(*tls_options_.key, ssl::context::pem);
      }
      tls_ = std::make_unique<ssl::stream<tcp::socket>>(std::move(*socket), *ctx_);
      tls_->async_handshake(ssl::stream_base::client, finish);
    }
  }
  if (!run_until(std::chrono::seconds(5), done) || result) {
    error_ = "connect: " + (done ? result.message() : std::string("timed out"));
    return false;
  }
  return true;
}

bool TestClient::write(std::string_view bytes) {
  bool done = false;
  boost::system::error_code result;
  auto finish = [&](const boost::system::error_code& ec, std::size_t) {
    result = ec;
    done = true;
  };
  const auto buf = net::buffer(bytes.data(), bytes.size());
  if (tls_) {
    net::async_write(*tls_, buf, finish);
  } else if (plain_) {
    net::async_write(*plain_, buf, finish);
  } else {
    net::async_write(*unix_, buf, finish);
  }
  return run_until(std::chrono::seconds(5), done) && !result;
}

std::string TestClient::read_some(std::chrono::milliseconds timeout) {
  if (!buffered_.empty()) {
    return std::exchange(buffered_, {});
  }
  if (closed_) {
    return {};
  }
  bool done = false;
  std::string got;
  std::array<char, 16384> chunk{};
  auto finish = [&](const boost::system::error_code& ec, std::size_t n) {
    got.assign(chunk.data(), n);
    closed_ = ec && n == 0 && ec != net::error::operation_aborted;
    done = true;
  };
  if (tls_) {
    tls_->async_read_some(net::buffer(chunk), finish);
  } else if (plain_) {
    plain_->async_read_some(net::buffer(chunk), finish);
  } else {
    unix_->async_read_some(net::buffer(chunk), finish);
  }
  run_until(timeout, done);
  return got;
}

bool TestClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!closed_) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      return false;
    }
    read_some(left);
  }
  return true;
}

HttpAnswer TestClient::read_answer(std::chrono::milliseconds timeout) {
  HttpAnswer a;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string data = std::exchange(buffered_, {});
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  };
  std::size_t head_end = std::string::npos;
  while ((head_end = data.find("\r\n\r\n")) == std::string::npos) {
    if (closed_ || left().count() <= 0) {
      a.closed = closed_;
      return a;
    }
    data += read_some(left());
  }
  std::istringstream head(data.substr(0, head_end));
  std::string line;
  std::getline(head, line);
  if (line.size() >= 12) {
    a.status = std::stoi(line.substr(9, 3));
  }
  while (std::getline(head, line)) {
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string name = line.substr(0, colon);
      for (auto& c : name) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      a.headers[name] = line.substr(colon + 2);
    }
  }
  std::string rest = data.substr(head_end + 4);
  if (a.headers.contains("content-length")) {
    const auto length = std::stoul(a.headers["content-length"]);
    while (rest.size() < length && !closed_ && left().count() > 0) {
      rest += read_some(left());
    }
    a.body = rest.substr(0, length);
    buffered_ = rest.size() > length ? rest.substr(length) : std::string();
  } else {
    while (!closed_ && left().count() > 0) {
      rest += read_some(left());
    }
    a.body = rest;
  }
  a.closed = closed_ || (a.headers.contains("connection") && a.headers["connection"] == "close");
  return a;
}

HttpAnswer TestClient::request(Kind kind, std::uint16_t port, const std::string& method, const std::string& target,
                               const std::string& token, const std::string& body, const std::string& unix_path) {
  TestClient c(kind, port, unix_path);
  if (!c.connect()) {
    ADD_FAILURE() << c.error();
    return {};
  }
  c.write(raw_request(method, target, token, body));
  return c.read_answer();
}

std::string raw_request(const std::string& method, const std::string& target, const std::string& token,
                        const std::string& body) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: test\r\n";
  if (!token.empty()) {
    r += "Authorization: Bearer " + token + "\r\n";
  }
  if (!body.empty() || method == "POST") {
    r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  return r + "\r\n" + body;
}

std::vector<std::string> files_containing(const std::filesystem::path& dir, const std::string& needle) {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file()) {
      continue;
    }
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (ss.str().find(needle) != std::string::npos) {
      out.push_back(entry.path().string());
    }
  }
  return out;
}

}  // namespace berth::test
