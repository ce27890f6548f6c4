// The hand-written streaming TCN a C++ engineer would write with Eigen: per layer, fixed-size
// tap matrices and a ring of the last (K - 1) d + 1 input frames with its position, tanh after
// each layer, then a dense head. One stream's state in the object.
#pragma once

#include "eigen_anchor.hpp" // Eigen with EIGEN_STACK_ALLOCATION_LIMIT 0

#include <cstddef>
#include <vector>

namespace bench {

/// A causal dilated convolution of C channels into F, kernel K, dilation D, stepped.
template <int C, int F, int K, int D>
struct eigen_causal_conv {
  static constexpr int ring = (K - 1) * D + 1;
  Eigen::Matrix<float, F, C> w[K];
  Eigen::Matrix<float, F, 1> b;
  Eigen::Matrix<float, C, ring> frames = Eigen::Matrix<float, C, ring>::Zero();
  int pos = 0;

  /// PyTorch's Conv1d order: weight [F][C][K], then bias [F].
  void load(const std::vector<float>& p, std::size_t& at) {
    for (int f = 0; f < F; ++f)
      for (int c = 0; c < C; ++c)
        for (int k = 0; k < K; ++k) w[k](f, c) = p[at++];
    for (int f = 0; f < F; ++f) b(f) = p[at++];
  }
  void reset() {
    frames.setZero();
    pos = 0;
  }
  Eigen::Matrix<float, F, 1> step(const Eigen::Matrix<float, C, 1>& x) {
    frames.col(pos) = x;
    Eigen::Matrix<float, F, 1> acc = b;
    for (int k = 0; k < K; ++k) acc.noalias() += w[k] * frames.col((pos + ring - (K - 1 - k) * D) % ring);
    pos = (pos + 1) % ring;
    return acc.array().tanh();
  }
};

/// wavenet8 (bench/README.md): 1 -> 8 channels at dilation 1, then 8 -> 8 at dilations 2 .. 64,
/// kernel 3, tanh after each; dense 8 -> 1 on every step.
struct eigen_wavenet8 {
  eigen_causal_conv<1, 8, 3, 1> l0;
  eigen_causal_conv<8, 8, 3, 2> l1;
  eigen_causal_conv<8, 8, 3, 4> l2;
  eigen_causal_conv<8, 8, 3, 8> l3;
  eigen_causal_conv<8, 8, 3, 16> l4;
  eigen_causal_conv<8, 8, 3, 32> l5;
  eigen_causal_conv<8, 8, 3, 64> l6;
  Eigen::Matrix<float, 1, 8> w_out;
  float b_out = 0;

  explicit eigen_wavenet8(const std::vector<float>& p) {
    std::size_t at = 0;
    l0.load(p, at), l1.load(p, at), l2.load(p, at), l3.load(p, at), l4.load(p, at), l5.load(p, at), l6.load(p, at);
    for (int k = 0; k < 8; ++k) w_out(k) = p[at++];
    b_out = p[at];
  }
  void reset() { l0.reset(), l1.reset(), l2.reset(), l3.reset(), l4.reset(), l5.reset(), l6.reset(); }
  float step(float x) {
    const auto h = l6.step(l5.step(l4.step(l3.step(l2.step(l1.step(l0.step(Eigen::Matrix<float, 1, 1>(x))))))));
    return w_out.dot(h) + b_out;
  }
};

} // namespace bench
