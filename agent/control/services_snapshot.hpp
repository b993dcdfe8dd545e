#pragma once

// What GET /v1/services and GET /v1/services/{name} answer, kept between requests: each service's JSON as
// last rendered, with the fields it was rendered from, and the whole list. The agent brings it up to date
// before it answers a read; only a service whose shown fields changed is rendered again, and the list only
// when one did, so a read of 500 unchanged services costs a comparison of their fields, not a render.

#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

namespace berth::control {

// What the API shows of one service (api.hpp, "service"): as views of the agent's own state (ServiceShown),
// or as a copy kept with its rendering. Times are milliseconds since the epoch; 0 shows as null, like every
// empty text.
template <class Text>
struct ServiceFields {
  Text name;
  Text image;
  Text running_digest;
  Text newest_digest;
  Text state;
  std::int64_t last_check_ms = 0;
  std::int64_t last_swap_ms = 0;
  Text policy;
  Text strategy;
  Text source;  // "file" or "label"
  Text error;
  std::int64_t images_bytes = 0;  // the disk space of the images of its running and kept versions
  Text running_tag;
  Text follow;  // berth.follow as written
  Text newest_tag;

  auto tie() const {
    return std::tie(name, image, running_digest, newest_digest, state, last_check_ms, last_swap_ms, policy, strategy,
                    source, error, images_bytes, running_tag, follow, newest_tag);
  }
  auto tie() {
    return std::tie(name, image, running_digest, newest_digest, state, last_check_ms, last_swap_ms, policy, strategy,
                    source, error, images_bytes, running_tag, follow, newest_tag);
  }
};
using ServiceShown = ServiceFields<std::string_view>;

nlohmann::json service_json(const ServiceShown& s);

class ServicesSnapshot {
 public:
  // `services` in the order the list shows them (by name).
  void refresh(const std::vector<ServiceShown>& services);

  // {"services":[...]} and a newline, as the control server sends a JSON body.
  [[nodiscard]] std::shared_ptr<const std::string> list_body() const { return list_; }
  // One service's JSON and a newline; null when there is no service of that name.
  [[nodiscard]] std::shared_ptr<const std::string> service_body(std::string_view name) const;
  // Services rendered since the start, for the tests.
  [[nodiscard]] std::uint64_t renders() const { return renders_; }

 private:
  struct Entry {
    ServiceFields<std::string> fields;  // as last rendered
    std::string json;                   // service_json of them, on one line
  };

  std::vector<Entry> entries_;  // by name
  std::shared_ptr<const std::string> list_ = std::make_shared<const std::string>("{\"services\":[]}\n");
  std::uint64_t renders_ = 0;
};

}  // namespace berth::control
