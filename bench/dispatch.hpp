// The runtime-dispatch benchmarks (dispatch.cpp): mlp_small and mnist_mlp compiled for every
// instruction set and chosen at run time, beside this build's own (-march=native) network.
#pragma once

#include "report.hpp"

#include <string>

namespace bench {
/// Cross-checks every instruction set this CPU runs against the native network (throws if one
/// disagrees) and registers the benchmarks.
void register_dispatch_benchmarks();
/// The markdown table: ns per call of each instruction set, and the best one over native.
std::string dispatch_table(const collector& c);
} // namespace bench
