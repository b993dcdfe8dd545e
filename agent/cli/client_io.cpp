// The client commands over HTTP: the agent's unix socket by default, or https:// with a bearer token
// and a CA file for a remote agent.
#include "cli/client.hpp"
#include "cli/client_setup.hpp"
#include "cli/fleet.hpp"

#include "cli/command_line.hpp"
#include "cli/exit_codes.hpp"
#include "cli/render.hpp"
#include "cli/swap_follower.hpp"
#include "cli/swap_narration.hpp"
#include "cli/token_command.hpp"
#include "common/loopback.hpp"
#include "common/signal_io.hpp"
#include "common/text.hpp"
#include "config/address.hpp"
#include "control/sse.hpp"
#include "http/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <variant>

namespace berth::cli {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using nlohmann::json;

namespace {

using common::kTuple;
constexpr auto kRequestTimeout = std::chrono::seconds(60);
constexpr auto kPollInterval = std::chrono::seconds(3);
constexpr std::size_t kConcurrentChecks = 8;  // `berth check` of every service
constexpr auto kSubscribeWait = std::chrono::seconds(5);
constexpr std::size_t kMaxTokenFileBytes = 4096;
constexpr int kFinalRecordAttempts = 40;

// An answer from the agent: the status and the body, parsed when it is JSON.
struct Answer {
  int status = 0;
  json body;
};

struct Context {
  std::unique_ptr<http::Client> client;
  std::string url;
  std::optional<std::string> token;
  const CommandLine* command = nullptr;
};

// Ends a command with a message on stderr and its exit code.
struct Failure {
  int code = kExitError;
  std::string message;
};

using Outcome = std::variant<int, Failure>;

}  // namespace

std::string service_path(const std::string& name) { return "/v1/services/" + common::url_encode(name); }

http::Request api_request(const std::optional<std::string>& token, std::string method, std::string target,
                          std::string body) {
  http::Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.body = std::move(body);
  req.content_type = "application/json";
  if (token) {
    req.headers.emplace_back("Authorization", "Bearer " + *token);
  }
  return req;
}

common::Result<std::string> read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return common::make_error(common::ErrorKind::kNotFound, "cannot read token file " + path);
  }
  std::string text(kMaxTokenFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxTokenFileBytes) {
    return common::make_error(common::ErrorKind::kTooLarge, "token file " + path + " is too large to hold a token");
  }
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) {
    text.pop_back();
  }
  return text;
}

common::Result<std::shared_ptr<ssl::context>> make_tls(const ClientOptions& o) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (o.cacert) {
    ctx->load_verify_file(*o.cacert, ec);
  } else {
    ctx->set_default_verify_paths(ec);
  }
  if (ec) {
    return common::make_error(
        common::ErrorKind::kInvalidArgument,
        "cannot load CA certificates" + (o.cacert ? " from " + *o.cacert : std::string()) + ": " + ec.message());
  }
  ctx->set_verify_mode(ssl::verify_peer);
  if (o.cert || o.key) {
    ctx->use_certificate_chain_file(o.cert.value_or(""), ec);
    if (!ec) {
      ctx->use_private_key_file(o.key.value_or(o.cert.value_or("")), ssl::context::pem, ec);
    }
    if (ec) {
      return common::make_error(common::ErrorKind::kInvalidArgument,
                                "cannot load the client certificate: " + ec.message());
    }
  }
  return ctx;
}

namespace {

common::Result<http::Endpoint> endpoint_for(const ClientOptions& o) {
  auto url = parse_agent_url(o.url);
  if (!url) {
    return url.error();
  }
  const auto port = static_cast<std::uint16_t>(url->port);
  switch (url->kind) {
    case AgentUrl::Kind::kUnixSocket: return http::Endpoint::unix_socket(url->host);
    case AgentUrl::Kind::kHttp: return http::Endpoint::tcp(url->host, port);
    case AgentUrl::Kind::kHttps: {
      auto tls = make_tls(o);
      if (!tls) {
        return tls.error();
      }
      return http::Endpoint::tls_to(url->host, port, *tls);
    }
  }
  return common::make_error(common::ErrorKind::kInternal, "unknown URL kind");
}

Failure unreachable(const Context& ctx, const common::Error& e) {
  return Failure{kExitError, "cannot reach the agent at " + ctx.url + ": " + e.message};
}

Failure api_failure(int status, const json& body) {
  return Failure{exit_code_for_status(status), api_error_text(status, body.is_discarded() ? "" : body.dump())};
}

net::awaitable<std::variant<Answer, Failure>> call(Context& ctx, std::string method, std::string target,
                                                   std::string body = {}) {
  // Arguments of a co_await are named values: GCC 12 mishandles some temporaries across a suspension.
  http::Request req = api_request(ctx.token, std::move(method), std::move(target), std::move(body));
  const http::Limits limits{kRequestTimeout, kApiAnswerLimit};
  auto res = co_await ctx.client->request(std::move(req), limits);
  if (!res) {
    co_return unreachable(ctx, res.error());
  }
  Answer a{res->status, json::parse(res->body, nullptr, false)};
  if (a.status < 200 || a.status > 299) {
    co_return api_failure(a.status, a.body);
  }
  co_return a;
}

void print_json(const json& doc) {
  std::printf("%s\n", doc.dump(2, ' ', false, json::error_handler_t::replace).c_str());
}

// Progress of `--wait`: a bar redrawn in place on a terminal, plain lines (one per step, and every
// quarter of a pull) otherwise.
// The event stream of `--wait`, filled by follow_events and read by the command.
struct Watch {
  explicit Watch(const net::any_io_executor& ex) : wake(ex) {}
  SwapFollower follower;
  control::SseDecoder decoder;
  net::steady_timer wake;
  bool subscribed = false;
  bool ended = false;
  std::string problem;  // why the stream ended, when it failed
};

net::awaitable<void> follow_events(Context& ctx, std::shared_ptr<Watch> w) {
  auto on_chunk = [w](std::string_view chunk) -> common::Status {
    w->subscribed = true;
    auto events = w->decoder.feed(chunk);
    if (!events) {
      return events.error();
    }
    for (const auto& data : *events) {
      if (auto event = json::parse(data, nullptr, false); !event.is_discarded()) {
        w->follower.on_event(event);
      }
    }
    w->wake.cancel();
    return {};
  };
  http::Request req = api_request(ctx.token, "GET", "/v1/events");
  const http::StreamLimits limits{std::chrono::seconds(10), std::chrono::seconds(60), {}};
  auto result = co_await ctx.client->stream(std::move(req), limits, on_chunk);
  if (!result) {
    w->problem = result.error().message;
  } else if (result->status != 200) {
    w->problem = api_error_text(result->status, result->body);
  }
  w->ended = true;
  w->wake.cancel();
}

// Waits for an event (true) or for `d` to pass (false).
net::awaitable<bool> wait_for_event(Watch& w, std::chrono::steady_clock::duration d) {
  w.wake.expires_after(d);
  auto [ec] = co_await w.wake.async_wait(kTuple);
  co_return ec == net::error::operation_aborted;
}

net::awaitable<std::optional<Failure>> poll_unfinished(Context& ctx, Watch& w) {
  for (const auto& id : w.follower.ids()) {
    if (w.follower.is_finished(id)) {
      continue;
    }
    std::string target = "/v1/swaps/" + common::url_encode(id);
    auto got = co_await call(ctx, "GET", std::move(target));
    if (auto* f = std::get_if<Failure>(&got)) {
      co_return *f;
    }
    if (swap_has_ended(std::get<Answer>(got).body)) {
      w.follower.mark_finished(id);
    }
  }
  co_return std::nullopt;
}

// The swap record once it says how the swap ended. The last event can arrive a moment before the
// record is final, so a record still "pending" is asked for again for a short while.
net::awaitable<std::variant<Answer, Failure>> final_swap(Context& ctx, const std::string& id) {
  for (int attempt = 0;; ++attempt) {
    std::string target = "/v1/swaps/" + common::url_encode(id);
    auto got = co_await call(ctx, "GET", std::move(target));
    if (std::holds_alternative<Failure>(got) || swap_has_ended(std::get<Answer>(got).body) ||
        attempt >= kFinalRecordAttempts) {
      co_return got;
    }
    net::steady_timer pause(co_await net::this_coro::executor, std::chrono::milliseconds(250));
    co_await pause.async_wait(kTuple);
  }
}

// The result of each swap, one line each (with its total time when `narrator` followed it), or --json.
net::awaitable<Outcome> report_swaps(Context& ctx, const std::vector<std::string>& ids,
                                     const SwapNarrator* narrator = nullptr) {
  int code = kExitOk;
  json all = json::array();
  for (const auto& id : ids) {
    auto got = co_await final_swap(ctx, id);
    if (auto* f = std::get_if<Failure>(&got)) {
      co_return *f;
    }
    const json& swap = std::get<Answer>(got).body;
    const int this_code = exit_code_for_result(swap.is_object() ? swap.value("result", std::string()) : "");
    if (this_code == kExitError || (this_code == kExitRolledBack && code == kExitOk)) {
      code = this_code;
    }
    if (ctx.command->client.json) {
      all.push_back(swap);
    } else {
      std::string line = swap_summary(swap);
      if (const auto took = narrator != nullptr ? narrator->duration(id) : std::nullopt) {
        line += " in " + format_elapsed(*took);
      }
      std::printf("%s\n", line.c_str());
    }
  }
  if (ctx.command->client.json) {
    print_json(ids.size() == 1 ? all[0] : all);
  }
  co_return code;
}

std::pair<std::string, std::string> swap_request(const CommandLine& cl) {
  if (cl.command == "rollback") {
    return {service_path(*cl.service) + "/rollback", ""};
  }
  json body = json::object();
  if (cl.in_window) {
    body["in_window"] = true;
  }
  if (cl.all) {
    return {"/v1/update", cl.in_window ? body.dump() : ""};
  }
  if (cl.digest) {
    body["digest"] = *cl.digest;
  }
  return {service_path(*cl.service) + "/update", body.dump()};
}

// The answer when no swap started (already up to date, nothing to roll back to, ...).
Outcome no_swap_started(const CommandLine& cl, const json& body) {
  if (cl.client.json) {
    print_json(body);
  } else {
    const std::string result = body.is_object() ? body.value("result", std::string()) : "";
    std::printf("%s\n", result.empty() ? "nothing to do" : swap_summary(body).c_str());
  }
  const std::string result = body.is_object() ? body.value("result", std::string()) : "";
  return result.empty() ? kExitOk : exit_code_for_result(result);
}

net::awaitable<Outcome> run_swap_command(Context& ctx) {
  const CommandLine& cl = *ctx.command;
  const auto request = swap_request(cl);
  const std::string& target = request.first;
  const std::string& body = request.second;
  auto watch = std::make_shared<Watch>(co_await net::this_coro::executor);
  if (cl.wait) {
    net::co_spawn(co_await net::this_coro::executor, follow_events(ctx, watch), [](std::exception_ptr) {});
    const auto deadline = std::chrono::steady_clock::now() + kSubscribeWait;
    while (!watch->subscribed && !watch->ended && std::chrono::steady_clock::now() < deadline) {
      co_await wait_for_event(*watch, deadline - std::chrono::steady_clock::now());
    }
  }
  auto got = co_await call(ctx, "POST", target, body);
  if (auto* f = std::get_if<Failure>(&got)) {
    co_return *f;
  }
  const json& answer = std::get<Answer>(got).body;
  const auto ids = swap_ids_of(answer);
  if (ids.empty()) {
    co_return no_swap_started(cl, answer);
  }
  if (!cl.wait) {
    if (cl.client.json) {
      print_json(answer);
    } else {
      for (const auto& id : ids) {
        std::printf("swap %s started; follow it with `berth history` or `--wait`\n", id.c_str());
      }
    }
    co_return kExitOk;
  }
  watch->follower.watch(ids);
  if (watch->ended && !watch->problem.empty()) {
    std::fprintf(stderr, "berth %s: no progress to show (events: %s); waiting for the result\n", cl.command.c_str(),
                 watch->problem.c_str());
  }
  SwapNarrator narrator(::isatty(STDOUT_FILENO) == 1);
  for (;;) {
    const auto events = watch->follower.take_progress();
    for (const auto& event : events) {
      if (!cl.client.json) {
        std::fputs(narrator.on_event(event, std::chrono::steady_clock::now(), std::chrono::system_clock::now()).c_str(),
                   stdout);
        std::fflush(stdout);
      }
    }
    if (watch->follower.all_finished()) {
      break;
    }
    if (!events.empty()) {
      continue;
    }
    if (!co_await wait_for_event(*watch, kPollInterval) || watch->ended) {
      if (auto f = co_await poll_unfinished(ctx, *watch)) {
        co_return *f;
      }
    }
  }
  std::fputs(narrator.end_line().c_str(), stdout);
  co_return co_await report_swaps(ctx, ids, &narrator);
}

net::awaitable<Outcome> run_status(Context& ctx) {
  const CommandLine& cl = *ctx.command;
  std::string target = cl.service ? service_path(*cl.service) : std::string("/v1/services");
  auto got = co_await call(ctx, "GET", std::move(target));
  if (auto* f = std::get_if<Failure>(&got)) {
    co_return *f;
  }
  const json& body = std::get<Answer>(got).body;
  if (cl.client.json) {
    print_json(body);
  } else {
    const json services =
        cl.service ? json::array({body.contains("service") ? body["service"] : body}) : list_of(body, "services");
    std::fputs(render_services(services, std::chrono::system_clock::now()).c_str(), stdout);
  }
  co_return kExitOk;
}

net::awaitable<Outcome> run_check(Context& ctx) {
  const CommandLine& cl = *ctx.command;
  std::vector<std::string> names;
  if (cl.service) {
    names.push_back(*cl.service);
  } else {
    auto got = co_await call(ctx, "GET", "/v1/services");
    if (auto* f = std::get_if<Failure>(&got)) {
      co_return *f;
    }
    for (const auto& s : list_of(std::get<Answer>(got).body, "services")) {
      if (s.is_object() && s.contains("name") && s["name"].is_string()) {
        names.push_back(s["name"].get<std::string>());
      }
    }
  }
  // Several checks at once (the agent bounds what reaches each registry); the results in the list's order.
  std::vector<json> checked(names.size());
  std::optional<Failure> stop;  // unauthorized, or the one service asked for: no more checks
  int code = kExitOk;
  std::size_t next = 0;
  std::size_t running = 0;
  common::Signal finished(co_await net::this_coro::executor);
  auto worker = [&]() -> net::awaitable<void> {
    while (next < names.size() && !stop) {
      const std::size_t i = next++;
      std::string target = service_path(names[i]) + "/check";
      auto got = co_await call(ctx, "POST", std::move(target), "{}");
      if (auto* f = std::get_if<Failure>(&got)) {
        if (f->code == kExitUnauthorized || names.size() == 1) {
          stop = *f;
        }
        checked[i] = {{"name", names[i]}, {"error", f->message}};
        code = kExitError;
        continue;
      }
      json s = std::get<Answer>(got).body;
      if (s.is_object() && s.contains("service") && s["service"].is_object()) {
        s = s["service"];
      }
      if (s.is_object() && !s.contains("name")) {
        s["name"] = names[i];
      }
      checked[i] = std::move(s);
    }
    --running;
    finished.notify_all();
  };
  for (; running < std::min(kConcurrentChecks, names.size()); ++running) {
    net::co_spawn(co_await net::this_coro::executor, worker, net::detached);
  }
  while (running > 0) {
    co_await finished.wait();
  }
  if (stop) {
    co_return *stop;
  }
  json results = json::array();
  for (auto& r : checked) {
    results.push_back(std::move(r));
  }
  if (cl.client.json) {
    print_json(cl.service ? results[0] : results);
  } else {
    std::fputs(render_checks(results).c_str(), stdout);
  }
  co_return code;
}

net::awaitable<Outcome> run_history(Context& ctx) {
  const CommandLine& cl = *ctx.command;
  const std::string target = "/v1/history" + (cl.service ? "?service=" + common::url_encode(*cl.service) : "");
  auto got = co_await call(ctx, "GET", target);
  if (auto* f = std::get_if<Failure>(&got)) {
    co_return *f;
  }
  const json& body = std::get<Answer>(got).body;
  if (cl.client.json) {
    print_json(body);
  } else {
    json swaps = list_of(body, "history");
    if (swaps.empty()) {
      swaps = list_of(body, "swaps");
    }
    std::fputs(render_history(swaps, std::chrono::system_clock::now()).c_str(), stdout);
  }
  co_return kExitOk;
}

net::awaitable<Outcome> dispatch(Context& ctx) {
  const std::string& cmd = ctx.command->command;
  if (cmd == "status") {
    co_return co_await run_status(ctx);
  }
  if (cmd == "check") {
    co_return co_await run_check(ctx);
  }
  if (cmd == "history") {
    co_return co_await run_history(ctx);
  }
  co_return co_await run_swap_command(ctx);
}

std::optional<std::string> env_value(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::optional<std::string>(v) : std::nullopt;
}

// The token to send, if any: --token-file, else BERTH_TOKEN. Refuses to send one in clear text to a
// host that is not this one.
std::variant<std::optional<std::string>, Failure> token_for(const ClientOptions& o) {
  std::optional<std::string> token;
  if (o.token_file) {
    auto read = read_token_file(*o.token_file);
    if (!read) {
      return Failure{kExitError, read.error().message};
    }
    token = std::move(*read);
  } else {
    token = env_value("BERTH_TOKEN");
  }
  auto url = parse_agent_url(o.url);
  if (token && url && url->kind == AgentUrl::Kind::kHttp && !common::is_loopback_host(url->host)) {
    return Failure{kExitUsage, "refusing to send a token over plain HTTP to " + url->host + "; use https://"};
  }
  return token;
}

}  // namespace

int run_client_command(int argc, char** argv) {
  if (argc > 1 && std::string_view(argv[1]) == "fleet") {
    return run_fleet_command(argc, argv);
  }
  auto cl = parse_command_line(argc, argv);
  const std::string_view command = argc > 1 ? argv[1] : "";
  if (!cl) {
    if (cl.error().message.empty()) {
      std::fputs(command_usage(command).c_str(), stdout);
      return kExitOk;
    }
    std::fprintf(stderr, "berth: %s\n%s", cl.error().message.c_str(), command_usage(command).c_str());
    return kExitUsage;
  }
  if (cl->command == "token") {
    return run_token_command(*cl, env_value("BERTH_CONFIG"), stdout, stderr);
  }
  auto token = token_for(cl->client);
  if (auto* f = std::get_if<Failure>(&token)) {
    std::fprintf(stderr, "berth %s: %s\n", cl->command.c_str(), f->message.c_str());
    return f->code;
  }
  auto endpoint = endpoint_for(cl->client);
  if (!endpoint) {
    std::fprintf(stderr, "berth %s: %s\n", cl->command.c_str(), endpoint.error().message.c_str());
    return parse_agent_url(cl->client.url) ? kExitError : kExitUsage;
  }
  // The context outlives the io_context: coroutine frames still pending when the loop stops (the event
  // stream of --wait) are destroyed with the io_context and may refer to it.
  Context ctx;
  net::io_context io;
  ctx.url = endpoint->describe();
  ctx.client = std::make_unique<http::Client>(io.get_executor(), std::move(*endpoint));
  ctx.token = std::get<std::optional<std::string>>(std::move(token));
  ctx.command = &*cl;
  Outcome outcome = Failure{kExitError, "internal error"};
  net::co_spawn(io, dispatch(ctx), [&](std::exception_ptr e, Outcome result) {
    outcome = std::move(result);
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        outcome = Failure{kExitError, std::string("internal error: ") + ex.what()};
      }
    }
    io.stop();  // the event stream of --wait may still be open
  });
  io.run();
  ctx.client->close_idle();  // while the io_context that owns their sockets is still there
  if (auto* f = std::get_if<Failure>(&outcome)) {
    std::fprintf(stderr, "berth %s: %s\n", cl->command.c_str(), f->message.c_str());
    return f->code;
  }
  return std::get<int>(outcome);
}

}  // namespace berth::cli
