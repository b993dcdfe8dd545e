#include "config/version_follow.hpp"

#include "common/text.hpp"

#include <algorithm>
#include <tuple>

namespace berth::config {

namespace {

constexpr std::size_t kMaxTagLength = 128;

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool identifier_ok(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
  });
}

std::optional<long> number(std::string_view s) {
  if (!all_digits(s) || s.size() > 9 || (s.size() > 1 && s.front() == '0')) return std::nullopt;
  long v = 0;
  for (const char c : s) v = v * 10 + (c - '0');
  return v;
}

int compare_identifiers(std::string_view a, std::string_view b) {
  const bool an = all_digits(a);
  const bool bn = all_digits(b);
  if (an && bn) {
    if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
    return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
  }
  if (an != bn) return an ? -1 : 1;  // numeric identifiers have lower precedence
  return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
}

// A partial version in a range: "1", "1.4", "1.4.2", "1.4.2-rc.1", with "x" or "*" for a missing part.
struct Partial {
  SemVer version;
  int parts = 0;  // how many of major, minor, patch were given
};

std::optional<Partial> parse_partial(std::string_view text) {
  if (!text.empty() && (text.front() == 'v' || text.front() == 'V')) text.remove_prefix(1);
  Partial p;
  const auto dash = text.find('-');
  const auto core = text.substr(0, std::min(dash, text.find('+')));
  const auto fields = common::split(core, '.');
  if (fields.size() > 3) return std::nullopt;
  long* slots[] = {&p.version.major, &p.version.minor, &p.version.patch};
  bool wild = false;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (fields[i] == "x" || fields[i] == "X" || fields[i] == "*") {
      wild = true;
      continue;
    }
    const auto n = number(fields[i]);
    if (!n || wild) return std::nullopt;  // "1.x.4" means nothing
    *slots[i] = *n;
    p.parts = static_cast<int>(i) + 1;
  }
  if (dash != std::string_view::npos) {
    if (p.parts != 3) return std::nullopt;
    auto full = parse_semver(text);
    if (!full) return std::nullopt;
    p.version = *full;
  }
  return p;
}

SemVer bump(const Partial& p, int part) {
  SemVer v;
  v.major = p.version.major + (part == 0 ? 1 : 0);
  v.minor = part >= 1 ? p.version.minor + (part == 1 ? 1 : 0) : 0;
  v.patch = part == 2 ? p.version.patch + 1 : 0;
  v.prerelease = {"0"};  // below every release of that version: "<2.0.0-0" excludes 2.0.0's pre-releases
  return v;
}

SemVer floor_of(const Partial& p) {
  SemVer v = p.version;
  if (p.parts < 3) v.prerelease.clear();
  return v;
}

}  // namespace

std::optional<SemVer> parse_semver(std::string_view text) {
  if (text.size() > kMaxTagLength) return std::nullopt;
  if (!text.empty() && (text.front() == 'v' || text.front() == 'V')) text.remove_prefix(1);
  if (const auto plus = text.find('+'); plus != std::string_view::npos) {
    for (const auto id : common::split(text.substr(plus + 1), '.')) {
      if (!identifier_ok(id)) return std::nullopt;
    }
    text = text.substr(0, plus);
  }
  SemVer v;
  const auto dash = text.find('-');
  if (dash != std::string_view::npos) {
    for (const auto id : common::split(text.substr(dash + 1), '.')) {
      if (!identifier_ok(id) || (all_digits(id) && id.size() > 1 && id.front() == '0')) return std::nullopt;
      v.prerelease.emplace_back(id);
    }
    text = text.substr(0, dash);
  }
  const auto fields = common::split(text, '.');
  if (fields.size() != 3) return std::nullopt;
  const auto major = number(fields[0]);
  const auto minor = number(fields[1]);
  const auto patch = number(fields[2]);
  if (!major || !minor || !patch) return std::nullopt;
  v.major = *major;
  v.minor = *minor;
  v.patch = *patch;
  return v;
}

int compare(const SemVer& a, const SemVer& b) {
  if (std::tie(a.major, a.minor, a.patch) != std::tie(b.major, b.minor, b.patch)) {
    return std::tie(a.major, a.minor, a.patch) < std::tie(b.major, b.minor, b.patch) ? -1 : 1;
  }
  if (a.prerelease.empty() || b.prerelease.empty()) {
    return a.prerelease.empty() == b.prerelease.empty() ? 0 : (a.prerelease.empty() ? 1 : -1);
  }
  for (std::size_t i = 0; i < std::min(a.prerelease.size(), b.prerelease.size()); ++i) {
    if (const int c = compare_identifiers(a.prerelease[i], b.prerelease[i]); c != 0) return c;
  }
  if (a.prerelease.size() == b.prerelease.size()) return 0;
  return a.prerelease.size() < b.prerelease.size() ? -1 : 1;
}

std::optional<SemVerRange> SemVerRange::parse(std::string_view text, std::string* error) {
  using Op = Comparator::Op;
  const auto fail = [&](const std::string& why) -> std::optional<SemVerRange> {
    if (error != nullptr) *error = why;
    return std::nullopt;
  };
  SemVerRange range;
  for (const auto alternative : common::split(text, '|')) {
    if (alternative.empty()) continue;  // the two bars of "||"
    std::vector<Comparator> set;
    for (const auto word : common::split(alternative, ' ')) {
      if (word.empty()) continue;
      std::string_view rest = word;
      std::string op;
      for (const char* candidate : {">=", "<=", ">", "<", "=", "^", "~"}) {
        if (rest.substr(0, std::string_view(candidate).size()) == candidate) {
          op = candidate;
          rest.remove_prefix(op.size());
          break;
        }
      }
      const auto p = parse_partial(rest);
      if (!p || (p->parts == 0 && op != "" && op != "=")) {
        return fail("\"" + std::string(word) + "\" is not a version comparator (^1.4, ~2, >=1.2, <2, 1.4.x)");
      }
      const SemVer low = floor_of(*p);
      if (op == "^") {
        // The first non-zero part given stays; 0.x versions change their minor (or patch) for breaking changes.
        const int keep = p->version.major != 0 || p->parts < 2 ? 0 : (p->version.minor != 0 || p->parts < 3 ? 1 : 2);
        set.push_back({Op::kGreaterEqual, low});
        set.push_back({Op::kLess, bump(*p, keep)});
      } else if (op == "~") {
        set.push_back({Op::kGreaterEqual, low});
        set.push_back({Op::kLess, bump(*p, p->parts <= 1 ? 0 : 1)});
      } else if (op == ">=") {
        set.push_back({Op::kGreaterEqual, low});
      } else if (op == "<") {
        set.push_back({Op::kLess, p->parts == 3 ? p->version : floor_of(*p)});
      } else if (op == ">") {
        set.push_back(p->parts == 3 ? Comparator{Op::kGreater, p->version}
                                    : Comparator{Op::kGreaterEqual, bump(*p, p->parts - 1)});
      } else if (op == "<=") {
        set.push_back(p->parts == 3 ? Comparator{Op::kLessEqual, p->version}
                                    : Comparator{Op::kLess, bump(*p, p->parts - 1)});
      } else if (p->parts == 3) {
        set.push_back({Op::kEqual, p->version});
      } else if (p->parts > 0) {  // an x-range: "1.4" is >=1.4.0 <1.5.0-0
        set.push_back({Op::kGreaterEqual, low});
        set.push_back({Op::kLess, bump(*p, p->parts - 1)});
      }
    }
    range.sets_.push_back(std::move(set));
  }
  if (range.sets_.empty()) return fail("the range is empty; write for example semver:^1.4");
  return range;
}

bool SemVerRange::contains(const SemVer& v) const {
  using Op = Comparator::Op;
  for (const auto& set : sets_) {
    bool ok = true;
    bool names_prerelease = false;
    for (const auto& c : set) {
      const int cmp = compare(v, c.version);
      switch (c.op) {
        case Op::kLess: ok = ok && cmp < 0; break;
        case Op::kLessEqual: ok = ok && cmp <= 0; break;
        case Op::kGreater: ok = ok && cmp > 0; break;
        case Op::kGreaterEqual: ok = ok && cmp >= 0; break;
        case Op::kEqual: ok = ok && cmp == 0; break;
      }
      // The "-0" bounds that bump() writes are not a pre-release the user named.
      const bool named = !c.version.prerelease.empty() && c.version.prerelease != std::vector<std::string>{"0"};
      names_prerelease = names_prerelease || (named && c.version.major == v.major && c.version.minor == v.minor &&
                                              c.version.patch == v.patch);
    }
    if (ok && (v.prerelease.empty() || names_prerelease)) return true;
  }
  return false;
}

std::optional<VersionFollow> VersionFollow::parse(std::string_view text, std::string* error) {
  VersionFollow f;
  f.text_ = std::string(text);
  if (text.substr(0, 7) == "semver:") {
    f.range_ = SemVerRange::parse(text.substr(7), error);
    if (!f.range_) return std::nullopt;
    return f;
  }
  if (text.substr(0, 6) == "regex:") {
    const std::string pattern(text.substr(6));
    if (pattern.empty() || pattern.size() > 256) {
      if (error != nullptr) *error = "the regular expression is empty or longer than 256 characters";
      return std::nullopt;
    }
    try {
      f.regex_ = std::make_shared<const std::regex>(pattern, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      if (error != nullptr) *error = "\"" + pattern + "\" is not a regular expression: " + e.what();
      return std::nullopt;
    }
    return f;
  }
  if (error != nullptr) *error = "write semver:RANGE (semver:^1.4, semver:>=1.2 <2) or regex:PATTERN";
  return std::nullopt;
}

bool VersionFollow::matches(const std::string& tag) const {
  if (tag.size() > kMaxTagLength) return false;
  if (range_) {
    const auto v = parse_semver(tag);
    return v && range_->contains(*v);
  }
  return regex_ && std::regex_search(tag, *regex_);
}

std::optional<std::string> VersionFollow::pick(const std::vector<std::string>& tags) const {
  std::optional<std::string> best;
  std::optional<SemVer> best_version;
  for (const auto& tag : tags) {
    if (!matches(tag)) continue;
    if (range_) {
      const auto v = parse_semver(tag);
      if (!best_version || compare(*v, *best_version) > 0) {
        best = tag;
        best_version = v;
      }
    } else if (!best || natural_compare(tag, *best) > 0) {
      best = tag;
    }
  }
  return best;
}

int natural_compare(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  while (i < a.size() && j < b.size()) {
    if (digit(a[i]) && digit(b[j])) {
      std::size_t ie = i;
      std::size_t je = j;
      while (ie < a.size() && digit(a[ie])) ++ie;
      while (je < b.size() && digit(b[je])) ++je;
      auto x = a.substr(i, ie - i);
      auto y = b.substr(j, je - j);
      while (x.size() > 1 && x.front() == '0') x.remove_prefix(1);
      while (y.size() > 1 && y.front() == '0') y.remove_prefix(1);
      if (x.size() != y.size()) return x.size() < y.size() ? -1 : 1;
      if (const int c = x.compare(y); c != 0) return c < 0 ? -1 : 1;
      i = ie;
      j = je;
    } else {
      if (a[i] != b[j]) return a[i] < b[j] ? -1 : 1;
      ++i;
      ++j;
    }
  }
  if (a.size() - i == b.size() - j) return a.compare(b) < 0 ? -1 : (a == b ? 0 : 1);
  return a.size() - i < b.size() - j ? -1 : 1;
}

}  // namespace berth::config
