// Registry checks and swaps of one service.
#include "app/agent.hpp"

#include "app/systemd.hpp"
#include "common/text.hpp"
#include "config/docker_mapping.hpp"
#include "config/env_file.hpp"
#include "health/probe.hpp"
#include "swap/recreate.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <random>

namespace berth::app {

namespace net = boost::asio;
using common::ErrorKind;
using common::Result;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t kConcurrentPulls = 2;  // a global bound, so a fleet-wide push does not saturate a host

// The next check: the poll interval, spread by the jitter so a fleet does not ask at the same second.
Clock::duration next_wait(std::chrono::milliseconds interval, int jitter_percent) {
  static std::mt19937_64 rng{std::random_device{}()};
  const auto spread = interval.count() * jitter_percent / 100;
  std::uniform_int_distribution<std::int64_t> dist(-spread, spread);
  return std::chrono::milliseconds(std::max<std::int64_t>(1000, interval.count() + dist(rng)));
}

// After a failed attempt (a check, or an update that could not begin) the next one comes sooner than the
// next poll, backing off: 30 s, 1 min, 2 min and so on, never later than the poll interval.
std::chrono::milliseconds retry_after(std::chrono::milliseconds interval, int failures) {
  return std::min<std::chrono::milliseconds>(interval, std::chrono::seconds(15 << failures));
}

std::optional<std::string> probe_label_of(const config::ServicePolicy& p) {
  if (p.probe.kind == config::ProbeKind::kAuto) {
    return std::nullopt;
  }
  return p.probe.to_string();
}

std::string expect_label_of(const config::ServicePolicy& p) {
  return std::to_string(p.expect.low) + "-" + std::to_string(p.expect.high);
}

}  // namespace

net::awaitable<common::Status> Agent::check(Service& s, CheckFor why) {
  const ServiceWork work(s);
  const std::string name = s.name;
  const auto schedule = [&s, why](Clock::time_point at) {
    if (why == CheckFor::kSchedule) {
      s.next_check = at;
    }
  };
  const auto interval = s.policy.poll.value_or(config_.poll.interval);
  auto ref = registry::parse_reference(s.image);
  if (!ref) {
    s.state = "error";
    s.error = ref.error().message;
    s.failures = std::min(s.failures + 1, 8);
    schedule(Clock::now() + retry_after(interval, s.failures));
    co_return ref.error();
  }
  co_await refresh_running(s);
  // Back off on a failing registry; never swap on an error.
  const auto check_failed = [&](const common::Error& e) {
    ++counters_["check_errors{registry=\"" + ref->registry + "\"}"];
    s.failures = std::min(s.failures + 1, 8);
    s.error = e.message;
    schedule(Clock::now() + retry_after(interval, s.failures));
    log_service(3, name, "", "check failed: " + s.error);
    publish({{"type", "check"}, {"service", name}, {"error", s.error}});
  };
  if (s.policy.follow) {
    // berth.follow: the highest tag of the repository that matches, then that tag's digest as usual.
    auto tag = co_await followed_tag(*ref, *s.policy.follow, interval);
    if (!tag) {
      check_failed(tag.error());
      co_return tag.error();
    }
    ref->tag = *tag;
    ref->digest.clear();
    s.newest_tag = *tag;
  }
  if (ref->tag.empty()) {
    schedule(Clock::now() + next_wait(interval, config_.poll.jitter_percent));
    co_return common::Status{};  // pinned to a digest: nothing to follow
  }
  ++counters_["checks{registry=\"" + ref->registry + "\"}"];
  auto newest = co_await registry_.check(*ref);
  if (newest) {
    counters_["registry_requests{registry=\"" + ref->registry + "\"}"] += newest->requests_made;
    counters_["token_requests{registry=\"" + ref->registry + "\"}"] += newest->token_requests;
  }
  if (!newest) {
    check_failed(newest.error());
    co_return newest.error();
  }
  s.failures = 0;
  s.error.clear();
  s.newest_digest = newest->tag_digest;
  s.newest_platform = newest->platform_digest;
  if (!s.running_digest.empty() && s.running_platform.empty()) {
    auto platform = co_await registry_.platform_digest(*ref, s.running_digest);
    if (platform) {
      s.running_platform = *platform;
    }
  }
  // Compare this host's manifests: a rebuild of another platform of a multi-arch tag is not an update.
  const bool newer = s.running_platform.empty() || s.newest_platform.empty() ? s.newest_digest != s.running_digest
                                                                             : s.newest_platform != s.running_platform;
  const bool quarantined = store_.is_quarantined(name, s.newest_digest);
  // An automatic swap starts only inside the service's update window; the check runs at any time.
  const auto* window = window_of(s);
  const auto wall_now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  const bool waiting = newer && !quarantined &&
                       (s.policy.policy == config::UpdatePolicy::kAuto || s.update_in_window) && window != nullptr &&
                       !window->contains(wall_now);
  if (s.state != "updating") {
    s.state = !newer ? (s.container_id.empty() ? "missing" : (s.container_running ? "running" : "stopped"))
                     : (quarantined ? "quarantined"
                                    : (waiting ? "waiting for window (next: " + window->describe_next(wall_now) + ")"
                                               : "update available"));
  }
  if (newer && !quarantined && (s.policy.policy != config::UpdatePolicy::kAuto || waiting) && notifier_ &&
      s.notified_digest != s.newest_digest) {
    s.notified_digest = s.newest_digest;
    notifier_->notify({{"event", "update_available"},
                       {"service", name},
                       {"image", s.policy.follow ? ref->familiar() : s.image},
                       {"from_digest", s.running_digest},
                       {"newest_digest", s.newest_digest}});
  }
  s.last_check_ms = now_ms();
  last_successful_check_ms_ = s.last_check_ms;
  auto next = Clock::now() + next_wait(interval, config_.poll.jitter_percent);
  if (waiting) {
    // Checked again when the window opens, not up to a poll interval later.
    if (const auto opening = window->next_opening(wall_now)) {
      next = std::min(next, Clock::now() + (opening->at - wall_now));
    }
  }
  schedule(next);
  publish({{"type", "check"},
           {"service", name},
           {"running_digest", s.running_digest},
           {"newest_digest", s.newest_digest},
           {"update_available", newer && !quarantined},
           {"quarantined", newer && quarantined}});
  co_return common::Status{};
}

const config::UpdateWindow* Agent::window_of(const Service& s) const {
  if (s.policy.window) {
    return &*s.policy.window;
  }
  return config_.update.window ? &*config_.update.window : nullptr;
}

bool Agent::waiting_for_window(const Service& s) { return common::starts_with(s.state, "waiting for window"); }

net::awaitable<Result<std::string>> Agent::followed_tag(const registry::ImageReference& ref,
                                                        const config::VersionFollow& follow,
                                                        std::chrono::milliseconds interval) {
  // One listing per repository and poll interval, whatever number of services follow it.
  const std::string repository = ref.repository_with_registry();
  auto& listing = tag_lists_[repository];
  if (!listing.listed || Clock::now() - listing.at >= interval) {
    ++counters_["tag_lists{registry=\"" + ref.registry + "\"}"];
    auto listed = co_await registry_.list_tags(ref);
    if (!listed) {
      co_return listed.error();
    }
    auto& fresh = tag_lists_[repository];
    fresh.listed = true;
    fresh.at = Clock::now();
    fresh.tags = std::move(listed->tags);
  }
  auto best = follow.pick(tag_lists_[repository].tags);
  if (!best) {
    co_return common::make_error(ErrorKind::kNotFound,
                                 "no tag of " + repository + " matches " + follow.text() + " (berth.follow)");
  }
  co_return *best;
}

net::awaitable<Result<std::string>> Agent::read_secret(const std::string& value_from) {
  auto source = aws::parse_value_from(value_from);
  if (!source) {
    co_return source.error();
  }
  auto body = co_await aws_.call(aws::get_secret_call(*source, ""));
  if (!body) {
    co_return body.error();
  }
  co_return aws::parse_secret_value(*source, *body);
}

net::awaitable<Result<std::vector<std::string>>> Agent::s3_environment(const FileService& file) {
  const auto& c = file.container();
  config::EnvFileContents contents = file.env_files;
  bool any = false;
  for (const auto& arn : c.environment_files) {
    if (!config::is_s3_environment_file(arn) || contents.contains(arn)) {
      continue;
    }
    any = true;
    auto object = aws::parse_s3_arn(arn);
    if (!object) {
      co_return object.error();
    }
    auto text = co_await aws_.get_object(object->bucket, object->key, "");
    if (!text) {
      co_return text.error().context("environment file " + arn);
    }
    auto parsed = config::parse_env_file(*text, arn);
    if (!parsed.ok()) {
      co_return common::make_error(ErrorKind::kInvalidArgument, parsed.problems.to_string());
    }
    contents[arn] = std::move(*parsed.value);
  }
  if (!any) {
    co_return std::vector<std::string>{};
  }
  auto merged = config::resolve_environment(c, contents);
  if (!merged) {
    co_return merged.error();
  }
  // What the S3 files add or change: the rest is in the recorded body already.
  const auto recorded = file.create_body.value("Env", json::array());
  std::vector<std::string> added;
  for (auto& variable : *merged) {
    if (std::find(recorded.begin(), recorded.end(), variable) == recorded.end()) {
      added.push_back(std::move(variable));
    }
  }
  co_return added;
}

net::awaitable<Result<swap::SwapPlan>> Agent::plan_for(Service s, registry::ImageReference ref) {
  swap::SwapPlan p;
  p.service = s.name;
  // A followed version is named by its own tag in the new container, the history and the notifications.
  p.image_ref = s.policy.follow ? ref.familiar() : s.image;
  p.repository = ref.repository_with_registry();
  p.tag = ref.tag.empty() ? "latest" : ref.tag;
  p.from_digest = s.running_digest;
  p.strategy =
      s.policy.strategy == config::Strategy::kStartFirst ? swap::Strategy::kStartFirst : swap::Strategy::kStopFirst;
  p.monitor = s.policy.monitor;
  health::ProbeSources sources;
  sources.probe_label = probe_label_of(s.policy);
  sources.expect_label = expect_label_of(s.policy);
  if (s.from_file) {
    const auto& c = s.file->container();
    p.create_body = s.file->create_body;
    if (s.policy.follow) {
      p.create_body["Image"] = p.image_ref;
    }
    p.stop_grace = std::chrono::seconds(c.stop_timeout_s);
    for (const auto& port : config::switched_ports(s.file->task, c)) {
      p.ports.push_back(json{{"host", port.host_port}, {"container", port.container_port}});
    }
    if (c.health_check) {
      sources.ecs_health_check = json{{"command", c.health_check->command},
                                      {"interval", c.health_check->interval_s},
                                      {"timeout", c.health_check->timeout_s},
                                      {"retries", c.health_check->retries},
                                      {"startPeriod", c.health_check->start_period_s}};
    }
    if (auto hc = p.create_body.find("Healthcheck"); hc != p.create_body.end()) {
      sources.docker_healthcheck = *hc;
    }
    if (s.file->task.platform) {
      p.platform = *s.file->task.platform;
    }
    // Read now, before anything stops: a secret that cannot be read leaves the old container serving.
    for (const auto& secret : c.secrets) {
      auto value = co_await read_secret(secret.value_from);
      if (!value) {
        co_return value.error().context("secret " + secret.name + " (valueFrom " + secret.value_from + ")");
      }
      p.secret_env.push_back(secret.name + "=" + *value);
    }
    auto from_s3 = co_await s3_environment(*s.file);
    if (!from_s3) {
      co_return from_s3.error();
    }
    p.secret_env.insert(p.secret_env.end(), from_s3->begin(), from_s3->end());
  } else {
    // A hand-started container: recreated from what Docker knows of it, minus its old image's defaults.
    auto inspect = co_await docker_.inspect_container(s.name);
    if (!inspect) {
      co_return inspect.error();
    }
    auto old_image = co_await docker_.inspect_image((*inspect)["Image"].get<std::string>());
    if (!old_image) {
      co_return old_image.error();
    }
    auto recreate = swap::plan_recreate(*inspect, *old_image, p.image_ref, docker_.api_version());
    if (!recreate) {
      co_return recreate.error();
    }
    for (const auto& w : recreate->warnings) {
      log_service(3, s.name, "", w);
    }
    p.create_body = recreate->create_body;
    for (const auto& c : recreate->connections) {
      p.extra_networks.push_back(json{{"network", c.network}, {"endpoint", c.endpoint_config}});
    }
    const auto labels = (*inspect)["Config"].value("Labels", json::object());
    sources = health::sources_from_inspect(*inspect);
    const int stop_timeout = (*inspect)["Config"].value("StopTimeout", 10);
    p.stop_grace = std::chrono::seconds(stop_timeout);
  }
  auto probe = health::choose_probe(sources);
  if (!probe) {
    co_return probe.error();
  }
  p.probe = *probe;
  auto auth = co_await registry_.registry_auth(ref);
  if (auth) {
    p.registry_auth = *auth;
  } else {
    log_service(3, s.name, "", "registry credentials: " + auth.error().message + " (pulling anonymously)");
  }
  co_return p;
}

void Agent::record_swap_end(Service& s, const swap::SwapRecord& r) {
  s.last_swap_ms = r.ended_ms;
  ++counters_["swaps{result=\"" + std::string(swap::to_string(r.outcome)) + "\"}"];
  switch (r.outcome) {
    case swap::Outcome::kSwapped: s.state = "running"; break;
    case swap::Outcome::kRolledBack: s.state = "rolled back"; break;
    case swap::Outcome::kPending: s.state = "recovering"; break;
    default: s.state = s.container_id.empty() ? "missing" : "running"; break;
  }
  if (!r.reason.empty() && r.outcome != swap::Outcome::kSwapped) {
    s.error = std::string(common::cut_text(r.reason, 500));
  }
  if (r.ended_ms > 0 && r.started_ms > 0) {
    swap_durations_ms_.push_back(r.ended_ms - r.started_ms);
  }
}

net::awaitable<Result<swap::SwapRecord>> Agent::update(const std::string& name, std::string digest, std::string why,
                                                       std::string id) {
  if (id.empty()) {
    id = swap::new_swap_id();
  }
  auto fail_early = [&](common::Error e) -> common::Error {
    swaps_[id] = json{{"id", id}, {"service", name}, {"result", "failed"}, {"reason", e.message}, {"step", "finish"}};
    publish({{"type", "swap"},
             {"swap", id},
             {"service", name},
             {"step", "finish"},
             {"result", "failed"},
             {"detail", e.message}});
    return e;
  };
  auto it = services_.find(name);
  if (it == services_.end()) {
    co_return fail_early(common::make_error(ErrorKind::kNotFound, "no service named " + name));
  }
  if (engine_.busy(name)) {
    co_return fail_early(common::make_error(ErrorKind::kConflict, "a swap of " + name + " is already running"));
  }
  Service& s = it->second;
  const ServiceWork work(s);
  s.update_in_window = false;  // whatever waited for the window, this update is it
  // An update that could not begin (a Docker Engine or registry error, a leftover container in the way)
  // leaves the service as it was; it is tried again like a failed check.
  auto retry_later = [&](const common::Error& e) {
    if (engine_.busy(name)) {
      return;  // another swap of it runs: its end decides the state
    }
    s.state = "error";
    s.error = e.message;
    s.update_failures = std::min(s.update_failures + 1, 8);
    s.next_check = Clock::now() + retry_after(s.policy.poll.value_or(config_.poll.interval), s.update_failures);
  };
  auto ref = registry::parse_reference(s.image);
  if (!ref) {
    co_return fail_early(ref.error());
  }
  if (s.policy.follow) {
    // The tag the last check chose for the digest asked for, or the tag it ran under before (a rollback);
    // else (a first deploy) the highest match now.
    std::string tag = !digest.empty() && digest == s.newest_digest ? s.newest_tag : std::string();
    for (const auto& h : store_.history(name, state::StateStore::kHistoryLimit)) {
      if (!digest.empty() && tag.empty() && h.to_digest == digest) {
        auto before = registry::parse_reference(h.image);
        tag = before ? before->tag : std::string();
      }
    }
    if (tag.empty()) {
      auto followed = co_await followed_tag(*ref, *s.policy.follow, s.policy.poll.value_or(config_.poll.interval));
      if (!followed) {
        retry_later(followed.error());
        co_return fail_early(followed.error());
      }
      tag = *followed;
    }
    ref->tag = tag;
    ref->digest.clear();
  }
  auto plan = co_await plan_for(s, *ref);
  if (!plan) {
    const auto e = plan.error().context("prepare the swap");
    retry_later(e);
    co_return fail_early(e);
  }
  plan->id = id;
  plan->to_digest = digest;
  const std::string repository = plan->repository;
  // The digest about to be pulled, when it can be known first: whether the image is on the host already
  // (then berth did not pull it, and image retention never removes it) and how large it is.
  std::string target = !digest.empty() ? digest : ref->digest;
  if (target.empty()) {
    if (auto newest = co_await registry_.check(*ref)) {
      target = newest->tag_digest;
    }
  }
  bool pulled_by_berth = false;
  if (!target.empty()) {
    auto local = co_await docker_.inspect_image(repository + "@" + target);
    pulled_by_berth = !local && local.error().kind == ErrorKind::kNotFound;
  }
  if (pulled_by_berth || target.empty()) {
    std::int64_t image_bytes = 0;
    if (!target.empty()) {
      auto size = co_await registry_.image_size(*ref, target);
      image_bytes = size ? *size : 0;
    }
    if (auto refusal = co_await disk_refusal(image_bytes)) {
      const auto e = common::make_error(ErrorKind::kUnavailable, *refusal);
      retry_later(e);
      s.state = "disk low";
      log_service(4, name, id, *refusal);
      publish({{"type", "disk"}, {"service", name}, {"detail", *refusal}});
      co_return fail_early(e);
    }
  }
  swaps_[id] = json{{"id", id},
                    {"service", name},
                    {"image", plan->image_ref},
                    {"to_digest", digest},
                    {"result", "pending"},
                    {"step", "waiting"},
                    {"started", rfc3339(now_ms())}};
  ++swaps_in_flight_;
  s.state = "updating";
  log_service(2, name, id, "swap begins (" + why + ")");
  // The global bound on concurrent pulls: wait for a slot.
  net::steady_timer timer(executor_);
  while (pulling_.size() >= kConcurrentPulls) {
    timer.expires_after(200ms);
    co_await timer.async_wait(net::use_awaitable);
  }
  pulling_.insert(name);
  auto progress = [this, id, name](const swap::SwapProgress& p) {
    if (p.step != "pull_progress" && p.step != "gate_progress") {
      pulling_.erase(name);
      swaps_[id]["step"] = p.step;
      log_service(p.step == "finish" ? 2 : 1, name, id, p.step + (p.detail.empty() ? "" : " " + p.detail));
    }
    json event{{"type", "swap"},
               {"swap", id},
               {"service", name},
               {"step", p.step},
               {"detail", p.detail},
               {"bytes_done", p.bytes_done},
               {"bytes_total", p.bytes_total}};
    if (p.step == "gate_progress") {
      event["probes_run"] = p.probes.run;
      event["probes_passed"] = p.probes.passed;
      event["probes_needed"] = p.probes.needed;
    }
    publish(std::move(event));
  };
  auto result = co_await engine_.run(std::move(*plan), progress);
  pulling_.erase(name);
  --swaps_in_flight_;
  if (!result) {
    swaps_[id]["result"] = "failed";
    swaps_[id]["reason"] = result.error().message;
    retry_later(result.error());
    publish({{"type", "swap"},
             {"swap", id},
             {"service", name},
             {"step", "finish"},
             {"result", "failed"},
             {"detail", result.error().message}});
    co_return result.error();
  }
  swaps_[id] = swap_json(*result);
  s.update_failures = 0;
  record_swap_end(s, *result);
  co_await after_swap_images(s, repository, pulled_by_berth && result->to_digest == target, *result);
  co_await refresh_running(s);
  publish({{"type", "swap"},
           {"swap", id},
           {"service", name},
           {"image", result->image_ref},
           {"step", "finish"},
           {"result", swap::to_string(result->outcome)},
           {"detail", result->reason}});
  co_return *result;
}

}  // namespace berth::app
