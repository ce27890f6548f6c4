// The standard networks of BENCH.md described at run time (layer sizes and activations), in
// plain C++17 so that the libtorch anchor can use it without ctnn's (C++20) headers: Debian's
// libtorch 1.13 headers do not compile as C++20 with Clang 14.
#pragma once

#include <vector>

namespace bench {

enum class act { identity, relu, tanh };
struct layer_spec {
  int in, out;
  act activation;
};
using spec = std::vector<layer_spec>;

inline const spec mlp_small_spec{{8, 16, act::tanh}, {16, 16, act::tanh}, {16, 1, act::identity}};
inline const spec mlp_trading_spec{{32, 64, act::relu}, {64, 64, act::relu}, {64, 1, act::identity}};
inline const spec mlp_eval_spec{{256, 32, act::relu}, {32, 32, act::relu}, {32, 1, act::identity}};
inline const spec mnist_mlp_spec{{784, 128, act::relu}, {128, 10, act::identity}};

/// Multiply-adds of one inference (FLOPs = 2 x this).
inline double multiply_adds(const spec& s) {
  double m = 0;
  for (const auto& l : s) m += double(l.in) * l.out;
  return m;
}
/// Bytes of weights and biases (float).
inline double weight_bytes(const spec& s) {
  double b = 0;
  for (const auto& l : s) b += 4.0 * (double(l.in) * l.out + l.out);
  return b;
}

} // namespace bench
