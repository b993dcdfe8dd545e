#pragma once

#include "common/error.hpp"
#include "docker/api_version.hpp"
#include "docker/model.hpp"
#include "docker/streams.hpp"
#include "http/client.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace berth::docker {

enum class RemoveVolumes { kKeep, kRemoveAnonymous };
enum class ForceRemove { kNo, kYes };

struct ExecResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr, the last 64 KiB
};

// A client of the local Docker Engine over its unix socket. Every call has a deadline; every error names
// the call and carries Docker's own message. Call negotiate() once before anything else.
class DockerClient {
 public:
  DockerClient(boost::asio::any_io_executor executor, std::string socket_path);

  // HEAD (then GET) /_ping and GET /version; picks the API version. Fails clearly when the daemon is
  // unreachable or its API range does not meet berth's.
  boost::asio::awaitable<common::Result<ApiVersion>> negotiate();
  [[nodiscard]] ApiVersion api_version() const { return version_; }
  [[nodiscard]] const std::string& socket_path() const { return socket_path_; }

  boost::asio::awaitable<common::Result<nlohmann::json>> version();
  boost::asio::awaitable<common::Result<nlohmann::json>> info();

  boost::asio::awaitable<common::Result<std::vector<ContainerSummary>>> list_containers(
      const std::vector<std::string>& label_filter, bool include_stopped);
  boost::asio::awaitable<common::Result<nlohmann::json>> inspect_container(const std::string& id_or_name);
  boost::asio::awaitable<common::Result<nlohmann::json>> inspect_image(const std::string& ref_or_id);

  // POST /containers/create?name=NAME with a ContainerConfig body (plus HostConfig and NetworkingConfig).
  // Returns the new container's id. A name in use is kConflict.
  boost::asio::awaitable<common::Result<std::string>> create_container(const std::string& name,
                                                                       const nlohmann::json& body);
  // Already started / already stopped (304) count as success.
  boost::asio::awaitable<common::Status> start_container(const std::string& id);
  // Waits up to `grace` for a clean exit, then the daemon kills; the call's own deadline is above that.
  boost::asio::awaitable<common::Status> stop_container(const std::string& id, std::chrono::seconds grace);
  boost::asio::awaitable<common::Status> kill_container(const std::string& id, const std::string& signal = "SIGKILL");
  boost::asio::awaitable<common::Status> rename_container(const std::string& id, const std::string& new_name);
  // Never removes volumes unless asked: RemoveVolumes::kKeep is the only value the swap engine uses.
  boost::asio::awaitable<common::Status> remove_container(const std::string& id, RemoveVolumes volumes,
                                                          ForceRemove force);
  // condition: "not-running", "next-exit" or "removed".
  boost::asio::awaitable<common::Result<WaitResult>> wait_container(const std::string& id, const std::string& condition,
                                                                    std::chrono::milliseconds timeout);
  // POST /containers/{id}/update {"RestartPolicy": {...}}: "no" keeps a kept-for-rollback container down.
  boost::asio::awaitable<common::Status> update_restart_policy(const std::string& id, const std::string& policy,
                                                               int max_retries = 0);
  // The last `tail` lines of stdout and stderr.
  boost::asio::awaitable<common::Result<std::string>> logs(const std::string& id, int tail);

  // Runs a command in a running container (CMD / CMD-SHELL health checks) and returns its exit code and
  // output. kTimeout when it does not finish in time.
  boost::asio::awaitable<common::Result<ExecResult>> exec(const std::string& id, const std::vector<std::string>& cmd,
                                                          std::chrono::milliseconds timeout);

  boost::asio::awaitable<common::Result<std::string>> create_network(const std::string& name,
                                                                     const std::map<std::string, std::string>& labels);
  boost::asio::awaitable<common::Result<nlohmann::json>> inspect_network(const std::string& name);
  boost::asio::awaitable<common::Status> connect_network(const std::string& network, const std::string& container,
                                                         const nlohmann::json& endpoint_config);
  boost::asio::awaitable<common::Status> remove_network(const std::string& name);

  // POST /images/create?fromImage=REPO&tag=TAG_OR_DIGEST. registry_auth is the X-Registry-Auth value
  // (base64url JSON) or empty. on_progress sees every progress object. Errors reported as an HTTP
  // status and errors reported inside a 200 stream both end in an error result.
  struct PullResult {
    std::string digest;  // "Digest: sha256:..." from the stream, empty if the daemon did not say
    bool up_to_date = false;
  };
  boost::asio::awaitable<common::Result<PullResult>> pull_image(
      const std::string& repository, const std::string& tag_or_digest, const std::string& registry_auth,
      const std::function<void(const PullEvent&, const PullProgress&)>& on_progress, const std::string& platform = {});

  boost::asio::awaitable<common::Status> remove_image(const std::string& ref_or_id);
  // POST /images/load?quiet=1 with a docker-archive tar; errors the daemon reports inside its 200 answer
  // are errors too.
  boost::asio::awaitable<common::Status> load_image(std::string archive);
  // POST /images/{source}/tag?repo=REPO&tag=TAG: points a local tag at an image (after a pull by digest).
  boost::asio::awaitable<common::Status> tag_image(const std::string& source, const std::string& repository,
                                                   const std::string& tag);

  // GET /events with JSON filters; calls on_event for each event until it returns an error or the stream
  // ends. No idle deadline: the stream can be silent for hours. Cancel by cancelling the awaiting
  // coroutine (for example with `||` against a timer).
  boost::asio::awaitable<common::Status> events(const nlohmann::json& filters, const std::string& since,
                                                const std::function<common::Status(const nlohmann::json&)>& on_event);

 private:
  std::string path(std::string_view endpoint) const;
  boost::asio::awaitable<common::Result<http::Response>> call(std::string method, std::string target, std::string body,
                                                              std::chrono::milliseconds timeout,
                                                              std::string_view doing);
  // A call whose answer carries nothing but its status: 2xx (and 304 when `not_modified_ok`, for
  // start and stop of a container already in that state) is success, anything else a docker_error.
  boost::asio::awaitable<common::Status> call_status(std::string method, std::string target, std::string body,
                                                     std::chrono::milliseconds timeout, std::string doing,
                                                     bool not_modified_ok = false);
  boost::asio::awaitable<common::Result<nlohmann::json>> call_json(std::string method, std::string target,
                                                                   std::string body, std::string_view doing);

  std::string socket_path_;
  http::Client http_;
  ApiVersion version_ = kClientMinVersion;
};

// "unix:///var/run/docker.sock" -> "/var/run/docker.sock"; other schemes are a configuration error.
common::Result<std::string> socket_path_from_host(const std::string& docker_host);

}  // namespace berth::docker
