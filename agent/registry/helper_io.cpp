// docker-credential-<helper> get, run as a child process with a deadline. Blocking: RegistrySession calls it
// on its small thread pool.

#include <algorithm>

#include "common/child_process.hpp"
#include "registry/registry_session.hpp"

namespace berth::registry {

using common::ErrorKind;
using common::make_error;
using common::Result;

namespace {

constexpr std::size_t kMaxHelperOutput = std::size_t{64} * 1024;

bool valid_helper_name(std::string_view name) {
  return !name.empty() && name.size() <= 100 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

}  // namespace

Result<std::optional<Credential>> run_credential_helper(const std::string& helper, const std::string& server_url,
                                                        std::chrono::milliseconds timeout) {
  const std::string name = "docker-credential-" + helper;
  if (!valid_helper_name(helper)) {
    return make_error(ErrorKind::kInvalidArgument,
                      "credential helper name \"" + helper.substr(0, 100) + "\" is not a plain file name suffix");
  }
  const std::string path = common::find_on_path(name);
  if (path.empty()) {
    return make_error(ErrorKind::kUnavailable, name + ": executable file not found in $PATH");
  }
  auto ran = common::run_child(path, {name, "get"}, server_url, timeout, kMaxHelperOutput);
  if (!ran) {
    switch (ran.error().kind) {
      case ErrorKind::kTimeout:
        return make_error(ErrorKind::kTimeout,
                          name + " get did not finish within " + std::to_string(timeout.count()) + " ms");
      case ErrorKind::kTooLarge:
        return make_error(ErrorKind::kTooLarge,
                          name + " get printed more than " + std::to_string(kMaxHelperOutput) + " bytes");
      case ErrorKind::kUnavailable: return ran.error();
      default: return make_error(ErrorKind::kInternal, name + " get: cannot read its answer");
    }
  }
  return parse_helper_output(ran->output, ran->status, helper);
}

}  // namespace berth::registry
