// The mnist_cnn benchmarks (cnn.cpp), registered and reported from main.cpp.
#pragma once

#include "report.hpp"

#include <string>

namespace bench {
/// Builds every contestant, cross-checks their outputs (throws if one disagrees) and registers
/// the benchmarks.
void register_cnn_benchmarks();
/// The markdown tables of the mnist_cnn results.
std::string cnn_table(const collector& c, double peak_gflops);
} // namespace bench
