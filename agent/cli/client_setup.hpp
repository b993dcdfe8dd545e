#pragma once

// What every client command needs before it talks to an agent: the token from its file and the TLS
// context built from the client options (CA file, client certificate).

#include "cli/command_line.hpp"
#include "common/error.hpp"

#include <cstddef>
#include <memory>
#include <optional>
#include <string>

namespace boost::asio::ssl {
class context;
}

namespace berth::http {
struct Request;
}

namespace berth::cli {

// The token in `path`, without trailing white space; kNotFound or kTooLarge with a message.
common::Result<std::string> read_token_file(const std::string& path);

// A TLS client context: TLS 1.2 at least, peers verified against --cacert (else the system's store),
// the client certificate of --cert/--key when given.
common::Result<std::shared_ptr<boost::asio::ssl::context>> make_tls(const ClientOptions& o);

// The most an answer from an agent's API may hold.
inline constexpr std::size_t kApiAnswerLimit = 16 * 1024 * 1024;

// The API path of one service, its name percent-encoded.
std::string service_path(const std::string& name);

// A request to an agent's API: a JSON body, and the token as a Bearer header when there is one.
http::Request api_request(const std::optional<std::string>& token, std::string method, std::string target,
                          std::string body = {});

}  // namespace berth::cli
