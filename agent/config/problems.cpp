#include "config/problems.hpp"

#include <cctype>

namespace berth::config {

std::string Problem::to_string() const {
  std::string out = file;
  out += ": ";
  if (!json_path.empty()) {
    out += json_path;
    out += ": ";
  }
  out += message;
  return out;
}

void Problems::add(std::string file, std::string json_path, std::string message) {
  items_.push_back(Problem{std::move(file), std::move(json_path), std::move(message)});
}

void Problems::add(Problem problem) { items_.push_back(std::move(problem)); }

void Problems::append(const Problems& other) { items_.insert(items_.end(), other.items_.begin(), other.items_.end()); }

std::string Problems::to_string() const {
  std::string out;
  for (const auto& p : items_) {
    out += p.to_string();
    out += '\n';
  }
  return out;
}

std::vector<std::string> Problems::lines() const {
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& p : items_) out.push_back(p.to_string());
  return out;
}

namespace {

bool is_identifier(std::string_view key) {
  if (key.empty()) return false;
  const auto first = static_cast<unsigned char>(key.front());
  if (std::isalpha(first) == 0 && first != '_') return false;
  for (const char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) == 0 && u != '_') return false;
  }
  return true;
}

std::string quoted(std::string_view key) {
  std::string out = "[\"";
  for (const char c : key) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += "\"]";
  return out;
}

}  // namespace

std::string json_path_key(std::string_view parent, std::string_view key) {
  std::string out(parent);
  if (!is_identifier(key)) return out + quoted(key);
  if (!out.empty()) out += '.';
  out += key;
  return out;
}

std::string json_path_index(std::string_view parent, std::size_t index) {
  std::string out(parent);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

std::string display_path(std::string_view path, std::string_view config_dir) {
  while (config_dir.size() > 1 && config_dir.back() == '/') config_dir.remove_suffix(1);
  if (config_dir.empty()) return std::string(path);
  const std::size_t skip = config_dir == "/" ? 1 : config_dir.size() + 1;
  if (path.size() > skip && path.substr(0, config_dir.size()) == config_dir && path[skip - 1] == '/') {
    return std::string(path.substr(skip));
  }
  return std::string(path);
}

}  // namespace berth::config
