#pragma once

// SHA-256, HMAC-SHA-256 and lower-case hex: the one copy of each that berth uses.

#include <string>
#include <string_view>

namespace berth::common {

// Lower-case hexadecimal of the bytes.
std::string hex(std::string_view bytes);

// The 32 raw bytes of SHA-256 of `bytes`.
std::string sha256(std::string_view bytes);

// The 32 raw bytes of HMAC-SHA-256 of `data` under `key`.
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace berth::common
