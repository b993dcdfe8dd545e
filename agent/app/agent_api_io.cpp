// The control API as the agent answers it (CONTRACT section 6).
#include "app/agent.hpp"

#include "app/systemd.hpp"
#include "common/version.hpp"
#include "registry/digest.hpp"

#include <spdlog/spdlog.h>

namespace berth::app {

namespace net = boost::asio;
using control::ApiRequest;
using control::ApiResponse;
using control::error_response;
using control::RouteId;
using nlohmann::json;

namespace {

json null_or(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

bool wants_wait(const ApiRequest& r) {
  auto it = r.query.find("wait");
  return it != r.query.end() && (it->second == "true" || it->second == "1");
}

ApiResponse ok(json body, int status = 200) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

ApiResponse from_error(const common::Error& e) {
  switch (e.kind) {
    case common::ErrorKind::kNotFound: return error_response(404, "not_found", e.message);
    case common::ErrorKind::kConflict: return error_response(409, "conflict", e.message);
    case common::ErrorKind::kInvalidArgument: return error_response(400, "bad_request", e.message);
    default: return error_response(502, "upstream_error", e.message);
  }
}

// The answer of ?wait=true for a finished swap.
ApiResponse waited(const json& swap) {
  const std::string result = swap.value("result", std::string());
  if (result == "swapped" || result == "up_to_date") {
    return ok(swap, 200);
  }
  if (result == "rolled_back") {
    return ok(swap, 422);
  }
  ApiResponse r = error_response(500, "swap_failed", swap.value("reason", std::string("the swap failed")));
  r.body["swap"] = swap;
  return r;
}

// A finished swap of the history, with its times as RFC 3339 text (`berth history`'s STARTED column) beside
// the milliseconds the state file keeps.
json history_json(const state::HistoryEntry& h) {
  json j = state::to_json(h);
  j["started"] = null_or(rfc3339(h.started_ms));
  j["ended"] = null_or(rfc3339(h.ended_ms));
  return j;
}

}  // namespace

control::ServiceShown Agent::shown(const Service& s) {
  control::ServiceShown v;
  v.name = s.name;
  v.image = s.image;
  v.running_digest = s.running_digest;
  v.newest_digest = s.newest_digest;
  v.state = s.state;
  v.last_check_ms = s.last_check_ms;
  v.last_swap_ms = s.last_swap_ms;
  v.policy = config::to_string(s.policy.policy);
  v.strategy = config::to_string(s.policy.strategy);
  v.source = s.from_file ? "file" : "label";
  v.error = s.error;
  v.images_bytes = s.images_bytes;
  v.running_tag = s.running_tag;
  v.follow = s.policy.follow ? std::string_view(s.policy.follow->text()) : std::string_view();
  v.newest_tag = s.newest_tag;
  return v;
}

void Agent::refresh_snapshot() {
  std::vector<control::ServiceShown> all;
  all.reserve(services_.size());
  for (const auto& [name, s] : services_) {
    all.push_back(shown(s));
  }
  snapshot_.refresh(all);
}

json Agent::swap_json(const swap::SwapRecord& r) const {
  return json{{"id", r.id},
              {"service", r.service},
              {"image", r.image_ref},
              {"from_digest", null_or(r.from_digest)},
              {"to_digest", null_or(r.to_digest)},
              {"strategy", swap::to_string(r.strategy)},
              {"started", null_or(rfc3339(r.started_ms))},
              {"ended", null_or(rfc3339(r.ended_ms))},
              {"result", swap::to_string(r.outcome)},
              {"reason", r.reason},
              {"step", r.intent}};
}

net::awaitable<ApiResponse> Agent::handle(RouteId route, const ApiRequest& request) {
  switch (route) {
    case RouteId::kHealth: co_return ok({{"status", "ok"}, {"version", common::kVersion}});
    case RouteId::kListServices: {
      refresh_snapshot();
      ApiResponse r;
      r.json_text = snapshot_.list_body();
      co_return r;
    }
    case RouteId::kGetService: {
      refresh_snapshot();
      ApiResponse r;
      r.json_text = snapshot_.service_body(request.params.at("name"));
      if (!r.json_text) {
        co_return error_response(404, "not_found", "no service named " + request.params.at("name"));
      }
      co_return r;
    }
    case RouteId::kCheckService: {
      auto it = services_.find(request.params.at("name"));
      if (it == services_.end()) {
        co_return error_response(404, "not_found", "no service named " + request.params.at("name"));
      }
      auto checked = co_await check(it->second, CheckFor::kRequest);
      it = services_.find(request.params.at("name"));
      if (!checked || it == services_.end()) {
        co_return from_error(checked ? common::make_error(common::ErrorKind::kNotFound, "service went away")
                                     : checked.error());
      }
      json body = control::service_json(shown(it->second));
      body["update_available"] = it->second.state == "update available" || waiting_for_window(it->second);
      co_return ok(body);
    }
    case RouteId::kUpdateService: co_return co_await api_update(request);
    case RouteId::kRollbackService: co_return co_await api_rollback(request);
    case RouteId::kUpdateAll: co_return co_await api_update_all(request);
    case RouteId::kGetSwap: {
      if (const auto* swap = swaps_.find(request.params.at("id"))) {
        co_return ok(*swap);
      }
      for (const auto& h : store_.history("", state::StateStore::kHistoryLimit)) {
        if (h.id == request.params.at("id")) {
          co_return ok(history_json(h));
        }
      }
      co_return error_response(404, "not_found", "no swap " + request.params.at("id"));
    }
    case RouteId::kHistory: {
      const auto svc = request.query.count("service") != 0 ? request.query.at("service") : std::string();
      json list = json::array();
      for (const auto& h : store_.history(svc, 200)) {
        list.push_back(history_json(h));
      }
      co_return ok({{"swaps", list}});
    }
    case RouteId::kRegistryHook: co_return api_registry_hook(request);
    case RouteId::kMetrics: {
      ApiResponse r;
      r.content_type = "text/plain; version=0.0.4";
      r.text = metrics_text();
      co_return r;
    }
    case RouteId::kEvents: break;
  }
  co_return error_response(404, "not_found", "no such route");
}

net::awaitable<ApiResponse> Agent::api_update(const ApiRequest& request) {
  const std::string name = request.params.at("name");
  auto it = services_.find(name);
  if (it == services_.end()) {
    co_return error_response(404, "not_found", "no service named " + name);
  }
  std::string digest;
  bool in_window = false;
  if (!request.body.empty()) {
    auto body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      co_return error_response(400, "bad_request", "the body is not a JSON object");
    }
    if (auto w = body.find("in_window"); w != body.end()) {
      if (!w->is_boolean()) {
        co_return error_response(400, "bad_request", "in_window: not true or false");
      }
      in_window = w->get<bool>();
    }
    if (auto d = body.find("digest"); d != body.end()) {
      if (!d->is_string() || !registry::is_sha256_digest(d->get<std::string>())) {
        co_return error_response(400, "bad_request", "digest: not a sha256:<64 hex> digest");
      }
      digest = d->get<std::string>();
    }
  }
  if (engine_.busy(name)) {
    co_return error_response(409, "conflict", "a swap of " + name + " is already running");
  }
  if (digest.empty()) {
    auto checked = co_await check(it->second, CheckFor::kRequest);
    if (!checked) {
      co_return from_error(checked.error());
    }
    it = services_.find(name);
    if (it == services_.end()) {
      co_return error_response(404, "not_found", "no service named " + name);
    }
    if (it->second.state != "update available" && !waiting_for_window(it->second) &&
        it->second.state != "quarantined" && it->second.state != "missing") {
      co_return ok({{"result", "up_to_date"}, {"service", name}, {"digest", null_or(it->second.running_digest)}});
    }
    if (it->second.state == "quarantined") {
      co_return error_response(409, "quarantined",
                               it->second.newest_digest + " failed its gate before; update with --digest to retry it");
    }
    digest = it->second.newest_digest;
    if (in_window) {
      if (auto waiting = defer_to_window(it->second)) {
        co_return ok(*waiting, 202);
      }
    }
  } else {
    // An explicit digest is the operator's decision: it overrides the quarantine.
    (void)store_.release(name, digest);
  }
  co_return co_await start_swap(name, digest, "requested by " + request.caller.name, wants_wait(request));
}

net::awaitable<ApiResponse> Agent::start_swap(const std::string& name, const std::string& digest,
                                              const std::string& why, bool wait) {
  if (wait) {
    auto r = co_await update(name, digest, why, swap::new_swap_id());
    if (!r) {
      co_return from_error(r.error());
    }
    co_return waited(swap_json(*r));
  }
  // The swap runs on; the caller follows it with GET /v1/swaps/{id} or /v1/events.
  const std::string id = swap::new_swap_id();
  swaps_[id] = json{{"id", id}, {"service", name}, {"to_digest", digest}, {"result", "pending"}, {"step", "waiting"}};
  spawn([this, name, digest, why, id]() -> net::awaitable<void> { (void)co_await update(name, digest, why, id); });
  co_return ok({{"swap", id}, {"service", name}}, 202);
}

std::optional<json> Agent::defer_to_window(Service& s) {
  const auto* window = window_of(s);
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  if (window == nullptr || window->contains(now)) {
    return std::nullopt;
  }
  const std::string next = window->describe_next(now);
  s.update_in_window = true;
  s.state = "waiting for window (next: " + next + ")";
  if (const auto opening = window->next_opening(now)) {
    s.next_check = std::chrono::steady_clock::now() + (opening->at - now);
  }
  log_service(2, s.name, "", "update requested for the update window: it starts " + next);
  return json{{"service", s.name}, {"result", "waiting_for_window"}, {"next", next}};
}

net::awaitable<ApiResponse> Agent::api_rollback(const ApiRequest& request) {
  const std::string name = request.params.at("name");
  if (services_.find(name) == services_.end()) {
    co_return error_response(404, "not_found", "no service named " + name);
  }
  for (const auto& h : store_.history(name, state::StateStore::kHistoryLimit)) {
    if (h.result == "swapped" && !h.from_digest.empty()) {
      co_return co_await start_swap(name, h.from_digest, "rollback requested by " + request.caller.name,
                                    wants_wait(request));
    }
  }
  co_return error_response(409, "no_previous_version", "berth has no earlier version of " + name + " to go back to");
}

net::awaitable<ApiResponse> Agent::api_update_all(const ApiRequest& request) {
  json started = json::array();
  json up_to_date = json::array();
  json deferred = json::array();
  bool in_window = false;
  if (!request.body.empty()) {
    auto body = json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object() || !body.value("in_window", json(false)).is_boolean()) {
      co_return error_response(400, "bad_request", "the body is not a JSON object with in_window true or false");
    }
    in_window = body.value("in_window", false);
  }
  std::vector<std::string> names;
  for (const auto& [name, s] : services_) {
    names.push_back(name);
  }
  for (const auto& name : names) {
    auto it = services_.find(name);
    if (it == services_.end() || engine_.busy(name)) {
      continue;
    }
    if (!co_await check(it->second, CheckFor::kRequest)) {
      continue;
    }
    it = services_.find(name);
    if (it != services_.end() && (it->second.state == "update available" || waiting_for_window(it->second))) {
      if (in_window) {
        if (auto waiting = defer_to_window(it->second)) {
          deferred.push_back(*waiting);
          continue;
        }
      }
      auto r =
          co_await start_swap(name, it->second.newest_digest, "update all requested by " + request.caller.name, false);
      started.push_back(r.body);
    } else {
      up_to_date.push_back(name);
    }
  }
  json answer{{"swaps", started}, {"up_to_date", up_to_date}};
  if (!deferred.empty()) {
    answer["waiting_for_window"] = deferred;
  }
  co_return ok(answer, 202);
}

ApiResponse Agent::api_registry_hook(const ApiRequest& request) {
  // The payload is only a hint of which repository changed: berth checks the registry itself and never
  // takes a digest from it.
  auto body = json::parse(request.body, nullptr, false);
  std::set<std::string> repos;
  if (!body.is_discarded() && body.is_object()) {
    if (auto repo = body.value("repository", json::object()); repo.is_object() && repo.contains("repo_name")) {
      repos.insert(repo.value("repo_name", std::string()));
    }
    for (const auto& e : body.value("events", json::array())) {
      if (e.is_object()) {
        repos.insert(e.value("target", json::object()).value("repository", std::string()));
      }
    }
  }
  if (repos.empty()) {
    return error_response(400, "bad_request", "no repository named in the webhook payload");
  }
  json triggered = json::array();
  for (auto& [name, s] : services_) {
    auto ref = registry::parse_reference(s.image);
    if (!ref) {
      continue;
    }
    for (const auto& repo : repos) {
      auto hinted = registry::parse_reference(repo);
      if (hinted && hinted->repository == ref->repository) {
        s.next_check = std::chrono::steady_clock::now();
        triggered.push_back(name);
        break;
      }
    }
  }
  return ok({{"checking", triggered}}, 202);
}

const std::string& Agent::metrics_text() {
  if (!metrics_.text.empty() && metrics_.services == services_.size() &&
      metrics_.last_successful_check_ms == last_successful_check_ms_ && metrics_.counters == counters_) {
    return metrics_.text;
  }
  metrics_.services = services_.size();
  metrics_.last_successful_check_ms = last_successful_check_ms_;
  metrics_.counters = counters_;
  std::string& out = metrics_.text;
  out.clear();
  out += "# HELP berth_build_info berth version\n# TYPE berth_build_info gauge\n";
  out += std::string("berth_build_info{version=\"") + common::kVersion + "\"} 1\n";
  out += "# HELP berth_services_watched services berth keeps up to date\n# TYPE berth_services_watched gauge\n";
  out += "berth_services_watched " + std::to_string(services_.size()) + "\n";
  out += "# TYPE berth_last_successful_check_timestamp_seconds gauge\n";
  out += "berth_last_successful_check_timestamp_seconds " + std::to_string(last_successful_check_ms_ / 1000) + "\n";
  for (const auto& [key, value] : counters_) {
    out += "berth_" + key + " " + std::to_string(value) + "\n";
  }
  const auto& aws = aws_.tally();
  for (const auto& [kind, value] : {std::pair{"imds_token", aws.imds_token},
                                    {"imds_credentials", aws.imds_credentials},
                                    {"imds_region", aws.imds_region},
                                    {"s3", aws.objects}}) {
    out += std::string("berth_aws_requests{kind=\"") + kind + "\"} " + std::to_string(value) + "\n";
  }
  for (const auto& [service, value] : aws.calls_by_service) {
    out += "berth_aws_requests{kind=\"" + service + "\"} " + std::to_string(value) + "\n";
  }
  return out;
}

}  // namespace berth::app
