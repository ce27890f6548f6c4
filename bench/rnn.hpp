// The recurrent benchmarks (rnn.cpp): lstm16 and gru16 of bench/README.md, registered and reported from
// main.cpp.
#pragma once

#include "report.hpp"

#include <string>

namespace bench {
/// Builds every contestant, cross-checks their outputs (throws if one disagrees) and registers
/// the benchmarks.
void register_rnn_benchmarks();
/// The markdown tables of the lstm16 / gru16 results.
std::string rnn_table(const collector& c);
} // namespace bench
