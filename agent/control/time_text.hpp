#pragma once

#include <chrono>
#include <string>

namespace berth::control {

// "2024-05-01T12:00:00Z" (seconds) and "2024-05-01T12:00:00.123Z" (milliseconds), always UTC.
std::string rfc3339_utc(std::chrono::system_clock::time_point t);
std::string rfc3339_utc_ms(std::chrono::system_clock::time_point t);

}  // namespace berth::control
