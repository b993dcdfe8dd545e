#include "common/signal_io.hpp"
#include "config/address.hpp"
#include "control/notifier.hpp"
#include "control/notify.hpp"
#include "http/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <spdlog/spdlog.h>

#include <exception>

namespace berth::control {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;

namespace {

using common::kTuple;
constexpr std::size_t kResponseLimit = 64 * 1024;

struct Target {
  config::NotifyTarget settings;
  std::string shown;  // scheme://host[:port], for logs
  std::string path;
  std::unique_ptr<http::Client> client;  // null when the URL could not be used
};

std::string machine_host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) {
    return "unknown";
  }
  return buf;
}

}  // namespace

struct Notifier::State {
  net::any_io_executor executor;
  NotifierOptions options;
  std::shared_ptr<ssl::context> tls;
  std::vector<Target> targets;
  std::size_t in_flight = 0;
  bool closed = false;
};

namespace {

Target make_target(const config::NotifyTarget& settings, const net::any_io_executor& ex,
                   const std::shared_ptr<ssl::context>& tls) {
  Target t;
  t.settings = settings;
  std::string error;
  const auto url = config::parse_url(settings.url, config::HostRequired::kYes, error);
  if (!url || (url->scheme != "http" && url->scheme != "https")) {
    t.shown = "(unusable notify url)";
    return t;
  }
  const bool secure = url->scheme == "https";
  const auto port = static_cast<std::uint16_t>(url->port.value_or(secure ? 443 : 80));
  auto endpoint = secure ? http::Endpoint::tls_to(url->host, port, tls) : http::Endpoint::tcp(url->host, port);
  t.shown = endpoint.describe();
  t.path = url->path.empty() ? "/" : url->path;
  t.client = std::make_unique<http::Client>(ex, std::move(endpoint));
  return t;
}

// One notification to one target, with retries. Runs on its own; its failures end up in the log.
net::awaitable<void> deliver(std::shared_ptr<Notifier::State> state, std::size_t index, std::string body,
                             std::string event_name) {
  Target& target = state->targets[index];
  auto backoff = state->options.first_backoff;
  std::string last_problem;
  for (int attempt = 1; attempt <= state->options.attempts && !state->closed; ++attempt) {
    http::Request req;
    req.method = "POST";
    req.target = target.path;
    req.content_type = "application/json";
    req.body = body;
    const http::Limits limits{state->options.attempt_timeout, kResponseLimit};
    auto res = co_await target.client->request(std::move(req), limits);
    if (res && res->status >= 200 && res->status < 300) {
      spdlog::debug("notify: {} sent to {}", event_name, target.shown);
      co_return;
    }
    last_problem = res ? "HTTP " + std::to_string(res->status) : res.error().message;
    const bool retry = !res || res->status == 408 || res->status == 429 || res->status >= 500;
    if (!retry || attempt == state->options.attempts || state->closed) {
      break;
    }
    net::steady_timer wait(state->executor, backoff);
    co_await wait.async_wait(kTuple);
    backoff *= 2;
  }
  spdlog::warn("notify: giving up on {} notification to {}: {}", event_name, target.shown, last_problem);
}

}  // namespace

Notifier::Notifier(net::any_io_executor executor, std::vector<config::NotifyTarget> targets, NotifierOptions options)
    : state_(std::make_shared<State>()) {
  state_->executor = std::move(executor);
  state_->options = std::move(options);
  if (state_->options.host_name.empty()) {
    state_->options.host_name = machine_host_name();
  }
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_client);
  tls->set_default_verify_paths();
  tls->set_verify_mode(ssl::verify_peer);
  SSL_CTX_set_min_proto_version(tls->native_handle(), TLS1_2_VERSION);
  state_->tls = tls;
  for (const auto& t : targets) {
    state_->targets.push_back(make_target(t, state_->executor, tls));
    if (!state_->targets.back().client) {
      spdlog::warn("notify: target {} has an unusable url and is skipped", state_->targets.size() - 1);
    }
  }
}

Notifier::~Notifier() { state_->closed = true; }

std::size_t Notifier::in_flight() const { return state_->in_flight; }

void Notifier::notify(const nlohmann::json& event) {
  const auto notification = build_notification(event, state_->options.host_name);
  if (!notification) {
    return;
  }
  const std::string event_name(config::to_string(notification->event));
  const std::string body = notification->body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  for (std::size_t i = 0; i < state_->targets.size(); ++i) {
    const Target& target = state_->targets[i];
    if (!target.client || !target_wants(target.settings, notification->event)) {
      continue;
    }
    if (state_->in_flight >= state_->options.max_in_flight) {
      spdlog::warn("notify: {} notifications in flight; {} notification to {} dropped", state_->in_flight, event_name,
                   target.shown);
      continue;
    }
    ++state_->in_flight;
    net::co_spawn(state_->executor, deliver(state_, i, body, event_name), [state = state_](std::exception_ptr e) {
      --state->in_flight;
      if (e) {
        try {
          std::rethrow_exception(e);
        } catch (const std::exception& ex) {
          spdlog::warn("notify: delivery ended by an exception: {}", ex.what());
        }
      }
    });
  }
}

}  // namespace berth::control
