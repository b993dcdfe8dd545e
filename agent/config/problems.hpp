#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::config {

// One thing wrong with a configuration file, printed as `<file>: <json path>: <message>`, for example
// `services.d/web.json: containerDefinitions[0].portMappings[1].hostPort: 70000 is not a port`.
// `json_path` is empty for problems about the whole file (unreadable, not JSON); then the line reads
// `<file>: <message>`.
struct Problem {
  std::string file;
  std::string json_path;
  std::string message;

  [[nodiscard]] std::string to_string() const;
  friend bool operator==(const Problem&, const Problem&) = default;
};

// Every problem found in one or more files, in the order they were found. Validation collects all of
// them rather than stopping at the first, so an operator fixes a file in one round.
class Problems {
 public:
  void add(std::string file, std::string json_path, std::string message);
  void add(Problem problem);
  void append(const Problems& other);

  [[nodiscard]] bool empty() const { return items_.empty(); }
  [[nodiscard]] std::size_t size() const { return items_.size(); }
  [[nodiscard]] const std::vector<Problem>& items() const { return items_; }
  [[nodiscard]] auto begin() const { return items_.begin(); }
  [[nodiscard]] auto end() const { return items_.end(); }
  [[nodiscard]] const Problem& operator[](std::size_t i) const { return items_[i]; }

  // One problem per line, each line ending in '\n'.
  [[nodiscard]] std::string to_string() const;
  // The printed lines, for tests and for the CLI.
  [[nodiscard]] std::vector<std::string> lines() const;

 private:
  std::vector<Problem> items_;
};

// What a loader returns: the value when the input had no problem, otherwise every problem found.
template <class T>
struct LoadResult {
  std::optional<T> value;
  Problems problems;
  Problems notes;  // not problems: fields accepted without effect here, each said once

  [[nodiscard]] bool ok() const { return value.has_value() && problems.empty(); }
};

// JSON path pieces: `key` at the top, `parent.key` below it, `parent["odd.key"]` for keys that are not
// plain identifiers (label names, registry hosts), `parent[3]` for array elements.
std::string json_path_key(std::string_view parent, std::string_view key);
std::string json_path_index(std::string_view parent, std::size_t index);

// How a file is named in problems: relative to the configuration directory when inside it
// (`/etc/berth/services.d/web.json` under `/etc/berth` is `services.d/web.json`), else as given.
std::string display_path(std::string_view path, std::string_view config_dir);

}  // namespace berth::config
