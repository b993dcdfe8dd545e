#pragma once

// Prometheus text exposition format (version 0.0.4) for GET /metrics. The agent owns its numbers and
// renders them with this builder: samples of one metric family are grouped under one HELP and TYPE
// whatever order they are added in; label values are escaped; names are checked.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::control {

inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

using MetricLabels = std::vector<std::pair<std::string, std::string>>;

// Buckets with upper bounds (ascending); observe() adds to the first bucket whose bound is >= the value
// and to +Inf, as Prometheus histograms count.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);

  [[nodiscard]] const std::vector<double>& bounds() const { return bounds_; }
  // Cumulative counts, one per bound (the +Inf bucket is count()).
  [[nodiscard]] std::vector<std::uint64_t> cumulative() const;
  [[nodiscard]] std::uint64_t count() const { return count_; }
  [[nodiscard]] double sum() const { return sum_; }

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> per_bucket_;
  std::uint64_t count_ = 0;
  double sum_ = 0;
};

class MetricsText {
 public:
  void counter(std::string_view name, std::string_view help, double value, const MetricLabels& labels = {});
  void gauge(std::string_view name, std::string_view help, double value, const MetricLabels& labels = {});
  void histogram(std::string_view name, std::string_view help, const Histogram& h, const MetricLabels& labels = {});

  [[nodiscard]] std::string render() const;

 private:
  struct Family {
    std::string name;
    std::string help;
    std::string type;
    std::string samples;
  };
  Family& family(std::string_view name, std::string_view help, std::string_view type);

  std::vector<Family> families_;
};

// Metric and label names: [a-zA-Z_:][a-zA-Z0-9_:]* (labels without ':').
bool is_valid_metric_name(std::string_view name);
bool is_valid_label_name(std::string_view name);
// Backslash, double quote and newline escaped as the format requires.
std::string escape_label_value(std::string_view value);
// A sample value: integers without a fraction, "+Inf", "-Inf", "NaN".
std::string format_metric_value(double value);

}  // namespace berth::control
