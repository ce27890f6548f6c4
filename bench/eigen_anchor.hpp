// The hand-written Eigen baseline: fixed-size matrices, y = act(W x + b) per layer, as a C++
// engineer would write it without a framework.
#pragma once

#define EIGEN_STACK_ALLOCATION_LIMIT 0 // the matrices live in heap-allocated objects
#include <Eigen/Dense>

#include "standard_networks.hpp"

#include <tuple>

namespace bench {

template <int In, int Out, act A>
struct eigen_layer {
  Eigen::Matrix<float, Out, In> W;
  Eigen::Matrix<float, Out, 1> b;

  Eigen::Matrix<float, Out, 1> operator()(const Eigen::Matrix<float, In, 1>& x) const {
    Eigen::Matrix<float, Out, 1> z = W * x + b;
    if constexpr (A == act::relu) z = z.cwiseMax(0.0f);
    if constexpr (A == act::tanh) z = z.array().tanh().matrix();
    return z;
  }
  /// A batch: one sample per column.
  Eigen::Matrix<float, Out, Eigen::Dynamic> operator()(const Eigen::Matrix<float, In, Eigen::Dynamic>& x) const {
    Eigen::Matrix<float, Out, Eigen::Dynamic> z = (W * x).colwise() + b;
    if constexpr (A == act::relu) z = z.cwiseMax(0.0f);
    if constexpr (A == act::tanh) z = z.array().tanh().matrix();
    return z;
  }
  void load(const std::vector<float>& p, std::size_t& at) {
    for (int o = 0; o < Out; ++o)
      for (int i = 0; i < In; ++i) W(o, i) = p[at + std::size_t(o) * In + i];
    for (int o = 0; o < Out; ++o) b(o) = p[at + std::size_t(In) * Out + o];
    at += std::size_t(In) * Out + Out;
  }
};

template <class... Layers>
struct eigen_mlp {
  std::tuple<Layers...> layers;

  explicit eigen_mlp(const std::vector<float>& params) {
    std::size_t at = 0;
    std::apply([&](auto&... l) { (l.load(params, at), ...); }, layers);
  }
  template <class X>
  auto operator()(const X& x) const {
    return std::apply([&](const auto&... l) { return chain(x, l...); }, layers);
  }

private:
  template <class X, class L, class... Rest>
  static auto chain(const X& x, const L& l, const Rest&... rest) {
    if constexpr (sizeof...(Rest) == 0)
      return l(x);
    else
      return chain(l(x), rest...);
  }
};

using eigen_mlp_small =
    eigen_mlp<eigen_layer<8, 16, act::tanh>, eigen_layer<16, 16, act::tanh>, eigen_layer<16, 1, act::identity>>;
using eigen_mlp_trading =
    eigen_mlp<eigen_layer<32, 64, act::relu>, eigen_layer<64, 64, act::relu>, eigen_layer<64, 1, act::identity>>;
using eigen_mlp_eval =
    eigen_mlp<eigen_layer<256, 32, act::relu>, eigen_layer<32, 32, act::relu>, eigen_layer<32, 1, act::identity>>;
using eigen_mnist_mlp = eigen_mlp<eigen_layer<784, 128, act::relu>, eigen_layer<128, 10, act::identity>>;

} // namespace bench
