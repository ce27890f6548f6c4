// The graph benchmarks (graphs.cpp): a residual CNN with an Inception module, registered and
// reported from main.cpp.
#pragma once

#include "report.hpp"

#include <string>

namespace bench {
/// Builds every contestant, cross-checks their outputs (throws if one disagrees) and registers
/// the benchmarks.
void register_graph_benchmarks();
/// The markdown table of the graph results.
std::string graph_table(const collector& c, double peak_gflops);
} // namespace bench
