// mnist_cnn of bench/README.md (conv 1->8 3x3 relu, maxpool 2, conv 8->16 3x3 relu, maxpool 2, dense
// 400->10) as a ctnn type, its sizes as plain numbers for the anchors, and a direct double
// reference of its forward pass that checks every implementation before anything is timed.
#pragma once

#include "standard_networks.hpp"

#include <algorithm>
#include <vector>

namespace bench {

using mnist_cnn = nn::network<nn::input<nn::shape<1, 28, 28>>,            // [1, 28, 28]
                              nn::conv2d<8, nn::kernel<3, 3>>, nn::relu,  // [8, 26, 26]
                              nn::max_pool2d<nn::window<2, 2>>,           // [8, 13, 13]
                              nn::conv2d<16, nn::kernel<3, 3>>, nn::relu, // [16, 11, 11]
                              nn::max_pool2d<nn::window<2, 2>>,           // [16, 5, 5]
                              nn::flatten, nn::dense<10>>;                // [10]

namespace detail {
/// Valid 3x3 convolution plus relu, then 2x2 max pooling (floor), in double, channel-major.
inline std::vector<double> conv_relu_pool(const std::vector<double>& x, int c, int h, int f, const float* w,
                                          const float* b) {
  const int oh = h - 2, ph = oh / 2;
  std::vector<double> y(std::size_t(f) * oh * oh), p(std::size_t(f) * ph * ph);
  for (int o = 0; o < f; ++o)
    for (int i = 0; i < oh; ++i)
      for (int j = 0; j < oh; ++j) {
        double acc = b[o];
        for (int ci = 0; ci < c; ++ci)
          for (int di = 0; di < 3; ++di)
            for (int dj = 0; dj < 3; ++dj)
              acc += double(w[((o * c + ci) * 3 + di) * 3 + dj]) * x[std::size_t((ci * h + i + di) * h + j + dj)];
        y[std::size_t((o * oh + i) * oh + j)] = std::max(acc, 0.0);
      }
  for (int o = 0; o < f; ++o)
    for (int i = 0; i < ph; ++i)
      for (int j = 0; j < ph; ++j) {
        double m = y[std::size_t((o * oh + 2 * i) * oh + 2 * j)];
        for (int di = 0; di < 2; ++di)
          for (int dj = 0; dj < 2; ++dj) m = std::max(m, y[std::size_t((o * oh + 2 * i + di) * oh + 2 * j + dj)]);
        p[std::size_t((o * ph + i) * ph + j)] = m;
      }
  return p;
}
} // namespace detail

/// One sample of mnist_cnn in double, from parameters in PyTorch order.
inline std::vector<double> reference_cnn(const std::vector<float>& params, const float* x) {
  using namespace cnn;
  const float* p = params.data();
  auto a = detail::conv_relu_pool(std::vector<double>(x, x + in), 1, h0, c1, p + w1, p + b1);
  a = detail::conv_relu_pool(a, c1, p1, c2, p + w2, p + b2);
  std::vector<double> y(classes);
  for (int o = 0; o < classes; ++o) {
    double acc = p[b3 + o];
    for (int i = 0; i < flat; ++i) acc += double(p[w3 + o * flat + i]) * a[std::size_t(i)];
    y[std::size_t(o)] = acc;
  }
  return y;
}

} // namespace bench
