#pragma once

// Helpers shared by the configuration loaders: typed, problem-collecting access to the members of a JSON
// object. Nothing here throws; every wrong type is reported once, at its JSON path, and reads as absent.

#include "config/problems.hpp"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace berth::config::detail {

// Members keep the order of the file, so problems are reported in reading order.
using Json = nlohmann::ordered_json;

// Where the problems of one file go, and its notes (fields accepted but without effect here, said so
// once) when the loader keeps them.
class ProblemSink {
 public:
  ProblemSink(Problems& problems, std::string file, Problems* notes = nullptr)
      : problems_(&problems), notes_(notes), file_(std::move(file)) {}
  void add(std::string json_path, std::string message) const;
  void note(std::string json_path, std::string message) const;
  [[nodiscard]] const std::string& file() const { return file_; }

 private:
  Problems* problems_;
  Problems* notes_;
  std::string file_;
};

// "a string", "a number", "an object", ... for messages such as "must be a string, not a number".
std::string describe_type(const Json& value);

// The known name closest to `unknown` (ignoring case), or empty when none is close enough to be a typo.
std::string closest_name(std::string_view unknown, const std::vector<std::string>& known);

// "unknown key" with a hint when a known key is close: `unknown key; did you mean "interval"?`.
std::string unknown_key_message(std::string_view unknown, const std::vector<std::string>& known);

// Parses JSON text. On a syntax error reports `line L, column C: ...` and returns nothing.
std::optional<Json> parse_json(std::string_view text, const ProblemSink& sink);

// Element checks for values that are not object members (array elements, map values).
std::optional<std::string> as_string(const Json& value, const std::string& path, const ProblemSink& sink);
std::optional<bool> as_bool(const Json& value, const std::string& path, const ProblemSink& sink);
std::optional<std::int64_t> as_integer(const Json& value, const std::string& path, const ProblemSink& sink);
bool is_object(const Json& value, const std::string& path, const ProblemSink& sink);
bool is_array(const Json& value, const std::string& path, const ProblemSink& sink);

// Reads the members of one JSON object. Every accessor marks its key as known; finish() then reports
// every member nobody asked for as an unknown key, with a "did you mean" hint. A JSON null reads as an
// absent member. When the value is not an object, that is reported once and every accessor reads absent.
class ObjectReader {
 public:
  ObjectReader(const Json& value, std::string path, const ProblemSink& sink);

  [[nodiscard]] bool valid() const { return object_ != nullptr; }
  [[nodiscard]] const std::string& path() const { return path_; }
  [[nodiscard]] std::string path_of(std::string_view key) const { return json_path_key(path_, key); }
  [[nodiscard]] const ProblemSink& sink() const { return *sink_; }

  // The member, or nullptr when absent or null.
  const Json* find(std::string_view key);
  // True when the member is present, even as null.
  bool present(std::string_view key);

  std::optional<std::string> string(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key);
  // An integer within [min, max]; outside it reports `message` when given, else "must be from min to max".
  std::optional<std::int64_t> integer_in(std::string_view key, std::int64_t min, std::int64_t max,
                                         std::string_view message = {});
  const Json* object(std::string_view key);
  const Json* array(std::string_view key);
  std::optional<std::vector<std::string>> strings(std::string_view key);
  std::optional<std::map<std::string, std::string>> string_map(std::string_view key);

  // Known and accepted, with no effect (AWS metadata, for example).
  void ignore(std::string_view key);
  void ignore(std::initializer_list<std::string_view> keys);
  // Known but refused: when present and not empty (null, [], {}, "" are fine), reports `message`.
  void refuse(std::string_view key, std::string_view message);
  // Known and accepted without effect: when present and not empty, notes `message`.
  void accept_with_note(std::string_view key, std::string_view message);

  void report(std::string_view key, std::string message) const;
  void report_here(std::string message) const;

  // Reports the members no accessor asked for. Call once, after reading every member.
  void finish();

 private:
  void mark(std::string_view key);

  const Json* object_ = nullptr;
  std::string path_;
  const ProblemSink* sink_;
  std::vector<std::string> known_;
};

// Calls `read(item, index)` with an ObjectReader for each element of the array member `key`, then
// finishes the element (reporting its unknown keys).
template <class Read>
void for_each_object(ObjectReader& parent, std::string_view key, Read&& read) {
  const Json* items = parent.array(key);
  if (items == nullptr) return;
  const std::string base = parent.path_of(key);
  for (std::size_t i = 0; i < items->size(); ++i) {
    ObjectReader item((*items)[i], json_path_index(base, i), parent.sink());
    if (item.valid()) read(item, i);
    item.finish();
  }
}

}  // namespace berth::config::detail
