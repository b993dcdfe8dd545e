#include "common/loopback.hpp"

#include "common/text.hpp"

#include <arpa/inet.h>

#include <array>
#include <string>

namespace berth::common {

bool is_loopback_host(std::string_view host) {
  if (iequals(host, "localhost")) {
    return true;
  }
  const std::string text(host);
  std::array<unsigned char, 16> bytes{};
  if (inet_pton(AF_INET, text.c_str(), bytes.data()) == 1) {
    return bytes[0] == 127;
  }
  if (inet_pton(AF_INET6, text.c_str(), bytes.data()) != 1) {
    return false;
  }
  constexpr std::array<unsigned char, 12> kMappedPrefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  bool zero_prefix = true;
  bool mapped = true;
  for (std::size_t i = 0; i < 12; ++i) {
    zero_prefix = zero_prefix && bytes[i] == 0;
    mapped = mapped && bytes[i] == kMappedPrefix[i];
  }
  if (mapped) {
    return bytes[12] == 127;  // ::ffff:127.x.x.x
  }
  return zero_prefix && bytes[12] == 0 && bytes[13] == 0 && bytes[14] == 0 && bytes[15] == 1;  // ::1
}

}  // namespace berth::common
