#include "cli/token_command.hpp"

#include "cli/exit_codes.hpp"
#include "cli/render.hpp"
#include "config/agent_config.hpp"
#include "config/config_file.hpp"
#include "control/token_store.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace berth::cli {

using common::ErrorKind;

namespace {

// The tokens file path, or the exit code of a configuration that cannot be read.
std::optional<std::string> tokens_file(const CommandLine& cl, const std::optional<std::string>& config_env,
                                       std::FILE* err, int& exit_code) {
  const std::string path = cl.config_path.value_or(config_env.value_or(std::string(kDefaultConfigPath)));
  auto text = config::read_config_file(path);
  if (!text) {
    if (text.error().kind == ErrorKind::kNotFound && !cl.config_path) {
      return config::ApiSettings{}.tokens_file;
    }
    std::fprintf(err, "berth token: %s\n", text.error().message.c_str());
    exit_code = kExitConfig;
    return std::nullopt;
  }
  auto loaded = config::load_agent_config(*text, path);
  if (!loaded.ok()) {
    std::fputs(loaded.problems.to_string().c_str(), err);
    exit_code = kExitConfig;
    return std::nullopt;
  }
  return loaded.value->api.tokens_file;
}

int fail(std::FILE* err, const common::Error& e) {
  std::fprintf(err, "berth token: %s\n", e.message.c_str());
  return e.kind == ErrorKind::kInvalidArgument ? kExitUsage : kExitError;
}

int create(control::TokenStore& store, const CommandLine& cl, std::FILE* out, std::FILE* err) {
  const auto scope = control::parse_scope(*cl.token_scope);
  if (!scope) {
    std::fprintf(err, "berth token: --scope must be read, deploy, admin or webhook\n");
    return kExitUsage;
  }
  auto token = store.create(*cl.token_name, *scope, std::chrono::system_clock::now());
  if (!token) {
    return fail(err, token.error());
  }
  if (cl.client.json) {
    const nlohmann::json doc{{"name", *cl.token_name}, {"scope", *cl.token_scope}, {"token", *token}};
    std::fprintf(out, "%s\n", doc.dump().c_str());
  } else {
    std::fprintf(out, "%s\n", token->c_str());
    std::fprintf(err, "token \"%s\" (%s) created in %s; it is shown only this once, and only its SHA-256 is kept\n",
                 cl.token_name->c_str(), cl.token_scope->c_str(), store.path().c_str());
    if (*scope == control::Scope::kWebhook) {
      std::fprintf(err, "registry webhook URL: https://HOST:8443/v1/hooks/registry/<the token above>\n");
    }
  }
  return kExitOk;
}

// A token made elsewhere (a fleet token in the admin's secret store), known here only by its hash.
int add(control::TokenStore& store, const CommandLine& cl, std::FILE* err) {
  const auto scope = control::parse_scope(*cl.token_scope);
  if (!scope) {
    std::fprintf(err, "berth token: --scope must be read, deploy, admin or webhook\n");
    return kExitUsage;
  }
  if (auto st = store.add(*cl.token_name, *scope, *cl.token_sha256, std::chrono::system_clock::now()); !st) {
    return fail(err, st.error());
  }
  std::fprintf(err, "token \"%s\" (%s) added to %s by its SHA-256; the token itself stays where it was made\n",
               cl.token_name->c_str(), cl.token_scope->c_str(), store.path().c_str());
  return kExitOk;
}

int list(const control::TokenStore& store, const CommandLine& cl, std::FILE* out, std::FILE* err) {
  auto records = store.list();
  if (!records) {
    return fail(err, records.error());
  }
  nlohmann::json doc = nlohmann::json::array();
  for (const auto& r : *records) {
    doc.push_back({{"name", r.name}, {"scope", std::string(control::to_string(r.scope))}, {"created", r.created}});
  }
  if (cl.client.json) {
    std::fprintf(out, "%s\n", doc.dump(2).c_str());
  } else if (doc.empty()) {
    std::fprintf(err, "no tokens in %s\n", store.path().c_str());
  } else {
    std::fputs(render_tokens(doc).c_str(), out);
  }
  return kExitOk;
}

}  // namespace

int run_token_command(const CommandLine& cl, const std::optional<std::string>& config_env, std::FILE* out,
                      std::FILE* err) {
  int exit_code = kExitOk;
  const auto path = tokens_file(cl, config_env, err, exit_code);
  if (!path) {
    return exit_code;
  }
  control::TokenStore store(*path);
  if (cl.token_action == "create") {
    return create(store, cl, out, err);
  }
  if (cl.token_action == "add") {
    return add(store, cl, err);
  }
  if (cl.token_action == "list") {
    return list(store, cl, out, err);
  }
  if (auto st = store.revoke(*cl.token_name); !st) {
    return fail(err, st.error());
  }
  std::fprintf(err, "token \"%s\" revoked; the agent refuses it from now on\n", cl.token_name->c_str());
  return kExitOk;
}

}  // namespace berth::cli
