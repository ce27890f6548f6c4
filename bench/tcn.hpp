// The streaming convolution benchmark (tcn.cpp): wavenet8 of bench/README.md, registered and
// reported from main.cpp.
#pragma once

#include "report.hpp"

#include <string>

namespace bench {
/// Builds every contestant, cross-checks their outputs (throws if one disagrees) and registers
/// the benchmarks.
void register_tcn_benchmarks();
/// The markdown table of the wavenet8 results.
std::string tcn_table(const collector& c);
} // namespace bench
