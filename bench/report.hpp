// What the benchmark TUs share: the reporter that keeps the medians for the closing markdown
// tables, and number formatting for them.
#pragma once

#include <benchmark/benchmark.h>

#include <cstdio>
#include <map>
#include <string>
#include <vector>

namespace bench {

/// Keeps the medians of every benchmark for the closing table.
class collector : public benchmark::ConsoleReporter {
public:
  struct result {
    double ns = 0;
    std::map<std::string, double> counters;
    bool skipped = false;
  };
  std::map<std::string, result> results;

  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const auto& r : runs) {
      const std::string name = r.run_name.function_name;
      if (r.error_occurred) results[name].skipped = true;
      if (r.run_type != Run::RT_Aggregate || r.aggregate_name != "median") continue;
      auto& out = results[name];
      out.ns = r.GetAdjustedRealTime(); // time unit is ns
      for (const auto& [k, c] : r.counters) out.counters[k] = c.value;
    }
  }
  const result* find(const std::string& name) const {
    const auto it = results.find(name);
    return it == results.end() || it->second.skipped || it->second.ns == 0 ? nullptr : &it->second;
  }
};

inline std::string fmt(double v, const char* f = "%.1f") {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

} // namespace bench
