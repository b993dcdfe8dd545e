#pragma once

// What the client commands print: tables for people (CONTRACT section 2 columns), progress lines and
// bars for `--wait`, and the exit code a swap result means. Pure: everything takes the API's JSON and
// the current time, and returns text.

#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::cli {

// Columns of equal width per column, two spaces apart; the header row first.
std::string render_table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows);

// The list inside an API answer: the array itself, or the first array under `key` ("services",
// "history", "swaps"). Empty when there is none.
nlohmann::json list_of(const nlohmann::json& body, std::string_view key);

// "sha256:0123456789ab" (12 hex digits); "-" for an empty or missing digest.
std::string short_digest(std::string_view digest);

// RFC 3339 UTC time -> "3m ago", "2h ago", "5d ago", "just now"; "-" when absent or unparsable.
std::string relative_time(const nlohmann::json& rfc3339, std::chrono::system_clock::time_point now);
std::optional<std::chrono::system_clock::time_point> parse_rfc3339(std::string_view text);

// SERVICE IMAGE RUNNING NEWEST STATE LAST CHECK LAST SWAP
std::string render_services(const nlohmann::json& services, std::chrono::system_clock::time_point now);
// SERVICE RUNNING NEWEST UPDATE (yes / no / the error)
std::string render_checks(const nlohmann::json& services);
// SWAP SERVICE STARTED RESULT FROM TO REASON
std::string render_history(const nlohmann::json& swaps, std::chrono::system_clock::time_point now);
// NAME SCOPE CREATED
std::string render_tokens(const nlohmann::json& tokens);

// One line for a swap event: "pull: 12.3 MB of 27.0 MB (45%)", "gate: probe passed".
std::string event_line(const nlohmann::json& event);
// "[##########----------]  50% pull 13.5 MB of 27.0 MB", fitting `width` columns.
std::string progress_bar(const nlohmann::json& event, std::size_t width);
// "12.3 MB", "512 B"
std::string human_bytes(double bytes);

// Exit code for a finished swap's result: 0 swapped or up_to_date, 3 rolled_back, 1 anything else.
int exit_code_for_result(std::string_view result);
// The last line of `update --wait`: "web: swapped sha256:aaa -> sha256:bbb" or why not.
std::string swap_summary(const nlohmann::json& swap);

// Exit code for an API error status: 4 for 401 and 403, else 1.
int exit_code_for_status(int status);
// "forbidden: token "ci" has scope read; ..." from an error body; the status when the body says nothing.
std::string api_error_text(int status, const std::string& body);

}  // namespace berth::cli
