#include "control/response.hpp"

namespace berth::control {

namespace {

bool header_safe(std::string_view s) { return s.find_first_of("\r\n") == std::string_view::npos && !s.empty(); }

}  // namespace

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 413: return "Content Too Large";
    case 417: return "Expectation Failed";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return status < 300 ? "OK" : (status < 500 ? "Client Error" : "Server Error");
  }
}

std::string serialize_head(const ApiResponse& response, KeepAlive keep_alive, std::size_t body_size) {
  const int status = response.status >= 100 && response.status <= 999 ? response.status : 500;
  std::string out;
  out.reserve(256);
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += reason_phrase(status);
  out += "\r\nContent-Type: ";
  out += header_safe(response.content_type) ? response.content_type : "application/octet-stream";
  out += "\r\nContent-Length: ";
  out += std::to_string(body_size);
  out += "\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: ";
  out += keep_alive == KeepAlive::kYes ? "keep-alive" : "close";
  out += "\r\n";
  for (const auto& [name, value] : response.headers) {
    if (header_safe(name) && value.find_first_of("\r\n") == std::string::npos) {
      out += name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
  }
  out += "\r\n";
  return out;
}

std::string serialize_response(const ApiResponse& response, KeepAlive keep_alive) {
  std::string body;
  if (response.json_text) {
    body = *response.json_text;
  } else if (response.text.empty() && response.content_type.starts_with("application/json")) {
    body = response.body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    body += '\n';
  } else {
    body = response.text;
  }
  std::string out = serialize_head(response, keep_alive, body.size());
  out += body;
  return out;
}

std::string_view continue_response() { return "HTTP/1.1 100 Continue\r\n\r\n"; }

std::string_view event_stream_head() {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
         "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n";
}

}  // namespace berth::control
