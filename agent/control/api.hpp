#pragma once

// The seam between the control endpoint (server, authentication, limits, audit: control/*_io.cpp) and
// the agent that answers (app/). The server parses and authorises a request, then hands it to an
// ApiBackend; the agent implements ApiBackend, and the server's tests use a small fake.
//
// JSON shapes (CONTRACT section 6):
//   service  {"name","image","running_digest","newest_digest","state","last_check","last_swap","policy",
//             "strategy","source":"file"|"label","error","images_bytes","running_tag","follow","newest_tag"}
//                                                                  times: RFC 3339 UTC strings or null
//   swap     {"id","service","image","from_digest","to_digest","strategy","started","ended","result",
//             "reason","step"}                                    result: pending|swapped|up_to_date|
//                                                                  rolled_back|interrupted|failed
//   event    {"type":"check"|"swap"|"service", "time", "service", ...}; swap events carry "swap" (the id),
//             "step", "detail", "bytes_done", "bytes_total", and "result" on the last one (step "finish");
//             step "gate_progress" (after each probe of a health gate) adds "probes_run", "probes_passed"
//             and "probes_needed"
//
// The plain types (Scope, Caller, RouteId, ApiRequest, ApiResponse, error_response) live in
// api_types.hpp so that the pure request path can use them without Asio.

#include "control/api_types.hpp"

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>

namespace berth::control {

class ApiBackend {
 public:
  virtual ~ApiBackend() = default;

  // Every route but kEvents. Called after authentication and authorisation; the backend validates the
  // body and parameters itself and answers errors with error_response.
  virtual boost::asio::awaitable<ApiResponse> handle(RouteId route, const ApiRequest& request) = 0;

  // Server-sent events: `sink` receives every event from now on until the subscription is dropped.
  // Returns an id for unsubscribe(). The sink is called on the io_context's thread and must not block:
  // the server only queues the event for the connection.
  virtual std::uint64_t subscribe(std::function<void(const nlohmann::json&)> sink) = 0;
  virtual void unsubscribe(std::uint64_t id) = 0;
};

}  // namespace berth::control
