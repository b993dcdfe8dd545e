// `berth fleet`: one request per agent of a hosts file (status, check), or a paced rollout (update,
// rollback) that follows each host's swap on GET /v1/swaps/{id}. Every agent has a client of its own;
// a host pinned by certificate fingerprint is trusted by that fingerprint alone.
#include "cli/client_setup.hpp"
#include "cli/exit_codes.hpp"
#include "cli/fleet.hpp"
#include "cli/fleet_hosts.hpp"
#include "cli/fleet_rollout.hpp"
#include "cli/render.hpp"
#include "cli/swap_follower.hpp"
#include "common/json_member.hpp"
#include "common/signal_io.hpp"
#include "common/text.hpp"
#include "http/client.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <climits>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <iterator>
#include <map>

namespace berth::cli {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

using common::kTuple;
constexpr auto kHostRequestTimeout = std::chrono::seconds(30);
constexpr auto kFollowEvery = std::chrono::seconds(1);
constexpr auto kRedrawEvery = std::chrono::seconds(1);
// A swap that has not ended after this long counts as failed (its agent keeps its own deadlines).
constexpr auto kSwapDeadline = std::chrono::minutes(30);
// GET /v1/swaps/{id} failing this long in a row makes the host unreachable.
constexpr auto kUnreachableAfter = std::chrono::seconds(30);
constexpr std::size_t kMaxHostsFileBytes = 1024 * 1024;
constexpr int kQueriesAtOnce = 16;

// What the handshake with a pinned host saw.
struct PinCheck {
  Fingerprint want{};
  std::string seen;
  bool mismatch = false;
};

// Replaces the whole certificate verification of a pinned host: the leaf's SHA-256 must be the pin.
int verify_pin(X509_STORE_CTX* store, void* arg) {
  auto* pin = static_cast<PinCheck*>(arg);
  X509* cert = X509_STORE_CTX_get0_cert(store);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (cert == nullptr || X509_digest(cert, EVP_sha256(), md, &len) != 1 || len != pin->want.size()) {
    pin->seen = "none";
    pin->mismatch = true;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  Fingerprint got{};
  std::copy(md, md + got.size(), got.begin());
  pin->seen = fingerprint_text(got);
  if (CRYPTO_memcmp(got.data(), pin->want.data(), got.size()) != 0) {
    pin->mismatch = true;
    X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
    return 0;
  }
  pin->mismatch = false;
  return 1;
}

struct Agent {
  std::unique_ptr<PinCheck> pin;  // before the client: the TLS context refers to it
  std::unique_ptr<http::Client> client;
};

// An agent's answer, or why there is none.
struct Reply {
  int status = 0;  // 0 when the agent did not answer
  json body;
  std::string error;
  bool unauthorized = false;
  [[nodiscard]] bool ok() const { return error.empty(); }
};

struct Fleet {
  const FleetCommandLine* cl = nullptr;
  std::vector<FleetHost> hosts;
  std::vector<Agent> agents;
  std::optional<std::string> token;
  std::vector<HostRow> rows;
  std::string digest;  // update SERVICE: the one digest of the rollout ("" for rollback)
  // update --all: the one digest of each image reference, resolved by the first host that has it
  std::map<std::string, std::string> digests;
  std::chrono::steady_clock::time_point began = std::chrono::steady_clock::now();
  bool live = false;   // redraw a table (a terminal, no --json)
  bool lines = false;  // print a line per change (no terminal, no --json)
  int drawn = 0;       // lines of the table drawn last
  Rollout* rollout = nullptr;

  [[nodiscard]] long long now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began).count();
  }
  void changed(std::size_t i) const {
    if (lines) {
      std::printf("%s\n", rollout_line(rows[i], now_ms()).c_str());
      std::fflush(stdout);
    }
  }
  void draw() {
    if (!live) {
      return;
    }
    if (drawn > 0) {
      std::printf("\x1b[%dA", drawn);
    }
    const std::string table = render_rollout_table(rows, now_ms());
    drawn = 0;
    for (std::size_t start = 0; start < table.size();) {
      const std::size_t end = table.find('\n', start);
      std::printf("%s\x1b[K\n", table.substr(start, end - start).c_str());
      ++drawn;
      start = end == std::string::npos ? table.size() : end + 1;
    }
    std::fflush(stdout);
  }
};

net::awaitable<Reply> call(Fleet& f, std::size_t i, std::string method, std::string target, std::string body = {}) {
  Agent& agent = f.agents[i];
  http::Request req = api_request(f.token, std::move(method), std::move(target), std::move(body));
  const http::Limits limits{kHostRequestTimeout, kApiAnswerLimit};
  auto res = co_await agent.client->request(std::move(req), limits);
  Reply r;
  if (!res) {
    if (agent.pin && agent.pin->mismatch) {
      r.error =
          "refused: its certificate is " + agent.pin->seen + ", not the pinned " + fingerprint_text(agent.pin->want);
    } else {
      r.error = "unreachable: " + res.error().message;
    }
    co_return r;
  }
  r.status = res->status;
  r.body = json::parse(res->body, nullptr, false);
  if (r.status < 200 || r.status > 299) {
    r.unauthorized = r.status == 401 || r.status == 403;
    r.error = api_error_text(r.status, res->body);
  }
  co_return r;
}

net::awaitable<void> pause(std::chrono::steady_clock::duration d) {
  net::steady_timer timer(co_await net::this_coro::executor, d);
  co_await timer.async_wait(kTuple);
}

bool fail(HostRow& row, const Reply& r) {
  row.error = r.error;
  row.unauthorized = row.unauthorized || r.unauthorized;
  return false;
}

void set_step(Fleet& f, std::size_t i, std::string step) {
  if (f.rows[i].step != step) {
    f.rows[i].step = std::move(step);
    f.changed(i);
  }
}

// Follows swap `id` on host i to its end: true when it swapped (or found nothing to do).
net::awaitable<bool> follow_swap(Fleet& f, std::size_t i, const std::string& id, const std::string& prefix) {
  HostRow& row = f.rows[i];
  const auto deadline = std::chrono::steady_clock::now() + kSwapDeadline;
  auto last_answer = std::chrono::steady_clock::now();
  for (;;) {
    co_await pause(kFollowEvery);
    std::string target = "/v1/swaps/" + common::url_encode(id);
    auto got = co_await call(f, i, "GET", std::move(target));
    const auto now = std::chrono::steady_clock::now();
    if (!got.ok()) {
      if (got.status != 0 || now - last_answer > kUnreachableAfter) {
        co_return fail(row, got);
      }
      continue;
    }
    last_answer = now;
    if (swap_has_ended(got.body)) {
      const std::string result = common::string_member(got.body, "result");
      const std::string reason = common::string_member(got.body, "reason");
      if (result == "swapped" || result == "up_to_date") {
        row.digest = common::string_member(got.body, "to_digest").empty()
                         ? row.digest
                         : common::string_member(got.body, "to_digest");
        set_step(f, i, prefix + (result == "swapped" ? "swapped" : "up to date"));
        co_return true;
      }
      row.error = reason.empty() ? result : reason;
      if (result == "rolled_back") {
        row.digest = common::string_member(got.body, "from_digest");
        set_step(f, i, prefix + "rolled back");
      } else {
        set_step(f, i, prefix + result);
      }
      co_return false;
    }
    if (now > deadline) {
      row.error = "the swap did not end within " + std::to_string(kSwapDeadline.count()) + " minutes";
      co_return false;
    }
    const std::string step = common::string_member(got.body, "step");
    set_step(f, i, prefix + (step.empty() ? "swapping" : step));
  }
}

// One service on host i to `digest` (a rollback when empty): true when it serves it at the end.
net::awaitable<bool> swap_service(Fleet& f, std::size_t i, const std::string& service, const std::string& digest) {
  HostRow& row = f.rows[i];
  const bool rollback = f.cl->action == "rollback";
  const std::string prefix = f.cl->all ? service + ": " : std::string();
  std::string path = service_path(service);
  auto got = co_await call(f, i, "GET", path);
  if (!got.ok()) {
    co_return fail(row, got);
  }
  const std::string running = common::string_member(got.body, "running_digest");
  if (row.from_digest.empty()) {
    row.from_digest = running;
  }
  if (!rollback && running == digest) {
    row.digest = digest;
    set_step(f, i, prefix + "up to date");
    co_return true;
  }
  row.digest = digest;
  json body = json::object();
  if (!rollback) {
    body["digest"] = digest;
  }
  std::string target = path + (rollback ? "/rollback" : "/update");
  std::string payload = body.dump();
  auto started = co_await call(f, i, "POST", std::move(target), std::move(payload));
  if (!started.ok()) {
    co_return fail(row, started);
  }
  const auto ids = swap_ids_of(started.body);
  if (ids.empty()) {
    const std::string result = common::string_member(started.body, "result");
    set_step(f, i, prefix + (result.empty() || result == "up_to_date" ? "up to date" : result));
    co_return result.empty() || exit_code_for_result(result) == kExitOk;
  }
  set_step(f, i, prefix + "started");
  co_return co_await follow_swap(f, i, ids.front(), prefix);
}

// The newest digest of `service` on host i, by a check (which changes nothing).
net::awaitable<Reply> check_newest(Fleet& f, std::size_t i, const std::string& service, std::string& digest) {
  std::string target = service_path(service) + "/check";
  auto checked = co_await call(f, i, "POST", std::move(target), "{}");
  if (!checked.ok()) {
    checked.error = service + ": " + checked.error;
    co_return checked;
  }
  digest = common::string_member(checked.body, "newest_digest");
  if (digest.empty()) {
    checked.error = service + ": the registry named no digest for " + common::string_member(checked.body, "image");
  }
  co_return checked;
}

// update --all on host i: each service to the rollout's digest of its image (resolved here, once for
// the whole rollout, when no host before had that image).
net::awaitable<bool> update_all(Fleet& f, std::size_t i) {
  auto list = co_await call(f, i, "GET", "/v1/services");
  if (!list.ok()) {
    co_return fail(f.rows[i], list);
  }
  for (const auto& s : list_of(list.body, "services")) {
    const std::string name = common::string_member(s, "name");
    const std::string image = common::string_member(s, "image");
    if (name.empty() || image.empty()) {
      continue;
    }
    if (!f.digests.contains(image)) {
      std::string newest;
      auto checked = co_await check_newest(f, i, name, newest);
      if (!checked.ok()) {
        co_return fail(f.rows[i], checked);
      }
      f.digests.emplace(image, newest);  // a host that resolved it meanwhile came first
    }
    const std::string digest = f.digests.at(image);
    if (!co_await swap_service(f, i, name, digest)) {
      co_return false;
    }
  }
  co_return true;
}

net::awaitable<bool> run_host(Fleet& f, std::size_t i) {
  HostRow& row = f.rows[i];
  row.state = HostState::kRunning;
  row.started_ms = f.now_ms();
  f.changed(i);
  bool ok = false;
  if (f.cl->all) {
    ok = co_await update_all(f, i);
  } else {
    ok = co_await swap_service(f, i, *f.cl->service, f.digest);
  }
  row.state = ok ? HostState::kDone : HostState::kFailed;
  row.ended_ms = f.now_ms();
  f.changed(i);
  co_return ok;
}

// Runs `body` for the hosts `rollout` lets start, until it is over; redraws the live table meanwhile.
net::awaitable<void> run_paced(Fleet& f, Rollout& rollout, std::function<net::awaitable<bool>(std::size_t)> body) {
  const auto ex = co_await net::this_coro::executor;
  net::steady_timer wake(ex);
  while (!rollout.over()) {
    while (auto i = rollout.next()) {
      net::co_spawn(ex, body(*i), [&f, &rollout, &wake, host = *i](std::exception_ptr e, bool ok) {
        if (e) {
          f.rows[host].state = HostState::kFailed;
          f.rows[host].error = "internal error";
          ok = false;
        }
        rollout.finished(host, ok);
        wake.cancel();
      });
    }
    if (rollout.over()) {
      break;
    }
    wake.expires_after(kRedrawEvery);
    co_await wake.async_wait(kTuple);
    f.draw();
  }
}

// The rollout's digest, from the first host (the first canary) unless --digest names it: a tag pushed
// again during the rollout does not spread a second version. With --all, the digest of each image of
// the first host's services. An error reply when it cannot be resolved.
net::awaitable<Reply> resolve_digests(Fleet& f) {
  const FleetCommandLine& cl = *f.cl;
  if (cl.action == "rollback") {
    co_return Reply{};
  }
  if (cl.digest) {
    f.digest = *cl.digest;
    co_return Reply{};
  }
  if (!cl.all) {
    co_return co_await check_newest(f, 0, *cl.service, f.digest);
  }
  auto list = co_await call(f, 0, "GET", "/v1/services");
  if (!list.ok()) {
    co_return list;
  }
  for (const auto& s : list_of(list.body, "services")) {
    const std::string name = common::string_member(s, "name");
    const std::string image = common::string_member(s, "image");
    if (name.empty() || image.empty() || f.digests.contains(image)) {
      continue;
    }
    std::string newest;
    auto checked = co_await check_newest(f, 0, name, newest);
    if (!checked.ok()) {
      co_return checked;
    }
    f.digests.emplace(image, newest);
  }
  co_return Reply{};
}

// Asks before a rollout on a terminal; refuses to start one without --yes elsewhere.
int confirm(const Fleet& f, int concurrency, int errors) {
  const FleetCommandLine& cl = *f.cl;
  std::string what = cl.action == "rollback" ? "roll back " + *cl.service
                     : cl.all                ? std::string("update every service")
                                             : "update " + *cl.service + " to " + f.digest;
  for (const auto& [image, digest] : f.digests) {
    what += (what.ends_with("service") ? ": " : ", ") + image + " to " + digest;
  }
  const std::string plan = what + " on " + std::to_string(f.rows.size()) + " hosts (canary " +
                           std::to_string(cl.canary) + ", " + std::to_string(concurrency) +
                           " at once, stop after more than " + std::to_string(errors) + " failed)";
  if (cl.yes) {
    if (!cl.client.json) {
      std::fprintf(stderr, "berth fleet: %s\n", plan.c_str());
    }
    return kExitOk;
  }
  if (::isatty(STDIN_FILENO) != 1 || cl.hosts_file == "-") {
    std::fprintf(stderr, "berth fleet %s: %s: give --yes to start it without a question\n", cl.action.c_str(),
                 plan.c_str());
    return kExitUsage;
  }
  std::fprintf(stderr, "%s? [y/N] ", plan.c_str());
  std::string answer;
  std::getline(std::cin, answer);
  if (answer != "y" && answer != "Y" && answer != "yes") {
    std::fprintf(stderr, "berth fleet: nothing done\n");
    return kExitError;
  }
  return kExitOk;
}

net::awaitable<int> run_rollout(Fleet& f) {
  const FleetCommandLine& cl = *f.cl;
  auto resolved = co_await resolve_digests(f);
  if (!resolved.ok()) {
    std::fprintf(stderr, "berth fleet %s: cannot resolve the digest on %s: %s\n", cl.action.c_str(),
                 f.rows[0].name.c_str(), resolved.error.c_str());
    co_return resolved.unauthorized ? kExitUnauthorized : kExitError;
  }
  const int hosts = static_cast<int>(f.rows.size());
  const int concurrency = concurrency_for(cl.max_concurrency, hosts);
  const int errors = errors_for(cl.max_errors, hosts);
  if (const int code = confirm(f, concurrency, errors); code != kExitOk) {
    co_return code;
  }
  for (int i = 0; i < std::min(cl.canary, hosts); ++i) {
    f.rows[static_cast<std::size_t>(i)].canary = true;
  }
  Rollout rollout(f.rows.size(), cl.canary, concurrency, errors);
  f.rollout = &rollout;
  f.draw();
  co_await run_paced(f, rollout, [&f](std::size_t i) { return run_host(f, i); });
  f.rollout = nullptr;
  for (std::size_t i = 0; i < f.rows.size(); ++i) {
    if (f.rows[i].state == HostState::kWaiting) {
      f.rows[i].state = HostState::kNotStarted;
      f.changed(i);
    }
  }
  f.draw();
  const std::string digest = f.digests.size() == 1 ? f.digests.begin()->second : f.digest;
  const std::string service = cl.all ? std::string("--all") : *cl.service;
  if (cl.client.json) {
    json doc = rollout_json(f.rows, rollout.stop_reason(), cl.action, service, digest);
    if (cl.all) {
      doc["digests"] = f.digests;
    }
    std::printf("%s\n", doc.dump(2).c_str());
  } else {
    for (const auto& row : f.rows) {
      if (row.state == HostState::kFailed && f.live) {
        std::printf("%s: %s\n", row.name.c_str(), row.error.c_str());
      }
    }
    std::printf("%s\n", rollout_summary(f.rows, rollout.stop_reason(), errors).c_str());
  }
  co_return rollout_exit_code(f.rows, rollout.stop_reason());
}

// status and check: each host's services (checked first for `check`), as one table.
net::awaitable<int> run_query(Fleet& f) {
  const FleetCommandLine& cl = *f.cl;
  const bool check = cl.action == "check";
  std::vector<json> answers(f.rows.size());
  std::vector<Reply> problems(f.rows.size());
  auto query = [&](std::size_t i) -> net::awaitable<bool> {
    std::string path = cl.service ? service_path(*cl.service) : std::string("/v1/services");
    auto got = co_await call(f, i, "GET", std::move(path));
    if (!got.ok()) {
      problems[i] = got;
      co_return false;
    }
    json services = cl.service ? json::array({got.body}) : list_of(got.body, "services");
    if (check) {
      for (auto& s : services) {
        std::string target = service_path(common::string_member(s, "name")) + "/check";
        auto checked = co_await call(f, i, "POST", std::move(target), "{}");
        if (checked.ok()) {
          s = checked.body;
        } else {
          s["error"] = checked.error;
          problems[i].unauthorized = problems[i].unauthorized || checked.unauthorized;
        }
      }
    }
    answers[i] = std::move(services);
    co_return true;
  };
  Rollout all(f.rows.size(), 0, kQueriesAtOnce, INT_MAX);
  co_await run_paced(f, all, query);
  int code = kExitOk;
  json doc = json::array();
  std::vector<std::vector<std::string>> cells;
  for (std::size_t i = 0; i < f.rows.size(); ++i) {
    const std::string& host = f.rows[i].name;
    json entry{{"host", host}, {"url", f.rows[i].url}};
    if (!problems[i].ok()) {
      entry["error"] = problems[i].error;
      cells.push_back({host, "-", "-", "-", problems[i].error});
      code = std::max(code, kExitError);
    }
    if (problems[i].unauthorized) {
      code = kExitUnauthorized;
    }
    for (const auto& s : answers[i]) {
      const std::string error = common::string_member(s, "error");
      const bool newer = s.is_object() && s.value("update_available", false);
      std::string last = check ? (newer ? "yes" : "no") : common::string_member(s, "state");
      if (!error.empty()) {
        last = error;
        code = std::max(code, kExitError);
      }
      cells.push_back({host, common::string_member(s, "name"), short_digest(common::string_member(s, "running_digest")),
                       short_digest(common::string_member(s, "newest_digest")), last});
    }
    if (problems[i].ok()) {
      entry["services"] = answers[i];
    }
    doc.push_back(std::move(entry));
  }
  if (cl.client.json) {
    std::printf("%s\n", json{{"hosts", doc}}.dump(2).c_str());
  } else {
    std::fputs(render_table({"HOST", "SERVICE", "RUNNING", "NEWEST", check ? "UPDATE" : "STATE"}, cells).c_str(),
               stdout);
  }
  co_return code;
}

common::Result<std::string> read_hosts_text(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  } else {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      return common::make_error(common::ErrorKind::kNotFound, "cannot read the hosts file " + path);
    }
    text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  if (text.size() > kMaxHostsFileBytes) {
    return common::make_error(common::ErrorKind::kTooLarge, "the hosts file is larger than 1 MiB");
  }
  return text;
}

// One client per host; a pinned host gets a TLS context of its own that checks only the pin.
common::Result<std::vector<Agent>> connect_agents(const net::any_io_executor& ex, const std::vector<FleetHost>& hosts,
                                                  const ClientOptions& options) {
  std::vector<Agent> agents;
  std::shared_ptr<ssl::context> shared;
  for (const auto& host : hosts) {
    auto url = parse_agent_url(host.url);
    if (!url) {
      return url.error();
    }
    const auto port = static_cast<std::uint16_t>(url->port);
    Agent agent;
    if (url->kind == AgentUrl::Kind::kHttp) {
      agent.client = std::make_unique<http::Client>(ex, http::Endpoint::tcp(url->host, port));
      agents.push_back(std::move(agent));
      continue;
    }
    std::shared_ptr<ssl::context> tls = shared;
    if (host.pin || !tls) {
      auto made = make_tls(options);
      if (!made) {
        return made.error();
      }
      tls = *made;
    }
    if (host.pin) {
      agent.pin = std::make_unique<PinCheck>();
      agent.pin->want = *host.pin;
      SSL_CTX_set_cert_verify_callback(tls->native_handle(), verify_pin, agent.pin.get());
    } else {
      shared = tls;
    }
    agent.client = std::make_unique<http::Client>(ex, http::Endpoint::tls_to(url->host, port, tls));
    agents.push_back(std::move(agent));
  }
  return agents;
}

}  // namespace

int run_fleet_command(int argc, char** argv) {
  auto cl = parse_fleet_command_line(argc, argv);
  if (!cl) {
    if (cl.error().message.empty()) {
      std::fputs(fleet_usage().c_str(), stdout);
      return kExitOk;
    }
    std::fprintf(stderr, "berth: %s\n%s", cl.error().message.c_str(), fleet_usage().c_str());
    return kExitUsage;
  }
  const std::string who = "berth fleet " + cl->action;
  auto text = read_hosts_text(cl->hosts_file);
  if (!text) {
    std::fprintf(stderr, "%s: %s\n", who.c_str(), text.error().message.c_str());
    return kExitError;
  }
  auto hosts = parse_hosts_file(*text);
  if (!hosts) {
    std::fprintf(stderr, "%s: %s\n", who.c_str(), hosts.error().message.c_str());
    return kExitUsage;
  }
  Fleet f;
  f.cl = &*cl;
  if (cl->client.token_file) {
    auto token = read_token_file(*cl->client.token_file);
    if (!token) {
      std::fprintf(stderr, "%s: %s\n", who.c_str(), token.error().message.c_str());
      return kExitError;
    }
    f.token = std::move(*token);
  } else if (const char* env = std::getenv("BERTH_TOKEN"); env != nullptr && *env != '\0') {
    f.token = env;
  }
  net::io_context io;
  auto agents = connect_agents(io.get_executor(), *hosts, cl->client);
  if (!agents) {
    std::fprintf(stderr, "%s: %s\n", who.c_str(), agents.error().message.c_str());
    return kExitError;
  }
  f.hosts = std::move(*hosts);
  f.agents = std::move(*agents);
  for (const auto& h : f.hosts) {
    HostRow row;
    row.name = h.name;
    row.url = h.url;
    f.rows.push_back(std::move(row));
  }
  const bool rollout = cl->action == "update" || cl->action == "rollback";
  const bool terminal = ::isatty(STDOUT_FILENO) == 1;
  f.live = rollout && terminal && !cl->client.json;
  f.lines = rollout && !terminal && !cl->client.json;
  // Ctrl-C (or SIGTERM) during a rollout: no new host starts, those in flight finish; a second one
  // ends the command at once.
  net::signal_set signals(io, SIGINT, SIGTERM);
  std::function<void(const boost::system::error_code&, int)> on_signal = [&](const boost::system::error_code& ec, int) {
    if (ec) {
      return;
    }
    if (f.rollout == nullptr || f.rollout->stop_reason() == StopReason::kInterrupted) {
      std::_Exit(kExitInterrupted);
    }
    f.rollout->interrupt();
    std::fprintf(stderr, "\nberth fleet: no new host starts; waiting for %d in flight (again to quit now)\n",
                 f.rollout->running());
    signals.async_wait(on_signal);
  };
  if (rollout) {
    signals.async_wait(on_signal);
  }
  int code = kExitError;
  auto body = [&f, rollout]() -> net::awaitable<int> {
    if (rollout) {
      co_return co_await run_rollout(f);
    }
    co_return co_await run_query(f);
  };
  net::co_spawn(io, body(), [&](std::exception_ptr e, int result) {
    code = result;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::fprintf(stderr, "%s: internal error: %s\n", who.c_str(), ex.what());
        code = kExitError;
      }
    }
    signals.cancel();
    io.stop();
  });
  io.run();
  for (auto& agent : f.agents) {
    agent.client->close_idle();
  }
  return code;
}

}  // namespace berth::cli
