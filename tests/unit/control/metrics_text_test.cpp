#include "control/metrics_text.hpp"

#include <gtest/gtest.h>

namespace berth::control {
namespace {

TEST(MetricsTextTest, FamiliesAreGroupedWithHelpAndType) {
  MetricsText m;
  m.counter("berth_checks_total", "Registry checks", 3, {{"registry", "docker.io"}});
  m.gauge("berth_services_watched", "Services watched", 12);
  m.counter("berth_checks_total", "Registry checks", 1, {{"registry", "ghcr.io"}});
  EXPECT_EQ(m.render(),
            "# HELP berth_checks_total Registry checks\n"
            "# TYPE berth_checks_total counter\n"
            "berth_checks_total{registry=\"docker.io\"} 3\n"
            "berth_checks_total{registry=\"ghcr.io\"} 1\n"
            "# HELP berth_services_watched Services watched\n"
            "# TYPE berth_services_watched gauge\n"
            "berth_services_watched 12\n");
}

TEST(MetricsTextTest, HistogramBucketsAreCumulative) {
  Histogram h({1, 0.5, 5});
  h.observe(0.25);
  h.observe(0.75);
  h.observe(3);
  h.observe(100);
  MetricsText m;
  m.histogram("berth_swap_duration_seconds", "Swap duration", h, {{"service", "web"}});
  EXPECT_EQ(m.render(),
            "# HELP berth_swap_duration_seconds Swap duration\n"
            "# TYPE berth_swap_duration_seconds histogram\n"
            "berth_swap_duration_seconds_bucket{service=\"web\",le=\"0.5\"} 1\n"
            "berth_swap_duration_seconds_bucket{service=\"web\",le=\"1\"} 2\n"
            "berth_swap_duration_seconds_bucket{service=\"web\",le=\"5\"} 3\n"
            "berth_swap_duration_seconds_bucket{service=\"web\",le=\"+Inf\"} 4\n"
            "berth_swap_duration_seconds_sum{service=\"web\"} 104\n"
            "berth_swap_duration_seconds_count{service=\"web\"} 4\n");
}

TEST(MetricsTextTest, EscapingAndValidation) {
  EXPECT_EQ(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
  EXPECT_TRUE(is_valid_metric_name("berth:x_1"));
  EXPECT_FALSE(is_valid_metric_name("1x"));
  EXPECT_FALSE(is_valid_metric_name("a-b"));
  EXPECT_FALSE(is_valid_label_name("__reserved"));
  EXPECT_EQ(format_metric_value(0.1), "0.1");
  EXPECT_EQ(format_metric_value(1e300 * 1e300), "+Inf");
  MetricsText m;
  m.gauge("bad-name", "x", 1);
  m.gauge("ok", "multi\nline", 1, {{"bad-label", "x"}, {"good", "y"}});
  EXPECT_EQ(m.render(), "# HELP ok multi\\nline\n# TYPE ok gauge\nok{good=\"y\"} 1\n");
}

}  // namespace
}  // namespace berth::control
