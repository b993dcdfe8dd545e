#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::common {

// Percent-encodes a URL query value or path segment (RFC 3986 unreserved characters are kept).
std::string url_encode(std::string_view value);

// ASCII case-insensitive comparison (HTTP header names, registry hosts).
bool iequals(std::string_view a, std::string_view b);

std::string to_lower(std::string_view s);

// The value of one hexadecimal digit (either case), or -1.
int hex_digit(char c);

bool starts_with(std::string_view s, std::string_view prefix);

// `s` without the spaces and tabs at either end (HTTP's optional white space; also what berth trims
// from labels and header values).
std::string_view trim_blanks(std::string_view s);

// Whether `s` is one or more ASCII digits.
bool all_digits(std::string_view s);

// A whole number written in decimal digits only (no sign, no space), at most `max`; nullopt for anything
// else, an overflow included. The one number parser for text from the wire and from labels.
std::optional<std::uint64_t> parse_unsigned(std::string_view s, std::uint64_t max = UINT64_MAX);

// The parts between separators, empty ones included: "a::b" -> {"a", "", "b"}; "" -> {""}.
std::vector<std::string_view> split(std::string_view text, char separator);

// base64 (RFC 4648 section 4) and base64url (section 5), both padded.
std::string base64_encode(std::string_view data);
std::string base64url_encode(std::string_view data);

// Decodes standard base64 (RFC 4648 section 4). Padding is optional, but when present it must be complete.
// nullopt for any other character (white space included) or an impossible length.
std::optional<std::string> base64_decode(std::string_view text);

// Text fit for a file, the API, the journal or a terminal, made from bytes of any origin (a container's
// output or logs, a peer's answer): valid UTF-8, each ill-formed sequence (a stray byte, a cut character,
// an overlong form, a surrogate) replaced by U+FFFD, and control characters other than newline and tab
// written as escapes ("\x1b", "\u009b"), so that nothing can rewrite a terminal. At most `max_bytes`
// long, cut between characters. Applying it again changes nothing.
std::string printable_text(std::string_view bytes, std::size_t max_bytes = std::string_view::npos);

// Valid UTF-8 `text` cut to at most `max_bytes`, between characters.
std::string_view cut_text(std::string_view text, std::size_t max_bytes);

}  // namespace berth::common
