#pragma once

// `berth.follow`: follow a version pattern instead of one tag. "semver:^1.4", "semver:~2",
// "semver:>=1.2 <2", "regex:^release-\d{8}$". Pure: the registry's tag list comes from the caller.

#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace berth::config {

// A semantic version (semver.org 2.0.0); a leading "v" is accepted, as tags often carry one.
struct SemVer {
  long major = 0, minor = 0, patch = 0;
  std::vector<std::string> prerelease;  // dot-separated identifiers after "-"; empty for a release
};
std::optional<SemVer> parse_semver(std::string_view text);
// Semver precedence: <0, 0, >0. Build metadata does not count.
int compare(const SemVer& a, const SemVer& b);

// A range: comparator sets joined by "||", each a space-separated AND of ^X, ~X, X (partial: 1, 1.4),
// >=X, >X, <=X, <X, =X. A pre-release matches only when a comparator of its set names a pre-release of
// the same major.minor.patch (as npm decides), so "^1.4" never picks 1.5.0-rc.1.
class SemVerRange {
 public:
  static std::optional<SemVerRange> parse(std::string_view text, std::string* error);
  [[nodiscard]] bool contains(const SemVer& v) const;

 private:
  struct Comparator {
    enum class Op { kLess, kLessEqual, kGreater, kGreaterEqual, kEqual } op = Op::kEqual;
    SemVer version;
  };
  std::vector<std::vector<Comparator>> sets_;
};

class VersionFollow {
 public:
  static std::optional<VersionFollow> parse(std::string_view text, std::string* error);
  [[nodiscard]] const std::string& text() const { return text_; }
  // The highest tag that matches: semver precedence for semver:, natural order (digit runs compared as
  // numbers) for regex:. nullopt when none matches.
  [[nodiscard]] std::optional<std::string> pick(const std::vector<std::string>& tags) const;
  [[nodiscard]] bool matches(const std::string& tag) const;

  friend bool operator==(const VersionFollow& a, const VersionFollow& b) { return a.text_ == b.text_; }

 private:
  std::string text_;
  std::optional<SemVerRange> range_;
  std::shared_ptr<const std::regex> regex_;
};

// Natural order: "release-9" < "release-10". <0, 0, >0.
int natural_compare(std::string_view a, std::string_view b);

}  // namespace berth::config
