#include "docker/client.hpp"

#include "common/text.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace berth::docker {

namespace net = boost::asio;
using common::Error;
using common::ErrorKind;
using common::Result;
using common::Status;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr auto kCallTimeout = 30s;
constexpr std::size_t kJsonBodyLimit = 32 * 1024 * 1024;  // inspect of a large container stays far below

bool ok_status(int status) { return status >= 200 && status < 300; }

Error unreachable(const Error& e, const std::string& socket) {
  Error out = e;
  if (e.kind == ErrorKind::kUnavailable || e.kind == ErrorKind::kTimeout) {
    out.message = "Docker Engine at unix://" + socket + " unreachable (" + e.message + "); is dockerd running?";
  }
  return out;
}

}  // namespace

Result<std::string> socket_path_from_host(const std::string& docker_host) {
  constexpr std::string_view kUnix = "unix://";
  if (docker_host.rfind(kUnix, 0) != 0 || docker_host.size() <= kUnix.size() || docker_host[kUnix.size()] != '/') {
    return common::make_error(ErrorKind::kInvalidArgument,
                              "\"" + docker_host + "\" is not a unix socket URL (unix:///var/run/docker.sock)");
  }
  return docker_host.substr(kUnix.size());
}

DockerClient::DockerClient(net::any_io_executor executor, std::string socket_path)
    : socket_path_(socket_path), http_(std::move(executor), http::Endpoint::unix_socket(std::move(socket_path))) {}

std::string DockerClient::path(std::string_view endpoint) const {
  return "/v" + version_.str() + std::string(endpoint);
}

net::awaitable<Result<http::Response>> DockerClient::call(std::string method, std::string target, std::string body,
                                                          std::chrono::milliseconds timeout, std::string_view doing) {
  http::Request req;
  req.method = std::move(method);
  req.target = std::move(target);
  req.body = std::move(body);
  req.content_type = "application/json";
  auto res = co_await http_.request(std::move(req), http::Limits{timeout, kJsonBodyLimit});
  if (!res) {
    co_return unreachable(res.error(), socket_path_).context(doing);
  }
  co_return std::move(*res);
}

net::awaitable<Status> DockerClient::call_status(std::string method, std::string target, std::string body,
                                                 std::chrono::milliseconds timeout, std::string doing,
                                                 bool not_modified_ok) {
  auto res = co_await call(std::move(method), std::move(target), std::move(body), timeout, doing);
  if (!res) {
    co_return res.error();
  }
  if (ok_status(res->status) || (not_modified_ok && res->status == 304)) {
    co_return Status{};
  }
  co_return docker_error(res->status, res->body, doing);
}

net::awaitable<Result<json>> DockerClient::call_json(std::string method, std::string target, std::string body,
                                                     std::string_view doing) {
  auto res = co_await call(std::move(method), std::move(target), std::move(body), kCallTimeout, doing);
  if (!res) {
    co_return res.error();
  }
  if (!ok_status(res->status)) {
    co_return docker_error(res->status, res->body, doing);
  }
  auto j = json::parse(res->body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    co_return common::make_error(ErrorKind::kProtocol, std::string(doing) + ": answer is not JSON");
  }
  co_return j;
}

net::awaitable<Result<ApiVersion>> DockerClient::negotiate() {
  auto ping = co_await call("HEAD", "/_ping", {}, 10s, "ping the Docker Engine");
  if (!ping || ping->status != 200) {
    ping = co_await call("GET", "/_ping", {}, 10s, "ping the Docker Engine");
  }
  if (!ping) {
    co_return ping.error();
  }
  std::optional<ApiVersion> server_max;
  if (auto v = parse_api_version(ping->header("Api-Version")); v) {
    server_max = *v;
  }
  auto chosen = negotiate_api_version(server_max, std::nullopt);
  if (!chosen) {
    co_return chosen.error();
  }
  version_ = *chosen;
  auto ver = co_await version();
  if (!ver) {
    if (ver.error().http_status == 400) {
      // The highest version both announce is refused: the engine's minimum is above berth's maximum.
      co_return common::make_error(ErrorKind::kUnavailable, ver.error().message + " (berth speaks API " +
                                                                kClientMinVersion.str() + " to " +
                                                                kClientMaxVersion.str() + ")");
    }
    co_return ver.error();
  }
  std::optional<ApiVersion> server_min;
  if (auto it = ver->find("MinAPIVersion"); it != ver->end() && it->is_string()) {
    if (auto v = parse_api_version(it->get<std::string>()); v) {
      server_min = *v;
    }
  }
  chosen = negotiate_api_version(server_max, server_min);
  if (!chosen) {
    co_return chosen.error();
  }
  version_ = *chosen;
  co_return version_;
}

net::awaitable<Result<json>> DockerClient::version() {
  co_return co_await call_json("GET", path("/version"), {}, "read the Docker Engine version");
}

net::awaitable<Result<json>> DockerClient::info() {
  co_return co_await call_json("GET", path("/info"), {}, "read the Docker Engine info");
}

net::awaitable<Result<std::vector<ContainerSummary>>> DockerClient::list_containers(
    const std::vector<std::string>& label_filter, bool include_stopped) {
  std::string target = path("/containers/json?all=") + (include_stopped ? "1" : "0");
  if (!label_filter.empty()) {
    target += "&filters=" + common::url_encode(label_filters(label_filter).dump());
  }
  auto body = co_await call_json("GET", target, {}, "list containers");
  if (!body) {
    co_return body.error();
  }
  co_return parse_container_list(*body);
}

net::awaitable<Result<json>> DockerClient::inspect_container(const std::string& id_or_name) {
  co_return co_await call_json("GET", path("/containers/" + common::url_encode(id_or_name) + "/json"), {},
                               "inspect container " + id_or_name);
}

net::awaitable<Result<json>> DockerClient::inspect_image(const std::string& ref_or_id) {
  // Image names contain "/" and ":"; the route matches the rest of the path, so only encode what must be.
  std::string escaped;
  for (char c : ref_or_id) {
    if (c == '/' || c == ':' || c == '@' || std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' ||
        c == '_') {
      escaped.push_back(c);
    } else {
      escaped += common::url_encode(std::string_view(&c, 1));
    }
  }
  co_return co_await call_json("GET", path("/images/" + escaped + "/json"), {}, "inspect image " + ref_or_id);
}

net::awaitable<Result<std::string>> DockerClient::create_container(const std::string& name, const json& body) {
  const std::string doing = "create container " + name;
  auto res =
      co_await call_json("POST", path("/containers/create?name=" + common::url_encode(name)), body.dump(), doing);
  if (!res) {
    co_return res.error();
  }
  auto it = res->find("Id");
  if (it == res->end() || !it->is_string()) {
    co_return common::make_error(ErrorKind::kProtocol, doing + ": answer has no Id");
  }
  co_return it->get<std::string>();
}

net::awaitable<Status> DockerClient::start_container(const std::string& id) {
  const std::string doing = "start container " + id;
  co_return co_await call_status("POST", path("/containers/" + common::url_encode(id) + "/start"), {}, kCallTimeout,
                                 doing, true);
}

net::awaitable<Status> DockerClient::stop_container(const std::string& id, std::chrono::seconds grace) {
  const std::string doing = "stop container " + id;
  // The daemon blocks for up to `grace` and then kills; our deadline must be longer than that.
  co_return co_await call_status(
      "POST", path("/containers/" + common::url_encode(id) + "/stop?t=" + std::to_string(grace.count())), {},
      grace + kCallTimeout, doing, true);
}

net::awaitable<Status> DockerClient::kill_container(const std::string& id, const std::string& signal) {
  const std::string doing = "kill container " + id;
  co_return co_await call_status(
      "POST", path("/containers/" + common::url_encode(id) + "/kill?signal=" + common::url_encode(signal)), {},
      kCallTimeout, doing);
}

net::awaitable<Status> DockerClient::rename_container(const std::string& id, const std::string& new_name) {
  const std::string doing = "rename container " + id + " to " + new_name;
  co_return co_await call_status(
      "POST", path("/containers/" + common::url_encode(id) + "/rename?name=" + common::url_encode(new_name)), {},
      kCallTimeout, doing);
}

net::awaitable<Status> DockerClient::remove_container(const std::string& id, RemoveVolumes volumes, ForceRemove force) {
  const std::string doing = "remove container " + id;
  std::string target = path("/containers/" + common::url_encode(id));
  target += volumes == RemoveVolumes::kRemoveAnonymous ? "?v=1" : "?v=0";
  target += force == ForceRemove::kYes ? "&force=1" : "&force=0";
  co_return co_await call_status("DELETE", std::move(target), {}, kCallTimeout, doing);
}

net::awaitable<Result<WaitResult>> DockerClient::wait_container(const std::string& id, const std::string& condition,
                                                                std::chrono::milliseconds timeout) {
  const std::string doing = "wait for container " + id;
  auto res = co_await call(
      "POST", path("/containers/" + common::url_encode(id) + "/wait?condition=" + common::url_encode(condition)), {},
      timeout, doing);
  if (!res) {
    co_return res.error();
  }
  if (!ok_status(res->status)) {
    co_return docker_error(res->status, res->body, doing);
  }
  auto j = json::parse(res->body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    co_return common::make_error(ErrorKind::kProtocol, doing + ": answer is not a JSON object");
  }
  WaitResult w;
  w.status_code = j.value("StatusCode", std::int64_t{-1});
  if (auto e = j.find("Error"); e != j.end() && e->is_object()) {
    w.error = e->value("Message", std::string());
  }
  co_return w;
}

net::awaitable<Status> DockerClient::update_restart_policy(const std::string& id, const std::string& policy,
                                                           int max_retries) {
  json body = {{"RestartPolicy", {{"Name", policy}}}};
  if (policy == "on-failure") {
    body["RestartPolicy"]["MaximumRetryCount"] = max_retries;
  }
  auto res = co_await call_json("POST", path("/containers/" + common::url_encode(id) + "/update"), body.dump(),
                                "set the restart policy of container " + id);
  if (!res) {
    co_return res.error();
  }
  co_return Status{};
}

net::awaitable<Result<std::string>> DockerClient::logs(const std::string& id, int tail) {
  const std::string doing = "read the logs of container " + id;
  http::Request req;
  req.target = path("/containers/" + common::url_encode(id) + "/logs?stdout=1&stderr=1&tail=" + std::to_string(tail));
  RawStreamDemux demux;
  std::string tty_text;
  bool tty = false;
  auto res = co_await http_.stream(std::move(req), http::StreamLimits{10s, 10s, 30s}, [&](std::string_view data) {
    // A container with a TTY has no framing: its logs are plain text.
    if (!tty && !data.empty() && static_cast<unsigned char>(data[0]) > 2) {
      tty = true;
    }
    if (tty) {
      tty_text.append(data);
    } else {
      demux.feed(data);
    }
    return Status{};
  });
  if (!res) {
    co_return unreachable(res.error(), socket_path_).context(doing);
  }
  if (!ok_status(res->status)) {
    co_return docker_error(res->status, res->body, doing);
  }
  co_return tty ? tty_text : demux.stdout_text() + demux.stderr_text();
}

net::awaitable<Result<ExecResult>> DockerClient::exec(const std::string& id, const std::vector<std::string>& cmd,
                                                      std::chrono::milliseconds timeout) {
  const std::string doing = "exec in container " + id;
  const json create = {{"AttachStdout", true}, {"AttachStderr", true}, {"Tty", false}, {"Cmd", cmd}};
  auto created =
      co_await call_json("POST", path("/containers/" + common::url_encode(id) + "/exec"), create.dump(), doing);
  if (!created) {
    co_return created.error();
  }
  const std::string exec_id = created->value("Id", std::string());
  if (exec_id.empty()) {
    co_return common::make_error(ErrorKind::kProtocol, doing + ": answer has no Id");
  }
  http::Request start;
  start.method = "POST";
  start.target = path("/exec/" + exec_id + "/start");
  start.body = json{{"Detach", false}, {"Tty", false}}.dump();
  start.content_type = "application/json";
  RawStreamDemux demux;
  auto streamed =
      co_await http_.stream(std::move(start), http::StreamLimits{timeout, {}, timeout}, [&](std::string_view data) {
        demux.feed(data);
        return Status{};
      });
  if (!streamed) {
    if (streamed.error().kind == ErrorKind::kTimeout) {
      co_return common::make_error(
          ErrorKind::kTimeout, doing + ": command did not finish within " + std::to_string(timeout.count()) + " ms");
    }
    co_return unreachable(streamed.error(), socket_path_).context(doing);
  }
  if (!ok_status(streamed->status)) {
    co_return docker_error(streamed->status, streamed->body, doing);
  }
  // The stream ends when the process ends; the exit code can trail by a moment.
  ExecResult out;
  out.output = demux.stdout_text() + demux.stderr_text();
  net::steady_timer timer(co_await net::this_coro::executor);
  for (int attempt = 0; attempt < 50; ++attempt) {
    auto state = co_await call_json("GET", path("/exec/" + exec_id + "/json"), {}, doing);
    if (!state) {
      co_return state.error();
    }
    if (!state->value("Running", false) && state->contains("ExitCode") && (*state)["ExitCode"].is_number_integer()) {
      out.exit_code = (*state)["ExitCode"].get<int>();
      co_return out;
    }
    timer.expires_after(20ms);
    co_await timer.async_wait(net::use_awaitable);
  }
  co_return common::make_error(ErrorKind::kTimeout, doing + ": exit code not reported");
}

net::awaitable<Result<std::string>> DockerClient::create_network(const std::string& name,
                                                                 const std::map<std::string, std::string>& labels) {
  json body = {{"Name", name}, {"Driver", "bridge"}, {"CheckDuplicate", true}, {"Labels", labels}};
  auto res = co_await call_json("POST", path("/networks/create"), body.dump(), "create network " + name);
  if (!res) {
    co_return res.error();
  }
  co_return res->value("Id", std::string());
}

net::awaitable<Result<json>> DockerClient::inspect_network(const std::string& name) {
  co_return co_await call_json("GET", path("/networks/" + common::url_encode(name)), {}, "inspect network " + name);
}

net::awaitable<Status> DockerClient::connect_network(const std::string& network, const std::string& container,
                                                     const json& endpoint_config) {
  json body = {{"Container", container}, {"EndpointConfig", endpoint_config}};
  const std::string doing = "connect container " + container + " to network " + network;
  co_return co_await call_status("POST", path("/networks/" + common::url_encode(network) + "/connect"), body.dump(),
                                 kCallTimeout, doing);
}

net::awaitable<Status> DockerClient::remove_network(const std::string& name) {
  const std::string doing = "remove network " + name;
  co_return co_await call_status("DELETE", path("/networks/" + common::url_encode(name)), {}, kCallTimeout, doing);
}

net::awaitable<Result<DockerClient::PullResult>> DockerClient::pull_image(
    const std::string& repository, const std::string& tag_or_digest, const std::string& registry_auth,
    const std::function<void(const PullEvent&, const PullProgress&)>& on_progress, const std::string& platform) {
  const std::string ref = repository + (tag_or_digest.rfind("sha256:", 0) == 0 ? "@" : ":") + tag_or_digest;
  const std::string doing = "pull " + ref;
  http::Request req;
  req.method = "POST";
  // fromImage and tag are always both set: a missing tag would pull every tag of the repository.
  req.target =
      path("/images/create?fromImage=" + common::url_encode(repository) + "&tag=" + common::url_encode(tag_or_digest));
  if (!platform.empty()) {
    req.target += "&platform=" + common::url_encode(platform);
  }
  if (!registry_auth.empty()) {
    req.headers.emplace_back("X-Registry-Auth", registry_auth);
  }
  LineSplitter lines;
  PullProgress progress;
  Error stream_error;
  auto handle_line = [&](std::string_view line) -> Status {
    auto event = parse_pull_event(line);
    if (!event) {
      return event.error();
    }
    progress.apply(*event);
    if (on_progress) {
      on_progress(*event, progress);
    }
    return Status{};
  };
  // Headers come quickly; a layer download may be silent for a while but not for minutes.
  auto res = co_await http_.stream(std::move(req), http::StreamLimits{60s, 5min, {}},
                                   [&](std::string_view data) { return lines.feed(data, handle_line); });
  if (!res) {
    co_return unreachable(res.error(), socket_path_).context(doing);
  }
  if (!ok_status(res->status)) {
    co_return docker_error(res->status, res->body, doing);
  }
  if (!lines.rest().empty()) {
    auto st = handle_line(lines.rest());
    if (!st) {
      co_return st.error().context(doing);
    }
  }
  if (!progress.error().empty()) {
    // The daemon reported the failure inside a 200 stream.
    ErrorKind kind = ErrorKind::kUnavailable;
    const std::string& msg = progress.error();
    if (msg.find("not found") != std::string::npos || msg.find("manifest unknown") != std::string::npos ||
        msg.find("no matching manifest") != std::string::npos) {
      kind = ErrorKind::kNotFound;
    } else if (msg.find("unauthorized") != std::string::npos || msg.find("denied") != std::string::npos) {
      kind = ErrorKind::kUnauthorized;
    } else if (msg.find("toomanyrequests") != std::string::npos) {
      kind = ErrorKind::kRateLimited;
    }
    co_return common::make_error(kind, doing + ": " + msg);
  }
  co_return PullResult{progress.digest(), progress.up_to_date()};
}

net::awaitable<Status> DockerClient::remove_image(const std::string& ref_or_id) {
  const std::string doing = "remove image " + ref_or_id;
  co_return co_await call_status("DELETE", path("/images/" + common::url_encode(ref_or_id)), {}, kCallTimeout, doing);
}

net::awaitable<Status> DockerClient::load_image(std::string archive) {
  const std::string doing = "load an image";
  http::Request req;
  req.method = "POST";
  req.target = path("/images/load?quiet=1");
  req.body = std::move(archive);
  req.content_type = "application/x-tar";
  auto res = co_await http_.request(std::move(req), http::Limits{kCallTimeout, kJsonBodyLimit});
  if (!res) {
    co_return unreachable(res.error(), socket_path_).context(doing);
  }
  if (!ok_status(res->status)) {
    co_return docker_error(res->status, res->body, doing);
  }
  // One JSON object per line; a failed load says so in-band, with status 200.
  std::string_view body = res->body;
  while (!body.empty()) {
    const auto end = body.find('\n');
    const std::string_view line = body.substr(0, end);
    body = end == std::string_view::npos ? std::string_view() : body.substr(end + 1);
    if (line.find_first_not_of(" \r\t") == std::string_view::npos) {
      continue;
    }
    auto event = parse_pull_event(line);
    if (!event) {
      co_return event.error().context(doing);
    }
    if (!event->error.empty()) {
      co_return common::make_error(ErrorKind::kUnavailable, doing + ": " + event->error);
    }
  }
  co_return Status{};
}

net::awaitable<Status> DockerClient::tag_image(const std::string& source, const std::string& repository,
                                               const std::string& tag) {
  const std::string doing = "tag image " + source + " as " + repository + ":" + tag;
  co_return co_await call_status(
      "POST",
      path("/images/" + source + "/tag?repo=" + common::url_encode(repository) + "&tag=" + common::url_encode(tag)), {},
      kCallTimeout, doing);
}

net::awaitable<Status> DockerClient::events(const json& filters, const std::string& since,
                                            const std::function<Status(const json&)>& on_event) {
  const std::string doing = "follow Docker events";
  http::Request req;
  req.target = path("/events?filters=" + common::url_encode(filters.dump()));
  if (!since.empty()) {
    req.target += "&since=" + common::url_encode(since);
  }
  LineSplitter lines;
  auto res = co_await http_.stream(std::move(req), http::StreamLimits{30s, {}, {}}, [&](std::string_view data) {
    return lines.feed(data, [&](std::string_view line) -> Status {
      auto j = json::parse(line, nullptr, false);
      if (j.is_discarded()) {
        return common::make_error(ErrorKind::kProtocol, "event is not JSON: " + std::string(line.substr(0, 200)));
      }
      return on_event(j);
    });
  });
  if (!res) {
    co_return unreachable(res.error(), socket_path_).context(doing);
  }
  if (!ok_status(res->status)) {
    co_return docker_error(res->status, res->body, doing);
  }
  co_return Status{};
}

}  // namespace berth::docker
