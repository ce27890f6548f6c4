// Helpers shared by ctnn's tests: deterministic random data and scaled error measures.
#pragma once

#include <ctnn/core/random.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <span>
#include <vector>

namespace ctnn::test {

/// n values uniform in [lo, hi) from a fixed seed.
template <class T>
std::vector<T> random_values(std::size_t n, std::uint64_t seed, double lo = -1.0, double hi = 1.0) {
  rng g(seed);
  std::vector<T> v(n);
  for (auto& x : v) x = static_cast<T>(g.uniform(lo, hi));
  return v;
}

/// max |a - b| / max(1, max |b|): the error measure of tests/README.md ("x scale").
template <class A, class B>
double scaled_error(const A& a, const B& b) {
  double scale = 1.0, err = 0.0;
  for (std::size_t i = 0; i < std::size(b); ++i) scale = std::max(scale, std::abs(double(b[i])));
  for (std::size_t i = 0; i < std::size(b); ++i) err = std::max(err, std::abs(double(a[i]) - double(b[i])));
  return err / scale;
}

/// Tolerance for comparing two float or double computations that differ only in summation order.
template <class T>
constexpr double reassociation_tolerance = sizeof(T) == 4 ? 2e-5 : 1e-12;

} // namespace ctnn::test
