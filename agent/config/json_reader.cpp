#include "config/json_reader.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

namespace berth::config::detail {

void ProblemSink::add(std::string json_path, std::string message) const {
  problems_->add(file_, std::move(json_path), std::move(message));
}

void ProblemSink::note(std::string json_path, std::string message) const {
  if (notes_ != nullptr) {
    notes_->add(file_, std::move(json_path), std::move(message));
  }
}

std::string describe_type(const Json& value) {
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::null: return "null";
    case nlohmann::ordered_json::value_t::object: return "an object";
    case nlohmann::ordered_json::value_t::array: return "an array";
    case nlohmann::ordered_json::value_t::string: return "a string";
    case nlohmann::ordered_json::value_t::boolean: return "a boolean";
    case nlohmann::ordered_json::value_t::number_float: return "a fractional number";
    case nlohmann::ordered_json::value_t::number_integer:
    case nlohmann::ordered_json::value_t::number_unsigned: return "a number";
    case nlohmann::ordered_json::value_t::binary:
    case nlohmann::ordered_json::value_t::discarded: return "not a JSON value";
  }
  return "not a JSON value";
}

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same =
          std::tolower(static_cast<unsigned char>(a[i - 1])) == std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

}  // namespace

std::string closest_name(std::string_view unknown, const std::vector<std::string>& known) {
  const std::size_t allowed = unknown.size() <= 3 ? 1 : unknown.size() <= 8 ? 2 : 3;
  std::string best;
  std::size_t best_distance = allowed + 1;
  for (const auto& candidate : known) {
    std::size_t d = edit_distance(unknown, candidate);
    // One name starting the other ("user" for "username", "warning" for "warn") reads as a near miss.
    const std::size_t shorter = std::min(unknown.size(), candidate.size());
    if (shorter >= 3 && d > 1 &&
        edit_distance(unknown.substr(0, shorter), std::string_view(candidate).substr(0, shorter)) == 0) {
      d = 1;
    }
    if (d < best_distance) {
      best_distance = d;
      best = candidate;
    }
  }
  return best;
}

std::string unknown_key_message(std::string_view unknown, const std::vector<std::string>& known) {
  const std::string hint = closest_name(unknown, known);
  if (hint.empty()) return "unknown key";
  return "unknown key; did you mean \"" + hint + "\"?";
}

namespace {

// Follows the parser through the document to report keys given twice in one object (JSON parsers keep
// only the last, which would silently drop the first).
class DuplicateKeyFinder {
 public:
  explicit DuplicateKeyFinder(const ProblemSink& sink) : sink_(&sink) {}

  bool on_event(nlohmann::ordered_json::parse_event_t event, const Json& parsed) {
    using Event = nlohmann::ordered_json::parse_event_t;
    switch (event) {
      case Event::object_start:
      case Event::array_start: frames_.push_back(Frame{event == Event::array_start, child_path(), 0, {}, {}}); break;
      case Event::object_end:
      case Event::array_end:
        if (!frames_.empty()) frames_.pop_back();
        break;
      case Event::key:
        if (!frames_.empty() && parsed.is_string()) {
          Frame& frame = frames_.back();
          frame.key = parsed.get<std::string>();
          if (std::find(frame.keys.begin(), frame.keys.end(), frame.key) != frame.keys.end()) {
            sink_->add(json_path_key(frame.path, frame.key), "is given twice in the same object");
          } else {
            frame.keys.push_back(frame.key);
          }
        }
        break;
      case Event::value:
        if (!frames_.empty() && frames_.back().is_array) ++frames_.back().next_index;
        break;
    }
    return true;
  }

 private:
  struct Frame {
    bool is_array = false;
    std::string path;
    std::size_t next_index = 0;
    std::string key;
    std::vector<std::string> keys;
  };

  // The path of a value starting now, inside the innermost open object or array.
  std::string child_path() {
    if (frames_.empty()) return {};
    Frame& parent = frames_.back();
    if (parent.is_array) return json_path_index(parent.path, parent.next_index++);
    return json_path_key(parent.path, parent.key);
  }

  const ProblemSink* sink_;
  std::vector<Frame> frames_;
};

}  // namespace

std::optional<Json> parse_json(std::string_view text, const ProblemSink& sink) {
  try {
    DuplicateKeyFinder finder(sink);
    return nlohmann::ordered_json::parse(
        text.begin(), text.end(), [&finder](int /*depth*/, nlohmann::ordered_json::parse_event_t event, Json& parsed) {
          return finder.on_event(event, parsed);
        });
  } catch (const nlohmann::ordered_json::parse_error& e) {
    // nlohmann reports the byte just past the offending token; count lines and columns ourselves.
    const std::size_t at = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    std::size_t line = 1;
    std::size_t column = 1;
    for (std::size_t i = 0; i < at; ++i) {
      if (text[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    // The library's message reads "[json.exception.parse_error.101] parse error at line 3, column 5:
    // syntax error while parsing ..."; keep only the part after the position.
    std::string what = e.what();
    const auto colon = what.find(": ");
    if (colon != std::string::npos) what = what.substr(colon + 2);
    if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) what = "the file is empty; write a JSON object";
    sink.add({}, "line " + std::to_string(line) + ", column " + std::to_string(column) + ": not valid JSON: " + what);
  } catch (const nlohmann::ordered_json::exception& e) {
    sink.add({}, std::string("not valid JSON: ") + e.what());
  }
  return std::nullopt;
}

std::optional<std::string> as_string(const Json& value, const std::string& path, const ProblemSink& sink) {
  if (value.is_string()) return value.get<std::string>();
  sink.add(path, "must be a string, not " + describe_type(value));
  return std::nullopt;
}

std::optional<bool> as_bool(const Json& value, const std::string& path, const ProblemSink& sink) {
  if (value.is_boolean()) return value.get<bool>();
  sink.add(path, "must be true or false, not " + describe_type(value));
  return std::nullopt;
}

std::optional<std::int64_t> as_integer(const Json& value, const std::string& path, const ProblemSink& sink) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      sink.add(path, value.dump() + " is too large");
      return std::nullopt;
    }
    return static_cast<std::int64_t>(v);
  }
  if (value.is_number_integer()) return value.get<std::int64_t>();
  if (value.is_number_float()) {
    sink.add(path, "must be a whole number, not " + value.dump());
  } else {
    sink.add(path, "must be a number, not " + describe_type(value));
  }
  return std::nullopt;
}

bool is_object(const Json& value, const std::string& path, const ProblemSink& sink) {
  if (value.is_object()) return true;
  sink.add(path, "must be an object, not " + describe_type(value));
  return false;
}

bool is_array(const Json& value, const std::string& path, const ProblemSink& sink) {
  if (value.is_array()) return true;
  sink.add(path, "must be an array, not " + describe_type(value));
  return false;
}

ObjectReader::ObjectReader(const Json& value, std::string path, const ProblemSink& sink)
    : path_(std::move(path)), sink_(&sink) {
  if (value.is_object()) {
    object_ = &value;
  } else {
    sink.add(path_, "must be an object, not " + describe_type(value));
  }
}

void ObjectReader::mark(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
}

const Json* ObjectReader::find(std::string_view key) {
  mark(key);
  if (object_ == nullptr) return nullptr;
  const auto it = object_->find(key);
  if (it == object_->end() || it->is_null()) return nullptr;
  return &*it;
}

bool ObjectReader::present(std::string_view key) {
  mark(key);
  return object_ != nullptr && object_->contains(key);
}

std::optional<std::string> ObjectReader::string(std::string_view key) {
  const auto* v = find(key);
  if (v == nullptr) return std::nullopt;
  return as_string(*v, path_of(key), *sink_);
}

std::optional<bool> ObjectReader::boolean(std::string_view key) {
  const auto* v = find(key);
  if (v == nullptr) return std::nullopt;
  return as_bool(*v, path_of(key), *sink_);
}

std::optional<std::int64_t> ObjectReader::integer(std::string_view key) {
  const auto* v = find(key);
  if (v == nullptr) return std::nullopt;
  return as_integer(*v, path_of(key), *sink_);
}

std::optional<std::int64_t> ObjectReader::integer_in(std::string_view key, std::int64_t min, std::int64_t max,
                                                     std::string_view message) {
  const auto v = integer(key);
  if (!v) return std::nullopt;
  if (*v < min || *v > max) {
    if (message.empty()) {
      report(key, std::to_string(*v) + " is out of range; use " + std::to_string(min) + " to " + std::to_string(max));
    } else {
      report(key, std::to_string(*v) + " " + std::string(message));
    }
    return std::nullopt;
  }
  return v;
}

const Json* ObjectReader::object(std::string_view key) {
  const auto* v = find(key);
  if (v == nullptr || !is_object(*v, path_of(key), *sink_)) return nullptr;
  return v;
}

const Json* ObjectReader::array(std::string_view key) {
  const auto* v = find(key);
  if (v == nullptr || !is_array(*v, path_of(key), *sink_)) return nullptr;
  return v;
}

std::optional<std::vector<std::string>> ObjectReader::strings(std::string_view key) {
  const auto* v = array(key);
  if (v == nullptr) return std::nullopt;
  std::vector<std::string> out;
  bool all_good = true;
  const std::string base = path_of(key);
  for (std::size_t i = 0; i < v->size(); ++i) {
    auto s = as_string((*v)[i], json_path_index(base, i), *sink_);
    if (s) {
      out.push_back(std::move(*s));
    } else {
      all_good = false;
    }
  }
  if (!all_good) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> ObjectReader::string_map(std::string_view key) {
  const auto* v = object(key);
  if (v == nullptr) return std::nullopt;
  std::map<std::string, std::string> out;
  bool all_good = true;
  const std::string base = path_of(key);
  for (const auto& [name, value] : v->items()) {
    auto s = as_string(value, json_path_key(base, name), *sink_);
    if (s) {
      out.emplace(name, std::move(*s));
    } else {
      all_good = false;
    }
  }
  if (!all_good) return std::nullopt;
  return out;
}

void ObjectReader::ignore(std::string_view key) { mark(key); }

void ObjectReader::ignore(std::initializer_list<std::string_view> keys) {
  for (const auto key : keys) mark(key);
}

namespace {

bool is_empty_value(const Json& v) {
  return ((v.is_array() || v.is_object()) && v.empty()) || (v.is_string() && v.get_ref<const std::string&>().empty());
}

}  // namespace

void ObjectReader::refuse(std::string_view key, std::string_view message) {
  const auto* v = find(key);
  if (v != nullptr && !is_empty_value(*v)) report(key, std::string(message));
}

void ObjectReader::accept_with_note(std::string_view key, std::string_view message) {
  const auto* v = find(key);
  if (v != nullptr && !is_empty_value(*v)) sink_->note(path_of(key), std::string(message));
}

void ObjectReader::report(std::string_view key, std::string message) const {
  sink_->add(path_of(key), std::move(message));
}

void ObjectReader::report_here(std::string message) const { sink_->add(path_, std::move(message)); }

void ObjectReader::finish() {
  if (object_ == nullptr) return;
  for (const auto& [key, value] : object_->items()) {
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    sink_->add(path_of(key), unknown_key_message(key, known_));
  }
}

}  // namespace berth::config::detail
