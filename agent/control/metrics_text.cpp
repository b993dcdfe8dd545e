#include "control/metrics_text.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace berth::control {

namespace {

bool name_char(char c, bool first, bool allow_colon) {
  const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
  return letter || (!first && c >= '0' && c <= '9');
}

bool valid_name(std::string_view name, bool allow_colon) {
  if (name.empty()) {
    return false;
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, allow_colon)) {
      return false;
    }
  }
  return true;
}

std::string escape_help(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

// `{a="x",b="y"}`; invalid label names are dropped rather than producing an unparsable page.
std::string label_text(const MetricLabels& labels, std::string_view extra_name = {}, std::string_view extra = {}) {
  std::string out;
  auto add = [&](std::string_view k, std::string_view v) {
    if (!is_valid_label_name(k)) {
      return;
    }
    out += out.empty() ? "{" : ",";
    out += k;
    out += "=\"";
    out += escape_label_value(v);
    out += '"';
  };
  for (const auto& [k, v] : labels) {
    add(k, v);
  }
  if (!extra_name.empty()) {
    add(extra_name, extra);
  }
  if (!out.empty()) {
    out += '}';
  }
  return out;
}

void add_sample(std::string& samples, std::string_view name, const std::string& labels, double value) {
  samples += name;
  samples += labels;
  samples += ' ';
  samples += format_metric_value(value);
  samples += '\n';
}

}  // namespace

bool is_valid_metric_name(std::string_view name) { return valid_name(name, true); }
bool is_valid_label_name(std::string_view name) { return valid_name(name, false) && !name.starts_with("__"); }

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '"': out += "\\\""; break;
      case '\n': out += "\\n"; break;
      default: out += c;
    }
  }
  return out;
}

std::string format_metric_value(double value) {
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  // The shortest text that reads back as the same double: 0.1 stays "0.1".
  char buf[32];
  for (int precision = 6; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, value);
    if (std::strtod(buf, nullptr) == value) {
      break;
    }
  }
  return buf;
}

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)) {
  std::sort(bounds_.begin(), bounds_.end());
  bounds_.erase(std::unique(bounds_.begin(), bounds_.end()), bounds_.end());
  per_bucket_.assign(bounds_.size(), 0);
}

void Histogram::observe(double value) {
  const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), value);
  if (it != bounds_.end()) {
    ++per_bucket_[static_cast<std::size_t>(it - bounds_.begin())];
  }
  ++count_;
  sum_ += value;
}

std::vector<std::uint64_t> Histogram::cumulative() const {
  std::vector<std::uint64_t> out(per_bucket_.size());
  std::uint64_t running = 0;
  for (std::size_t i = 0; i < per_bucket_.size(); ++i) {
    running += per_bucket_[i];
    out[i] = running;
  }
  return out;
}

MetricsText::Family& MetricsText::family(std::string_view name, std::string_view help, std::string_view type) {
  for (auto& f : families_) {
    if (f.name == name) {
      return f;
    }
  }
  families_.push_back(Family{std::string(name), escape_help(help), std::string(type), {}});
  return families_.back();
}

void MetricsText::counter(std::string_view name, std::string_view help, double value, const MetricLabels& labels) {
  if (is_valid_metric_name(name)) {
    add_sample(family(name, help, "counter").samples, name, label_text(labels), value);
  }
}

void MetricsText::gauge(std::string_view name, std::string_view help, double value, const MetricLabels& labels) {
  if (is_valid_metric_name(name)) {
    add_sample(family(name, help, "gauge").samples, name, label_text(labels), value);
  }
}

void MetricsText::histogram(std::string_view name, std::string_view help, const Histogram& h,
                            const MetricLabels& labels) {
  if (!is_valid_metric_name(name)) {
    return;
  }
  auto& samples = family(name, help, "histogram").samples;
  const std::string bucket = std::string(name) + "_bucket";
  const auto counts = h.cumulative();
  for (std::size_t i = 0; i < counts.size(); ++i) {
    add_sample(samples, bucket, label_text(labels, "le", format_metric_value(h.bounds()[i])),
               static_cast<double>(counts[i]));
  }
  add_sample(samples, bucket, label_text(labels, "le", "+Inf"), static_cast<double>(h.count()));
  add_sample(samples, std::string(name) + "_sum", label_text(labels), h.sum());
  add_sample(samples, std::string(name) + "_count", label_text(labels), static_cast<double>(h.count()));
}

std::string MetricsText::render() const {
  std::string out;
  for (const auto& f : families_) {
    out += "# HELP " + f.name + " " + f.help + "\n";
    out += "# TYPE " + f.name + " " + f.type + "\n";
    out += f.samples;
  }
  return out;
}

}  // namespace berth::control
