#pragma once

// ApiResponse -> the bytes of an HTTP/1.1 response. Pure, so the framing is unit-tested and the
// server only writes what these functions return.

#include "control/api_types.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace berth::control {

enum class KeepAlive { kYes, kNo };

std::string_view reason_phrase(int status);

// Status line, Content-Type, Content-Length, Connection, no-store caching, the response's own headers
// (any with CR or LF in them is dropped) and the body: `json_text` when set, else `text` when set or the
// content type is not JSON, else the JSON body on one line.
std::string serialize_response(const ApiResponse& response, KeepAlive keep_alive);

// The same head alone, for a body of `body_size` bytes sent after it (a response's json_text, which the
// server writes from where it is instead of copying it).
std::string serialize_head(const ApiResponse& response, KeepAlive keep_alive, std::size_t body_size);

// The interim answer to "Expect: 100-continue".
std::string_view continue_response();

// The head of a server-sent events response; the body runs until the connection closes.
std::string_view event_stream_head();

}  // namespace berth::control
