#include "control/api.hpp"

namespace berth::control {

ApiResponse error_response(int status, std::string code, std::string message) {
  ApiResponse r;
  r.status = status;
  r.body = nlohmann::json{{"error", {{"code", std::move(code)}, {"message", std::move(message)}}}};
  return r;
}

}  // namespace berth::control
