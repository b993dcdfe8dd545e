#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace berth::common {

// Percent-encodes a URL query value or path segment (RFC 3986 unreserved characters are kept).
std::string url_encode(std::string_view value);

// ASCII case-insensitive comparison (HTTP header names, registry hosts).
bool iequals(std::string_view a, std::string_view b);

std::string to_lower(std::string_view s);

// The value of one hexadecimal digit (either case), or -1.
int hex_digit(char c);

bool starts_with(std::string_view s, std::string_view prefix);

// base64 (RFC 4648 section 4) and base64url (section 5), both padded.
std::string base64_encode(std::string_view data);
std::string base64url_encode(std::string_view data);

// Decodes standard base64 (RFC 4648 section 4). Padding is optional, but when present it must be complete.
// nullopt for any other character (white space included) or an impossible length.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace berth::common
