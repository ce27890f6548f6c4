// The hand-written recurrent cells a C++ engineer would write with Eigen: fixed-size matrices,
// PyTorch's gate order and both biases (the LSTM's summed once at load, the GRU's b_hn kept
// inside the reset product), then the dense 16 -> 1 head. One stream's state in the object.
#pragma once

#include "eigen_anchor.hpp" // Eigen with EIGEN_STACK_ALLOCATION_LIMIT 0

#include <vector>

namespace bench {

template <int H>
struct eigen_lstm {
  Eigen::Matrix<float, 4 * H, 1> w_ih, b; // input size 1: a column
  Eigen::Matrix<float, 4 * H, H> w_hh;
  Eigen::Matrix<float, 1, H> w_out;
  float b_out = 0;
  Eigen::Matrix<float, H, 1> h = Eigen::Matrix<float, H, 1>::Zero(), c = Eigen::Matrix<float, H, 1>::Zero();

  explicit eigen_lstm(const std::vector<float>& p) {
    std::size_t at = 0;
    for (int r = 0; r < 4 * H; ++r) w_ih(r) = p[at++];
    for (int r = 0; r < 4 * H; ++r)
      for (int k = 0; k < H; ++k) w_hh(r, k) = p[at++];
    for (int r = 0; r < 4 * H; ++r) b(r) = p[at++];
    for (int r = 0; r < 4 * H; ++r) b(r) += p[at++];
    for (int k = 0; k < H; ++k) w_out(k) = p[at++];
    b_out = p[at];
  }
  void reset() {
    h.setZero();
    c.setZero();
  }
  float step(float x) {
    const Eigen::Matrix<float, 4 * H, 1> g = w_ih * x + w_hh * h + b;
    const auto i = g.template segment<H>(0).array().logistic();
    const auto f = g.template segment<H>(H).array().logistic();
    const auto gg = g.template segment<H>(2 * H).array().tanh();
    const auto o = g.template segment<H>(3 * H).array().logistic();
    c = (f * c.array() + i * gg).matrix();
    h = (o * c.array().tanh()).matrix();
    return w_out.dot(h) + b_out;
  }
};

template <int H>
struct eigen_gru {
  Eigen::Matrix<float, 3 * H, 1> w_ih, b_ih, b_hh;
  Eigen::Matrix<float, 3 * H, H> w_hh;
  Eigen::Matrix<float, 1, H> w_out;
  float b_out = 0;
  Eigen::Matrix<float, H, 1> h = Eigen::Matrix<float, H, 1>::Zero();

  explicit eigen_gru(const std::vector<float>& p) {
    std::size_t at = 0;
    for (int r = 0; r < 3 * H; ++r) w_ih(r) = p[at++];
    for (int r = 0; r < 3 * H; ++r)
      for (int k = 0; k < H; ++k) w_hh(r, k) = p[at++];
    for (int r = 0; r < 3 * H; ++r) b_ih(r) = p[at++];
    for (int r = 0; r < 3 * H; ++r) b_hh(r) = p[at++];
    for (int k = 0; k < H; ++k) w_out(k) = p[at++];
    b_out = p[at];
  }
  void reset() { h.setZero(); }
  float step(float x) {
    const Eigen::Matrix<float, 3 * H, 1> gi = w_ih * x + b_ih;
    const Eigen::Matrix<float, 3 * H, 1> gh = w_hh * h + b_hh;
    const auto r = (gi.template segment<H>(0) + gh.template segment<H>(0)).array().logistic();
    const auto z = (gi.template segment<H>(H) + gh.template segment<H>(H)).array().logistic();
    const Eigen::Array<float, H, 1> n =
        (gi.template segment<H>(2 * H).array() + r * gh.template segment<H>(2 * H).array()).tanh();
    h = ((1 - z) * n + z * h.array()).matrix();
    return w_out.dot(h) + b_out;
  }
};

} // namespace bench
