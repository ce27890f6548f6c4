// The standard networks of bench/README.md described at run time (layer sizes and activations), in
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

/// mnist_cnn (conv 1->8 3x3 relu, maxpool 2, conv 8->16 3x3 relu, maxpool 2, dense 400->10):
/// the sizes every anchor is written for (PyTorch's floor rule for the pools).
namespace cnn {
inline constexpr int h0 = 28, c1 = 8, h1 = 26, p1 = 13, c2 = 16, h2 = 11, p2 = 5, classes = 10;
inline constexpr int in = h0 * h0, flat = c2 * p2 * p2; // 784, 400
/// Parameters in PyTorch order: conv1.weight [8,1,3,3], conv1.bias, conv2.weight [16,8,3,3],
/// conv2.bias, fc.weight [10,400], fc.bias.
inline constexpr int w1 = 0, b1 = w1 + c1 * 9, w2 = b1 + c1, b2 = w2 + c2 * c1 * 9, w3 = b2 + c2,
                     b3 = w3 + classes * flat, param_count = b3 + classes;
/// Multiply-adds of one inference (FLOPs = 2 x this): the two convolutions and the dense layer.
inline constexpr double multiply_adds =
    double(c1) * h1 * h1 * 9 + double(c2) * h2 * h2 * c1 * 9 + double(classes) * flat;
} // namespace cnn

} // namespace bench
